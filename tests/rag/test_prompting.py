"""Prompts, fixed wording and the evidence budget (no model)."""

from __future__ import annotations

from dataclasses import replace

from rag.config import Settings
from rag.llm import Usage
from rag.prompting import PromptPlan, answer_messages, evidence_blocks, evidence_chars, generation_tokens, reply
from tests.rag.hand_blocks import B1, B2, FINAL, block


def test_replies_follow_the_questions_language_and_script():
    assert reply("decline", "simplified").startswith("抱歉")
    assert reply("decline", "english").startswith("Sorry")
    assert "現有" in reply("decline", "traditional")


def test_the_answer_prompt_starts_with_the_shared_system_prompt_and_numbers_the_blocks():
    messages = answer_messages([B1, B2], "食品抽检合格率？", "simplified")
    assert [m["role"] for m in messages] == ["system", "user"]
    assert "[1]" in messages[1]["content"] and "[2]" in messages[1]["content"]


def test_evidence_chars_spend_what_earlier_calls_left_but_never_below_the_floor():
    s = replace(Settings.from_env(), prompt_token_budget=150, min_evidence_chars=60, chars_per_token=1.65)
    fresh = evidence_chars(s, [B1], "问题？", "simplified", spent=0)
    assert fresh > evidence_chars(s, [B1], "问题？", "simplified", spent=50) >= 60
    assert evidence_chars(s, [B1], "问题？", "simplified", spent=500) == 60


def test_a_comparison_has_the_higher_floor_as_it_quotes_two_documents():
    s = replace(Settings.from_env(), prompt_token_budget=150, min_evidence_chars=60, min_compare_evidence_chars=90)
    assert evidence_chars(s, [B1, B2], "两份方案有何不同？", "simplified", spent=500, compare=True) == 90
    assert evidence_chars(s, [B1, B2], "两份方案有何不同？", "simplified", spent=500) == 60
    plain = evidence_chars(s, [B1, B2], "两份方案有何不同？", "simplified", spent=0)
    assert plain > 60  # the budget, when it is more than the floor
    assert evidence_chars(s, [B1, B2], "两份方案有何不同？", "simplified", spent=0, compare=True) == max(90, plain)


def test_generation_tokens_fit_the_answers_time_budget_on_the_reference_cpu():
    s = replace(
        Settings.from_env(),
        answer_time_budget_s=10.0,
        reference_prompt_rate=40.0,
        reference_generation_rate=11.0,
        chars_per_token=1.65,
        min_answer_tokens=48,
        max_new_tokens=256,
    )
    # 165 characters = 100 prompt tokens = 2.5 s; the 7.5 s left write 82 tokens
    assert generation_tokens(s, Usage(), 165) == 82
    # a translation before it (60 prompt + 20 generated tokens) leaves fewer
    assert generation_tokens(s, Usage(1, 60, 0, 20), 33) == int((10 - 80 / 40) * 11) - 20 == 68
    # never below the floor nor above RAG_MAX_NEW_TOKENS; 0 is no budget
    assert generation_tokens(s, Usage(2, 900, 0, 0), 165) == 48
    assert generation_tokens(replace(s, answer_time_budget_s=100.0), Usage(), 165) == 256
    assert generation_tokens(replace(s, answer_time_budget_s=0.0), Usage(2, 900, 0, 0), 165) == 256
    # a floor above RAG_MAX_NEW_TOKENS: the limit, where the budget stops nothing
    assert generation_tokens(replace(s, max_new_tokens=32), Usage(2, 900, 0, 0), 165) == 32


def test_our_own_declines_are_recognised_in_either_language_and_script():
    from rag.prompting import is_decline_reply

    for key, values in (("decline", {}), ("decline_place", {"regions": "东莞", "place": "深圳"})):
        for lang in ("simplified", "traditional", "english"):
            assert is_decline_reply(reply(key, lang, **values) + "\n可能相关的条款：…")
    assert not is_decline_reply("抱歉这么说，但源城区方案要求加大质量投入。[1]")
    assert not is_decline_reply("可以依法享受加计扣除税收优惠。[1]")


def test_a_follow_ups_evidence_is_chosen_by_its_own_words_first(settings):
    clause = block(
        1,
        FINAL,
        "推动检验检测认证计量行业做强做大,力争培育3家以上检测认证领航企业,新建国家级检验检测认证"
        "实验室和产业计量测试中心2家以上,争创国家检验检测认证公共服务平台示范区,建成检验检测认证集聚区1个,"
        "新增主导制定国际标准6项、国家标准200项、行业标准100项。统筹质量基础设施布局。",
    )
    query = "东莞对检验检测认证有啥目标 标准制定方面的数呢"
    asked = "标准制定方面的数呢？"
    plan = PromptPlan(query, asked, asked, [clause.scored], None, turn_words=("制定",))
    tight = replace(settings, prompt_token_budget=1)  # the floor: room for a phrase or two
    assert "国际标准6项" in evidence_blocks(tight, plan, "simplified", 0, lambda s: "")[0].excerpt
    alike = replace(plan, turn_words=())  # every word alike: the earlier question's three words win
    assert "国际标准6项" not in evidence_blocks(tight, alike, "simplified", 0, lambda s: "")[0].excerpt
