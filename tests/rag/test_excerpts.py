"""Prompt excerpts and blocks, on hand-made blocks (no model needed)."""

from __future__ import annotations

import pytest

from rag.excerpts import build_blocks, idf_weight, prompt_lines, select_sentences, turn_first
from tests.rag.hand_blocks import B1, B2, B3


def test_prompt_lines_carry_units_and_document_facts_only_when_asked():
    assert "责任单位" not in "".join(prompt_lines([B3], "企业质量管理有什么要求？"))
    assert "责任单位：市市场监管局" in prompt_lines([B3], "这项工作由哪个部门负责？")[1]
    header = prompt_lines([B3], "方案的文号是什么？")[0]
    assert "東府辦〔2024〕3號" in header.replace("东府办〔2024〕3号", "東府辦〔2024〕3號")
    assert "文件信息" not in prompt_lines([B3], "企业质量管理有什么要求？")[0]
    assert "（征求意见稿）" in prompt_lines([B1], "目标？")[0]


def test_prompt_lines_name_each_document_once_per_run_of_its_clauses():
    lines = prompt_lines([B1, B2, B3], "目标？")
    # draft, then the final plan's two clauses under one title line
    assert [line.startswith("《") for line in lines] == [True, False, True, False, False]
    assert lines[1].startswith("[1]") and lines[3].startswith("[2]") and lines[4].startswith("[3]")
    assert sum(B2.scored.document.prompt_name in line for line in lines) == 1
    # back to a document already named: named again, so no clause reads as another document's
    assert [line.startswith("《") for line in prompt_lines([B2, B1, B3], "目标？")] == [True, False] * 3


def test_blocks_without_an_excerpt_are_numbered_last_so_the_prompt_has_no_gaps():
    from dataclasses import replace

    first = "支持实验室建设。"
    second = "新增国家级或省级质量标准实验室、重点实验室、技术创新中心2家以上，打造质量基础设施集成服务基地。"
    third = "支持材料实验室成为国家级科研机构。"
    scored = [B1.scored, B2.scored, B3.scored]
    texts = [first, second, third]
    clauses = [replace(s, clause=replace(s.clause, text=t)) for s, t in zip(scored, texts, strict=True)]
    blocks = build_blocks(clauses, "材料 实验室 国家级 科研机构", 40)
    assert [b.number for b in blocks] == [1, 2, 3]
    assert [bool(b.excerpt) for b in blocks] == [True, True, False]  # the second clause's sentence did not fit
    assert blocks[1].excerpt == third and blocks[2].scored.clause.body == second
    shown = [line[:3] for line in prompt_lines(blocks, "目标？") if line.startswith("[")]
    assert shown == ["[1]", "[2]"]
    with pytest.raises(ValueError):
        select_sentences(texts, "实验室", 40, sources=["a", "b"])


def test_a_block_left_without_an_excerpt_is_not_shown_but_keeps_its_number():
    from dataclasses import replace

    empty = replace(B2, excerpt="")
    lines = prompt_lines([B1, empty, B3], "目标？")
    assert not any(line.startswith("[2]") for line in lines)
    assert any(line.startswith("[1]") for line in lines) and any(line.startswith("[3]") for line in lines)
    # all empty (the budget measuring the labels): every block is shown
    skeleton = [replace(b, excerpt="") for b in (B1, B2, B3)]
    assert sum(line.startswith("[") for line in prompt_lines(skeleton, "目标？")) == 3


def test_excerpt_keeps_relevant_sentences_within_budget():
    text = "第一句讲组织领导。第二句讲品牌资产质押融资。第三句讲人才培养。" * 3
    out = select_sentences([text], "品牌 质押 融资", 30)[0]
    assert "质押融资" in out and len(out.replace("…", "")) <= 30


