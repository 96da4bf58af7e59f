"""Retrieval benchmark: dense-only vs BM25-only vs hybrid on a question set, in one process.

    python -m bench.retrieval [--dataset eval/datasets/dev.jsonl] [--out bench/results/retrieval.json]

Reports hit@1/3/5/10 and MRR (the contract's definitions, eval/metrics.py) for each mode and a
few reciprocal-rank-fusion constants, decline/false-decline rates of the confidence signal,
warm per-query latency (p50/p95), and the time to build the index from scratch.
Numbers vary on a shared machine: compare rows of one run, not across runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from eval.metrics import aggregate, percentile, score_question
from eval.run import load_dataset
from rag.answer import AnswerPipeline
from rag.config import get_settings
from rag.embedder import Embedder
from rag.index import build_index, load_index
from rag.retrieval import HybridRetriever

VARIANTS = [
    ("dense only", {"use_dense": True, "use_bm25": False}, {}),
    ("bm25 only", {"use_dense": False, "use_bm25": True}, {}),
    ("hybrid rrf_k=60", {}, {"rrf_k": 60}),
    ("hybrid rrf_k=20", {}, {"rrf_k": 20}),
    ("hybrid rrf_k=10", {}, {"rrf_k": 10}),
    ("hybrid + scores 0.25", {}, {"score_fusion_weight": 0.25}),
    ("hybrid + scores 1", {}, {"score_fusion_weight": 1.0}),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.retrieval", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=Path("eval/datasets/dev.jsonl"))
    parser.add_argument("--out", type=Path, default=Path("bench/results/retrieval.json"))
    args = parser.parse_args(argv)
    settings = get_settings()
    questions = load_dataset(args.dataset)
    embedder = Embedder(settings)

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        build_index(replace(settings, index_dir=Path(tmp)), embedder=embedder, show_progress=False)
        build_s = time.perf_counter() - t0  # includes loading the embedder once
    index = load_index(settings)

    rows = []
    for name, flags, overrides in VARIANTS:
        s = replace(settings, **overrides)
        retriever = HybridRetriever(index=index, embedder=embedder, settings=s, **flags)
        pipeline = AnswerPipeline(s, index, retriever)
        pipeline.predict("预热")  # warm caches (jieba, torch) before timing
        scores, latencies = [], []
        for q in questions:
            t = time.perf_counter()
            pred = pipeline.predict(q.question, list(q.history), qid=q.id, retrieval_only=True).to_dict()
            latencies.append(time.perf_counter() - t)
            scores.append(score_question(q, pred))
        m = aggregate(scores, retrieval_only=True)
        row = {
            "variant": name,
            **{k: m[k] for k in ("hit@1", "hit@3", "hit@5", "hit@10", "mrr", "decline_rate", "false_decline_rate")},
            "p50_ms": round(1000 * percentile(latencies, 50), 1),
            "p95_ms": round(1000 * percentile(latencies, 95), 1),
        }
        rows.append(row)
        print(f"{name:18s} " + " ".join(f"{k}={v}" for k, v in row.items() if k != "variant"), file=sys.stderr)

    result = {
        "dataset": str(args.dataset),
        "n_questions": len(questions),
        "index_build_s": round(build_s, 1),
        "n_chunks": len(index.chunks),
        "rows": rows,
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1))
    columns = "variant | hit@1 | hit@3 | hit@5 | hit@10 | MRR | decline | false decline | p50 ms | p95 ms"
    header = f"| {columns} |\n|{'---|' * 10}"
    print(header)
    for r in rows:
        print(
            f"| {r['variant']} | {r['hit@1']} | {r['hit@3']} | {r['hit@5']} | {r['hit@10']} | {r['mrr']} | "
            f"{r['decline_rate']} | {r['false_decline_rate']} | {r['p50_ms']} | {r['p95_ms']} |"
        )
    n_parts = len(index.parts.chunks) if index.parts is not None else 0
    print(f"index build (embed {len(index.chunks)} chunks and {n_parts} search parts, write): {build_s:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
