"""A restored clause prefix state against the real model (slow): the prompt it stands for is
tokenized the same way create_chat_completion tokenizes the whole prompt, its tokens are not
processed again, the next-token logits are those of processing the whole prompt (up to the float
noise of another batch split, which can flip a near-tie in greedy decoding, as llama.cpp's own
prefix reuse can), and a state that cannot be restored costs time, never an answer."""

from __future__ import annotations

import numpy as np
import pytest

from rag import prefix_cache
from rag.excerpts import Block, clause_starts
from rag.llm import Usage
from rag.prefix_cache import ClausePrefixCache, chat_prefix_tokens, clause_prefixes, evaluate_prefix, restore_state
from rag.prompting import answer_messages, clause_prefix_messages
from rag.retrieval import ScoredClause

pytestmark = pytest.mark.slow


def _scored(index, clause) -> ScoredClause:
    return ScoredClause(clause, index.document_of(clause), 1.0, 0.9, 1.0, "")


def _cache_for(llm, tmp_path, scored) -> tuple[ClausePrefixCache, list[int]]:
    """A cache of every start the clause can give a prompt; the tokens of the whole clause's."""
    starts = [clause_prefix_messages(scored, start) for start in clause_starts(scored.clause.body)]
    cache = ClausePrefixCache(tmp_path, starts[0][0]["content"])
    for prefix in starts:
        tokens = chat_prefix_tokens(llm, prefix)
        cache.add(prefix[1]["content"], tokens, evaluate_prefix(llm, tokens)[0])
    return cache, chat_prefix_tokens(llm, starts[0])


def test_every_clauses_cached_start_is_how_its_prompts_are_tokenized(settings):
    """The clause's last token may merge with what follows it; nothing before it may."""
    from llama_cpp import Llama

    vocab = Llama(model_path=str(settings.generator_path), vocab_only=True, verbose=False)
    prefixes = clause_prefixes(settings)
    after = ["\n[2]标题：正文", "（牵头：市市场监管局；责任单位：", "\n\n问题：？\nAnswer in English.", "\n《甲》\n"]
    for messages in prefixes:
        tokens = chat_prefix_tokens(vocab, messages)
        for text in after:
            longer = [messages[0], {"role": "user", "content": messages[1]["content"] + text}]
            start = chat_prefix_tokens(vocab, longer)[: len(tokens) - 1]
            assert start == tokens[:-1], (messages[1]["content"][-20:], text)


def test_the_translation_prompts_cached_start_is_how_its_prompts_are_tokenized(settings):
    """An English question (or one opening with a place already put in Chinese) after the
    translation prompt's start leaves the start's tokens as they are, but maybe its last."""
    from llama_cpp import Llama

    from rag.prompting import translation_messages, translation_prefix_messages

    vocab = Llama(model_path=str(settings.generator_path), vocab_only=True, verbose=False)
    tokens = chat_prefix_tokens(vocab, translation_prefix_messages())
    questions = ["Is there help for brands?", "东莞's plan: who leads metrology?", " 2025 target?", "'quality' awards"]
    for question in questions:
        whole = chat_prefix_tokens(vocab, translation_messages(question))
        assert whole[: len(tokens) - 1] == tokens[:-1], question


def _next_token_logits(llm) -> np.ndarray:
    return np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),)).copy()


def test_a_restored_prefix_is_not_processed_again_and_predicts_as_processing_it_does(pipeline, tmp_path):
    index, backend = pipeline.index, pipeline.backend
    clause = next(c for c in index.clauses if 120 <= len(c.body) <= 250)
    scored = _scored(index, clause)
    whole = clause_starts(clause.body)[0]
    messages = answer_messages([Block(1, scored, whole)], "这一条要做什么？", "simplified")
    llm = backend._load()
    cache, tokens = _cache_for(llm, tmp_path, scored)

    seen: list[list[int]] = []
    generate = llm.generate

    def recording(prompt, *args, **kwargs):
        seen.append(list(prompt))
        return generate(prompt, *args, **kwargs)

    saved = backend.prefix_cache
    try:
        llm.generate = recording
        backend.prefix_cache = None
        llm.reset()  # nothing of this prompt in the KV cache
        cold = Usage()
        "".join(backend.stream(messages, 1, 0.0, cold))  # one token: the logits stay the prompt's
        cold_logits = _next_token_logits(llm)
        assert seen[-1][: len(tokens) - 1] == tokens[:-1]  # the cached start is how the whole prompt begins

        backend.prefix_cache = cache
        assert backend.cached_prefix_chars(messages) == len(clause_prefix_messages(scored, whole)[1]["content"])
        llm.reset()
        warm = Usage()
        "".join(backend.stream(messages, 1, 0.0, warm))
        warm_logits = _next_token_logits(llm)
    finally:
        llm.generate = generate
        backend.prefix_cache = saved
    assert warm_logits.argmax() == cold_logits.argmax()
    assert np.corrcoef(warm_logits, cold_logits)[0, 1] > 0.999
    assert warm.cached_tokens >= len(tokens) - 1
    assert warm.prompt_tokens + warm.cached_tokens == cold.prompt_tokens + cold.cached_tokens
    assert warm.prompt_tokens <= cold.prompt_tokens - (len(tokens) - 1)


def test_an_answer_opens_with_a_cached_start_and_a_lost_state_costs_only_time(pipeline, tmp_path, monkeypatch):
    backend, question = pipeline.backend, "东莞对获得质量奖的企业有什么奖励？"
    top = pipeline.retrieve(question).clauses[0]
    llm = backend._load()
    cache, _ = _cache_for(llm, tmp_path, top)
    title_line = clause_prefix_messages(top, "")  # the prompt's start up to block 1's excerpt
    title_tokens = len(chat_prefix_tokens(llm, title_line))
    restored: list[int] = []

    def restore(llm, tokens, state):
        restored.append(len(tokens))
        restore_state(llm, tokens, state)

    monkeypatch.setattr(prefix_cache, "restore_state", restore)
    saved = backend.prefix_cache
    try:
        backend.prefix_cache = cache
        llm.reset()  # nothing in the KV cache: only a restored state can serve the prompt's start
        pred = pipeline.predict(question)
        assert restored and pred.extra["usage"]["cached_tokens"] >= title_tokens - 1 and pred.answer

        # a state file gone: that start is not offered again by this process, the prompt is processed
        starts = list(cache.entries)
        for entry in starts:
            (tmp_path / entry.file).unlink()
        entries = len(cache)
        llm.reset()
        again = pipeline.predict(question)
        assert again.answer and "llm_error" not in again.extra
        assert len(cache) == entries - 1  # this question's answer is one call: one state tried
        # states that do not fit the model (another build's): the cache is off in this process
        for entry in starts:
            cache.add(entry.text, entry.tokens, b"not a llama.cpp state")
        llm.reset()
        third = pipeline.predict(question)
        assert third.answer and "llm_error" not in third.extra and llm.prefix_cache is None
    finally:
        backend.prefix_cache = saved
