"""The hybrid ranker and the decision on a tiny corpus with a fake embedder: a question analysed
for real (rag/query.py), ranked (rag/retrieve/hybrid.py) and decided (rag/answerability.py), in
milliseconds and without any model."""

from __future__ import annotations

from dataclasses import replace

import pytest

from rag.answerability import EvidenceJudge
from rag.confidence import ConfidenceModel
from rag.config import Settings
from rag.query import QueryAnalyzer
from rag.retrieve.hybrid import HybridRanker
from rag.retrieve.prefer import Preference
from rag.retrieve.sparse import idf_table
from rag.retrieve.types import RetrievalFilters

ANY = RetrievalFilters()


@pytest.fixture(scope="module")
def stage(tiny_index, fake_embedder, tiny_settings):
    idf = idf_table(tiny_index.chunk_tokens)
    texts = [c.text for c in tiny_index.clauses]
    analyzer = QueryAnalyzer(tiny_index.documents, texts, idf)
    ranker = HybridRanker(tiny_index, fake_embedder, tiny_settings)
    always = ConfidenceModel([0.0] * 5, 10.0, [0.0] * 5, [1.0] * 5, threshold=0.5)  # only the rules decline
    titles = [d.title for d in tiny_index.documents.values()]
    judge = EvidenceJudge(texts, titles, idf, always, topic_words=analyzer.topic_words)
    return analyzer, ranker, judge


def ranked_ids(stage, question, filters=ANY, k=4):
    analyzer, ranker, _ = stage
    return [s.clause.clause_id for s in ranker.run(analyzer.analyze(question), filters, k).clauses]


def test_the_place_named_is_preferred_and_drafts_only_when_asked_for(stage):
    assert ranked_ids(stage, "东莞对品牌建设有什么支持？")[0] == "dg-plan/1"
    assert ranked_ids(stage, "广东省对品牌建设有什么支持？")[0] == "gd-plan/1"
    assert ranked_ids(stage, "东莞征求意见稿的品牌建设怎么说？")[0] == "dg-draft/1"


def test_filters_hold_and_a_short_list_is_topped_up_by_cosine(stage):
    only_gd = ranked_ids(stage, "品牌建设", RetrievalFilters(regions=("广东省",)))
    assert only_gd == ["gd-plan/1", "gd-plan/2"]  # all the province has: the top-up adds no other place
    assert len(ranked_ids(stage, "计量", k=4)) == 4  # BM25 finds one clause; cosine fills the rest


def test_either_search_alone_ranks_and_neither_is_refused(stage, tiny_index, fake_embedder, tiny_settings):
    analyzer = stage[0]
    analysis = analyzer.analyze("检验检测机构")
    for flags in ({"use_dense": False}, {"use_bm25": False}):
        ranker = HybridRanker(tiny_index, fake_embedder, tiny_settings, **flags)
        assert ranker.run(analysis, RetrievalFilters(), 2).clauses[0].clause.clause_id == "dg-plan/2"
    with pytest.raises(ValueError):
        HybridRanker(tiny_index, fake_embedder, tiny_settings, use_dense=False, use_bm25=False)


def test_a_comparison_ranks_each_side_and_puts_both_first(stage):
    analyzer, ranker, _ = stage
    analysis = analyzer.analyze("广东省和东莞市的品牌建设有什么不同？")
    assert set(analysis.compare_docs) >= {"gd-plan", "dg-plan"}
    result = ranker.run(analysis, RetrievalFilters(include_drafts=False), 4)
    assert set(result.sides) == {"gd-plan", "dg-plan"}  # the draft side is filtered out
    assert {s.clause.doc_id for s in result.clauses[:2]} == {"gd-plan", "dg-plan"}


def decide(stage, question):
    analyzer, ranker, judge = stage
    return judge.decide_result(ranker.run(analyzer.analyze(question), RetrievalFilters(), 4))


