"""`python -m eval.judge_scores [--dataset FILE ...] [--band 0.25]`: fit RAG_JUDGE_GRAY_MIN_YES.

In the gray zone (confidence just above the decline threshold) a Chinese question's judge reads the
whole answer prompt and says whether it answers the question; its P(是) runs higher than on two
sentences, so it gets its own bound. This asks that judge about every Chinese, single-part question
the decision answers with a confidence within `--band` of the threshold (the gray zone is too thin
to fit on alone), and chooses the bound that declines the largest share of unanswerable questions
less the share of answerable ones; where several bounds do equally well, the middle of them. Never
the held-out files. Prints the scores and the bound; `--out` keeps them as JSON Lines. Needs the
judge on (RAG_JUDGE_MIN_YES > 0).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from fractions import Fraction
from pathlib import Path

from tqdm import tqdm

from eval.metrics import Question
from eval.run import load_dataset
from rag.answer import AnswerPipeline
from rag.text import script_of

DEFAULT_DATASETS = tuple(
    Path(f"eval/datasets/{name}.jsonl") for name in ("dev", "users-dev", "users-dev-3", "users-dev-4")
)
DEFAULT_BAND = 0.25


def choose_bound(scores: list[tuple[float, bool]]) -> tuple[float, float]:
    """(bound, declined unanswerable share − declined answerable share at it) for (P(是), answerable)
    pairs: the best cut between neighbouring scores; where several neighbouring cuts do equally well
    (one interval of bounds), its middle. Shares are exact fractions, so ties are ties."""
    if not scores:
        raise ValueError("no scores to fit a bound on")
    answerable = sum(1 for _, a in scores if a) or 1
    unanswerable = sum(1 for _, a in scores if not a) or 1
    values = sorted({p for p, _ in scores})
    cuts = [0.0] + [(a + b) / 2 for a, b in itertools.pairwise(values)] + [values[-1] + 1e-9]

    def gain(cut: float) -> Fraction:
        declined = [a for p, a in scores if p < cut]
        return Fraction(len(declined) - sum(declined), unanswerable) - Fraction(sum(declined), answerable)

    gains = [gain(c) for c in cuts]
    best = max(gains)
    runs: list[list[float]] = []  # neighbouring cuts with the best gain
    for i, (cut, g) in enumerate(zip(cuts, gains, strict=True)):
        if g == best:
            if runs and gains[i - 1] == best:
                runs[-1].append(cut)
            else:
                runs.append([cut])
    longest = max(runs, key=len)
    bound = (longest[0] + longest[-1]) / 2
    return bound, float(gain(bound))


def judge_scores(pipeline: AnswerPipeline, questions: list[Question], band: float) -> list[dict]:
    threshold = pipeline.retriever.decline_threshold
    rows = []
    for q in tqdm(questions, desc="judge", unit="q", file=sys.stderr):
        if script_of(q.question) == "english":
            continue
        result, verdict = pipeline.gray_zone_verdict(q.question, q.history, max_above=band)
        if result is None or verdict is None:
            continue
        above = result.confidence - threshold
        rows.append(
            {"id": q.id, "answerable": q.answerable, "above_threshold": round(above, 4), "p_yes": verdict.p_yes}
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.judge_scores", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, action="append", help="repeatable; default: the four dev sets")
    parser.add_argument("--band", type=float, default=DEFAULT_BAND, help="confidence above the threshold taken")
    parser.add_argument("--out", type=Path, help="write the scores here (JSON Lines)")
    args = parser.parse_args(argv)
    questions = [q for path in args.dataset or DEFAULT_DATASETS for q in load_dataset(path)]
    rows = judge_scores(AnswerPipeline.from_settings(), questions, args.band)
    if args.out:
        args.out.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    for r in sorted(rows, key=lambda r: r["p_yes"]):
        print(f"{r['p_yes']:.3f}  {'answerable  ' if r['answerable'] else 'UNANSWERABLE'}  {r['id']}")
    if not any(not r["answerable"] for r in rows) or not any(r["answerable"] for r in rows):
        print("need both answerable and unanswerable questions in the band to fit a bound", file=sys.stderr)
        return 1
    bound, gain = choose_bound([(r["p_yes"], r["answerable"]) for r in rows])
    print(f"{len(rows)} questions; RAG_JUDGE_GRAY_MIN_YES={bound:.3f}")
    print(f"(share of unanswerable ones declined less share of answerable ones: {gain:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
