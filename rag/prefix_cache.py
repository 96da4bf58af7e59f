"""Clause prefix cache: llama.cpp's KV state for each way an answer prompt can open with a clause.

Why: on a slow 2-core CPU every prompt token costs ~20–25 ms before the first answer token, and
every answer prompt opens the same way: the system prompt, then its first block, which is one of
only 191 clauses, its excerpt beginning at one of their 519 sentences. Each such start (system
prompt, "条款：", the document's title line, "[1]heading：", the clause from that sentence to its
end) is processed once, by `python -m rag.prefix_cache`, and its state is restored from disk in
~20 ms for a prompt that begins the same way; llama.cpp keeps the cells the prompt shares with
it (the title line and label, and the excerpt for as long as it runs on in the clause's own
words) and processes the rest. The prompt is not changed for this. The same store holds the start
of the one other prompt that opens the same way whatever is asked: an English question's
translation call (`fixed_prefixes`).

The store is a folder per model, system prompt and llama-cpp-python version
(`RAG_INDEX_DIR/prefix-cache/<fingerprint>/`): `manifest.json` holds each entry's user-message
prefix and its tokens; `<sha1>.bin` the state bytes (~7 MB each). A state is used for the tokens
it shares with the prompt the model receives, so a stale entry is never wrong, only unused;
rebuilding removes entries no prompt opens with any more.
"""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import json
import os
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rag.config import Settings, get_settings
from rag.errors import ModelError

Message = dict[str, str]
MANIFEST = "manifest.json"
MIN_RESTORE_GAIN_TOKENS = 8  # a state is restored only when it holds this many more prompt tokens than the KV cache


def cache_fingerprint(settings: Settings, system_prompt: str) -> str:
    """What a KV state depends on: the model file (name, size, time written), the system prompt,
    the llama.cpp build."""
    import llama_cpp

    path = settings.generator_path
    stat = path.stat() if path.is_file() else None
    size, written = (stat.st_size, stat.st_mtime_ns) if stat else (0, 0)
    key = f"{path.name}|{size}|{written}|{llama_cpp.__version__}|{system_prompt}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class PrefixEntry:
    """One cached prompt start: the user message's first `text`, as `tokens` of the whole chat prompt."""

    text: str
    tokens: tuple[int, ...]
    file: str


class ClausePrefixCache:
    """The entries of one fingerprint folder; looked up by text (which prompt to build) and by
    tokens (which state to restore)."""

    def __init__(self, folder: Path, system_prompt: str) -> None:
        self.folder = folder
        self.system_prompt = system_prompt
        self.entries: list[PrefixEntry] = []
        manifest = folder / MANIFEST
        if manifest.is_file():
            try:
                data = json.loads(manifest.read_text(encoding="utf-8"))
                self.entries = [PrefixEntry(e["text"], tuple(e["tokens"]), e["file"]) for e in data["entries"]]
            except (OSError, ValueError, KeyError, TypeError):  # a damaged manifest: no cache, never a crash
                self.entries = []
        self._by_text = {e.text: e for e in self.entries}
        self._arrays: dict = {}  # entry file -> its tokens as a numpy array, made on first lookup

    @classmethod
    def open(cls, settings: Settings) -> ClausePrefixCache | None:
        """The cache for this model and system prompt, or None when switched off."""
        if not settings.clause_prefix_cache:
            return None
        from rag.prompting import system_message

        system = system_message()["content"]
        return cls(settings.index_dir / "prefix-cache" / cache_fingerprint(settings, system), system)

    def __len__(self) -> int:
        return len(self.entries)

    def covered_chars(self, messages: Sequence[Message]) -> int:
        """How many leading characters of the user message a cached state holds (0: none): an
        entry serves every prompt that starts as it does, for as long as it does. An estimate of
        the restore (characters, not tokens; a restore needs MIN_RESTORE_GAIN_TOKENS over the KV
        cache), for the answer's time budget."""
        if len(messages) < 2 or messages[0]["content"] != self.system_prompt:
            return 0
        user = messages[1]["content"]
        shared = (len(os.path.commonprefix([user, e.text])) for e in self.entries)  # noqa: RUF071 (characters)
        return max(shared, default=0)

    def longest_match(self, tokens: Sequence[int]) -> tuple[PrefixEntry, int] | None:
        """The entry sharing the longest start with `tokens`, and how many tokens it shares: its
        state holds those (llama.cpp drops the cells after them before processing the rest)."""
        import numpy as np

        prompt = np.asarray(tokens, dtype=np.int64)
        best, best_n = None, 0
        for e in self.entries:
            held = self._arrays.get(e.file)
            if held is None:
                held = self._arrays[e.file] = np.asarray(e.tokens, dtype=np.int64)
            n = min(len(held), len(prompt))
            if n <= best_n:
                continue
            differ = np.flatnonzero(held[:n] != prompt[:n])
            shared = int(differ[0]) if len(differ) else n
            if shared > best_n:
                best, best_n = e, shared
        return (best, best_n) if best is not None else None

    def has(self, text: str) -> bool:
        return text in self._by_text

    def state(self, entry: PrefixEntry) -> bytes:
        return (self.folder / entry.file).read_bytes()

    def forget(self, entry: PrefixEntry) -> None:
        """Stop offering an entry whose state could not be restored (this process only)."""
        self.entries = [e for e in self.entries if e is not entry]
        self._by_text.pop(entry.text, None)

    def add(self, text: str, tokens: Sequence[int], state: bytes) -> None:
        name = hashlib.sha1(text.encode("utf-8")).hexdigest() + ".bin"
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / (name + f".{os.getpid()}.tmp")
        tmp.write_bytes(state)
        os.replace(tmp, self.folder / name)
        entry = PrefixEntry(text, tuple(int(t) for t in tokens), name)
        self._arrays.pop(name, None)
        self.entries = [e for e in self.entries if e.text != text] + [entry]
        self._by_text[text] = entry

    def keep_only(self, texts: set[str]) -> int:
        """Drop the entries no prompt opens with any more (their files too); returns how many."""
        stale = [e for e in self.entries if e.text not in texts]
        for e in stale:
            (self.folder / e.file).unlink(missing_ok=True)
        self.entries = [e for e in self.entries if e.text in texts]
        self._by_text = {e.text: e for e in self.entries}
        return len(stale)

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        data = {"entries": [{"text": e.text, "tokens": list(e.tokens), "file": e.file} for e in self.entries]}
        tmp = self.folder / (MANIFEST + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.folder / MANIFEST)


