"""Generation backends behind one small interface: stream chat tokens.

- `LlamaCppBackend`: the local GGUF through llama-cpp-python (default). One generation at a
  time (a lock): on a 2-core CPU two at once are each slower than one after the other. The
  fixed system prompt stays in llama.cpp's KV cache between calls, so only the clauses and the
  question are processed for each new question.
- `OpenAICompatibleBackend`: any OpenAI-compatible `/v1/chat/completions` endpoint (vLLM,
  llama.cpp's server, Ollama, llama-cpp-python's `llama_cpp.server`). Stateless app replicas
  can share one inference server this way. The API key comes from RAG_OPENAI_API_KEY and is
  never logged.

Every call can record what it cost in a `Usage` (prompt tokens processed, prompt tokens served
from the prefix cache, generated tokens), so an answer's model time can be budgeted and reported.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Generator, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from rag.config import Settings, get_settings
from rag.errors import FIX_HINT, ModelError

Message = dict[str, str]
log = logging.getLogger(__name__)


class LLMError(RuntimeError):
    """Generation failed; the message is safe to show (no secrets)."""


@dataclass
class Usage:
    """What model calls cost: `prompt_tokens` were processed (not served from the prefix cache),
    `cached_tokens` came from the cache, `completion_tokens` were sampled (the end token included)."""

    model_calls: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = ""  # how the last call ended: "length" (at max_tokens), "stop"; not a cost

    def add(self, other: Usage) -> None:
        self.model_calls += other.model_calls
        self.prompt_tokens += other.prompt_tokens
        self.cached_tokens += other.cached_tokens
        self.completion_tokens += other.completion_tokens
        self.finish_reason = other.finish_reason

    def to_dict(self) -> dict[str, int]:
        return {k: v for k, v in asdict(self).items() if k != "finish_reason"}


def _record(usage: Usage | None, call: Usage) -> None:
    if usage is not None:
        usage.add(call)


class ChatBackend(Protocol):
    name: str

    def stream(
        self, messages: list[Message], max_tokens: int, temperature: float, usage: Usage | None = None
    ) -> Generator[str, None, None]:
        """Yield the reply's text pieces as they are generated; add the call's cost to `usage`.
        Closing the generator ends the call (a reader that has seen enough stops the model)."""
        ...

    def yes_probability(self, messages: list[Message], yes: str, no: str, usage: Usage | None = None) -> float:
        """P(the reply starts with `yes`) against `no`, from one step of the model (a yes/no judge)."""
        ...

    def cached_prefix_chars(self, messages: list[Message]) -> int:
        """About how many leading characters of the user message a cached state will spare
        processing (a clause prefix cache); only the time budget (RAG_ANSWER_TIME_BUDGET_S) reads it."""
        ...


def _answered_yes(text: str, yes: str, no: str) -> float:
    """1.0 / 0.0 / 0.5 for a reply that starts with yes / no / neither (backends without logits)."""
    text = text.strip()
    return 1.0 if text.startswith(yes) else 0.0 if text.startswith(no) else 0.5


def _counting_llama(model_path: str, n_ctx: int, n_threads: int):
    """A llama_cpp.Llama that counts what each generation really evaluates.

    `Llama.generate` receives the whole formatted prompt and drops the prefix already in the KV
    cache before its first `eval`; so the prompt's length, the first eval's length (processed) and
    the evals after it (one per sampled token) are exact, with no second copy of the chat template
    or of llama.cpp's prefix rule. tests/rag/test_llm.py checks the counts against llama.cpp's
    own perf counters (n_p_eval / n_eval)."""
    from llama_cpp import Llama

    class CountingLlama(Llama):
        def __init__(self, **kwargs) -> None:
            super().__init__(**kwargs)
            self.prefix_cache = None  # a rag.prefix_cache.ClausePrefixCache, set by the backend
            self.call = Usage()
            self._prompt_pending = False

        def generate(self, tokens: Sequence[int], *args, **kwargs):
            self._restore_prefix(tokens)
            self.call.model_calls += 1
            self.call.cached_tokens += len(tokens)  # corrected by the first eval: what it processes is not cached
            self._prompt_pending = True
            for token in super().generate(tokens, *args, **kwargs):
                self.call.completion_tokens += 1
                yield token

        def eval(self, tokens: Sequence[int]) -> None:
            if self._prompt_pending:
                self._prompt_pending = False
                self.call.prompt_tokens += len(tokens)
                self.call.cached_tokens -= len(tokens)
            super().eval(tokens)

        def _restore_prefix(self, tokens: Sequence[int]) -> None:
            """Load the clause prefix cache's state for this prompt's start when it holds more of
            the prompt than the KV cache does now (generate's own prefix rule then keeps it)."""
            from rag.prefix_cache import MIN_RESTORE_GAIN_TOKENS, restore_state

            match = self.prefix_cache.longest_match(tokens) if self.prefix_cache else None
            if match is None:
                return
            entry, shared = match
            held = self.longest_token_prefix(self._input_ids.tolist(), tokens)  # what the KV cache has now
            if shared < held + MIN_RESTORE_GAIN_TOKENS:
                return
            try:
                state = self.prefix_cache.state(entry)
            except OSError as exc:  # a state file gone (a rebuild running?): the KV cache is untouched
                log.warning(
                    "clause prefix state %s unreadable (%s); rebuild: python -m rag.prefix_cache", entry.file, exc
                )
                self.prefix_cache.forget(entry)
                return
            try:
                restore_state(self, entry.tokens, state)
            except ModelError as exc:  # states of another build: none of them will fit
                log.warning("%s; the clause prefix cache is off in this process", exc)
                self.prefix_cache = None
                self.reset()

        def take_usage(self) -> Usage:
            call, self.call = self.call, Usage()
            return call

    return CountingLlama(model_path=model_path, n_ctx=n_ctx, n_threads=n_threads, verbose=False)


class LlamaCppBackend:
    name = "llama-cpp"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._llm = None
        self._prefix_cache = None
        self._prefix_cache_read = False
        self._lock = threading.Lock()

    def _load(self):
        if self._llm is None:
            path = self.settings.generator_path
            if not path.is_file():
                raise ModelError(f"generator model {path} is missing; {FIX_HINT}")
            try:
                import llama_cpp  # noqa: F401
            except ImportError:
                raise ModelError(f"llama-cpp-python is not installed; {FIX_HINT}") from None
            try:
                self._llm = _counting_llama(str(path), self.settings.n_ctx, self.settings.n_threads)
            except ValueError as exc:  # llama.cpp's way of saying the file is not a model it can read
                raise ModelError(f"generator model {path} cannot be loaded ({exc}); {FIX_HINT}") from None
            self._llm.prefix_cache = self.prefix_cache
        return self._llm

    @property
    def prefix_cache(self):
        """The clause prefix cache for this model (rag.prefix_cache), read once: None when off or
        when there is no model; entries built after this process read it are not seen."""
        if not self._prefix_cache_read:
            from rag.prefix_cache import ClausePrefixCache

            self._prefix_cache_read = True
            try:
                if self.settings.generator_path.is_file():
                    self._prefix_cache = ClausePrefixCache.open(self.settings)
            except ImportError:  # no llama-cpp-python: _load says so when the model is needed
                self._prefix_cache = None
        return self._prefix_cache

    @prefix_cache.setter
    def prefix_cache(self, cache) -> None:
        """Use `cache` (None: none) from the next call on, instead of the one the settings name."""
        self._prefix_cache, self._prefix_cache_read = cache, True
        if self._llm is not None:
            self._llm.prefix_cache = cache

    def cached_prefix_chars(self, messages: list[Message]) -> int:
        """How many leading characters of the user message the prefix cache holds processed."""
        return self.prefix_cache.covered_chars(messages) if self.prefix_cache is not None else 0

    def stream(
        self, messages: list[Message], max_tokens: int, temperature: float, usage: Usage | None = None
    ) -> Generator[str, None, None]:
        with self._lock:
            llm = self._load()
            llm.take_usage()
            finish = ""
            try:
                for chunk in llm.create_chat_completion(
                    messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True
                ):
                    choice = chunk["choices"][0]
                    finish = choice.get("finish_reason") or finish
                    piece = choice["delta"].get("content")
                    if piece:
                        yield piece
            finally:  # also when the reader stops early
                call = llm.take_usage()
                call.finish_reason = finish
                _record(usage, call)

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` in this model's vocabulary (for measuring characters per token)."""
        with self._lock:
            return len(self._load().tokenize(text.encode(), add_bos=False))

    def yes_probability(self, messages: list[Message], yes: str, no: str, usage: Usage | None = None) -> float:
        """Two logits of one decoding step, so the judge's verdict is a graded score, not a coin.

        llama-cpp-python returns logprobs only for models loaded with logits_all (a vocab-sized row
        per context position, ~2 GB here), so the last position's logits are read from the context."""
        with self._lock:
            llm = self._load()
            llm.take_usage()
            out = llm.create_chat_completion(messages=messages, max_tokens=1, temperature=0.0)
            _record(usage, llm.take_usage())
            try:
                import numpy as np

                logits = np.ctypeslib.as_array(llm._ctx.get_logits(), shape=(llm.n_vocab(),))
                y = float(logits[llm.tokenize(yes.encode(), add_bos=False)[0]])
                n = float(logits[llm.tokenize(no.encode(), add_bos=False)[0]])
            except (AttributeError, IndexError, TypeError, ValueError):  # another llama-cpp-python layout
                return _answered_yes(out["choices"][0]["message"].get("content") or "", yes, no)
        return 1.0 / (1.0 + math.exp(n - y))


class OpenAICompatibleBackend:
    name = "openai"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        if not self.settings.openai_base_url:
            raise LLMError("RAG_LLM_BACKEND=openai needs RAG_OPENAI_BASE_URL (e.g. http://127.0.0.1:8000/v1)")

    def cached_prefix_chars(self, messages: list[Message]) -> int:
        """The server keeps its own prefix cache; nothing here is known to be cached."""
        return 0

    def stream(
        self, messages: list[Message], max_tokens: int, temperature: float, usage: Usage | None = None
    ) -> Generator[str, None, None]:
        """Streams the reply; the server's `usage` (asked for with stream_options) is recorded
        when it sends one, else the call and its streamed pieces (prompt tokens unknown)."""
        import httpx

        url = self.settings.openai_base_url.rstrip("/") + "/chat/completions"
        headers = {"Authorization": f"Bearer {self.settings.openai_api_key}"} if self.settings.openai_api_key else {}
        body = {
            "model": self.settings.openai_model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        call = Usage(model_calls=1)
        pieces, reported = 0, False
        try:
            with httpx.stream("POST", url, json=body, headers=headers, timeout=self.settings.openai_timeout) as resp:
                if resp.status_code != 200:
                    resp.read()
                    raise LLMError(f"inference server at {url} answered HTTP {resp.status_code}")
                for line in resp.iter_lines():
                    if not line.startswith("data:"):
                        continue
                    data = line[5:].strip()
                    if data == "[DONE]":
                        break
                    try:
                        chunk = json.loads(data)
                        if isinstance(chunk.get("usage"), dict):
                            _server_usage(call, chunk["usage"])
                            reported = True
                        choice = chunk["choices"][0]
                        call.finish_reason = choice.get("finish_reason") or call.finish_reason
                        piece = choice["delta"].get("content")
                    except (ValueError, KeyError, IndexError, AttributeError, TypeError):
                        continue
                    if piece:
                        pieces += 1
                        yield piece
        except httpx.HTTPError as exc:
            raise LLMError(f"cannot reach the inference server at {url} ({type(exc).__name__})") from None
        finally:
            if not reported:  # a call closed early gets no usage chunk: one streamed piece is about one token
                call.completion_tokens = pieces
            _record(usage, call)

    def yes_probability(self, messages: list[Message], yes: str, no: str, usage: Usage | None = None) -> float:
        """Servers differ in logprob support: read the first token of a two-token reply."""
        return _answered_yes("".join(self.stream(messages, 2, 0.0, usage)), yes, no)


def _server_usage(call: Usage, usage: dict) -> None:
    """An OpenAI `usage` object: its prompt_tokens include the cached ones (prompt_tokens_details)."""
    details = usage.get("prompt_tokens_details") or {}
    cached = int(details.get("cached_tokens") or 0)
    call.prompt_tokens = int(usage.get("prompt_tokens") or 0) - cached
    call.cached_tokens = cached
    call.completion_tokens = int(usage.get("completion_tokens") or 0)


def make_backend(settings: Settings | None = None) -> ChatBackend:
    settings = settings or get_settings()
    if settings.llm_backend == "llama-cpp":
        return LlamaCppBackend(settings)
    if settings.llm_backend == "openai":
        return OpenAICompatibleBackend(settings)
    raise LLMError(f"unknown RAG_LLM_BACKEND {settings.llm_backend!r}; use llama-cpp or openai")
