"""`python -m eval.clause_kinds [--split dev|heldout|all] [--errors]`: score rag.clause_kinds on the
hand-labelled sample `eval/datasets/clause-kinds.jsonl` (labelling guide: clause-kinds.md).

Precision and recall per kind; the report relies on the precision of `support` and `obligation`.
The held-out part is scored once, at the end of a change, never while writing rules.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from rag.clause_kinds import KINDS, classify
from rag.clauses import parse_document
from rag.config import PROJECT_ROOT, get_settings
from rag.documents import load_documents

DATASET = PROJECT_ROOT / "eval" / "datasets" / "clause-kinds.jsonl"
SPLITS = ("dev", "heldout", "all")


@dataclass(frozen=True)
class KindScore:
    kind: str
    predicted: int
    labelled: int
    correct: int

    @property
    def precision(self) -> float | None:
        return self.correct / self.predicted if self.predicted else None

    @property
    def recall(self) -> float | None:
        return self.correct / self.labelled if self.labelled else None


def load_labels(path: Path = DATASET, split: str = "all") -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if split == "all" or r["split"] == split]


def score(split: str = "all", data_dir: Path | None = None) -> tuple[list[KindScore], list[tuple[dict, str]]]:
    """Per-kind scores and the (label row, predicted kind) pairs of the chosen split."""
    clauses = {
        c.clause_id: c for doc in load_documents(data_dir or get_settings().data_dir) for c in parse_document(doc)
    }
    pairs = [(row, classify(clauses[row["clause_id"]]).kind) for row in load_labels(split=split)]
    scores = [
        KindScore(
            kind,
            sum(1 for _, p in pairs if p == kind),
            sum(1 for r, _ in pairs if r["kind"] == kind),
            sum(1 for r, p in pairs if p == kind == r["kind"]),
        )
        for kind in KINDS
    ]
    return scores, pairs


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.clause_kinds", description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", choices=SPLITS, default="dev")
    parser.add_argument("--errors", action="store_true", help="list the clauses the rules get wrong")
    args = parser.parse_args(argv)
    scores, pairs = score(args.split)
    print(f"split={args.split} clauses={len(pairs)}")
    print(f"{'kind':<11}{'predicted':>10}{'labelled':>10}{'correct':>9}{'precision':>11}{'recall':>8}")
    for s in scores:
        print(f"{s.kind:<11}{s.predicted:>10}{s.labelled:>10}{s.correct:>9}{_fmt(s.precision):>11}{_fmt(s.recall):>8}")
    if args.errors:
        for row, predicted in pairs:
            if predicted != row["kind"]:
                print(f"  {row['clause_id']}: labelled {row['kind']}, predicted {predicted} ({row['reason']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