# ----------------------------------------------------------------------------- llama.cpp state
def chat_prefix_tokens(llm, messages: Sequence[Message]) -> list[int]:
    """The tokens the chat template gives `messages`, cut where the last message's content ends
    (before the template's end-of-turn): the start of every prompt whose user message begins so."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    if llm.chat_format != "chat_template.default":  # the prompt must be formatted as create_chat_completion does
        raise ModelError(f"the clause prefix cache needs the model's own chat template, not {llm.chat_format!r}")
    eos, bos = llm.token_eos(), llm.token_bos()
    formatter = Jinja2ChatFormatter(
        template=llm.metadata["tokenizer.chat_template"],
        eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
        bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
    )
    prompt = formatter(messages=list(messages)).prompt
    content = messages[-1]["content"]
    if content not in prompt:
        raise ModelError("the model's chat template changes the message text; the clause prefix cache cannot be built")
    end = prompt.rindex(content) + len(content)
    return llm.tokenize(prompt[:end].encode("utf-8"), add_bos=False, special=True)


def evaluate_prefix(llm, tokens: Sequence[int]) -> tuple[bytes, int]:
    """Process `tokens` (reusing what the KV cache already holds of them); the state, and how many
    tokens were processed."""
    import llama_cpp

    tokens = list(tokens)
    # evaluate at least one token, so the state's logits are this prompt's
    shared = min(llm.longest_token_prefix(llm._input_ids.tolist(), tokens), len(tokens) - 1)
    llm._ctx.kv_cache_seq_rm(-1, shared, -1)
    llm.n_tokens = shared
    llm.eval(tokens[shared:])
    size = llama_cpp.llama_state_get_size(llm._ctx.ctx)
    buffer = (ctypes.c_uint8 * size)()
    written = llama_cpp.llama_state_get_data(llm._ctx.ctx, buffer, size)
    return bytes(buffer)[:written], len(tokens) - shared


def restore_state(llm, tokens: Sequence[int], state: bytes) -> None:
    """Put a saved state back: the KV cache holds `tokens` again; the next eval refreshes the logits."""
    import llama_cpp

    buffer = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
    if llama_cpp.llama_state_set_data(llm._ctx.ctx, buffer, len(state)) != len(state):
        raise ModelError("a cached prefix state does not fit this model; rebuild it: python -m rag.prefix_cache")
    llm.input_ids[: len(tokens)] = tokens
    llm.n_tokens = len(tokens)
    llm._requires_eval = True


# ----------------------------------------------------------------------------- building
def clause_prefixes(settings: Settings) -> list[list[Message]]:
    """The messages an answer prompt opens with when a clause is its block 1, for every clause and
    every sentence its excerpt can begin with, each running to the clause's end
    (`prompting.clause_prefix_messages`, `excerpts.clause_starts`)."""
    from rag.excerpts import clause_starts
    from rag.index import ensure_index
    from rag.prompting import clause_prefix_messages
    from rag.retrieval import ScoredClause

    index = ensure_index(settings)
    out = []
    for clause in index.clauses:
        scored = ScoredClause(clause, index.document_of(clause), 0.0, 0.0, 0.0, "")
        out += [clause_prefix_messages(scored, start) for start in clause_starts(clause.body) if start.strip()]
    return out


def fixed_prefixes(settings: Settings) -> list[list[Message]]:
    """The starts of the prompts that open the same way whatever is asked, other than the answer's:
    the English question's translation call (`prompting.translation_prefix_messages`), when on."""
    from rag.prompting import translation_prefix_messages

    return [translation_prefix_messages()] if settings.translate_english else []


