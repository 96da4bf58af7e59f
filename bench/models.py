"""Model benchmark: generator load time, prompt and generation tokens/s, peak RSS; embedder
passages/s and single-query latency. Prints a table and writes bench/results/models.json.

It also "knows the machine" for the per-answer prompt budget: the rates come from llama.cpp's own
perf counters, the characters per token from the model's tokenizer over every clause of the index,
and it prints the first-token time that RAG_PROMPT_TOKEN_BUDGET implies on this CPU.

    python -m bench.models [--runs 3]

Each model is measured in its own child process so that peak RSS belongs to that model alone.
Numbers vary on a shared 2-core machine: compare rows of one run.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import sys
import time
from pathlib import Path

PROMPT = (
    "你是广东省质量政策助手。请只根据下列条款回答，并用[编号]标注出处。\n"
    + "\n".join(
        f"[{i}] 源城区质量强区方案 三、（二）{i}. 支持企业利用品牌资产质押融资，依法享受加计扣除税收优惠，"
        "鼓励金融机构将企业质量水平、标准水平、品牌价值等纳入企业融资授信重要依据。"
        for i in range(1, 6)
    )
    + "\n问题：源城区的企业参与品牌建设有什么金融支持？"
)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_generator(runs: int, queue) -> None:
    from llama_cpp import Llama

    from rag.config import get_settings

    s = get_settings()
    t0 = time.perf_counter()
    llm = Llama(model_path=str(s.generator_path), n_ctx=s.n_ctx, n_threads=s.n_threads, verbose=False)
    load_s = time.perf_counter() - t0
    import llama_cpp

    n_prompt = len(llm.tokenize(PROMPT.encode()))
    prompt_tps, gen_tps, ttfts = [], [], []
    for _ in range(runs):
        llm.reset()  # no prompt cache between runs: measure the real prompt processing
        llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
        t0 = time.perf_counter()
        first = None
        for _chunk in llm.create_completion(PROMPT, max_tokens=96, temperature=0.0, stream=True):
            if first is None:
                first = time.perf_counter()
        ttfts.append(first - t0)
        perf = llama_cpp.llama_perf_context(llm._ctx.ctx)  # llama.cpp's own counts and times
        prompt_tps.append(1000 * perf.n_p_eval / perf.t_p_eval_ms)
        gen_tps.append(1000 * perf.n_eval / perf.t_eval_ms if perf.n_eval else 0.0)
    chars_per_token = _chars_per_token(llm)
    prompt_rate, gen_rate = statistics.median(prompt_tps), statistics.median(gen_tps)
    queue.put(
        {
            "model": "generator (Qwen2.5-Coder-1.5B Q4_K_M, llama.cpp)",
            "load_s": round(load_s, 2),
            "prompt_tokens": n_prompt,
            "first_token_s": round(statistics.median(ttfts), 2),
            "prompt_tok_per_s": round(statistics.median(prompt_tps), 1),
            "gen_tok_per_s": round(statistics.median(gen_tps), 1),
            "chars_per_token": round(chars_per_token, 2),
            "prompt_token_budget": s.prompt_token_budget,
            "budget_first_token_s": round(s.prompt_token_budget / prompt_rate + 1 / gen_rate, 2),
            "peak_rss_mb": round(_peak_rss_mb()),
        }
    )


def _chars_per_token(llm) -> float:
    """Characters per token of this model over every clause of the index (RAG_CHARS_PER_TOKEN)."""
    from rag.config import get_settings
    from rag.index import load_index

    texts = [c.text for c in load_index(get_settings()).clauses]
    tokens = sum(len(llm.tokenize(t.encode(), add_bos=False)) for t in texts)
    return sum(len(t) for t in texts) / tokens


def bench_embedder(runs: int, queue) -> None:
    from rag.embedder import Embedder

    t0 = time.perf_counter()
    emb = Embedder()
    emb.embed_query("预热")
    load_s = time.perf_counter() - t0
    passages = [
        f"第{i}条 支持企业利用品牌资产质押融资，鼓励金融机构将企业质量水平纳入融资授信依据。" * 3 for i in range(64)
    ]
    rates = []
    for _ in range(runs):
        t0 = time.perf_counter()
        emb.embed_passages(passages)
        rates.append(len(passages) / (time.perf_counter() - t0))
    latencies = []
    for q in ["源城区的企业参与品牌建设有什么金融支持？", "東莞首席質量官", "Which department leads?"] * runs:
        t0 = time.perf_counter()
        emb.embed_query(q)
        latencies.append(time.perf_counter() - t0)
    queue.put(
        {
            "model": "embedder (multilingual-e5-small, sentence-transformers fp32)",
            "load_s": round(load_s, 2),
            "passages_per_s": round(statistics.median(rates), 1),
            "query_ms_p50": round(1000 * statistics.median(latencies), 1),
            "peak_rss_mb": round(_peak_rss_mb()),
        }
    )


def _in_child(target, runs: int) -> dict:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=target, args=(runs, queue))
    proc.start()
    result = queue.get(timeout=600)
    proc.join()
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.models", description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("bench/results/models.json"))
    args = parser.parse_args(argv)
    rows = [_in_child(bench_generator, args.runs), _in_child(bench_embedder, args.runs)]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps({"date": time.strftime("%Y-%m-%d %H:%M"), "rows": rows}, ensure_ascii=False, indent=1)
    )
    for row in rows:
        print(row.pop("model"))
        for k, v in row.items():
            print(f"  {k:20s} {v}")
    gen = rows[0]
    print(
        f"a budget of {gen['prompt_token_budget']} prompt tokens per answer at {gen['prompt_tok_per_s']} tok/s "
        f"implies a first token after ~{gen['budget_first_token_s']} s (plus retrieval)"
    )
    print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