def test_the_decline_rules_on_the_tiny_corpus(stage):
    assert decide(stage, "深圳对品牌建设有什么奖励？").decline_reason.startswith("place")
    assert decide(stage, "东莞到2031年检验检测机构达到多少家？").decline_reason == "number:2031"
    answered = decide(stage, "东莞到2025年检验检测机构达到多少家？")
    assert not answered.declined and answered.decision is not None and answered.features is not None


def test_a_multi_part_question_is_declined_only_when_no_part_is_answered(stage):
    analyzer, ranker, judge = stage
    analysis = analyzer.analyze("东莞检验检测机构要达到多少家？另外深圳品牌建设怎么奖励？")
    assert analysis.multi_part
    result = judge.decide_result(ranker.run(analysis, RetrievalFilters(), 4))
    assert len(result.parts) == len(result.part_decisions) == 2
    assert not result.declined
    single = replace(analysis, parts=())
    assert not judge.decide_result(ranker.run(single, RetrievalFilters(), 4)).part_decisions


def test_each_part_and_each_compared_side_is_ordered_by_the_evidence_test(stage, tiny_index, fake_embedder):
    """The ranker hands every part's and every side's ranking to the evidence judge's ordering
    (`promote_stating`, tested on real clauses in tests/rag/test_answerability.py)."""
    analyzer, _, _ = stage
    calls = []

    def promote(ranked, ask, english, places, kind):
        calls.append((ask, places, kind, len(ranked)))
        return None

    settings = replace(Settings(), top_k=4, evidence_search_k=4)
    ranker = HybridRanker(tiny_index, fake_embedder, settings, promote=promote)
    parts = analyzer.analyze("东莞检验检测机构要达到多少家？另外品牌建设怎么奖励？")
    ranker.run(parts, RetrievalFilters(), 4)
    assert parts.multi_part and len(calls) == len(parts.parts) == 2
    assert [(c[0], c[1], c[2]) for c in calls] == [(p.text, settings.prompt_k_part, None) for p in parts.parts]
    calls.clear()
    compare = analyzer.analyze("广东省和东莞市的品牌建设有什么不同？")
    ranker.run(compare, RetrievalFilters(include_drafts=False), 4)
    assert len(calls) == 2 and all(c[1] == 1 and c[2] == compare.answer_type for c in calls)
    assert all(c[3] <= max(settings.compare_slots, settings.evidence_search_k) for c in calls)


LONG_CLAUSE = (
    "三、综合保障。完善组织领导体系，压实各级责任。加强宣传引导，营造良好氛围。强化督促检查，定期通报进展。"
    "健全统计监测，推进信息共享。完善考核评价，落实激励措施。加大财政投入，保障工作经费。"
    "推动计量校准服务进园区，降低企业检定费用。"
)


@pytest.fixture(scope="module")
def parts_index(fake_embedder):
    """A corpus where the answer is one sentence at the end of a long clause, and a short clause
    shares the question's general words (企业, 降低, 费用); `make(parts)` builds it with or without parts."""
    from pathlib import Path

    import faiss

    from rag.clauses import Chunk, Clause
    from rag.index import CorpusIndex, SearchParts, search_parts_of
    from rag.text import tokens

    from .conftest import DIM, DOCS

    texts = [
        ("gd-plan/4", "四、", "企业服务", "四、企业服务。帮助企业降低费用。"),
        ("gd-plan/3", "三、", "综合保障", LONG_CLAUSE),
        ("dg-plan/1", "一、", "品牌建设", "一、品牌建设。对获得名牌称号的企业给予奖励。"),
    ]
    clauses = [
        Clause(cid, cid.split("/")[0], "section", num, [], f"{num}{head}", head, text, order=i)
        for i, (cid, num, head, text) in enumerate(texts)
    ]

    def vectors(chunks):
        index = faiss.IndexFlatIP(DIM)
        index.add(fake_embedder.embed_passages([c.embed_text for c in chunks]))
        return index

    def make(parts: bool) -> CorpusIndex:
        chunks = [Chunk(c.clause_id, c.clause_id, c.text, c.heading) for c in clauses]
        search = None
        if parts:
            units = search_parts_of(clauses, 30)
            search = SearchParts(units, [tokens(u.embed_text) for u in units], vectors(units))
        return CorpusIndex(
            {d.doc_id: d for d in DOCS}, clauses, chunks, [tokens(c.embed_text) for c in chunks],
            vectors(chunks), None, Path("tiny"), search,
        )  # fmt: skip

    return make


