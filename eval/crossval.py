"""`python -m eval.crossval --dataset FILE --out DIR [--retrieval-only] [--folds K]`: the whole
pipeline's figures on a calibration set, each question decided by a confidence model fitted
without it.

`python -m eval.run` on dev.jsonl or users-dev.jsonl is in-sample: rag/confidence.json was fitted on
those questions. `python -m eval.calibrate` cross-validates the model alone (the decision before the
answer). This runs everything — evidence rules, the model, the gray-zone judge, the model's refusal,
the answer checks — with, for each question, the model (and its threshold) that `eval.calibrate`
would have produced without that question's fold: the calibration data (dev + users-dev) split into
K stratified folds as `eval.calibrate` splits it; per fold, the model is fitted on the other folds and
its threshold chosen by an inner cross-validation on them (nested, so the threshold never saw the
fold either). Nothing else is refitted: the judge's P(yes) bounds and the gray band are settings;
RAG_JUDGE_GRAY_MIN_YES was fitted on the dev sets by `eval.judge_scores`, so for the gray-zone
judge these figures are in-sample. Writes the same files as `eval.run` (predictions, report.json/.md/.png).
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

from eval.calibrate import (
    DEFAULT_DATASETS,
    FOLDS,
    MAX_FALSE_DECLINE,
    SEED,
    calibration_features,
    choose_threshold,
    cross_validated,
)
from eval.metrics import Question
from eval.run import DatasetError, run
from rag.confidence import ConfidenceModel

FOLD_FILE = "crossval.json"


def fold_models(
    features: list, labels: list[bool], sets: list[str], folds: int
) -> tuple[list[int], list[ConfidenceModel]]:
    """Each question's outer fold, and per fold the model fitted on the other folds with a
    threshold chosen on an inner cross-validation of those folds (per-set false-decline limits)."""
    from sklearn.model_selection import StratifiedKFold

    fold_of = [0] * len(features)
    models = []
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for k, (train, test) in enumerate(splitter.split(features, labels)):
        tf, tl, ts = [features[i] for i in train], [labels[i] for i in train], [sets[i] for i in train]
        inner = cross_validated(tf, tl, folds)
        threshold = choose_threshold(inner, tl, ts, MAX_FALSE_DECLINE)
        model = ConfidenceModel.fit(tf, tl, f"cross-validation fold {k + 1}/{folds}")
        models.append(replace(model, threshold=round(threshold, 4)))
        for i in test:
            fold_of[i] = k
    return fold_of, models


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.crossval", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, required=True, help="one of the calibration sets")
    parser.add_argument("--out", type=Path, required=True, help="output folder (resumes if it holds this run)")
    parser.add_argument("--retrieval-only", action="store_true", help="the decision before the answer; no LLM")
    parser.add_argument("--folds", type=int, default=FOLDS)
    args = parser.parse_args(argv)
    datasets = [p for p in DEFAULT_DATASETS if p.is_file()]
    if args.dataset.resolve() not in {p.resolve() for p in datasets}:
        names = ", ".join(str(p) for p in datasets)
        print(f"error: {args.dataset} is not a calibration set ({names}); use python -m eval.run", file=sys.stderr)
        return 2
    marker = args.out / FOLD_FILE
    if (args.out / "predictions.jsonl").is_file() and not marker.is_file():
        print(f"error: {args.out} holds a run of python -m eval.run; use another --out", file=sys.stderr)
        return 2

    from rag.config import get_settings

    if get_settings().decline_threshold >= 0:
        print("error: RAG_DECLINE_THRESHOLD is set; it would override every fold's threshold", file=sys.stderr)
        return 2

    print(f"fitting {args.folds} fold models on the calibration questions …", file=sys.stderr)
    questions, features, labels = calibration_features(datasets)
    fold_of, models = fold_models(features, labels, [name for name, _ in questions], args.folds)
    model_of = {q.id: models[fold_of[i]] for i, (name, q) in enumerate(questions) if name == args.dataset.name}
    folds = {"folds": args.folds, "seed": SEED, "thresholds": [m.threshold for m in models]}
    if marker.is_file() and json.loads(marker.read_text()) != folds:  # resuming: the same fold models only
        print(f"error: {args.out} was run with other fold models; use another --out", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(folds, indent=1))

    def use_fold_model(pipeline, q: Question) -> None:
        pipeline.retriever.judge.model = model_of[q.id]

    try:
        result = run(args.dataset, args.out, args.retrieval_only, None, None, prepare=use_fold_model)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    o = result["overall"]
    keys = ("n", "hit@5", "answer_correct", "decline_rate", "false_decline_rate")
    print("cross-validated: " + " ".join(f"{k}={o.get(k)}" for k in keys))
    print(f"report: {args.out / 'report.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