def test_one_budget_goes_to_the_relevant_sentences_of_any_clause():
    first = "第一条讲组织领导和统筹协调工作机制。第一条讲督促检查和考核评价。第一条讲宣传引导和舆论氛围营造。"
    second = "第二条讲人才培养。第二条讲品牌资产质押融资和质量贷款。第二条讲商标质押。"
    one, two = select_sentences([first, second], "品牌 质押 融资 贷款 商标", 50)
    # every clause keeps one sentence; the rest of the budget follows relevance, not rank
    assert one.count("第一条") == 1 and "质押融资" in two and "商标质押" in two
    assert len((one + two).replace("…", "")) <= 50
    assert select_sentences(["只有一句。"], "无关", 60) == ["只有一句。"]


@pytest.mark.parametrize("n", [1, 4])
def test_build_blocks_numbers_from_one(n):
    scored = [B1.scored, B2.scored, B3.scored, B1.scored][:n]
    blocks = build_blocks(scored, "食品", 200)
    assert [b.number for b in blocks] == list(range(1, n + 1))


def test_excerpt_puts_the_sentence_stating_the_asked_fact_first():
    text = "征求意见的联系方式如下，欢迎各界提出意见和建议。联系电话：0769-12345678。意见请于月底前反馈，逾期不再受理。"
    out = select_sentences([text], "联系 电话 意见", 24, question="征求意见的联系电话是多少？")[0]
    assert "0769-12345678" in out


def test_a_small_budget_takes_the_phrase_that_states_the_figure_not_a_long_sentence_head():
    text = (
        "到2025年，市场主体质量意识显著增强，质量竞争型产业规模显著扩大，产业链供应链现代化水平大幅提高，"
        "每万人口高价值发明专利拥有量达到35件，新增智能工厂80家。"
    )
    out = select_sentences([text], "每万人口 高价值 发明专利 拥有量", 30, "每万人口高价值发明专利拥有量是多少？")[0]
    # the figure's phrase, with its sentence's year frame; the phrases between are skipped
    assert out == "到2025年,…每万人口高价值发明专利拥有量达到35件,"


def test_every_clause_keeps_its_best_phrase_under_a_small_budget():
    first = (
        "到2025年，农产品质量安全例行监测合格率达到98%以上，食品抽检合格率达到98%以上，"
        "制造业产品质量合格率达到94%以上。"
    )
    second = "——产品质量不断优化：制造业产品质量合格率达到95%以上，食品抽检合格率达到98.5%以上。"
    one, two = select_sentences([first, second], "食品 抽检 合格率", 45, "食品抽检合格率各是多少？")
    assert "食品抽检合格率达到98%以上" in one and "食品抽检合格率达到98.5%以上" in two


def test_a_question_that_asks_for_no_fact_gets_whole_sentences():
    text = "第一句讲组织领导，统筹协调各方力量。第二句讲品牌资产质押融资，支持企业创建自主品牌。"
    out = select_sentences([text], "品牌 质押 融资", 30, "对品牌建设有什么支持？")[0]
    assert out == "第二句讲品牌资产质押融资,支持企业创建自主品牌。"  # whole; the other sentence does not fit


def test_rare_query_words_choose_the_excerpt_and_document_names_do_not():
    text = "加强食品安全监管,开展进口食品清源行动。开展电梯安全攻坚,提升电梯安全水平。"
    query = "行动 计划 电梯 安全"
    # by word length alone the two sentences tie (行动+安全 vs 电梯+安全) and the first wins
    assert select_sentences([text], query, 20)[0].startswith("加强食品")
    idf = {"安全": 0.1, "行动": 0.5, "电梯": 3.0}
    assert select_sentences([text], query, 20, weight=idf_weight(idf))[0] == "开展电梯安全攻坚,提升电梯安全水平。"


def test_a_lower_ranked_clause_stating_what_is_asked_is_not_crowded_out_by_the_second():
    first = "支持实验室建设。"
    second = "新增国家级或省级质量标准实验室、重点实验室、技术创新中心2家以上，打造质量基础设施集成服务基地。"
    third = "统筹协调检验检测认证资源。支持材料实验室成为国家级科研机构。"
    one, two, three = select_sentences([first, second, third], "材料 实验室 国家级 科研机构", 60)
    # the first clause leads; then the most relevant piece, not the second clause's long sentence
    assert one == first and "材料实验室成为国家级科研机构" in three
    assert len((one + two + three).replace("…", "")) <= 60


