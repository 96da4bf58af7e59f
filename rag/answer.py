"""The one question-answering pipeline. The UI, the CLI (`python -m rag.ask`) and the evaluation
all call `AnswerPipeline`, and all get the contract's prediction object from it:

    check question → analyse + retrieve + decide (rag/query, rag/retrieval, rag/answerability)
    → decline (rag/declines) or excerpts + prompt (rag/excerpts, rag/prompting)
    → generate (rag/llm, streamed) → checks (rag/postchecks) → completion (rag/completion) → script

`stream()` only orchestrates those stages. It yields one `Evidence` event (what the answer will
cite) before the model is called, then `Token` events while the model writes, then one `Final`
with the finished, checked answer (which may differ from the raw tokens: grounding removes
unsupported sentences). The events and `Prediction` live in rag/prediction.py.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from functools import partial

from rag.answerability import JudgeVerdict, ModelJudge
from rag.citations import title_renamer
from rag.completion import Completion, complete, covers_question, part_groups
from rag.config import Settings, get_settings
from rag.declines import decline_reply
from rag.diff import pair_first
from rag.errors import ModelError
from rag.excerpts import Block, Meaning, document_name_tokens
from rag.extractive import about_clause, units_answer, units_topic
from rag.factcheck import ends_sentence, found_nothing, is_degenerate, is_refusal, whole_sentences
from rag.followup import QUESTION_SEP, parse_history, previous_answer, previous_question_chain
from rag.index import CorpusIndex, ensure_index
from rag.judging import AFTER_REFUSAL, GRAY_ZONE, judge_evidence, stage_min_yes
from rag.llm import ChatBackend, LLMError, Message, Usage, make_backend
from rag.postchecks import CheckContext, check_answer, nothing_supported
from rag.prediction import AnswerTurn, Evidence, Final, Prediction, Token, citation_object
from rag.prompting import (
    PromptPlan,
    answer_messages,
    evidence_blocks,
    generation_tokens,
    is_decline_reply,
    prompt_file,
    reply,
    system_message,
    translation_messages,
    with_previous,
)
from rag.query import QueryAnalysis
from rag.questions import QuestionCheck, check_question, question_char_limit
from rag.retrieval import HybridRetriever, RetrievalFilters, RetrievalResult
from rag.targets import targets_reply
from rag.text import normalize, to_traditional
from rag.validity import validity_lines

# how a stopped answer's route says it was stopped: at RAG_MAX_NEW_TOKENS, or past the time budget
# once it covered the question (a stop after unsupported sentences is named by its fallback)
CUT_ROUTES = {"length": "+cut", "budget": "+budget"}


class _BudgetWatch:
    """When the time budget looks at an answer being streamed: at each sentence that ends after
    `tokens` pieces (about a token each) have come, once the next piece shows whether the model
    cites it ("…以上。" then "[1]"), so a stop keeps the sentence's own citation. A sentence begun
    before the budget ran out is waited for, never cut."""

    def __init__(self, tokens: int) -> None:
        self.tokens = tokens
        self.pieces = 0
        self.whole = -1  # characters of whole sentences when the budget ran out (-1: not yet)
        self.ended = False  # a sentence has ended past the budget: look at the next piece

    def sentence_done(self, raw: str) -> bool:
        """Called once per streamed piece with the text so far: True when the budget should look now."""
        self.pieces += 1
        if self.pieces < self.tokens:
            return False
        at_end = ends_sentence(raw)
        whole = len(whole_sentences(raw))
        if self.whole < 0:  # the budget just ran out: sentences that end from here on (or just did)
            self.whole, self.ended = whole, at_end
            return False
        if self.ended and not at_end:
            self.ended, self.whole = False, whole
            return True
        if whole > self.whole:
            self.whole, self.ended = whole, True
        return False


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
        if index.pieces is not None:  # embedded with the index: English answers rank them by meaning
            retriever.embedder.remember(index.pieces.texts, index.pieces.vectors)

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
        for _ in self.backend.stream([system_message(), {"role": "user", "content": "你好"}], 1, 0.0):
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
                prompt_file("judge_question.txt").strip(),
            )
        return self._judge

    def _judge_evidence(
        self,
        result: RetrievalResult,
        blocks: list[Block],
        stage: str,
        usage: Usage | None = None,
        answer_prompt: list[Message] | None = None,
        min_yes: float | None = None,
        meaning: Meaning | None = None,
    ) -> JudgeVerdict | None:
        judge = self.judge
        if judge is None:
            return None
        sentences = self.settings.judge_sentences
        return judge_evidence(
            judge, self.backend, result, blocks, stage, usage, sentences, answer_prompt, min_yes, meaning
        )

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
        analyzer = self.retriever.analyzer
        chain = previous_question_chain(turns, analyzer.leans_on_previous, self.settings.followup_chain)
        # the earlier questions go into the prompt too: each gets the same checks as the current one
        context = QUESTION_SEP.join(self._check(q).text for q in chain) or None
        replied = previous_answer(turns)
        if replied and is_decline_reply(replied):  # it answered nothing: it names nothing "这个" points to
            replied = None
        model_s = [0.0]  # the translation call's seconds: the eval's slow-CPU model counts it by its tokens
        translate = partial(self._translate, usage=usage, seconds=model_s) if self.settings.translate_english else None
        analysis = analyzer.analyze(
            question,
            previous=context,
            is_followup=bool(context) and analyzer.leans_on_previous(question),
            translate=translate,
            previous_answer=replied,
        )
        result = self.retriever.decide(self.retriever.retrieve(analysis, filters))
        result.extra["standalone_question"] = analysis.search_text if analysis.is_followup else question
        result.extra["previous"] = context or ""
        result.extra["retrieval_model_s"] = model_s[0]
        return result

    def _check(self, question: str) -> QuestionCheck:
        s = self.settings
        return check_question(question, s.max_question_chars, s.max_question_chars_english)

    def _translate(self, english: str, usage: Usage | None = None, seconds: list[float] | None = None) -> str:
        """English question → Chinese query: one short model call (prompts/translate.txt); its
        wall-clock time is added to `seconds[0]`."""
        t0 = time.perf_counter()
        try:
            out = "".join(
                self.backend.stream(translation_messages(english), self.settings.translate_max_tokens, 0.0, usage)
            )
        finally:  # a failed call took its time too (the analysis then falls back to the glossary)
            if seconds is not None:
                seconds[0] += time.perf_counter() - t0
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
    ) -> Iterator[Token | Evidence | Final]:
        """The answer's events: check → retrieve and decide → answer without or with the model."""
        t0 = time.perf_counter()
        check = self._check(question)
        turn = AnswerTurn(Prediction(id=qid, question=question), check, t0=t0)
        turn.pred.extra = {"language": check.language, "injection_suspected": check.injection}
        if route := self._screen(turn):
            yield self._finish(turn, route)
            return
        try:
            result = self.retrieve(check.text, history, filters, turn.usage)
        except ValueError as exc:  # bad history or filters from an API caller
            turn.pred.error = turn.pred.answer = str(exc)
            yield self._finish(turn, "rejected-input")
            return
        self._record_retrieval(turn, result)
        if route := "retrieval-only" if retrieval_only else self._answer_without_model(turn, result):
            yield self._finish(turn, route)
            return
        yield from self._answer_with_model(turn, result)

    def _screen(self, turn: AnswerTurn) -> str | None:
        """Questions answered before retrieval (empty, too long, a greeting): their route, else None."""
        check, pred = turn.check, turn.pred
        if check.kind in {"empty", "too_long"}:
            pred.error = "empty question" if check.kind == "empty" else f"question too long ({check.length} characters)"
            key = "empty" if check.kind == "empty" else "too_long"
            s = self.settings
            limit = question_char_limit(check.language, s.max_question_chars, s.max_question_chars_english)
            pred.answer = reply(key, turn.lang, length=check.length, limit=limit)
            return f"rejected-{check.kind}"
        if check.kind in {"greeting", "off_topic"}:
            pred.answer = reply("greeting", turn.lang)
            pred.declined = True
            return f"scoped-{check.kind}"
        return None

    def _record_retrieval(self, turn: AnswerTurn, result: RetrievalResult) -> None:
        pred = turn.pred
        pred.timings["retrieval_s"] = turn.elapsed()
        pred.retrieved = [s.to_contract() for s in result.clauses]
        pred.extra.update(
            confidence=round(result.confidence, 4),
            features=result.features.to_dict(),
            standalone_question=result.extra["standalone_question"],
            analysis=result.analysis.to_dict(),
            decided_by=result.decision.mechanism,
        )
        if result.extra.get("retrieval_model_s"):  # part of retrieval_s was the model (a translation)
            pred.extra["retrieval_model_s"] = round(result.extra["retrieval_model_s"], 4)
        if result.extra.get("evidence_moved_from") is not None:  # 0-based rank of the clause moved up
            pred.extra["evidence_moved_from"] = result.extra["evidence_moved_from"]
        if result.declined:
            pred.declined = True
            pred.extra["decline_reason"] = result.decline_reason

    def _answer_without_model(self, turn: AnswerTurn, result: RetrievalResult) -> str | None:
        """A targets listing, a department's units or a decline, composed by code: its route, else None."""
        pred = turn.pred
        if (listing := targets_reply(result.analysis, self.index, result.filters, turn.lang)) is not None:
            pred.declined, (pred.answer, cited) = False, listing
            pred.citations = [citation_object(b) for b in cited]
            turn.first_token()
            return "targets"
        if (units := self._units_block(turn, result)) is not None:
            answer = units_answer(units, turn.lang == "english")
            pred.declined, pred.answer = False, to_traditional(answer) if turn.lang == "traditional" else answer
            pred.citations = [citation_object(units)]
            turn.first_token()
            return "units"
        if result.declined:
            pred.answer, cited = self._decline_reply(result, turn.lang)
            pred.citations = [citation_object(b) for b in cited]
            turn.first_token()
            return "decline-" + result.decline_reason.split(":")[0]
        return None

    def _units_block(self, turn: AnswerTurn, result: RetrievalResult) -> Block | None:
        """The best clause, when all the question asks is which department acts on what that clause
        is about and the clause lists its units, clearly above the decline threshold (the gray zone
        goes to the judge and the model). Chinese only: an English question's department words are
        bare ("responsible enterprises"), and its answer call is not the only one anyway."""
        analysis = result.analysis
        if not self.settings.compose_units or turn.lang == "english" or result.declined or not result.clauses:
            return None
        if (
            analysis.multi_part
            or analysis.compare_docs
            or analysis.compare_words
            or analysis.answer_type != "department"
        ):
            return None
        if result.confidence < self.retriever.decline_threshold + self.settings.second_opinion_band:
            return None
        top = result.clauses[0]
        if not top.clause.responsible or (result.preferred_docs and top.clause.doc_id not in result.preferred_docs):
            return None  # no units, or another place's plan than the one asked about: the model says so
        # this turn's own words (a follow-up's topic may be the previous question's, or a new one)
        topic = units_topic(analysis.focus or analysis.repaired, top.clause.heading)
        if topic is None or not about_clause(topic, top.clause, self.retriever.idf, document_name_tokens([top])):
            return None  # asks more, or about something the clause only mentions: the model reads it
        return Block(1, top, top.clause.body)

    def _answer_with_model(self, turn: AnswerTurn, result: RetrievalResult) -> Iterator[Token | Evidence | Final]:
        plan = self._plan(turn, result)
        turn.meaning = self._meaning(turn, result.analysis)
        blocks = self._evidence(turn, plan)
        labels = tuple(dict.fromkeys(b.scored.clause.label for b in blocks if b.excerpt))  # what the prompt shows
        note = reply("citing", turn.lang, labels="、".join(labels))
        yield Evidence(labels, note, title_renamer(blocks))
        gray_zone = result.confidence < self.retriever.decline_threshold + self.settings.second_opinion_band
        # only just above the decline threshold: the judge decides before the model answers; reading
        # the answer's own prompt (Chinese), it leaves that prompt in the prefix cache for the answer
        verdict = (
            self._judge_about_prompt(turn, result, blocks, plan, GRAY_ZONE) if gray_zone and not plan.parts else None
        )
        judged = self._judge_prompt(turn, blocks, plan) if verdict is not None else None
        if verdict is not None:
            if judged is None:  # it read the top sentences: their tokens came out of the budget
                blocks = self._evidence(turn, plan)
            turn.pred.extra["judge"] = verdict.to_dict()
            if verdict.declined:  # only just above the threshold, and the judge reads no answer
                yield self._judged_decline(turn, result, "judge", "judge")
                return
        ctx = self._check_context(turn, result, blocks, plan)
        # not where a refusal declines (the gray zone) or a later part or side may stand on its own
        stop_after = 0 if gray_zone or plan.parts or plan.compare else self.settings.stop_unsupported_after
        completion = Completion(
            result, blocks, plan.asked_text, plan.query, turn.lang, self.settings, self._parent_text, plan.kind
        )
        # a gray-zone judge that read this very prompt left it in the prefix cache
        raw = yield from self._generate(
            turn, blocks, plan, ctx, stop_after, prompt_cached=judged is not None, completion=completion
        )
        # the model says it finds no answer, or writes nothing but "[1]" (a failed model is no opinion);
        # an answer the budget stopped had passed the checks, and its unfinished sentence says nothing
        budget_stop = turn.pred.extra.get("stopped") == "budget"
        if found_nothing(raw) and not plan.parts and not budget_stop and "llm_error" not in turn.pred.extra:
            if gray_zone:  # only just "answer", and the judge already said yes: a refusal declines
                if is_refusal(raw):
                    yield self._judged_decline(turn, result, "model-refusal", "model")
                    return
            else:  # a second opinion before quoting, about the prompt the model just read
                verdict = self._judge_about_prompt(turn, result, blocks, plan, AFTER_REFUSAL)
                if verdict is not None:
                    turn.pred.extra["judge"] = verdict.to_dict()
                    if verdict.declined:
                        yield self._judged_decline(turn, result, "judge", "judge")
                        return
        stopped = turn.pred.extra.get("stopped", "")
        # at RAG_MAX_NEW_TOKENS, past the time budget, or after sentences grounding drops: the
        # checks read the whole sentences written
        answer, cited, route = check_answer(raw, ctx, cut=stopped in {"length", "budget", "unsupported"})
        route += CUT_ROUTES.get(stopped, "")
        answer, cited, route = complete(answer, cited, route, completion)
        turn.first_token()
        turn.pred.answer = to_traditional(answer) if turn.lang == "traditional" else answer
        turn.pred.citations = [citation_object(b) for b in cited]
        yield self._finish(turn, route)

    def _check_context(
        self, turn: AnswerTurn, result: RetrievalResult, blocks: list[Block], plan: PromptPlan
    ) -> CheckContext:
        """What the checks of the model's answer read (rag/postchecks.py)."""
        analysis = result.analysis
        return CheckContext(
            blocks,
            plan.asked_text,
            plan.query,
            turn.lang == "english",
            self.retriever.idf,
            self._similarity,
            plan.parts,
            not (analysis.wants_draft or analysis.compare_docs),  # prefer_final
            plan.kind,
            tuple(result.preferred_docs),
            analysis.named_docs,
            analysis.earlier_questions,
            turn_words=frozenset(plan.turn_words),
            meaning=turn.meaning,
        )

    def _plan(self, turn: AnswerTurn, result: RetrievalResult) -> PromptPlan:
        """The clauses the prompt quotes and the question it asks."""
        analysis, lang = result.analysis, turn.lang
        groups = part_groups(result)
        if groups:
            chosen = {s.clause.clause_id: s for _, ranked in groups for s in ranked[: self.settings.prompt_k_part]}
            clauses = list(chosen.values())
        else:
            depth = self.settings.prompt_k_english if lang == "english" else self.settings.prompt_k
            # draft vs final: the aligned pair first
            clauses = pair_first(result.clauses[:depth], result, self.index, depth)
        # the model gets what is asked: typos repaired, who-is-asking and filler left out (English:
        # as typed; tried, its asking sentences only: no answer gained, and a premise such as
        # "Suppose my company wins the award." is left out with the context)
        asked = turn.check.text if lang == "english" or not analysis.ask else analysis.ask
        if analysis.is_followup:
            asked = with_previous(asked, result.extra["previous"])
        turn.pred.extra["prompt_question"] = asked
        asked_text = turn.check.text if lang == "english" else analysis.focus
        parts = [p for p, _ in groups] if groups else None
        compare = len(result.sides) > 1  # the compared documents the filters allowed
        kind_text = analysis.kind_text  # English: the question as typed
        if analysis.is_followup and not analysis.answer_type:
            # "那源城区呢？" asks what the previous question asked (a department, a figure)
            kind_text = f"{result.extra['previous'].split(QUESTION_SEP)[-1]} {kind_text}"
        return PromptPlan(
            result.normalized_query,
            asked_text,
            asked,
            clauses,
            parts,
            compare,
            kind_text,
            analysis.turn_words if self.settings.turn_words_first else (),
        )

    def _evidence(self, turn: AnswerTurn, plan: PromptPlan) -> list[Block]:
        return evidence_blocks(
            self.settings,
            plan,
            turn.lang,
            turn.usage.prompt_tokens,
            self._parent_text,
            self.retriever.idf,
            turn.meaning,
        )

    def _meaning(self, turn: AnswerTurn, analysis: QueryAnalysis) -> Meaning | None:
        """An English question's closeness in meaning to clause text (RAG_ENGLISH_MEANING); None for
        a Chinese question, whose words are the clauses' own, and for a follow-up, whose words as
        typed ("And Shaoguan?") mean little alone."""
        if not self.settings.english_meaning or turn.lang != "english" or analysis.is_followup:
            return None
        embedder = self.retriever.embedder
        asked = embedder.embed_query(turn.check.text)

        def similarity(texts: list[str]) -> list[float]:  # excerpts rank normalised text, quotes the clause's
            return [float(v @ asked) for v in embedder.clause_text_vectors([normalize(t) for t in texts])]

        return Meaning(similarity, self.settings.rrf_k)

    def _judge_about_prompt(
        self, turn: AnswerTurn, result: RetrievalResult, blocks: list[Block], plan: PromptPlan, stage: str
    ) -> JudgeVerdict | None:
        """The judge about the answer's prompt (`_judge_prompt`); in the gray zone its P(是) has its
        own bound (RAG_JUDGE_GRAY_MIN_YES). English: about the top sentences (`_judge_prompt`)."""
        prompt = self._judge_prompt(turn, blocks, plan)
        if prompt is None:
            return self._judge_evidence(result, blocks, stage, turn.usage, meaning=turn.meaning)
        return self._judge_evidence(result, blocks, stage, turn.usage, prompt, stage_min_yes(self.settings, stage))

    def _judge_prompt(self, turn: AnswerTurn, blocks: list[Block], plan: PromptPlan) -> list[Message] | None:
        """What the judge reads before its yes/no instruction: the answer's own prompt, so it is
        processed once for both calls. None for English, whose answer prompt asks for an English
        reply that a "是/否" would read against: the judge reads the top sentences and the question
        instead, out of the evidence budget. (Tried: the same clauses with the question's Chinese
        translation, which saved ~100-400 prompt tokens per judged English question but lost an
        answerable one on users-dev and on users-heldout-5; see the README.)"""
        return None if turn.lang == "english" else self._answer_prompt(turn, blocks, plan)

    def gray_zone_verdict(
        self, question: str, history: list | None = None, max_above: float | None = None
    ) -> tuple[RetrievalResult | None, JudgeVerdict | None]:
        """What the gray-zone judge says about the question's answer prompt, whatever its confidence
        up to `max_above` over the decline threshold; `python -m eval.judge_scores` fits
        RAG_JUDGE_GRAY_MIN_YES on these. The verdict is None where no judge would run (answered
        before retrieval, declined, a targets listing or units, multi-part, farther above, judge off) or the
        model fails; the result is None for a question answered before retrieval."""
        check = self._check(question)
        turn = AnswerTurn(Prediction(id="", question=question), check)
        if self._screen(turn):
            return None, None
        result = self.retrieve(check.text, history, usage=turn.usage)
        above = result.confidence - self.retriever.decline_threshold
        if (
            (max_above is not None and above >= max_above)
            or part_groups(result)
            or self._answer_without_model(turn, result)  # a targets listing, units or a decline
        ):
            return result, None
        plan = self._plan(turn, result)
        turn.meaning = self._meaning(turn, result.analysis)  # as `_answer_with_model` chooses the excerpts
        return result, self._judge_about_prompt(turn, result, self._evidence(turn, plan), plan, GRAY_ZONE)

    def _answer_prompt(self, turn: AnswerTurn, blocks: list[Block], plan: PromptPlan) -> list[Message]:
        return answer_messages(blocks, plan.asked, turn.lang, kind=plan.kind)

    def _generate(
        self,
        turn: AnswerTurn,
        blocks: list[Block],
        plan: PromptPlan,
        ctx: CheckContext | None = None,
        stop_after: int = 0,
        prompt_cached: bool = False,
        completion: Completion | None = None,
    ) -> Iterator[Token]:
        """Stream the model's answer as `Token`s; returns the raw text (a failed model leaves it short).
        Stopped at RAG_MAX_NEW_TOKENS, in a loop, (with `ctx` and `stop_after`) once grounding drops
        that many of its whole sentences and keeps nothing that says anything
        (`postchecks.nothing_supported`), or (with `ctx` and `completion`) past the time budget at
        the first whole sentence where the answer covers the question (`covers_question`):
        `extra.stopped` says which. An answer that does not cover it yet writes on."""
        raw = ""
        checked = 0  # characters of whole sentences already checked
        stop_after = stop_after if ctx is not None else 0
        messages = self._answer_prompt(turn, blocks, plan)
        new_prompt_chars = 0
        if self.settings.answer_time_budget_s and not prompt_cached:  # only the time budget reads it
            new_prompt_chars = len(messages[-1]["content"]) - self.backend.cached_prefix_chars(messages)
        # past this many pieces (about a token each) the budget is spent: stop once the answer covers the question
        budget_tokens = generation_tokens(self.settings, turn.usage, new_prompt_chars)
        watch_budget = budget_tokens < self.settings.max_new_tokens and ctx is not None and completion is not None
        budget = _BudgetWatch(budget_tokens) if watch_budget else None
        turn.usage.finish_reason = ""
        pieces = self.backend.stream(messages, self.settings.max_new_tokens, self.settings.temperature, turn.usage)
        try:
            for piece in pieces:
                turn.first_token()
                raw += piece
                yield Token(piece)
                if is_degenerate(raw):  # a loop only costs time from here on: the checks cut it anyway
                    turn.pred.extra["stopped"] = "repetition"
                    break
                if stop_after and (whole := len(whole_sentences(raw))) > checked:  # a sentence ended
                    checked = whole
                    if nothing_supported(raw, ctx, stop_after):
                        turn.pred.extra["stopped"] = "unsupported"
                        break
                if budget is not None and budget.sentence_done(raw) and covers_question(raw, ctx, completion):
                    turn.pred.extra["stopped"] = "budget"
                    break
        except (LLMError, ModelError) as exc:
            turn.pred.extra["llm_error"] = str(exc)
        finally:
            pieces.close()  # ends the model call now (and releases the model's lock)
        if turn.usage.finish_reason == "length" and "stopped" not in turn.pred.extra:
            turn.pred.extra["stopped"] = "length"
        turn.pred.extra["raw_answer"] = raw
        return raw

    def _judged_decline(self, turn: AnswerTurn, result: RetrievalResult, reason: str, decided_by: str) -> Final:
        """A decline after the decision said "answer": the judge or the model found no answer."""
        pred = turn.pred
        pred.declined = True
        pred.extra["decline_reason"] = reason
        pred.extra["decided_by"] = decided_by
        pred.answer, cited = self._decline_reply(result, turn.lang)
        pred.citations = [citation_object(b) for b in cited]
        turn.first_token()
        return self._finish(turn, "decline-" + reason)

    def _finish(self, turn: AnswerTurn, route: str) -> Final:
        """The last event: validity notes for superseded/expired citations, usage, route and times."""
        pred = turn.pred
        pred.extra["usage"] = turn.usage.to_dict()
        for line in validity_lines(pred.citations, self.index.documents):  # cites a superseded/expired text
            pred.answer += "\n" + reply(line.key, turn.lang, **line.values)
        self.paths[route] += 1
        pred.extra["route"] = route  # not "path": API clients read a "path" key as a file
        pred.timings.setdefault("retrieval_s", None)
        pred.timings.setdefault("first_token_s", None)
        pred.timings["total_s"] = turn.elapsed()
        return Final(pred)

    def _decline_reply(self, result: RetrievalResult, lang: str) -> tuple[str, list[Block]]:
        return decline_reply(result, lang, self.settings, self.index.documents, self._parent_text)

    def _parent_text(self, scored) -> str:
        return "\n".join(c.text for c in self.index.ancestors(scored.clause))

    def _similarity(self, answer: str, texts: list[str]) -> list[float]:
        embedder = self.retriever.embedder
        a = embedder.embed_query(answer)
        return [float(v @ a) for v in embedder.embed_passages(texts)]