def test_a_long_clause_ranks_by_the_part_that_answers(parts_index, fake_embedder, tiny_settings):
    """Searched whole, the long clause's one sentence on inspection fees in parks is diluted by the
    rest and the short clause on fees in general comes first; searched by parts too, the answer does."""
    without, with_parts = parts_index(False), parts_index(True)
    assert len(with_parts.parts.chunks) > len(with_parts.clauses)  # the long clause is cut, the short ones are whole
    texts = [c.text for c in with_parts.clauses]
    analyzer = QueryAnalyzer(with_parts.documents, texts, idf_table(without.chunk_tokens))
    analysis = analyzer.analyze("园区企业检定费用怎么降低？")

    def first(index):
        result = HybridRanker(index, fake_embedder, tiny_settings).run(analysis, ANY, 3)
        return result.clauses[0].clause.clause_id, result

    assert first(without)[0] == "gd-plan/4"
    top, result = first(with_parts)
    assert top == "gd-plan/3"
    # the decision reads the whole clauses' scores, not the parts': a sharper part does not raise them
    _, plain = first(without)
    assert result.dense.shape == (len(with_parts.chunks),)
    assert result.dense == pytest.approx(plain.dense)
    plain_by_id = {s.clause.clause_id: s for s in plain.clauses}
    for s in result.clauses:
        assert (s.dense, s.bm25) == pytest.approx(
            (plain_by_id[s.clause.clause_id].dense, plain_by_id[s.clause.clause_id].bm25)
        )
    # RAG_SEARCH_PART_CHARS=0 turns the parts off, whatever the index holds
    off = HybridRanker(with_parts, fake_embedder, replace(tiny_settings, search_part_chars=0)).run(analysis, ANY, 3)
    assert [s.clause.clause_id for s in off.clauses] == [s.clause.clause_id for s in plain.clauses]


def test_an_english_question_is_decided_on_the_cosines_of_its_chinese_focus(stage):
    """The decision's calibration was fitted on cosines of Chinese queries; an English question's
    mixed search text scores lower for the same clauses, so it is decided on its translation's
    focus. Without a model translation (the glossary's terms) it keeps its search text's."""
    analyzer, ranker, _ = stage
    question = "What support does Dongguan give to brand building?"
    anywhere = Preference(frozenset(), False)

    def cosines(text):
        return ranker.rank(text, anywhere, ANY, 4)[1]

    analyzer.translate = lambda english: "东莞对品牌建设有什么支持？"
    try:
        translated = analyzer.analyze(question)
    finally:
        analyzer.translate = None
    dense = ranker.run(translated, ANY, 4).dense
    assert (dense == cosines(translated.focus)).all()
    assert not (dense == cosines(translated.search_text)).all()
    assert ranker._second_query(translated) == translated.focus  # and it is searched too, lighter
    glossary_only = analyzer.analyze(question)
    assert (ranker.run(glossary_only, ANY, 4).dense == cosines(glossary_only.search_text)).all()
    # an English follow-up's focus ("谁负责？") needs the earlier question, which is English: as before
    analyzer.translate = lambda english: "谁负责？"
    try:
        followup = analyzer.analyze("Who leads it?", previous=question, is_followup=True)
    finally:
        analyzer.translate = None
    assert followup.earlier_topic and ranker._second_query(followup) == ""
    assert (ranker.run(followup, ANY, 4).dense == cosines(followup.search_text)).all()
