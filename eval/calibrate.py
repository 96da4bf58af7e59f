"""`python -m eval.calibrate [--dataset eval/datasets/dev.jsonl]`: fit the "is this covered?"
model (rag/confidence.py) on a question set and write rag/confidence.json.

The decline threshold is chosen from leave-one-out scores (each question scored by a model
fitted without it): the highest decline rate whose false-decline rate stays within
MAX_FALSE_DECLINE. Prints the weights, the threshold table and both in-sample (optimistic)
and leave-one-out (the honest figure for unseen questions) rates.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eval.run import load_dataset
from rag.answer import AnswerPipeline
from rag.confidence import CONFIDENCE_FILE, FEATURE_NAMES, ConfidenceModel

MAX_FALSE_DECLINE = 0.05  # refusing an answerable question is the costlier error for users


def rates(probs: list[float], answerable: list[bool], threshold: float) -> tuple[float, float]:
    declined = [p < threshold for p in probs]
    una = [d for d, a in zip(declined, answerable, strict=True) if not a]
    ans = [d for d, a in zip(declined, answerable, strict=True) if a]
    return sum(una) / max(len(una), 1), sum(ans) / max(len(ans), 1)


def choose_threshold(probs: list[float], answerable: list[bool]) -> float:
    """Highest leave-one-out decline rate with false declines <= MAX_FALSE_DECLINE (else fewest),
    then the fewest false declines; among thresholds that tie on both, the middle of their range
    (a margin on both sides for questions not in the set)."""
    candidates = sorted({round(p, 4) for p in probs} | {0.5})
    scored = []
    for t in candidates:
        t_mid = t + 1e-4  # decline strictly below: include the candidate's own question
        decline, false_decline = rates(probs, answerable, t_mid)
        ok = false_decline <= MAX_FALSE_DECLINE
        scored.append(((ok, decline if ok else -false_decline, -false_decline), t_mid))
    best = max(key for key, _ in scored)
    tied = [t for key, t in scored if key == best]
    return round((min(tied) + max(tied)) / 2, 4)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.calibrate", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=Path("eval/datasets/dev.jsonl"))
    parser.add_argument("--out", type=Path, default=CONFIDENCE_FILE)
    args = parser.parse_args(argv)
    questions = load_dataset(args.dataset)
    pipeline = AnswerPipeline.from_settings()
    features = [pipeline.retrieve(q.question, list(q.history)).features for q in questions]
    labels = [q.answerable for q in questions]

    model = ConfidenceModel.fit(features, labels, trained_on=f"{args.dataset} ({len(questions)} questions)")
    loo = []  # a question a decisive rule declines scores 0: it is declined whatever the threshold
    for i in range(len(questions)):
        m = ConfidenceModel.fit(features[:i] + features[i + 1 :], labels[:i] + labels[i + 1 :], trained_on="loo")
        loo.append(0.0 if features[i].decisive_reason else m.predict(features[i]))
    threshold = choose_threshold(loo, labels)
    model.threshold = round(threshold, 4)
    in_sample = rates([0.0 if f.decisive_reason else model.predict(f) for f in features], labels, threshold)
    held_out = rates(loo, labels, threshold)
    print("threshold  decline  false_decline   (leave-one-out)")
    for t in (0.2, 0.3, 0.4, 0.5, 0.6, threshold):
        d, fd = rates(loo, labels, t)
        print(f"  {t:.3f}    {d:.3f}    {fd:.3f}{'   <- chosen' if t == threshold else ''}")
    model.save(args.out)
    print("weights (standardised features):")
    for name, w in zip(FEATURE_NAMES, model.weights, strict=True):
        print(f"  {name:18s} {w:+.3f}")
    print(f"  bias               {model.bias:+.3f}")
    print(f"in-sample:     decline_rate={in_sample[0]:.3f} false_decline_rate={in_sample[1]:.3f}")
    print(f"leave-one-out: decline_rate={held_out[0]:.3f} false_decline_rate={held_out[1]:.3f}")
    for q, p, f in zip(questions, loo, features, strict=True):
        if (p < threshold) == q.answerable:
            kind = "false decline" if q.answerable else "missed decline"
            print(f"  {kind:14s} {q.id} p={p:.2f} {f.decisive_reason or ''} {q.question}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
