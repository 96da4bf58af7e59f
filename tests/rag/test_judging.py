"""rag/judging.py's plumbing, with a recorded P(是) in place of the model (the real model's judge is
tested in test_answer.py): which prompt the judge reads and which bound declines."""

from __future__ import annotations

from types import SimpleNamespace

from rag.answerability import ModelJudge
from rag.judging import judge_evidence
from rag.llm import Usage
from rag.query import QueryAnalysis

ANSWER_PROMPT = [{"role": "system", "content": "系统"}, {"role": "user", "content": "条款：\n[1] 甲\n\n问题：乙？"}]


def _setup(p_yes: float):
    seen: list = []

    def yes_probability(messages, yes, no, usage=None):
        seen.append((messages, usage))
        return p_yes

    judge = ModelJudge(
        lambda m, y, n: yes_probability(m, y, n), "系统", "条款：{clauses}\n问题：{question}", 0.75, "是否？"
    )
    analysis = QueryAnalysis(
        question="乙？", language="simplified", normalized="乙？", repaired="乙？", ask="乙？", focus="乙"
    )
    result = SimpleNamespace(analysis=analysis, normalized_query="乙")
    return judge, SimpleNamespace(yes_probability=yes_probability), result, seen


def test_a_stage_bound_overrides_the_judges_own():
    judge, backend, result, _ = _setup(0.9)
    own = judge_evidence(judge, backend, result, [], "refusal", answer_prompt=ANSWER_PROMPT)
    gray = judge_evidence(judge, backend, result, [], "gray-zone", answer_prompt=ANSWER_PROMPT, min_yes=0.93)
    assert not own.declined and gray.declined and gray.stage == "gray-zone"


def test_the_answer_prompt_is_read_with_the_instruction_and_counted():
    judge, backend, result, seen = _setup(0.9)
    usage = Usage()
    judge_evidence(judge, backend, result, [], "gray-zone", usage, answer_prompt=ANSWER_PROMPT, min_yes=0.93)
    messages, counted = seen[0]
    assert messages[0] == ANSWER_PROMPT[0] and messages[1]["content"] == ANSWER_PROMPT[1]["content"] + "\n是否？"
    assert counted is usage


def test_only_the_gray_zone_uses_its_own_bound():
    from rag.config import Settings
    from rag.judging import AFTER_REFUSAL, GRAY_ZONE, stage_min_yes

    settings = Settings(judge_gray_min_yes=0.5)
    assert stage_min_yes(settings, GRAY_ZONE) == 0.5 and stage_min_yes(settings, AFTER_REFUSAL) is None


def test_without_the_answer_prompt_the_judge_reads_the_top_sentences_ranked_by_meaning_too():
    """English: the judge reads the sentences the excerpts would show first, words and meaning fused:
    by words the pass rate (the only sentence sharing the query's word), with meaning the pledge (the
    closest in meaning, last in the clause)."""
    from rag.excerpts import Meaning
    from tests.rag.hand_blocks import FINAL, block

    judge, backend, result, seen = _setup(0.9)
    result.normalized_query = "合格率"
    blocks = [block(1, FINAL, "产品合格率达到98%。加强质量基础设施建设。推动企业质押融资。")]
    closeness = {"质押": 0.9, "基础": 0.85}
    pledge = Meaning(lambda texts: [next((c for w, c in closeness.items() if w in t), 0.8) for t in texts], 20)
    judge_evidence(judge, backend, result, blocks, "gray-zone", sentences=1)
    judge_evidence(judge, backend, result, blocks, "gray-zone", sentences=1, meaning=pledge)
    by_words, by_meaning = (messages[-1]["content"] for messages, _ in seen)
    assert "合格率" in by_words and "质押" not in by_words
    assert "质押" in by_meaning and "合格率" not in by_meaning
