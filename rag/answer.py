"""The one question-answering pipeline. The UI, the CLI (`python -m rag.ask`) and the evaluation
all call `AnswerPipeline`, and all get the contract's prediction object from it:

    check question → condense follow-up → retrieve → decline? → prompt (prompts/*.txt)
    → generate (rag/llm.py, streamed) → cite → ground → extractive fallback → script

`stream()` yields one `Evidence` event (what the answer will cite) before the model is called, then
`Token` events while the model writes, then one `Final` with the finished,
checked answer (which may differ from the raw tokens: grounding removes unsupported sentences).
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import yaml

from rag.answerability import JudgeVerdict, ModelJudge
from rag.config import PROJECT_ROOT, Settings, get_settings
from rag.diff import pair_first
from rag.errors import ModelError
from rag.followup import is_followup, parse_history, previous_question
from rag.grounding import (
    Block,
    build_blocks,
    cite_answer,
    complete_comparison,
    complete_part,
    complete_units,
    extractive_answer,
    extractive_parts,
    ground_answer,
    has_content,
    is_degenerate,
    is_refusal,
    misses_answer_type,
    off_topic,
    prompt_lines,
    quote_source,
    top_sentences,
    topic_terms,
)
from rag.index import CorpusIndex, ensure_index
from rag.llm import ChatBackend, LLMError, Usage, make_backend
from rag.questions import check_question
from rag.retrieval import HybridRetriever, RetrievalFilters, RetrievalResult
from rag.targets import targets_reply
from rag.text import to_traditional
from rag.validity import validity_lines

PROMPTS = PROJECT_ROOT / "prompts"
RELATED_SHOWN = 3  # nearest clauses named in a decline
CHAT_WRAP_TOKENS = 10  # the chat template's tokens around a user message (<|im_start|>user … assistant)


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
class Evidence:
    """The clauses the answer will cite, known once retrieval and the decision are done (tens of
    milliseconds), long before the model's first token: the page shows them at once."""

    labels: tuple[str, ...]
    note: str  # "正在依据 … 回答…", in the question's language


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
        "superseded_by": s.document.superseded_by,
        "doc_kind": s.document.kind,
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
        self._judge: ModelJudge | None = None
        self.paths: Counter[str] = Counter()  # how often each answer path ran (llm, extractive-…, decline-…)

    @classmethod
    def from_settings(cls, settings: Settings | None = None, confidence_model=None) -> AnswerPipeline:
        """The real pipeline; `confidence_model` replaces rag/confidence.json (calibration starts without it)."""
        from rag.embedder import Embedder

        settings = settings or get_settings()
        embedder = Embedder(settings)
        index = ensure_index(settings, embedder=embedder)
        retriever = HybridRetriever(
            index=index, embedder=embedder, settings=settings, confidence_model=confidence_model
        )
        return cls(settings, index, retriever)

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

    @property
    def judge(self) -> ModelJudge | None:
        """The yes/no judge (None when RAG_JUDGE_MIN_YES is 0)."""
        if self._judge is None and self.settings.judge_min_yes > 0:
            self._judge = ModelJudge(
                self.backend.yes_probability,
                prompt_file("system.txt").strip(),
                prompt_file("judge.txt").strip(),
                self.settings.judge_min_yes,
            )
        return self._judge

    def _judge_evidence(
        self, result: RetrievalResult, blocks: list[Block], stage: str, usage: Usage | None = None
    ) -> JudgeVerdict | None:
        """Ask the judge whether the top sentences answer what is asked (Chinese: the translation for English);
        its call is counted in the answer's `usage`."""
        analysis = result.analysis
        question = analysis.translation or analysis.ask or analysis.focus
        if analysis.is_followup and analysis.previous:  # "那源城区呢？" asks nothing on its own
            question = prompt_file("followup.txt").strip().format(question=question, previous=analysis.previous)
        sentences = top_sentences(analysis.focus, result.normalized_query, blocks, self.settings.judge_sentences)
        judge = self.judge
        if judge is None or not sentences:
            return None
        if usage is not None:
            judge = ModelJudge(
                lambda messages, yes, no: self.backend.yes_probability(messages, yes, no, usage),
                judge.system,
                judge.template,
                judge.min_yes,
            )
        try:
            return judge.judge(question, sentences, stage)
        except (LLMError, ModelError):  # no judge, no verdict: the other checks still run
            return None

    # ------------------------------------------------------------------ retrieval
    def retrieve(
        self,
        question: str,
        history: list | None = None,
        filters: dict | RetrievalFilters | None = None,
        usage: Usage | None = None,
    ) -> RetrievalResult:
        """Analyse the question (rag/query.py), retrieve (rag/retrieval.py), decide (rag/answerability.py);
        a translation call is counted in `usage`."""
        turns = parse_history(history)
        if not isinstance(filters, RetrievalFilters):
            filters = RetrievalFilters.from_dict(filters)
        previous = previous_question(turns)
        # the earlier question goes into the prompt too: the same checks as the current one
        context = check_question(previous, self.settings.max_question_chars).text if previous else None
        translate = (lambda english: self._translate(english, usage)) if self.settings.translate_english else None
        analysis = self.retriever.analyzer.analyze(
            question, previous=context, is_followup=bool(context) and is_followup(question), translate=translate
        )
        result = self.retriever.decide(self.retriever.retrieve(analysis, filters))
        result.extra["standalone_question"] = analysis.search_text if analysis.is_followup else question
        result.extra["previous"] = context or ""
        return result

    def _translate(self, english: str, usage: Usage | None = None) -> str:
        """English question → Chinese query: one short model call (prompts/translate.txt)."""
        prompt = prompt_file("translate.txt").strip().format(question=english)
        # the same system prompt as the answer: llama.cpp keeps it cached for both calls
        messages = [
            {"role": "system", "content": prompt_file("system.txt").strip()},
            {"role": "user", "content": prompt},
        ]
        out = "".join(self.backend.stream(messages, self.settings.translate_max_tokens, 0.0, usage))
        return out.strip().splitlines()[0] if out.strip() else ""

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
        usage = Usage()  # every model call of this answer: translation, judge, answer

        def finish(path: str) -> Final:
            pred.extra["usage"] = usage.to_dict()
            for line in validity_lines(pred.citations, self.index.documents):  # cites a superseded/expired text
                pred.answer += "\n" + reply(line.key, lang, **line.values)
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
            result = self.retrieve(check.text, history, filters, usage)
        except ValueError as exc:  # bad history or filters from an API caller
            pred.error = str(exc)
            pred.answer = str(exc)
            yield finish("rejected-input")
            return
        pred.timings["retrieval_s"] = round(time.perf_counter() - t0, 4)
        pred.retrieved = [s.to_contract() for s in result.clauses]
        analysis = result.analysis
        pred.extra.update(
            confidence=round(result.confidence, 4),
            features=result.features.to_dict(),
            standalone_question=result.extra["standalone_question"],
            analysis=analysis.to_dict(),
            decided_by=result.decision.mechanism,
        )
        if result.declined:
            pred.declined = True
            pred.extra["decline_reason"] = result.decline_reason
        if retrieval_only:
            yield finish("retrieval-only")
            return
        if (listing := targets_reply(analysis, self.index, result.filters, lang)) is not None:  # "…有哪些量化目标？"
            pred.declined, (pred.answer, cited) = False, listing
            pred.citations = [citation_object(b) for b in cited]
            yield finish("targets")
            return
        if result.declined:
            pred.answer, cited = self._decline_reply(result, lang)
            pred.citations = [citation_object(b) for b in cited]
            pred.timings["first_token_s"] = round(time.perf_counter() - t0, 4)
            yield finish("decline-" + result.decline_reason.split(":")[0])
            return

        query = result.normalized_query  # for English: expanded with the plans' Chinese terms
        # what is asked, as the checks read it: the focus (filler gone, typos repaired); English as typed
        asked_text = check.text if lang == "english" else analysis.focus
        groups = self._part_groups(result)
        if groups:
            chosen = {s.clause.clause_id: s for _, ranked in groups for s in ranked[: self.settings.prompt_k_part]}
            clauses = list(chosen.values())
        else:
            depth = self.settings.prompt_k_english if lang == "english" else self.settings.prompt_k
            # draft vs final: the aligned pair first
            clauses = pair_first(result.clauses[:depth], result, self.index, depth)
        # the model gets what is asked: typos repaired, who-is-asking and filler left out
        asked = check.text if lang == "english" or not analysis.ask else analysis.ask
        if analysis.is_followup:
            # a follow-up ("那广东省的行动计划呢？") means nothing to the model without the earlier question
            asked = prompt_file("followup.txt").strip().format(question=asked, previous=result.extra["previous"])
        pred.extra["prompt_question"] = asked

        def evidence() -> list[Block]:
            """The clauses' excerpts within what is left of this answer's prompt-token budget."""
            chars = self._evidence_chars(clauses, asked, lang, usage.prompt_tokens)
            return build_blocks(clauses, query, chars, self._parent_text, asked_text)

        blocks = evidence()
        labels = tuple(dict.fromkeys(b.scored.clause.label for b in blocks))
        yield Evidence(labels, reply("citing", lang, labels="、".join(labels)))
        gray_zone = result.confidence < self.retriever.decline_threshold + self.settings.second_opinion_band
        verdict = self._judge_evidence(result, blocks, "gray-zone", usage) if gray_zone and not groups else None
        if verdict is not None:
            blocks = evidence()  # the judge's tokens came out of the same budget

        def judged_decline(reason: str) -> Final:
            pred.declined = True
            pred.extra["decline_reason"] = reason
            pred.extra["decided_by"] = "judge" if verdict is not None and verdict.declined else "model"
            pred.answer, cited = self._decline_reply(result, lang)
            pred.citations = [citation_object(b) for b in cited]
            if pred.timings.get("first_token_s") is None:
                pred.timings["first_token_s"] = round(time.perf_counter() - t0, 4)
            return finish("decline-" + reason)

        if verdict is not None:
            pred.extra["judge"] = verdict.to_dict()
            if verdict.declined:  # only just above the threshold, and the judge reads no answer
                yield judged_decline("judge")
                return
        messages = self._messages(blocks, asked, lang)
        raw = ""
        try:
            for piece in self.backend.stream(messages, self.settings.max_new_tokens, self.settings.temperature, usage):
                if pred.timings.get("first_token_s") is None:
                    pred.timings["first_token_s"] = round(time.perf_counter() - t0, 4)
                raw += piece
                yield Token(piece)
        except (LLMError, ModelError) as exc:
            pred.extra["llm_error"] = str(exc)
        pred.extra["raw_answer"] = raw
        if is_refusal(raw) and not groups:
            if gray_zone:  # the decision was only just "answer", and the model finds no answer
                yield judged_decline("model-refusal")
                return
            verdict = self._judge_evidence(result, blocks, "refusal", usage)  # a second opinion before quoting
            if verdict is not None:
                pred.extra["judge"] = verdict.to_dict()
                if verdict.declined:
                    yield judged_decline("judge")
                    return
        parts = [p for p, _ in groups] if groups else None
        answer, cited, path = self._postprocess(raw, blocks, asked_text, query, lang, parts)
        compared = result.extra.get("compared_docs", [])
        if compared and cited:
            pool = blocks + self._comparison_extras(result, blocks, compared)
            answer, cited, added = complete_comparison(
                answer, cited, pool, compared, asked_text, query, lang == "english"
            )
            if added:
                path += "+completed"
        if groups:
            answer, cited, added = self._complete_parts(answer, cited, blocks, result, lang)
            if added:
                path += "+parts"
        elif analysis.answer_type == "department" and cited:
            # "which bureau?" answered without naming one of the clause's units ("the environment
            # bureau of Source County"): the units as the plan names them, cited
            answer, cited, added = complete_units(answer, cited, blocks, lang == "english")
            if added:
                path += "+units"
        if lang == "english" and cited and not re.search(r"[\u4e00-\u9fff]", answer):
            # the model left out the plans' own terms: quote the sentence it rests on, so the reader
            # can find it in the cited (Chinese) clause
            answer, cited = quote_source(answer, cited, query)
            path += "+quoted"
        if pred.timings.get("first_token_s") is None:
            pred.timings["first_token_s"] = round(time.perf_counter() - t0, 4)
        pred.answer = to_traditional(answer) if lang == "traditional" else answer
        pred.citations = [citation_object(b) for b in cited]
        yield finish(path)

    def _part_groups(self, result: RetrievalResult) -> list[tuple[str, list]]:
        """(part, its ranked clauses) for each answerable part of a multi-part question."""
        if not result.parts:
            return []
        parts = result.analysis.parts
        return [
            (p.text, ranked)
            for p, ranked, d in zip(parts, result.parts, result.part_decisions, strict=True)
            if not d.declined
        ]

    def _complete_parts(
        self, answer: str, cited: list[Block], blocks: list[Block], result: RetrievalResult, lang: str
    ) -> tuple[str, list[Block], int]:
        """Every answered part is cited from its own clauses (else its best sentence is quoted);
        every part the plans do not answer is said to be unanswered ("方案未写明…")."""
        english = lang == "english"
        added = 0
        kinds = {p.text: p.answer_type for p in result.analysis.parts}
        for part, ranked in self._part_groups(result):
            ids = {s.clause.clause_id for s in ranked[: self.settings.prompt_k_part]}
            own = [b for b in blocks if b.scored.clause.clause_id in ids]
            if kinds.get(part) == "department":  # "…哪个部门牵头？": the units must be named
                answer, cited, n = complete_units(answer, cited, own, english)
            else:
                answer, cited, n = complete_part(answer, cited, own, part, english)
            added += n
        for part, decision in zip(result.analysis.parts, result.part_decisions, strict=True):
            if decision.declined:
                answer = answer.rstrip() + "\n" + reply("part_unstated", lang, part=part.text)
                added += 1
        return answer, cited, added

    def _comparison_extras(self, result: RetrievalResult, blocks: list[Block], compared: list[str]) -> list[Block]:
        """The compared documents' best retrieved clauses beyond those the prompt had room for."""
        in_prompt = {b.scored.clause.clause_id for b in blocks}
        extra = [s for s in result.clauses if s.clause.doc_id in compared and s.clause.clause_id not in in_prompt]
        extra = extra[: self.settings.compare_slots * len(compared)]
        return [Block(len(blocks) + i, s, s.clause.body, self._parent_text(s)) for i, s in enumerate(extra, 1)]

    def _evidence_chars(self, clauses: list, question: str, lang: str, spent: int) -> int:
        """Excerpt characters the answer's prompt may hold: the per-answer token budget, less what
        earlier calls of this answer processed (translation, judge) and the prompt's own text (clause
        labels, question, template), converted with the model's measured characters per token."""
        skeleton = [Block(i, s, "") for i, s in enumerate(clauses, 1)]
        fixed = sum(len(m["content"]) for m in self._messages(skeleton, question, lang)[1:])
        left = self.settings.prompt_token_budget - spent - CHAT_WRAP_TOKENS
        return max(self.settings.min_evidence_chars, int(left * self.settings.chars_per_token) - fixed)

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
        self, raw: str, blocks: list[Block], question: str, query: str, lang: str, parts: list[str] | None = None
    ) -> tuple[str, list[Block], str]:
        """(answer, cited blocks, path) — the model's answer if it survives the checks, else extractive
        (for a multi-part question, one quote per part)."""
        english = lang == "english"

        def fallback(why: str) -> tuple[str, list[Block], str]:
            if parts:
                answer, cited = extractive_parts(parts, blocks, english)
            else:
                answer, cited = extractive_answer(question, query, blocks, english)
            return answer, cited, f"extractive-{why}"

        if not raw.strip():
            return fallback("empty")
        if is_refusal(raw):
            return fallback("refusal")
        if is_degenerate(raw):
            return fallback("repetition")
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

    def _decline_reply(self, result: RetrievalResult, lang: str) -> tuple[str, list[Block]]:
        """The decline, said with its reason. When the plans deal with the topic but not with the
        detail asked (an amount, a procedure, today's figure, the national level), the reply also
        quotes what they do state, cited ("方案只提到依法享受加计扣除，未规定比例[1]")."""
        kind, _, value = result.decline_reason.partition(":")
        english = lang == "english"
        if kind == "place":
            regions = "、".join(dict.fromkeys(d.region for d in self.index.documents.values()))
            if english:
                regions = "Guangdong province, Dongguan, Shaoguan and Heyuan's Yuancheng district"
            return reply("decline_place", lang, regions=regions, place=value), []
        if kind in {"number", "term"}:
            text = reply("decline_number", lang, number=value)
        elif kind in {"answer-type", "current", "national"}:
            key = value if kind == "answer-type" else kind
            what = replies()["what"][key]["en" if english else "zh"]
            text = reply("decline_answer_type", lang, what=what)
            analysis = result.analysis
            asked = result.normalized_query if english else analysis.focus
            chars = int(self.settings.prompt_token_budget * self.settings.chars_per_token)
            blocks = build_blocks(result.clauses[:1], result.normalized_query, chars, self._parent_text)
            if blocks:
                quote, cited = extractive_answer(asked, result.normalized_query, blocks, english, sentences=1)
                if cited:
                    stated = reply("plans_state", lang) + "\n" + quote
                    return text + "\n" + (to_traditional(stated) if lang == "traditional" else stated), cited
        else:
            text = reply("decline", lang)
        related = [s.clause.label for s in result.clauses[:RELATED_SHOWN] if s.score > 0]
        if related:
            text += "\n" + reply("related", lang) + "\n" + "\n".join(f"- {label}" for label in related)
        return text, []