def test_each_document_is_quoted_before_a_second_clause_of_another():
    # a comparison: two clauses of one plan outscore the other plan's only clause
    a1 = "创新支持品牌建设的金融产品，支持企业利用品牌资产质押融资。"
    b1 = "推广质量贷金融产品，提升服务专业化水平，培育生产性服务业。"
    a2 = "鼓励金融机构将企业质量水平、品牌价值纳入企业融资授信重要依据。"
    query = "金融 品牌 质押 融资 授信 企业"
    _, two, three = select_sentences([a1, b1, a2], query, 60, sources=["yuancheng", "dongguan", "yuancheng"])
    assert "质量贷" in two and three == ""
    assert all(select_sentences([a1, b1, a2], query, 60))  # without sources each text is its own


def test_a_long_first_sentence_leaves_room_for_the_other_document():
    # the draft's sentence alone nearly fills the budget; the final plan's figure is still quoted
    draft = (
        "新增主导或参与制修订国际标准9项以上、国家标准300项以上、行业标准150项以上，"
        "新增智能工厂80家，研发投入稳定在4%左右。"
    )
    final = "争创国家检验检测认证公共服务平台示范区，新增主导或参与制定国际标准6项、国家标准200项、行业标准100项。"
    one, two = select_sentences([draft, final], "新增 国家标准 数量", 80, sources=["draft", "final"])
    assert "国家标准300项" in one and "国家标准200项" in two
    assert len((one + two).replace("…", "")) <= 80


def test_a_sentence_too_long_for_the_budget_gives_a_window_growing_to_the_right():
    text = (
        "为进一步推动全市质量工作高质量发展，在近三届全省地级以上市政府质量工作考核中，"
        "韶关稳居B级，近三年排名前进了两位。"
    )
    out = select_sentences([text], "近三届 全省 考核 等级", 35)[0]
    assert out == "在近三届全省地级以上市政府质量工作考核中,韶关稳居B级,"  # not the sentence's first 35 characters


def test_sentences_sharing_no_word_with_the_question_are_left_out():
    first = "支持企业利用品牌资产质押融资。加强组织领导。营造良好氛围。"
    assert select_sentences([first], "品牌 质押", 100) == ["支持企业利用品牌资产质押融资。"]


def test_a_prompt_line_leaves_out_the_clause_number_and_reads_simplified():
    from tests.rag.hand_blocks import FINAL, block

    clause = block(1, FINAL, "推廣質量貸。", heading="提高生產服務專業化水平", number="11、")
    line = prompt_lines([clause], "质量贷？")[1]
    assert line.startswith("[1]提高生产服务专业化水平：") and "11、" not in line


def test_the_document_header_uses_the_catalogs_prompt_title():
    from dataclasses import replace

    from tests.rag.hand_blocks import FINAL, block

    short = replace(FINAL, prompt_title="东莞2024方案")
    assert prompt_lines([block(1, short, "推广质量贷。")], "质量贷？")[0] == "《东莞2024方案》"
    # without one, the display title in simplified script
    assert prompt_lines([block(1, FINAL, "推广质量贷。")], "质量贷？")[0] == "《东莞方案》"


def test_with_no_word_in_common_the_sentence_stating_what_is_asked_is_ranked_first():
    """A question asking "截止到什么时候？" after one naming the draft shares no word with its notice: the
    sentence giving a date is the one to quote, not the notice's first sentence."""
    from rag.excerpts import ranked_sentences
    from tests.rag.hand_blocks import DRAFT, block

    notice = block(1, DRAFT, "现将征求意见稿全文公布。欢迎提出宝贵建议，请于2023年10月14日前反馈。联系人：张三。")
    ranked = ranked_sentences("截止到什么时候？", "截止到什么时候", [notice])
    assert ranked[0][0] == 0 and "10月14日" in ranked[0][1]
    # a sentence sharing a word with the question still comes before one that only states a date
    ranked = ranked_sentences("全文公布到什么时候？", "全文 公布", [notice])
    assert "全文公布" in ranked[0][1]
    # only the top clause's sentences are told apart by stating it: a date in a lower-ranked clause
    # does not displace the clause the retriever put first
    other = block(2, DRAFT, "请于2023年12月31日前建成质量基础设施服务站。")
    plain = block(1, DRAFT, "现将征求意见稿全文公布。欢迎提出宝贵建议。")
    ranked = ranked_sentences("截止到什么时候？", "截止到什么时候", [plain, other])
    assert ranked[0][2] is plain
    ranked = ranked_sentences("截止到什么时候？", "截止到什么时候", [notice, other])
    assert "10月14日" in ranked[0][1]


