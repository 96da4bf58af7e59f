"""The one question-answering pipeline. The UI, the CLI (`python -m rag.ask`) and the evaluation
all call `AnswerPipeline`, and all get the contract's prediction object from it:

    check question → condense follow-up → retrieve → decline? → prompt (prompts/*.txt)
    → generate (rag/llm.py, streamed) → cite → ground → extractive fallback → script

`stream()` yields `Token` events while the model writes, then one `Final` with the finished,
checked answer (which may differ from the raw tokens: grounding removes unsupported sentences).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import yaml

from rag.config import PROJECT_ROOT, Settings, get_settings
from rag.followup import condense_question, parse_history, previous_question
from rag.grounding import (
    Block,
    build_blocks,
    cite_answer,
    complete_comparison,
    extractive_answer,
    ground_answer,
    has_content,
    is_refusal,
    misses_answer_type,
    off_topic,
    prompt_lines,
    topic_terms,
)
from rag.index import CorpusIndex, ensure_index
from rag.llm import ChatBackend, LLMError, make_backend
from rag.models import ModelError
from rag.questions import check_question
from rag.retrieval import HybridRetriever, RetrievalFilters, RetrievalResult
from rag.text import to_traditional

PROMPTS = PROJECT_ROOT / "prompts"
RELATED_SHOWN = 3  # nearest clauses named in a decline


@cache
def prompt_file(name: str) -> str:
    return (PROMPTS / name).read_text(encoding="utf-8")


@cache
def replies() -> dict:
    return yaml.safe_load(prompt_file("replies.yaml"))


def reply(key: str, lang: str, **values: Any) -> str:
    text = replies()[key]["en" if lang == "english" else "zh"].format(**values)
    return to_traditional(text) if lang == "traditional" else text


@dataclass
class Prediction:
    """The prediction object of ../shared/eval-format.md (plus diagnostics under `extra`)."""

    id: str
    question: str
    answer: str = ""
    declined: bool = False
    citations: list[dict[str, Any]] = field(default_factory=list)
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    timings: dict[str, float | None] = field(default_factory=dict)
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        extra = d.pop("extra")
        return {**d, **({"extra": extra} if extra else {})}


@dataclass(frozen=True)
class Token:
    text: str


@dataclass(frozen=True)
class Final:
    prediction: Prediction


def citation_object(block: Block) -> dict[str, Any]:
    """A cited clause: the contract's clause object, plus what a citation card shows."""
    s = block.scored
    return {
        "clause_id": s.clause.clause_id,
        "doc_id": s.clause.doc_id,
        "doc_title": s.document.title,
        "label": s.clause.label,
        "text": s.clause.text,
        "responsible": s.clause.responsible,
        "status": s.document.status,
        "date": s.document.date,
        "excerpt": block.excerpt,
    }


