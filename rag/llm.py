"""Generation backends behind one small interface: stream chat tokens.

- `LlamaCppBackend`: the local GGUF through llama-cpp-python (default). One generation at a
  time (a lock): on a 2-core CPU two at once are each slower than one after the other. The
  fixed system prompt stays in llama.cpp's KV cache between calls, so only the clauses and the
  question are processed for each new question.
- `OpenAICompatibleBackend`: any OpenAI-compatible `/v1/chat/completions` endpoint (vLLM,
  llama.cpp's server, Ollama, llama-cpp-python's `llama_cpp.server`). Stateless app replicas
  can share one inference server this way. The API key comes from RAG_OPENAI_API_KEY and is
  never logged.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from typing import Protocol

from rag.config import Settings, get_settings
from rag.models import FIX_HINT, ModelError

Message = dict[str, str]


class LLMError(RuntimeError):
    """Generation failed; the message is safe to show (no secrets)."""


class ChatBackend(Protocol):
    name: str

    def stream(self, messages: list[Message], max_tokens: int, temperature: float) -> Iterator[str]:
        """Yield the reply's text pieces as they are generated."""
        ...

    def yes_probability(self, messages: list[Message], yes: str, no: str) -> float:
        """P(the reply starts with `yes`) against `no`, from one step of the model (a yes/no judge)."""
        ...


def _answered_yes(text: str, yes: str, no: str) -> float:
    """1.0 / 0.0 / 0.5 for a reply that starts with yes / no / neither (backends without logits)."""
    text = text.strip()
    return 1.0 if text.startswith(yes) else 0.0 if text.startswith(no) else 0.5


class LlamaCppBackend:
    name = "llama-cpp"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self._llm = None
        self._lock = threading.Lock()

    def _load(self):
        if self._llm is None:
            path = self.settings.generator_path
            if not path.is_file():
                raise ModelError(f"generator model {path} is missing; {FIX_HINT}")
            try:
                from llama_cpp import Llama
            except ImportError:
                raise ModelError(f"llama-cpp-python is not installed; {FIX_HINT}") from None
            try:
                self._llm = Llama(
                    model_path=str(path), n_ctx=self.settings.n_ctx, n_threads=self.settings.n_threads, verbose=False
                )
            except ValueError as exc:  # llama.cpp's way of saying the file is not a model it can read
                raise ModelError(f"generator model {path} cannot be loaded ({exc}); {FIX_HINT}") from None
        return self._llm

    def stream(self, messages: list[Message], max_tokens: int, temperature: float) -> Iterator[str]:
        with self._lock:
            llm = self._load()
            for chunk in llm.create_chat_completion(
                messages=messages, max_tokens=max_tokens, temperature=temperature, stream=True
            ):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def yes_probability(self, messages: list[Message], yes: str, no: str) -> float:
        """Two logits of one decoding step, so the judge's verdict is a graded score, not a coin.

        llama-cpp-python returns logprobs only for models loaded with logits_all (a vocab-sized row
        per context position, ~2 GB here), so the last position's logits are read from the context."""
        with self._lock:
            llm = self._load()
            out = llm.create_chat_completion(messages=messages, max_tokens=1, temperature=0.0)
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

    def stream(self, messages: list[Message], max_tokens: int, temperature: float) -> Iterator[str]:
        import httpx

        url = self.settings.openai_base_url.rstrip("/") + "/chat/completions"
        headers = {"Authorization": f"Bearer {self.settings.openai_api_key}"} if self.settings.openai_api_key else {}
        body = {
            "model": self.settings.openai_model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
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
                        piece = json.loads(data)["choices"][0]["delta"].get("content")
                    except (ValueError, KeyError, IndexError):
                        continue
                    if piece:
                        yield piece
        except httpx.HTTPError as exc:
            raise LLMError(f"cannot reach the inference server at {url} ({type(exc).__name__})") from None

    def yes_probability(self, messages: list[Message], yes: str, no: str) -> float:
        """Servers differ in logprob support: read the first token of a two-token reply."""
        return _answered_yes("".join(self.stream(messages, 2, 0.0)), yes, no)


def make_backend(settings: Settings | None = None) -> ChatBackend:
    settings = settings or get_settings()
    if settings.llm_backend == "llama-cpp":
        return LlamaCppBackend(settings)
    if settings.llm_backend == "openai":
        return OpenAICompatibleBackend(settings)
    raise LLMError(f"unknown RAG_LLM_BACKEND {settings.llm_backend!r}; use llama-cpp or openai")