def test_a_follow_ups_own_words_choose_its_excerpt_over_the_earlier_questions():
    """ "标准制定方面的数呢？" after "对检验检测认证有啥目标": the earlier question's three words
    outweigh the turn's one, and the excerpt answered the earlier question again."""
    text = "推动检验检测认证行业做强做大,培育3家检测认证领航企业。新增主导制定国际标准6项、国家标准200项。"
    query = "对检验检测认证有啥目标 标准制定方面的数呢"
    plain = select_sentences([text], query, 30, "标准制定方面的数呢？")[0]
    assert "检验检测认证" in plain and "200项" not in plain
    weight = turn_first(len, {"制定"})
    chosen = select_sentences([text], query, 30, "标准制定方面的数呢？", weight=weight)[0]
    assert "国际标准6项" in chosen
    assert turn_first(len, set()) is len  # not a follow-up: unchanged


def _closeness(meant: str, cosines: dict[str, float] | None = None):
    """A stand-in for the embedder: cosine 0.85 for texts containing `meant`, else the cosine of the
    first of `cosines`' words the text contains, else 0.80."""

    def cosine(text: str) -> float:
        if meant in text:
            return 0.85
        return next((c for word, c in (cosines or {}).items() if word in text), 0.80)

    return lambda texts: [cosine(t) for t in texts]


def test_meaning_fuses_the_word_ranking_with_the_meaning_ranking():
    from rag.excerpts import Meaning

    pieces = ["商标质押融资。", "有效注册商标超过180万件。", "商标国际注册。", "无关。"]
    words = {"商标质押融资。": 2.0, "有效注册商标超过180万件。": 6.0, "商标国际注册。": 2.0}
    closeness = _closeness("质押", {"国际": 0.80, "无关": 0.99})
    score = Meaning(closeness, fusion_k=20).rescore(lambda p: words.get(p, 0.0), pieces)
    # by words: the count, then the pledge and the registration tied, then the piece sharing none;
    # by meaning: that piece, the pledge, then the registration and the count tied
    assert score("商标质押融资。") == pytest.approx(1 / 21 + 1 / 21)
    assert score("有效注册商标超过180万件。") == pytest.approx(1 / 20 + 1 / 22)
    assert score("商标国际注册。") == pytest.approx(1 / 21 + 1 / 22)
    assert score("无关。") == pytest.approx(1 / 23 + 1 / 20)  # sharing no word, it still counts
    assert score("not among the pieces") == 0.0
    assert Meaning(closeness, fusion_k=20).rescore(len, []) is len  # nothing to rank


