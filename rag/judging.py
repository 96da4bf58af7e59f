"""The yes/no judge's call in an answer: in the decision's gray zone, and after the model refuses
(or writes nothing but citations).

For a Chinese question the judge (rag/answerability.py `ModelJudge`) is asked about the answer's
own prompt, with the yes/no instruction appended: after a refusal the model has just processed that
prompt, and in the gray zone the answer that follows finds it in the prefix cache; either way the
prompt is processed once. An English answer prompt asks for an English reply, so there the judge
reads the top clause sentences and the question (~100 tokens, out of the answer's one budget).
"""

from __future__ import annotations

from rag.answerability import JudgeVerdict, ModelJudge
from rag.config import Settings
from rag.errors import ModelError
from rag.excerpts import Block, Meaning, top_sentences
from rag.llm import ChatBackend, LLMError, Message, Usage
from rag.prompting import with_previous
from rag.retrieval import RetrievalResult

GRAY_ZONE = "gray-zone"  # the stage before the answer, for a confidence just above the decline threshold
AFTER_REFUSAL = "refusal"  # the stage after the model found no answer


def stage_min_yes(settings: Settings, stage: str) -> float | None:
    """The P(是) bound of a stage: the gray zone's own (its judge reads the whole answer prompt,
    where P(是) runs higher); None, the judge's own bound, after a refusal."""
    return settings.judge_gray_min_yes if stage == GRAY_ZONE else None


def judge_evidence(
    judge: ModelJudge,
    backend: ChatBackend,
    result: RetrievalResult,
    blocks: list[Block],
    stage: str,
    usage: Usage | None = None,
    sentences: int = 2,
    answer_prompt: list[Message] | None = None,
    min_yes: float | None = None,
    meaning: Meaning | None = None,
) -> JudgeVerdict | None:
    """Ask the judge whether the answer's prompt (`answer_prompt`, when given), else the top
    sentences, answer what is asked (Chinese: the translation for English), declining below
    `min_yes` (default: the judge's own); None when there is nothing to judge or the model fails
    (the other checks still run). `meaning` (English) ranks the top sentences as the excerpts are."""
    analysis = result.analysis
    question = analysis.translation or analysis.ask or analysis.focus
    if analysis.earlier_questions:  # "那源城区呢？" asks nothing on its own
        question = with_previous(question, analysis.earlier_questions)
    top = [] if answer_prompt else top_sentences(analysis.focus, result.normalized_query, blocks, sentences, meaning)
    if not (answer_prompt or top):
        return None
    if usage is not None or min_yes is not None:
        judge = ModelJudge(
            lambda messages, yes, no: backend.yes_probability(messages, yes, no, usage),
            judge.system,
            judge.template,
            judge.min_yes if min_yes is None else min_yes,
            judge.instruction,
        )
    try:
        if answer_prompt:
            return judge.judge_after(answer_prompt, stage)
        return judge.judge(question, top, stage)
    except (LLMError, ModelError):
        return None
