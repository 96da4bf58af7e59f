"""The evidence rules of rag/answerability.py on real clauses, without any model: does a top clause
state the asked-for thing about the focus, for the time and level asked?"""

from __future__ import annotations

import numpy as np
import pytest

from rag.answerability import EvidenceJudge
from rag.confidence import ConfidenceModel
from rag.index import parse_corpus
from rag.query import QueryAnalyzer
from rag.retrieval import ScoredClause
from rag.retrieve.sparse import idf_table
from rag.text import tokens


@pytest.fixture(scope="module")
def corpus(settings):
    infos, clauses, chunks = parse_corpus(settings)
    docs = {d.doc_id: d for d in infos}
    idf = idf_table([tokens(c.embed_text) for c in chunks])
    analyzer = QueryAnalyzer(docs, [c.text for c in clauses], idf)
    # a model that always answers: only the evidence rules can decline here
    always = ConfidenceModel([0.0] * 5, 10.0, [0.0] * 5, [1.0] * 5, threshold=0.5)
    judge = EvidenceJudge(
        [c.text for c in clauses],
        [d.title for d in infos],
        idf,
        always,
        topic_words=analyzer.topic_words,
        evidence_search_k=settings.evidence_search_k,
    )
    by_id = {c.clause_id: c for c in clauses}
    return analyzer, judge, by_id, docs


def decide(corpus, question: str, clause_ids: list[str]):
    analyzer, judge, by_id, docs = corpus
    ranked = [ScoredClause(by_id[i], docs[by_id[i].doc_id], 1.0, 0.9, 1.0, i) for i in clause_ids]
    return judge.decide(analyzer.analyze(question), ranked, np.array([0.9, 0.8, 0.85], dtype=np.float32))


TESTING_BODIES = "dongguan-2024-plan/2.6.17"  # "力争到2025年全市检验检测认证机构达450家以上"
QUALITY_LOAN = "dongguan-2024-plan/2.4.11"  # 质量贷, no rate, no procedure


def test_a_target_answers_a_question_about_the_target(corpus):
    d = decide(corpus, "东莞到2025年检验检测认证机构要达到多少家？", [TESTING_BODIES])
    assert not d.declined, d.reason


def test_a_target_does_not_answer_a_question_about_today(corpus):
    d = decide(corpus, "东莞现在有多少家检验检测机构？", [TESTING_BODIES])
    assert d.declined and d.reason == "current"


def test_a_local_plan_does_not_answer_a_national_figure(corpus):
    d = decide(corpus, "全国一共有多少家检验检测认证机构？", [TESTING_BODIES])
    assert d.declined and d.reason == "national"


def test_a_clause_that_sets_up_a_product_does_not_answer_how_to_apply(corpus):
    d = decide(corpus, "东莞的质量贷具体怎么申请？", [QUALITY_LOAN])
    assert d.declined and d.reason == "answer-type:procedure"


def test_a_rate_must_be_stated_about_the_focus(corpus):
    d = decide(corpus, "东莞市“质量贷”的贷款利率是多少？", [QUALITY_LOAN, TESTING_BODIES])
    assert d.declined and d.reason == "answer-type:rate"


def test_a_question_the_clause_answers_is_not_declined(corpus):
    d = decide(corpus, "我在东莞开厂，资金紧张，听说市里有帮企业贷款的金融产品？", [QUALITY_LOAN])
    assert not d.declined, d.reason


def test_model_judge_declines_below_its_threshold_and_reports_its_time():
    from rag.answerability import ModelJudge

    seen = []

    def yes_probability(messages, yes, no):
        seen.append(messages[-1]["content"])
        return 0.3 if "外卖" in messages[-1]["content"] else 0.95

    judge = ModelJudge(yes_probability, "system", "条款：{clauses}\n问题：{question}", 0.8, "是否回答？")
    no = judge.judge("外卖平台有什么要求？", ["加强食品安全监管。"], "gray-zone")
    yes = judge.judge("食品安全由谁监管？", ["加强食品安全监管。"], "refusal")
    assert no.declined and not yes.declined and no.seconds >= 0
    assert seen[0] == "条款：加强食品安全监管。\n问题：外卖平台有什么要求？\n是否回答？"
    assert no.to_dict()["stage"] == "gray-zone"
    with pytest.raises(ValueError):
        ModelJudge(yes_probability, "s", "t", 1.5, "i")


def test_the_judge_after_an_answer_asks_about_the_answers_own_prompt():
    from rag.answerability import ModelJudge

    seen = []

    def yes_probability(messages, yes, no):
        seen.append(messages)
        return 0.9

    prompt = [{"role": "system", "content": "system"}, {"role": "user", "content": "条款：\n[1] 甲\n\n问题：乙？"}]
    verdict = ModelJudge(yes_probability, "system", "unused {clauses} {question}", 0.8, "是否回答？").judge_after(
        prompt, "refusal"
    )
    assert not verdict.declined and verdict.stage == "refusal"
    # the answer's prompt unchanged up to its end (the model's prefix cache), then the instruction
    assert seen[0][0] == prompt[0] and seen[0][1]["content"] == prompt[1]["content"] + "\n是否回答？"
    assert prompt[1]["content"].endswith("乙？")  # the caller's prompt is not modified


def test_a_backend_without_logits_reads_the_first_word():
    from rag.llm import _answered_yes

    assert _answered_yes("是。", "是", "否") == 1.0
    assert _answered_yes(" 否", "是", "否") == 0.0
    assert _answered_yes("不确定", "是", "否") == 0.5


def test_an_article_number_states_no_count():
    from rag.lexicon import load_lexicon

    states = load_lexicon().answer_type("count").states
    assert not states.search("提高中小微企业质量管理能力”(第十四条)") and not states.search("见第3条")
    assert states.search("新增检验检测机构3家") and states.search("分为三类")