def test_with_meaning_a_sentence_sharing_no_word_can_be_shown_but_not_first_for_stating_a_fact():
    """The translation's words can miss the clause's ("获得资金" for "raise funds"): a sentence close in
    meaning is shown though it shares none; stating the asked-for fact still needs shared words."""
    from rag.excerpts import Meaning, ranked_sentences
    from tests.rag.hand_blocks import FINAL, block

    meaning = Meaning(_closeness("质押"), fusion_k=20)
    texts = ["到2017年，全省有效注册商标超过180万件。", "推动企业通过质押融资等手段。"]
    assert select_sentences(texts, "注册 商标", 60)[1] == ""  # words only: it shares none
    assert "质押融资" in select_sentences(texts, "注册 商标", 60, meaning=meaning)[1]
    # the pass rate is the closest in meaning and states a figure, but shares no word: the count
    # (the best words, the least close) comes first; by relevance alone the two would tie
    closer = Meaning(_closeness("合格率", {"品牌": 0.82}), fusion_k=20)
    blocks = [block(1, FINAL, "合格率达到98%。有效注册商标超过180万件。商标品牌培育。")]
    ranked = ranked_sentences("How many trademarks?", "注册 商标", blocks, meaning=closer)
    assert "180万件" in ranked[0][1] and all(score > 0 for score, _, _ in ranked)
    assert ranked[0][0] == pytest.approx(next(sc for sc, s, _ in ranked if "合格率" in s))
    # the same for an excerpt: the pass rate, closest and stating a figure, sharing no word, comes
    # after the count (the budget holds one of them)
    text = "合格率达到98%，有效注册商标超过180万件。"
    excerpt = select_sentences([text], "注册 商标", 16, "有多少？", meaning=closer)[0]
    assert "180万件" in excerpt and "合格率" not in excerpt


def test_an_english_questions_excerpt_and_quote_follow_its_meaning_when_its_words_miss():
    """ "get money out of registered trademarks … to raise funds", translated 注册商标…获得资金: the
    words pick the sentence counting trademarks; closeness in meaning picks the pledge."""
    from rag.excerpts import Meaning, ranked_sentences
    from tests.rag.hand_blocks import FINAL, block

    text = "到2017年，全省有效注册商标超过180万件。推动企业通过商标质押融资、许可转让等手段。鼓励企业开展商标品牌培育。"
    query = "注册 商标 获得 资金"
    # by words: the count, the pledge, the brands; by meaning: the pledge, the brands, the count
    meaning = Meaning(_closeness("质押", {"品牌": 0.83}), fusion_k=20)
    by_words = select_sentences([text], query, 30)[0]
    assert "180万件" in by_words and "质押" not in by_words
    assert "质押融资" in select_sentences([text], query, 30, meaning=meaning)[0]
    blocks = [block(1, FINAL, text)]
    assert "180万件" in ranked_sentences("Can we raise funds?", query, blocks)[0][1]
    assert "质押融资" in ranked_sentences("Can we raise funds?", query, blocks, meaning=meaning)[0][1]


@pytest.mark.parametrize("question", ["How many trademarks by 2017?", "What support is there for brands?"])
def test_every_text_meaning_ranks_is_one_of_the_clause_pieces_the_index_embeds(question):
    """The index embeds `clause_pieces` once, so that no answer has to: excerpts (sentences, or
    phrases for a fact question) and quotes must ask for nothing else."""
    from rag.excerpts import Meaning, clause_pieces, ranked_sentences
    from rag.text import normalize
    from tests.rag.hand_blocks import DRAFT, FINAL, block

    texts = [
        "到2017年，全省有效注册商标超过180万件，马德里商标国际注册量居全国前列。推动企业通过商标质押融资。",
        "鼓勵企業開展商標品牌培育（試點）；",
    ]
    # as the plans write them: number and heading first, the responsible units last (`Clause.body`
    # leaves both out, the quotes' sentences keep them)
    blocks = [
        block(1, FINAL, "1、标题。" + texts[0] + "(责任单位:市市场监管局)", responsible=["市市场监管局"]),
        block(2, DRAFT, texts[1]),
    ]
    assert blocks[0].scored.clause.body != blocks[0].scored.clause.text
    asked: list[str] = []
    meaning = Meaning(lambda pieces: asked.extend(pieces) or [0.8] * len(pieces), fusion_k=20)
    build_blocks([b.scored for b in blocks], "注册 商标 品牌", 60, question=question, meaning=meaning)
    ranked_sentences(question, "注册 商标 品牌", blocks, meaning=meaning)
    embedded = {p for b in blocks for p in clause_pieces(b.scored.clause.body, b.scored.clause.text)}
    # the pipeline's similarity normalises what it is given (`AnswerPipeline._meaning`), as the index did
    assert asked and {normalize(t) for t in asked} <= embedded
