from pathlib import Path

import pytest

from rag.config import ConfigError, Settings


def test_defaults_are_sane():
    s = Settings.from_env({})
    assert s.host == "127.0.0.1"
    assert s.port == 7860
    assert s.n_threads == 2
    assert 1 <= s.prompt_k <= s.top_k
    assert s.generator_path.name.endswith(".gguf")


def test_env_values_are_parsed_and_typed():
    s = Settings.from_env(
        {"RAG_TOP_K": "12", "RAG_DENSE_WEIGHT": "0.5", "PORT": "8080", "HOST": "0.0.0.0", "RAG_MODELS_DIR": "/tmp/m"}
    )
    assert s.top_k == 12 and isinstance(s.top_k, int)
    assert s.dense_weight == 0.5
    assert s.port == 8080 and s.host == "0.0.0.0"
    assert s.models_dir == Path("/tmp/m")


def test_blank_values_fall_back_to_defaults():
    assert Settings.from_env({"RAG_TOP_K": "  "}).top_k == Settings().top_k


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"RAG_TOP_K": "ten"}, "RAG_TOP_K='ten' is not a valid int"),
        ({"PORT": "70000"}, "PORT must be 1..65535"),
        ({"RAG_N_THREADS": "0"}, "RAG_N_THREADS must be >= 1"),
        ({"RAG_PROMPT_K": "20"}, "RAG_PROMPT_K"),
        ({"RAG_PROMPT_K_ENGLISH": "0"}, "RAG_PROMPT_K_ENGLISH"),
        ({"RAG_DENSE_WEIGHT": "0", "RAG_BM25_WEIGHT": "0"}, "not both 0"),
        ({"RAG_PREVIOUS_ANSWER_WEIGHT": "-0.5"}, "RAG_PREVIOUS_ANSWER_WEIGHT must be >= 0 (0 = off), got -0.5"),
        ({"RAG_SCORE_FUSION_WEIGHT": "nan"}, "RAG_SCORE_FUSION_WEIGHT must be >= 0"),
        ({"RAG_DECLINE_THRESHOLD": "2"}, "RAG_DECLINE_THRESHOLD must be <= 1"),
        ({"RAG_SEARCH_PART_CHARS": "20"}, "RAG_SEARCH_PART_CHARS must be 0 (off) or >= 50"),
        ({"RAG_MIN_COMPARE_EVIDENCE_CHARS": "0"}, "RAG_MIN_COMPARE_EVIDENCE_CHARS must be > 0"),
        ({"RAG_ANSWER_TIME_BUDGET_S": "-1"}, "RAG_ANSWER_TIME_BUDGET_S must be >= 0"),
        ({"RAG_ANSWER_TIME_BUDGET_S": "nan"}, "RAG_ANSWER_TIME_BUDGET_S must be >= 0"),
        ({"RAG_ANSWER_TIME_BUDGET_S": "10", "RAG_MIN_ANSWER_TOKENS": "0"}, "RAG_MIN_ANSWER_TOKENS must be >= 1"),
        ({"RAG_STOP_UNSUPPORTED_AFTER": "-1"}, "RAG_STOP_UNSUPPORTED_AFTER must be >= 0"),
        ({"RAG_FOLLOWUP_CHAIN": "0"}, "RAG_FOLLOWUP_CHAIN must be >= 1"),
        ({"RAG_TURN_QUERY_WEIGHT": "-1"}, "RAG_TURN_QUERY_WEIGHT must be >= 0 (0 = off), got -1.0"),
        ({"RAG_MAX_QUESTION_CHARS_ENGLISH": "0"}, "RAG_MAX_QUESTION_CHARS_ENGLISH must be >= 1"),
    ],
)
def test_bad_values_raise_one_clear_error(env, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings.from_env(env)


def test_a_small_max_new_tokens_needs_no_budget_setting():
    assert Settings.from_env({"RAG_MAX_NEW_TOKENS": "32"}).max_new_tokens == 32


def test_round_trip_through_dict():
    s = Settings.from_env({"RAG_TOP_K": "7", "RAG_INDEX_DIR": "/tmp/i"})
    assert Settings.from_dict(s.to_dict()) == s


def test_from_dict_rejects_unknown_settings():
    with pytest.raises(ConfigError, match="unknown settings: colour"):
        Settings.from_dict({"colour": "blue"})
