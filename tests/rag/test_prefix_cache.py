"""The clause prefix cache: its store and lookups (no model), and answer prompts opening as its
cached starts do. The restored state itself is checked against the real model in
tests/rag/test_prefix_cache_model.py (slow)."""

from __future__ import annotations

from dataclasses import replace

from rag.excerpts import clause_starts
from rag.prefix_cache import MANIFEST, ClausePrefixCache
from rag.prompting import PromptPlan, answer_messages, clause_prefix_messages, evidence_blocks, system_message
from tests.rag.hand_blocks import B1, B2, B3, FINAL, block


def _messages(system: str, user: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def test_entries_are_found_by_text_and_by_tokens_and_survive_a_reload(tmp_path):
    cache = ClausePrefixCache(tmp_path, "SYS")
    cache.add("条款：\n《甲》\n[1]标题：正文。", [5, 6, 7, 8], b"state-1")
    cache.add("条款：\n《乙》\n[1]标题：正文。", [5, 6, 9], b"state-2")
    cache.save()
    again = ClausePrefixCache(tmp_path, "SYS")
    assert len(again) == 2 and again.state(again.entries[0]) == b"state-1"
    # by text: the user message must start with the entry, under the same system prompt
    user = "条款：\n《甲》\n[1]标题：正文。\n[2]别的：摘录。\n\n问题：？"
    assert again.covered_chars(_messages("SYS", user)) == len("条款：\n《甲》\n[1]标题：正文。")
    assert again.covered_chars(_messages("other system prompt", user)) == 0
    # an entry serves a prompt for as long as the two start alike (another clause: up to its title)
    assert again.covered_chars(_messages("SYS", "条款：\n《丙》\n[1]标题：正文。")) == len("条款：\n《")
    # by tokens: the entry sharing the longest start with the prompt, and how long it is
    entry, shared = again.longest_match([5, 6, 7, 8, 40, 41])
    assert entry.text.startswith("条款：\n《甲》") and shared == 4
    entry, shared = again.longest_match([5, 6, 7, 99, 40])  # the clause's last token merged with the next text
    assert entry.tokens == (5, 6, 7, 8) and shared == 3
    entry, shared = again.longest_match([5, 6, 9, 1])
    assert entry.tokens == (5, 6, 9) and shared == 3
    assert again.longest_match([4, 6, 7]) is None and again.longest_match([]) is None


def test_stale_entries_are_removed_with_their_files_and_a_damaged_manifest_is_no_cache(tmp_path):
    cache = ClausePrefixCache(tmp_path, "SYS")
    cache.add("A", [1, 2], b"a")
    cache.add("B", [1, 3], b"b")
    files = {e.text: tmp_path / e.file for e in cache.entries}
    assert cache.keep_only({"B"}) == 1 and not files["A"].exists() and files["B"].exists()
    cache.save()
    assert [e.text for e in ClausePrefixCache(tmp_path, "SYS").entries] == ["B"]
    (tmp_path / MANIFEST).write_text("{not json", encoding="utf-8")
    damaged = ClausePrefixCache(tmp_path, "SYS")
    assert len(damaged) == 0 and damaged.covered_chars(_messages("SYS", "B")) == 0


def _plan(blocks, question: str) -> PromptPlan:
    return PromptPlan(question, question, question, [b.scored for b in blocks], None)


def _cache_of_starts(tmp_path, scored) -> ClausePrefixCache:
    """A cache holding every start the clause can give a prompt (no states: the text lookup only)."""
    cache = ClausePrefixCache(tmp_path, system_message()["content"])
    for i, start in enumerate(clause_starts(scored.clause.body)):
        cache.add(clause_prefix_messages(scored, start)[1]["content"], [i], b"")
    return cache


def test_an_answer_prompt_opens_as_a_cached_start_of_its_top_clause_up_to_its_first_excerpt(settings, tmp_path):
    for blocks, question, lang in [
        ([B3, B1], "企业质量管理能力怎么提升？", "simplified"),  # the excerpt starts at the clause's second sentence
        ([B3, B1], "企业质量管理能力由哪个部门负责？", "simplified"),  # with the units after the excerpt
        ([B1, B2], "What does the plan say about product quality?", "english"),
    ]:
        plan = _plan(blocks, question)
        shown = evidence_blocks(settings, plan, lang, 0, lambda s: "")
        assert shown[0].scored is blocks[0].scored and shown[0].excerpt
        user = answer_messages(shown, question, lang)[1]["content"]
        first_piece = shown[0].excerpt.split("…")[0]
        opening = user[: user.index("[1]")] + shown[0].opening().split("：")[0] + "：" + first_piece
        assert user.startswith(opening)
        covered = _cache_of_starts(tmp_path / lang / question, blocks[0].scored).covered_chars(
            answer_messages(shown, question, lang)
        )
        assert covered >= len(opening)


LONG = block(
    1,
    FINAL,
    "围绕打造先进制造业集群，推动产业链上下游企业协同发展，加强质量基础设施建设，完善检验检测公共服务平台，"
    "提升计量标准认证认可能力，制造业产品质量合格率达到95%以上，培育一批具有国际竞争力的知名品牌和龙头企业，"
    "形成质量效益型发展格局。加强人才培养，引进高层次质量人才，建立质量专家库，开展质量技能竞赛活动。",
    "dg-2024/9.9",
)


def test_a_fact_questions_phrase_excerpt_shares_the_cached_start_up_to_its_first_gap(settings, tmp_path):
    question = "制造业产品质量合格率要达到多少？"  # a rate: the excerpt is phrases, "…" between them
    shown = evidence_blocks(settings, _plan([LONG, B2], question), "simplified", 0, lambda s: "")
    assert shown[0].scored is LONG.scored and "…" in shown[0].excerpt
    messages = answer_messages(shown, question, "simplified")
    user = messages[1]["content"]
    label = user[: user.index("[1]")] + shown[0].opening().split("：")[0] + "："
    first_piece = shown[0].excerpt.split("…")[0]  # here the clause's opening phrase
    assert _cache_of_starts(tmp_path, LONG.scored).covered_chars(messages) == len(label + first_piece)


def test_a_document_question_shares_only_the_title_with_the_cached_starts(settings, tmp_path):
    """Its title line carries the document's number and date, which no cached start has."""
    question = "这份文件的文号是什么？"
    shown = evidence_blocks(settings, _plan([B2, B1], question), "simplified", 0, lambda s: "")
    messages = answer_messages(shown, question, "simplified")
    assert "文件信息" in messages[1]["content"]
    covered = _cache_of_starts(tmp_path, B2.scored).covered_chars(messages)
    assert covered == messages[1]["content"].index("（文件信息")


def test_a_clause_starts_at_each_of_its_sentences_normalised_as_excerpts_are():
    # the 2024 plan's traditional script and full-width punctuation, in simplified script and NFKC
    assert clause_starts("16、提升企業質量管理能力。鼓勵企業創新（試點），推廣經驗。") == [
        "16、提升企业质量管理能力。鼓励企业创新(试点),推广经验。",
        "鼓励企业创新(试点),推广经验。",
    ]
    assert clause_starts("") == []


def test_the_cache_holds_the_translation_prompts_start_up_to_the_question(settings, tmp_path):
    from rag.prefix_cache import prompt_starts
    from rag.prompting import translation_messages, translation_prefix_messages

    start = translation_prefix_messages()
    assert start in prompt_starts(settings)
    assert start not in prompt_starts(replace(settings, translate_english=False))  # never sent: not built
    question = "Does Dongguan support small firms' brands?"
    messages = translation_messages(question)
    assert messages[0] == start[0] and messages[1]["content"].startswith(start[1]["content"])
    assert question not in start[1]["content"] and start[1]["content"].strip()
    cache = ClausePrefixCache(tmp_path, system_message()["content"])
    cache.add(start[1]["content"], [0], b"")
    assert cache.covered_chars(messages) == len(start[1]["content"])
