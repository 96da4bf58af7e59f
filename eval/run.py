"""`python -m eval.run --dataset FILE --out DIR [--retrieval-only] [--limit N] [--types a,b] [--min-hit5 X …]`

Runs the real pipeline over any question set in the format of ../shared/eval-format.md and
writes DIR/predictions.jsonl (one prediction per question, dataset order), DIR/report.json
(every metric of the contract, overall and per type), DIR/report.md (tables + worst failures)
and DIR/report.png (main metrics per type). An interrupted run resumes: questions already in
predictions.jsonl are skipped when the same command is run again. With `--min-hit5` and the
other bounds the run is also a quality gate (`make eval-retrieval`): exit status 1 when a figure
is out of bounds, so the in-sample dev figures are checked outside pytest.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from eval.metrics import COST_TIMINGS, MODELLED, USAGE_FIELDS, Question, QuestionScore, cost_report, report
from rag.prediction import Prediction

PREDICTIONS = "predictions.jsonl"
RUN_INFO = "run.json"
WORST_SHOWN = 15
MAIN_METRICS = ("hit@5", "mrr", "citation_hit", "key_coverage", "answer_correct", "false_decline_rate", "decline_rate")


class DatasetError(ValueError):
    pass


def load_dataset(path: Path) -> list[Question]:
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    questions: list[Question] = []
    seen: set[str] = set()
    for n, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            q = Question.from_dict(json.loads(line))
        except (ValueError, TypeError) as exc:
            raise DatasetError(f"{path}:{n}: {exc}") from None
        if q.id in seen:
            raise DatasetError(f"{path}:{n}: duplicate id {q.id!r}")
        seen.add(q.id)
        questions.append(q)
    if not questions:
        raise DatasetError(f"{path}: no questions")
    return questions


def _read_predictions(path: Path) -> dict[str, dict]:
    done: dict[str, dict] = {}
    if not path.is_file():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            pred = json.loads(line)
        except ValueError:
            continue  # a line cut by an interruption: that question is simply run again
        if isinstance(pred, dict) and "id" in pred:
            done[pred["id"]] = pred
    return done


def _git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def reference_rates() -> tuple[float, float]:
    """(prompt, generated) tokens/s of the slow reference CPU the cost report models."""
    from rag.config import Settings

    s = Settings.from_env()
    return s.reference_prompt_rate, s.reference_generation_rate


def run(
    dataset: Path,
    out: Path,
    retrieval_only: bool,
    limit: int | None,
    types: set[str] | None,
    prepare: Callable[[Any, Question], None] | None = None,
) -> dict[str, Any]:
    """Predict every question not yet in `out` and write the report; `prepare(pipeline, question)`
    runs before each question (eval/crossval.py sets the confidence model fitted without it)."""
    from tqdm import tqdm

    from rag.answer import AnswerPipeline

    questions = load_dataset(dataset)
    if types:
        questions = [q for q in questions if q.type in types]
    if limit:
        questions = questions[:limit]
    out.mkdir(parents=True, exist_ok=True)
    info_path = out / RUN_INFO
    mode = "retrieval-only" if retrieval_only else "full"
    if info_path.is_file():
        previous = json.loads(info_path.read_text())
        if previous.get("mode") != mode:
            raise DatasetError(f"{out} holds a {previous.get('mode')} run; use another --out for a {mode} run")
    if prepare is None and (out / "crossval.json").is_file():  # eval/crossval.py's run: other models decided it
        raise DatasetError(f"{out} holds a cross-validated run (python -m eval.crossval); use another --out")
    pred_path = out / PREDICTIONS
    done = _read_predictions(pred_path)
    todo = [q for q in questions if q.id not in done]
    if done:
        print(f"resuming: {len(questions) - len(todo)} of {len(questions)} already done", file=sys.stderr)
    pipeline = AnswerPipeline.from_settings() if todo else None
    cached_starts = 0
    if pipeline is not None and not retrieval_only:
        pipeline.warm_up()  # load the LLM before timing the first question
        prefixes = getattr(pipeline.backend, "prefix_cache", None)
        cached_starts = len(prefixes) if prefixes else 0  # the times depend on it (rag/prefix_cache.py)
    info_path.write_text(
        json.dumps(
            {
                "mode": mode,
                "dataset": str(dataset),
                "commit": _git_commit(),
                "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "cached_prompt_starts": cached_starts,
            },
            indent=1,
        )
    )
    with open(pred_path, "a", encoding="utf-8") as f:
        for q in tqdm(todo, desc=f"eval ({mode})", unit="q", file=sys.stderr):
            try:
                if prepare is not None:
                    prepare(pipeline, q)
                pred = pipeline.predict(q.question, list(q.history), qid=q.id, retrieval_only=retrieval_only).to_dict()
            except Exception as exc:  # one bad question must not end the run; the report counts errors
                pred = Prediction.failure(q.id, q.question, f"{type(exc).__name__}: {exc}").to_dict()
            f.write(json.dumps(pred, ensure_ascii=False) + "\n")
            f.flush()
            done[q.id] = pred
    # rewrite in dataset order (the contract's "same order"), atomically
    tmp = pred_path.with_name(PREDICTIONS + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for q in questions:
            f.write(json.dumps(done[q.id], ensure_ascii=False) + "\n")
    os.replace(tmp, pred_path)
    rep = report(questions, done, retrieval_only)
    result = {
        "mode": mode,
        "dataset": str(dataset),
        "commit": _git_commit(),
        "date": time.strftime("%Y-%m-%d"),
        "overall": rep["overall"],
        "answer_paths": dict(Counter((done[q.id].get("extra") or {}).get("route", "unknown") for q in questions)),
        "by_type": rep["by_type"],
        "cost": cost_report(questions, done, reference_rates()),
        "questions": [asdict(s) for s in rep["scores"]],
    }
    (out / "report.json").write_text(json.dumps(result, ensure_ascii=False, indent=1))
    (out / "report.md").write_text(render_markdown(result, questions, done, rep["scores"]), encoding="utf-8")
    render_chart(result, out / "report.png")
    return result


def _fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def render_markdown(
    result: dict, questions: list[Question], preds: dict[str, dict], scores: list[QuestionScore]
) -> str:
    cols = ["n", *MAIN_METRICS, "hit@1", "hit@10", "citation_precision", "retrieval_s_p50", "total_s_p50"]
    lines = [
        f"# Evaluation report ({result['mode']})",
        "",
        f"Dataset `{result['dataset']}`, commit `{result['commit']}`, {result['date']}.",
        "",
        "| group | " + " | ".join(cols) + " |",
        "|---" * (len(cols) + 1) + "|",
    ]
    for name, row in [("**overall**", result["overall"]), *result["by_type"].items()]:
        lines.append(f"| {name} | " + " | ".join(_fmt(row.get(c)) for c in cols) + " |")
    paths = result.get("answer_paths") or {}
    if paths:
        lines += [
            "",
            "Answer paths (how each answer was produced): "
            + ", ".join(f"{k}: {v}" for k, v in sorted(paths.items(), key=lambda kv: -kv[1])),
        ]
    lines += render_cost(result.get("cost") or {})
    by_id = {q.id: q for q in questions}

    def badness(s: QuestionScore) -> float:
        if not s.answerable:
            return 0.0 if s.declined else 2.0
        return (
            (0 if s.hits.get(5) else 1.0)
            + (1 - (s.rr or 0))
            + (0 if s.answer_correct in (None, True) else 1.0)
            + (1.0 if s.declined else 0)
            + (2.0 if s.error or s.missing else 0)
        )

    worst = sorted((s for s in scores if badness(s) > 0), key=badness, reverse=True)[:WORST_SHOWN]
    lines += ["", f"## Worst {len(worst)} questions", ""]
    for s in worst:
        q, p = by_id[s.id], preds.get(s.id, {})
        top = (p.get("retrieved") or [{}])[0]
        lines += [
            f"### {s.id} ({s.type}) — {q.question}",
            "",
            f"- expected evidence ({q.evidence_mode}): {' / '.join(q.evidence) or '(none: should decline)'}",
            f"- answer keys: {' ; '.join('|'.join(g) for g in q.answer_keys) or '–'}",
            f"- declined: {s.declined}; hit@5: {s.hits.get(5)}; rr: {_fmt(s.rr)}; error: {s.error or '–'}",
            f"- top retrieved: {top.get('label', '–')}: {str(top.get('text', ''))[:120]}",
            f"- answer: {str(p.get('answer', ''))[:300] or '–'}",
            "",
        ]
    return "\n".join(lines) + "\n"


def render_cost(cost: dict) -> list[str]:
    """Model cost tables: p50/p95 of the usage and timings per question type and per route."""
    if not cost:
        return []
    cols = [f"{name}_p{q}" for name in (*USAGE_FIELDS, *COST_TIMINGS, MODELLED) for q in (50, 95)]
    prompt_rate, generation_rate = cost.get("reference_rates") or reference_rates()
    lines = [
        "",
        "## Model cost per answer (extra.usage; prompt_tokens = processed, not from cache)",
        "",
        f"`{MODELLED}`: retrieval time measured here (less its translation call) + the answer's tokens, all "
        f"calls, at {prompt_rate:g} prompt / "
        f"{generation_rate:g} generated tokens/s (RAG_REFERENCE_PROMPT_RATE / RAG_REFERENCE_GENERATION_RATE).",
    ]
    for title, key in (("question type", "by_type"), ("route", "by_route")):
        lines += ["", f"| {title} | n | " + " | ".join(cols) + " |", "|---" * (len(cols) + 2) + "|"]
        for name, row in [("**all**", cost["overall"]["all"]), *cost[key].items()]:
            lines.append(f"| {name} | {row['n']} | " + " | ".join(_fmt(row.get(c)) for c in cols) + " |")
    return lines


def render_chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = ["overall", *result["by_type"]]
    rows = [result["overall"], *result["by_type"].values()]
    metrics = [m for m in MAIN_METRICS if any(r.get(m) is not None for r in rows)]
    fig, ax = plt.subplots(figsize=(max(8, len(groups) * 1.1), 4.5))
    width = 0.8 / max(len(metrics), 1)
    for i, m in enumerate(metrics):
        values = [r.get(m) if r.get(m) is not None else 0 for r in rows]
        ax.bar([g + i * width for g in range(len(groups))], values, width, label=m)
    ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))], groups, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.set_title(f"{result['mode']} evaluation, {result['date']} ({result['commit']})")
    ax.legend(fontsize=7, ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.08))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# command-line bound → (metric in report["overall"], True for a lower bound)
GATES = {
    "min_hit5": ("hit@5", True),
    "min_mrr": ("mrr", True),
    "min_decline_rate": ("decline_rate", True),
    "max_false_decline_rate": ("false_decline_rate", False),
}


def gate_failures(overall: dict[str, Any], bounds: dict[str, float | None]) -> list[str]:
    """What is out of bounds (empty when the run passes): errors, missing answers, and each given bound."""
    failures = [f"{k}={overall.get(k)}" for k in ("n_errors", "n_missing") if overall.get(k)]
    for option, bound in bounds.items():
        if bound is None:
            continue
        metric, lower = GATES[option]
        value = overall.get(metric)
        if value is None or (value < bound if lower else value > bound):
            failures.append(f"{metric}={_fmt(value)} ({'<' if lower else '>'} {bound})")
    return failures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.run", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, required=True, help="question set (JSON lines, see eval-format)")
    parser.add_argument("--out", type=Path, required=True, help="output folder (resumes if it holds a run)")
    parser.add_argument("--retrieval-only", action="store_true", help="retrieve and decide declines; no LLM")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--types", help="only these comma-separated types")
    for option, (metric, lower) in GATES.items():
        flag = "--" + option.replace("_", "-")
        parser.add_argument(flag, type=float, help=f"fail (exit 1) if {metric} is {'below' if lower else 'above'} this")
    args = parser.parse_args(argv)
    types = {t.strip() for t in args.types.split(",") if t.strip()} if args.types else None
    try:
        result = run(args.dataset, args.out, args.retrieval_only, args.limit, types)
    except DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    o = result["overall"]
    print(" ".join(f"{k}={_fmt(o.get(k))}" for k in ("n", "hit@1", "hit@5", "mrr", *MAIN_METRICS[2:])))
    print(f"report: {args.out / 'report.md'}")
    bounds = {option: getattr(args, option) for option in GATES}
    if any(b is not None for b in bounds.values()):
        failures = gate_failures(o, bounds)
        print("gate: " + ("FAILED " + ", ".join(failures) if failures else "passed"))
        return 1 if failures else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