def prompt_starts(settings: Settings) -> list[list[Message]]:
    """Every prompt start the cache holds: the clauses' and the fixed ones."""
    return clause_prefixes(settings) + fixed_prefixes(settings)


def build(settings: Settings | None = None, show_progress: bool = True) -> ClausePrefixCache:
    """Process every clause's prompt starts once and store their states; entries already there are kept."""
    from tqdm import tqdm

    from rag.llm import LlamaCppBackend

    settings = settings or get_settings()
    cache = ClausePrefixCache.open(settings)
    if cache is None:
        raise ModelError("RAG_CLAUSE_PREFIX_CACHE is off")
    prefixes = prompt_starts(settings)
    texts = {m[1]["content"] for m in prefixes}
    dropped = cache.keep_only(texts)
    for other in cache.folder.parent.glob("*"):  # another model's or system prompt's states: never used again
        if other.is_dir() and other != cache.folder:
            shutil.rmtree(other, ignore_errors=True)
    todo = [m for m in prefixes if not cache.has(m[1]["content"])]
    if not todo:
        cache.save()
        if show_progress:
            print(f"clause prefix cache up to date: {len(cache)} prompt starts in {cache.folder}", file=sys.stderr)
        return cache
    llm = LlamaCppBackend(settings)._load()
    llm.prefix_cache = None  # the build processes its starts itself
    for leftover in cache.folder.glob("*.tmp"):  # an interrupted build's half-written files
        leftover.unlink(missing_ok=True)
    started, processed = time.perf_counter(), 0
    for messages in tqdm(todo, desc="caching prompt starts", unit="start", disable=not show_progress):
        tokens = chat_prefix_tokens(llm, messages)
        state, evaluated = evaluate_prefix(llm, tokens)
        cache.add(messages[1]["content"], tokens, state)
        processed += evaluated
        cache.save()  # an interrupted build keeps what it has done
    if show_progress:
        seconds = time.perf_counter() - started
        print(
            f"clause prefix cache: {len(todo)} prompt starts cached ({processed} tokens processed, "
            f"{dropped} stale removed), "
            f"{len(cache)} in all, in {seconds:.0f} s → {cache.folder}",
            file=sys.stderr,
        )
    return cache


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rag.prefix_cache",
        description="Process each answer-prompt start a clause can give once (a clause's title line and label "
        "and the clause from each of its sentences on) and keep llama.cpp's state on disk, so answers skip "
        "those prompt tokens (~8.5 min on this 2-core CPU, ~17 at 40 prompt tok/s; once; 4.2 GB).",
    )
    parser.add_argument("--check", action="store_true", help="only say how many clauses are cached")
    args = parser.parse_args(argv)
    settings = get_settings()
    if not settings.clause_prefix_cache:
        print("clause prefix cache: off (RAG_CLAUSE_PREFIX_CACHE=0)")
        return 0
    try:
        if args.check:
            cache = ClausePrefixCache.open(settings)
            texts = {m[1]["content"] for m in prompt_starts(settings)}
            have = sum(1 for e in cache.entries if e.text in texts)
            print(f"clause prefix cache: {have} of {len(texts)} prompt starts cached in {cache.folder}")
            return 0 if have == len(texts) else 1
        build(settings)
    except ModelError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except ImportError:
        print("error: llama-cpp-python is not installed; run `make setup`", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted: the prompt starts cached so far are kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
