"""Counting what model calls cost, against llama.cpp's own perf counters (slow: the real model)."""

from __future__ import annotations

import llama_cpp
import pytest

from rag.llm import Usage
from rag.prompting import prompt_file

pytestmark = pytest.mark.slow


def _messages(question: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": prompt_file("system.txt").strip()}, {"role": "user", "content": question}]


def test_counts_match_llama_cpp_perf_counters_and_the_prefix_cache(pipeline):
    backend = pipeline.backend
    llm = backend._load()
    ctx = llm._ctx.ctx
    first, second = Usage(), Usage()
    llama_cpp.llama_perf_context_reset(ctx)
    "".join(backend.stream(_messages("东莞市质量强市的目标是什么？"), 6, 0.0, first))
    perf = llama_cpp.llama_perf_context(ctx)
    assert first.model_calls == 1 and first.completion_tokens == 6 and first.finish_reason == "length"
    assert first.prompt_tokens == perf.n_p_eval  # what llama.cpp says it processed as prompt
    assert perf.n_eval == first.completion_tokens - 1  # the last sampled token is never evaluated
    llama_cpp.llama_perf_context_reset(ctx)
    "".join(backend.stream(_messages("韶关市质量强市的目标是什么？"), 6, 0.0, second))
    perf = llama_cpp.llama_perf_context(ctx)
    assert second.prompt_tokens == perf.n_p_eval
    # the same system prompt: it comes from the cache, only the new question is processed
    system_tokens = len(llm.tokenize(prompt_file("system.txt").encode(), add_bos=False))
    assert second.cached_tokens >= system_tokens
    assert second.prompt_tokens < first.prompt_tokens + first.cached_tokens - system_tokens
    total = first.prompt_tokens + first.cached_tokens
    assert abs(total - (second.prompt_tokens + second.cached_tokens)) <= 3  # the two questions differ by a word


def test_a_call_the_model_ends_is_not_taken_for_one_stopped_at_its_limit(pipeline):
    # the end token is counted as generated: n tokens and the end in a limit of n + 1 is no cut
    usage = Usage()
    text = "".join(pipeline.backend.stream(_messages("只回答“是”。"), 64, 0.0, usage))
    assert text and usage.finish_reason == "stop" and usage.completion_tokens < 64
    exact = Usage()
    "".join(pipeline.backend.stream(_messages("只回答“是”。"), usage.completion_tokens, 0.0, exact))
    assert exact.finish_reason == "stop" and exact.completion_tokens == usage.completion_tokens
    assert "finish_reason" not in usage.to_dict()  # a cost record: the contract's four fields


def test_judge_call_is_counted(pipeline):
    usage = Usage()
    p = pipeline.backend.yes_probability(_messages("是否？"), "是", "否", usage)
    assert 0 <= p <= 1 and usage.model_calls == 1 and usage.completion_tokens == 1


def test_every_prediction_carries_its_usage(pipeline):
    answered = pipeline.predict("源城区企业的质量创新支出可以享受什么税收优惠？")
    usage = answered.extra["usage"]
    assert set(usage) == {"model_calls", "prompt_tokens", "cached_tokens", "completion_tokens"}
    assert usage["model_calls"] >= 1 and usage["prompt_tokens"] > 0 and usage["completion_tokens"] > 0
    declined = pipeline.predict("深圳市质量强市的奖补标准是多少？")  # decided without the model
    assert declined.extra["usage"] == {"model_calls": 0, "prompt_tokens": 0, "cached_tokens": 0, "completion_tokens": 0}
    english = pipeline.predict("What tax incentives can Yuancheng companies get for quality innovation?")
    assert english.extra["usage"]["model_calls"] >= 2  # the translation is counted with the answer
