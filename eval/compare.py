"""`python -m eval.compare RUN_A RUN_B`: metric deltas between two eval runs (B minus A).

Each RUN is an output folder of `eval.run` (or its report.json). Prints the overall table and,
per type, the metrics that changed; exits 1 when a run cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

METRICS = (
    "hit@1",
    "hit@5",
    "mrr",
    "citation_hit",
    "citation_precision",
    "key_coverage",
    "answer_correct",
    "false_decline_rate",
    "decline_rate",
    "first_token_s_p50",
    "total_s_p50",
)
LOWER_IS_BETTER = {"false_decline_rate", "first_token_s_p50", "total_s_p50"}


def load(path: Path) -> dict:
    report = path / "report.json" if path.is_dir() else path
    try:
        return json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"error: cannot read {report}: {exc}") from None


def delta_row(name: str, a: dict, b: dict) -> str | None:
    va, vb = a.get(name), b.get(name)
    if va is None and vb is None:
        return None
    if va is None or vb is None:
        return f"  {name:20s} {va!s:>8} → {vb!s:>8}"
    d = vb - va
    better = (d < 0) if name in LOWER_IS_BETTER else (d > 0)
    mark = "" if abs(d) < 1e-9 else (" ▲" if better else " ▼")
    return f"  {name:20s} {va:8.3f} → {vb:8.3f}  {d:+.3f}{mark}"


def compare(a: dict, b: dict) -> str:
    lines = [
        f"A: {a.get('dataset')} {a.get('mode')} {a.get('commit')} {a.get('date')}",
        f"B: {b.get('dataset')} {b.get('mode')} {b.get('commit')} {b.get('date')}",
        "",
        "overall",
    ]
    lines += [r for m in METRICS if (r := delta_row(m, a["overall"], b["overall"]))]
    for t in dict.fromkeys([*a.get("by_type", {}), *b.get("by_type", {})]):
        ra, rb = a.get("by_type", {}).get(t, {}), b.get("by_type", {}).get(t, {})
        rows = [
            r for m in METRICS if (r := delta_row(m, ra, rb)) and ("▲" in r or "▼" in r or ("→" in r and "None" in r))
        ]
        if rows:
            lines += ["", t, *rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.compare", description=__doc__.split("\n")[0])
    parser.add_argument("run_a", type=Path)
    parser.add_argument("run_b", type=Path)
    args = parser.parse_args(argv)
    print(compare(load(args.run_a), load(args.run_b)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
