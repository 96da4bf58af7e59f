"""Follow-up rewriting: none, the cheap rule (the pipeline's default: prepend the previous
question's topic to a follow-up, and carry its place/version unless the follow-up names its own),
and an LLM rewrite.

    python -m bench.followup [--dataset eval/datasets/dev.jsonl]

For every question with `history`, rewrites it each way, retrieves, and reports hit@1/hit@5
(contract definitions) and the time the rewrite itself takes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from eval.metrics import aggregate, score_question
from eval.run import load_dataset
from rag.answer import AnswerPipeline
from rag.followup import condense_with_llm, parse_history
from rag.prompting import prompt_file


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.followup", description=__doc__.split("\n")[0])
    parser.add_argument("--dataset", type=Path, default=Path("eval/datasets/dev.jsonl"))
    args = parser.parse_args(argv)
    questions = [q for q in load_dataset(args.dataset) if q.history]
    pipeline = AnswerPipeline.from_settings()
    pipeline.warm_up()
    template = prompt_file("condense.txt")
    methods = {
        "none (the follow-up as typed)": None,
        "cheap (the pipeline's default)": "pipeline",
        "LLM rewrite": lambda q, h: condense_with_llm(q, h, pipeline.backend, template),
    }
    for name, rewrite in methods.items():
        scores, seconds = [], []
        for q in questions:
            history = parse_history(list(q.history))
            t0 = time.perf_counter()
            if rewrite == "pipeline":  # the pipeline's own follow-up reading (previous questions, place/version)
                result = pipeline.retrieve(q.question, list(q.history))
                standalone = result.extra["standalone_question"]
            else:
                standalone = rewrite(q.question, history) if rewrite else q.question
                result = pipeline.retriever.search(standalone)
            seconds.append(time.perf_counter() - t0 - result.seconds)  # the rewrite's own time
            scores.append(score_question(q, {"retrieved": [s.to_contract() for s in result.clauses]}))
            print(f"  [{name[:5]}] {q.id}: {standalone}", file=sys.stderr)
        m = aggregate(scores, retrieval_only=True)
        print(
            f"{name:40s} n={len(questions)} hit@1={m['hit@1']} hit@5={m['hit@5']} "
            f"rewrite p50={1000 * statistics.median(seconds):.0f} ms"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