NOTICE = "dongguan-2023-draft/pre2"  # the draft's notice: contact, e-mail and postal address


def _result(corpus, question: str, clause_ids: list[str]):
    from rag.retrieve.types import RetrievalFilters, RetrievalResult

    analyzer, _, by_id, docs = corpus
    ranked = [ScoredClause(by_id[i], docs[by_id[i].doc_id], 1.0, 0.9, 1.0, i) for i in clause_ids]
    return RetrievalResult(question, question, ranked, [], RetrievalFilters(), 0.0, analyzer.analyze(question))


def test_a_clause_further_down_that_states_the_asked_for_thing_moves_up(corpus):
    _, judge, _, _ = corpus
    others = [TESTING_BODIES, QUALITY_LOAN, "dongguan-2024-plan/3.3"]
    result = _result(corpus, "东莞市场监督管理局在哪个办公区办公？地址是什么？", [*others, NOTICE])
    assert judge.evidence_first(result) == 3
    assert [s.clause.clause_id for s in result.clauses] == [TESTING_BODIES, QUALITY_LOAN, NOTICE, others[2]]
    # a question whose top clauses already state the asked-for thing keeps its ranking
    result = _result(corpus, "东莞到2025年检验检测认证机构要达到多少家？", [TESTING_BODIES, *others[1:], NOTICE])
    assert judge.evidence_first(result) is None and result.clauses[2].clause.clause_id == others[2]


def test_a_compared_side_leads_with_the_clause_stating_the_figure_about_more_of_the_topic(corpus):
    _, judge, by_id, docs = corpus
    ids = ["dongguan-2023-draft/1.2.b4", "dongguan-2023-draft/1.2.p1", "dongguan-2023-draft/1.2.b1"]
    side = [ScoredClause(by_id[i], docs[by_id[i].doc_id], 1.0, 0.9, 1.0, i) for i in ids]
    ask = "制造业产品质量合格率定了多少？"  # b4 says 制造业质量竞争力指数达到94, b1 制造业产品质量合格率达到94%
    assert judge.promote_stating(side, ask, "", 1) == 2  # the kind (count) read from the ask
    assert side[0].clause.clause_id == ids[2]
    assert judge.promote_stating(side, ask, "", 1) is None  # already first: unchanged


def test_an_english_question_is_anchored_by_the_glossary_chinese_for_its_words(corpus):
    """A translation paraphrases (措施 where the plans say 举措): the glossary's Chinese for the
    English words ("measures" → 举措 措施) anchors the clause that states the count."""
    _, judge, by_id, docs = corpus
    ids = ["shaoguan-interpretation/pre1", "shaoguan-interpretation/1.3", "shaoguan-interpretation/1.1"]
    counted = "shaoguan-interpretation/2"  # "提出了23条实实在在的举措"
    ranked = [ScoredClause(by_id[i], docs[by_id[i].doc_id], 1.0, 0.9, 1.0, i) for i in [*ids, counted]]
    english = "How many measures are set out in Shaoguan's plan?"
    translation = "韶关的方案列出了多少项措施？"
    # the translation alone anchors on 韶关, which no count sentence of these clauses names
    assert judge.promote_stating(list(ranked), translation, "", 3, "count") is None
    assert judge.promote_stating(ranked, translation, english, 3, "count") == 3
    assert ranked[2].clause.clause_id == counted


def test_each_stretch_of_the_question_counts_once_among_the_missing_words():
    from rag.answerability import _without_compounds

    idf = {"法律": 3.5, "义务": 3.7, "企业": 0.8}
    # a compound the plans never use, spelled out by words they do use: its parts carry it
    assert _without_compounds(["企业", "法律", "义务", "法律义务"], idf) == ["企业", "法律", "义务"]
    # a word the plans never use counts at its longest, not also as its pieces
    assert _without_compounds(["有助", "助于", "有助于", "企业"], idf) == ["有助于", "企业"]
    # half spelled out by the plans' words: still a missing word, counted once
    assert _without_compounds(["法律", "援助", "法律援助"], idf) == ["法律", "法律援助"]


def test_words_naming_the_version_asked_for_are_not_missing_topic_words(corpus):
    from dataclasses import replace

    analyzer, judge, by_id, docs = corpus
    ids = ["dongguan-2023-draft/1.2.b1", "dongguan-2023-draft/1.2.b4"]
    ranked = [ScoredClause(by_id[i], docs[by_id[i].doc_id], 1.0, 0.9, 1.0, i) for i in ids]
    dense = np.array([0.9, 0.8], dtype=np.float32)
    analysis = analyzer.analyze("东莞制造业产品质量合格率，草稿版和正式版分别是多少？")
    assert analysis.versions  # the version reading has used 草稿版 / 正式版
    read = judge.features(analysis, ranked, dense)
    unread = judge.features(replace(analysis, versions=()), ranked, dense)  # as if no version were read
    assert read.coverage > unread.coverage and read.missing_rarity < unread.missing_rarity


def test_a_year_written_short_is_the_year_the_plans_mention(corpus):
    _, judge, _, _ = corpus
    assert "25" not in judge.corpus_numbers and "2025" in judge.corpus_numbers
    assert judge._unseen_number("那到25年要实现啥目标") == ""  # 2025
    assert judge._unseen_number("16-17年的计划") == ""
    assert "24" not in judge.corpus_numbers and judge._unseen_number("24-25年的目标") == ""  # each of a range
    assert judge._unseen_number("到2031年的目标") == "2031"  # a year the plans never mention
    assert judge._unseen_number("那到25个镇街呢") == "25"  # not a year
    assert judge._unseen_number("到31年的目标") == "31"  # 2031: not in the plans either