class AnswerPipeline:
    """Index + retriever + generator; shared by every request (generation is serialised)."""

    def __init__(
        self, settings: Settings, index: CorpusIndex, retriever: HybridRetriever, backend: ChatBackend | None = None
    ) -> None:
        self.settings = settings
        self.index = index
        self.retriever = retriever
        self._backend = backend
        self.paths: Counter[str] = Counter()  # how often each answer path ran (llm, extractive-…, decline-…)

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> AnswerPipeline:
        from rag.embedder import Embedder

        settings = settings or get_settings()
        embedder = Embedder(settings)
        index = ensure_index(settings, embedder=embedder)
        return cls(settings, index, HybridRetriever(index=index, embedder=embedder, settings=settings))

    def warm_up(self) -> None:
        """Load the generator and put the fixed system prompt into its cache, so the first user does not wait."""
        self.retriever.search("质量")
        messages = [
            {"role": "system", "content": prompt_file("system.txt").strip()},
            {"role": "user", "content": "你好"},
        ]
        for _ in self.backend.stream(messages, 1, 0.0):
            pass

    @property
    def backend(self) -> ChatBackend:
        if self._backend is None:
            self._backend = make_backend(self.settings)
        return self._backend

    # ------------------------------------------------------------------ retrieval
    def retrieve(
        self, question: str, history: list | None = None, filters: dict | RetrievalFilters | None = None
    ) -> RetrievalResult:
        turns = parse_history(history)
        standalone = condense_question(question, turns)
        focus = question if standalone != question else None
        if not isinstance(filters, RetrievalFilters):
            filters = RetrievalFilters.from_dict(filters)
        previous = previous_question(turns)
        # the earlier question goes into the prompt too: the same checks as the current one
        context = check_question(previous, self.settings.max_question_chars).text if previous else None
        result = self.retriever.search(standalone, filters, focus=focus, context=context)
        result.extra["standalone_question"] = standalone
        result.extra["previous"] = context or ""
        return result

    # ------------------------------------------------------------------ answering
    def predict(
        self,
        question: str,
        history: list | None = None,
        filters: dict | None = None,
        qid: str = "",
        retrieval_only: bool = False,
    ) -> Prediction:
        """One complete answer (the last event of `stream`)."""
        final = None
        for event in self.stream(question, history, filters, qid, retrieval_only):
            if isinstance(event, Final):
                final = event.prediction
        assert final is not None
        return final

    def stream(
        self,
        question: str,
        history: list | None = None,
        filters: dict | None = None,
        qid: str = "",
        retrieval_only: bool = False,
    ) -> Iterator[Token | Final]:
        t0 = time.perf_counter()
        pred = Prediction(id=qid, question=question)
        check = check_question(question, self.settings.max_question_chars)
        lang = check.language
        pred.extra = {"language": lang, "injection_suspected": check.injection}

        def finish(path: str) -> Final:
            self.paths[path] += 1
            pred.extra["route"] = path  # not "path": API clients read a "path" key as a file
            pred.timings.setdefault("retrieval_s", None)
            pred.timings.setdefault("first_token_s", None)
            pred.timings["total_s"] = round(time.perf_counter() - t0, 4)
            return Final(pred)

        if check.kind in {"empty", "too_long"}:
            pred.error = "empty question" if check.kind == "empty" else f"question too long ({check.length} characters)"
            key = "empty" if check.kind == "empty" else "too_long"
            pred.answer = reply(key, lang, length=check.length, limit=self.settings.max_question_chars)
            yield finish(f"rejected-{check.kind}")
            return
        if check.kind in {"greeting", "off_topic"}:
            pred.answer = reply("greeting", lang)
            pred.declined = True
            yield finish(f"scoped-{check.kind}")
            return

        try:
            result = self.retrieve(check.text, history, filters)
        except ValueError as exc:  # bad history or filters from an API caller
            pred.error = str(exc)
            pred.answer = str(exc)
            yield finish("rejected-input")
            return
        pred.timings["retrieval_s"] = round(time.perf_counter() - t0, 4)
        pred.retrieved = [s.to_contract() for s in result.clauses]
        pred.extra.update(
            confidence=round(result.confidence, 4),
            features=result.features.to_dict(),
            standalone_question=result.extra["standalone_question"],
        )
        if result.declined:
            pred.declined = True
            pred.extra["decline_reason"] = result.decline_reason
        if retrieval_only:
            yield finish("retrieval-only")
            return
        if result.declined:
            pred.answer = self._decline_text(result, lang)
            pred.timings["first_token_s"] = round(time.perf_counter() - t0, 4)
            yield finish("decline-" + result.decline_reason.split(":")[0])
            return

        query = result.normalized_query  # for English: expanded with the plans' Chinese terms
        depth = self.settings.prompt_k_english if lang == "english" else self.settings.prompt_k
        blocks = build_blocks(result.clauses[:depth], query, self.settings.prompt_chars, self._parent_text, check.text)
        asked = check.text
        if result.extra["standalone_question"] != check.text:
            # a follow-up ("那广东省的行动计划呢？") means nothing to the model without the earlier question
            asked = prompt_file("followup.txt").strip().format(question=check.text, previous=result.extra["previous"])
        pred.extra["prompt_question"] = asked
        messages = self._messages(blocks, asked, lang)
        raw = ""
        try:
            for piece in self.backend.stream(messages, self.settings.max_new_tokens, self.settings.temperature):
                if pred.timings.get("first_token_s") is None:
                    pred.timings["first_token_s"] = round(time.perf_counter() - t0, 4)
                raw += piece
                yield Token(piece)
        except (LLMError, ModelError) as exc:
            pred.extra["llm_error"] = str(exc)
        pred.extra["raw_answer"] = raw
        if is_refusal(raw) and result.confidence < self.settings.second_opinion_below:
            # retrieval was only marginally sure and the model, reading the clauses, finds no answer
            pred.declined = True
            pred.extra["decline_reason"] = "model-refusal"
            pred.answer = self._decline_text(result, lang)
            yield finish("decline-model-refusal")
            return
        answer, cited, path = self._postprocess(raw, blocks, check.text, query, lang)
        compared = result.extra.get("compared_docs", [])
        if compared and cited:
            pool = blocks + self._comparison_extras(result, blocks, compared)
            answer, cited, added = complete_comparison(
                answer, cited, pool, compared, check.text, query, lang == "english"
            )
            if added:
                path += "+completed"
        if pred.timings.get("first_token_s") is None:
            pred.timings["first_token_s"] = round(time.perf_counter() - t0, 4)
        pred.answer = to_traditional(answer) if lang == "traditional" else answer
        pred.citations = [citation_object(b) for b in cited]
        yield finish(path)

    def _comparison_extras(self, result: RetrievalResult, blocks: list[Block], compared: list[str]) -> list[Block]:
        """The compared documents' best retrieved clauses beyond those the prompt had room for."""
        in_prompt = {b.scored.clause.clause_id for b in blocks}
        extra = [s for s in result.clauses if s.clause.doc_id in compared and s.clause.clause_id not in in_prompt]
        extra = extra[: self.settings.compare_slots * len(compared)]
        return [Block(len(blocks) + i, s, s.clause.body, self._parent_text(s)) for i, s in enumerate(extra, 1)]

    def _messages(self, blocks: list[Block], question: str, lang: str) -> list[dict[str, str]]:
        language = prompt_file("language_en.txt").strip() if lang == "english" else ""
        user = prompt_file("user.txt").format(
            clauses="\n".join(prompt_lines(blocks, question)), question=question, language_instruction=language
        )
        return [
            {"role": "system", "content": prompt_file("system.txt").strip()},
            {"role": "user", "content": user.strip()},
        ]

    def _parent_text(self, scored) -> str:
        """Text of the clauses above this one (a goal bullet's year stands in its parent)."""
        texts, cid = [], scored.clause.clause_id
        while "." in cid.split("/", 1)[-1]:
            cid = cid.rsplit(".", 1)[0]
            parent = self.index.clause_by_id.get(cid)
            if parent:
                texts.append(parent.text)
        return "\n".join(texts)

    def _postprocess(
        self, raw: str, blocks: list[Block], question: str, query: str, lang: str
    ) -> tuple[str, list[Block], str]:
        """(answer, cited blocks, path) — the model's answer if it survives the checks, else extractive."""
        english = lang == "english"

        def fallback(why: str) -> tuple[str, list[Block], str]:
            answer, cited = extractive_answer(question, query, blocks, english)
            return answer, cited, f"extractive-{why}"

        if not raw.strip():
            return fallback("empty")
        if is_refusal(raw):
            return fallback("refusal")
        answer, cited = cite_answer(raw, blocks, similarity=self._similarity, question=question)
        if not cited:
            return fallback("uncited")
        grounded, removed = ground_answer(answer, cited)
        if not has_content(grounded, question):
            return fallback("ungrounded" if removed else "no-content")
        if misses_answer_type(question, grounded):
            return fallback("no-figure")
        if off_topic(grounded, topic_terms(query, blocks, self.retriever.idf), question):
            return fallback("off-topic")
        if removed:  # renumbering again drops citations of removed sentences
            grounded, cited = cite_answer(
                grounded, [Block(i, b.scored, b.excerpt, b.context) for i, b in enumerate(cited, 1)]
            )
            return grounded, cited, "llm-trimmed"
        return grounded, cited, "llm"

    def _similarity(self, answer: str, texts: list[str]) -> list[float]:
        embedder = self.retriever.embedder
        a = embedder.embed_query(answer)
        return [float(v @ a) for v in embedder.embed_passages(texts)]

    def _decline_text(self, result: RetrievalResult, lang: str) -> str:
        kind, _, value = result.decline_reason.partition(":")
        if kind == "place":
            regions = "、".join(dict.fromkeys(d.region for d in self.index.documents.values()))
            if lang == "english":
                regions = "Guangdong province, Dongguan, Shaoguan and Heyuan's Yuancheng district"
            text = reply("decline_place", lang, regions=regions, place=value)
        elif kind in {"number", "term"}:
            text = reply("decline_number", lang, number=value)
        elif kind == "answer-type":
            what = replies()["what"][value]["en" if lang == "english" else "zh"]
            text = reply("decline_answer_type", lang, what=what)
        else:
            text = reply("decline", lang)
        related = [s.clause.label for s in result.clauses[:RELATED_SHOWN] if s.score > 0]
        if related and kind != "place":
            text += "\n" + reply("related", lang) + "\n" + "\n".join(f"- {label}" for label in related)
        return text
