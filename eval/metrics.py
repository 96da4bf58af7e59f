"""The metrics of ../shared/eval-format.md, exactly as defined there, overall and per type.

Every match uses the contract's normalisation (`rag.text.match_key`: NFKC, t2s, no
whitespace, lower-case). A question with no prediction, or whose prediction carries an `error`,
counts as a miss everywhere (not found, not cited, not declined) and is counted in `n_errors`
or `n_missing`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from rag.text import match_key

HIT_KS = (1, 3, 5, 10)
MRR_DEPTH = 10


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    type: str = "unknown"
    evidence: tuple[str, ...] = ()
    evidence_mode: str = "any"
    answer_keys: tuple[tuple[str, ...], ...] = ()
    history: tuple[dict, ...] = ()

    @property
    def answerable(self) -> bool:
        return bool(self.evidence)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Question:
        if not isinstance(data, dict):
            raise ValueError("each line must be a JSON object")
        for key in ("id", "question"):
            if not isinstance(data.get(key), str) or not data[key].strip():
                raise ValueError(f"field {key!r} must be a non-empty string")
        mode = data.get("evidence_mode") or "any"
        if mode not in {"any", "all"}:
            raise ValueError(f"evidence_mode must be 'any' or 'all', got {mode!r}")
        evidence = data.get("evidence") or []
        keys = data.get("answer_keys") or []
        if not isinstance(evidence, list) or not all(isinstance(e, str) for e in evidence):
            raise ValueError("evidence must be a list of strings")
        if not isinstance(keys, list) or not all(isinstance(k, list) and k for k in keys):
            raise ValueError("answer_keys must be a list of non-empty lists of strings")
        history = data.get("history") or []
        if not isinstance(history, list):
            raise ValueError("history must be a list")
        return cls(
            id=data["id"],
            question=data["question"],
            type=str(data.get("type") or "unknown"),
            evidence=tuple(evidence),
            evidence_mode=mode,
            answer_keys=tuple(tuple(str(a) for a in k) for k in keys),
            history=tuple(history),
        )


def _found(evidence: tuple[str, ...], mode: str, texts: list[str]) -> bool:
    keys = [match_key(t) for t in texts]
    hits = [any(match_key(e) in k for k in keys) for e in evidence]
    return all(hits) if mode == "all" else any(hits)


def _contains_any(text: str, evidence: tuple[str, ...]) -> bool:
    key = match_key(text)
    return any(match_key(e) in key for e in evidence)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank-interpolated percentile (numpy's default 'linear'); None for no values."""
    vals = sorted(v for v in values if v is not None and not math.isnan(v))
    if not vals:
        return None
    pos = (len(vals) - 1) * p / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return vals[lo] + (vals[hi] - vals[lo]) * (pos - lo)


@dataclass
class QuestionScore:
    """Per-question outcomes; None where a metric does not apply."""

    id: str
    type: str
    answerable: bool
    hits: dict[int, bool] = field(default_factory=dict)
    rr: float | None = None
    citation_hit: bool | None = None
    citation_precision: float | None = None
    key_coverage: float | None = None
    answer_correct: bool | None = None
    declined: bool = False
    error: str | None = None
    missing: bool = False
    timings: dict[str, float | None] = field(default_factory=dict)


def score_question(q: Question, pred: dict[str, Any] | None) -> QuestionScore:
    s = QuestionScore(q.id, q.type, q.answerable)
    if pred is None:
        s.missing = True
        pred = {}
    s.error = pred.get("error")
    failed = s.missing or bool(s.error)
    retrieved = [] if failed else [c.get("text", "") for c in pred.get("retrieved") or []]
    citations = [] if failed else [c.get("text", "") for c in pred.get("citations") or []]
    answer = "" if failed else str(pred.get("answer") or "")
    s.declined = bool(pred.get("declined")) and not failed
    s.timings = dict(pred.get("timings") or {}) if not failed else {}
    if not q.answerable:
        return s
    s.hits = {k: _found(q.evidence, q.evidence_mode, retrieved[:k]) for k in HIT_KS}
    s.rr = 0.0
    for rank, text in enumerate(retrieved[:MRR_DEPTH], start=1):
        if _contains_any(text, q.evidence):
            s.rr = 1.0 / rank
            break
    s.citation_hit = _found(q.evidence, q.evidence_mode, citations)
    if citations:
        s.citation_precision = sum(_contains_any(t, q.evidence) for t in citations) / len(citations)
    if q.answer_keys:
        akey = match_key(answer)
        covered = [any(match_key(alt) in akey for alt in group) for group in q.answer_keys]
        s.key_coverage = sum(covered) / len(covered)
        s.answer_correct = all(covered)
    return s


def _mean(values: list[float | bool | None]) -> float | None:
    vals = [float(v) for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


def aggregate(scores: list[QuestionScore], retrieval_only: bool = False) -> dict[str, Any]:
    """The contract's metrics over `scores` (one group: overall, or one type)."""
    ans = [s for s in scores if s.answerable]
    una = [s for s in scores if not s.answerable]
    out: dict[str, Any] = {
        "n": len(scores),
        "n_answerable": len(ans),
        "n_unanswerable": len(una),
        "n_errors": sum(1 for s in scores if s.error),
        "n_missing": sum(1 for s in scores if s.missing),
    }
    for k in HIT_KS:
        out[f"hit@{k}"] = _mean([s.hits.get(k) for s in ans])
    out["mrr"] = _mean([s.rr for s in ans])
    if retrieval_only:
        for name in ("citation_hit", "citation_precision", "key_coverage", "answer_correct"):
            out[name] = None
    else:
        out["citation_hit"] = _mean([s.citation_hit for s in ans])
        out["citation_precision"] = _mean([s.citation_precision for s in ans])
        out["key_coverage"] = _mean([s.key_coverage for s in ans])
        out["answer_correct"] = _mean([s.answer_correct for s in ans])
    out["false_decline_rate"] = _mean([s.declined for s in ans])
    out["decline_rate"] = _mean([s.declined for s in una])
    for name in ("retrieval_s", "first_token_s", "total_s"):
        values = [s.timings.get(name) for s in scores if s.timings.get(name) is not None]
        p50, p95 = percentile(values, 50), percentile(values, 95)
        out[f"{name}_p50"] = None if p50 is None else round(p50, 4)
        out[f"{name}_p95"] = None if p95 is None else round(p95, 4)
    return out


def report(questions: list[Question], predictions: dict[str, dict], retrieval_only: bool = False) -> dict[str, Any]:
    """{"overall": {...}, "by_type": {type: {...}}, "questions": [per-question outcomes]}."""
    scores = [score_question(q, predictions.get(q.id)) for q in questions]
    types = list(dict.fromkeys(q.type for q in questions))
    return {
        "overall": aggregate(scores, retrieval_only),
        "by_type": {t: aggregate([s for s in scores if s.type == t], retrieval_only) for t in types},
        "scores": scores,
    }


USAGE_FIELDS = ("model_calls", "prompt_tokens", "cached_tokens", "completion_tokens")
COST_TIMINGS = ("first_token_s", "total_s")
MODELLED = "reference_total_s"  # the answer's time on the slow reference CPU, from its tokens


def modelled_total_s(pred: dict, rates: tuple[float, float]) -> float | None:
    """Seconds the answer would take on a CPU with these (prompt, generated) tokens/s: the time
    before the model (retrieval, analysis) as measured here plus its tokens at those rates. Prompt
    processing dominates on a slow CPU, so tokens predict its time better than scaling seconds.
    A model call inside retrieval (an English question's translation, `extra.retrieval_model_s`)
    is counted by its tokens only, not also by the seconds it took here."""
    extra = pred.get("extra") or {}
    usage = extra.get("usage")
    retrieval = (pred.get("timings") or {}).get("retrieval_s")
    if not usage or retrieval is None:
        return None
    before_model = max(0.0, retrieval - (extra.get("retrieval_model_s") or 0.0))
    prompt_rate, generation_rate = rates
    prompt, generated = usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)
    return before_model + prompt / prompt_rate + generated / generation_rate


def _cost_value(pred: dict, name: str, rates: tuple[float, float]) -> float | None:
    if name == MODELLED:
        return modelled_total_s(pred, rates)
    source = ((pred.get("extra") or {}).get("usage") or {}) if name in USAGE_FIELDS else (pred.get("timings") or {})
    return source.get(name)


def _cost_row(preds: list[dict], rates: tuple[float, float]) -> dict[str, Any]:
    row: dict[str, Any] = {"n": len(preds)}
    for name in (*USAGE_FIELDS, *COST_TIMINGS, MODELLED):
        values = [v for p in preds if (v := _cost_value(p, name, rates)) is not None]
        for q in (50, 95):
            v = percentile(values, q)
            row[f"{name}_p{q}"] = None if v is None else round(v, 2)
    return row


def cost_report(
    questions: list[Question], predictions: dict[str, dict], rates: tuple[float, float]
) -> dict[str, dict[str, dict[str, Any]]]:
    """p50/p95 of each answer's model usage (extra.usage), timings and modelled time on the
    reference CPU (`rates`: prompt, generated tokens/s), overall, per question type and per answer
    route (extra.route): where the model's time goes."""
    preds = [(q, predictions[q.id]) for q in questions if q.id in predictions]
    by_type: dict[str, list[dict]] = {}
    by_route: dict[str, list[dict]] = {}
    for q, p in preds:
        by_type.setdefault(q.type, []).append(p)
        by_route.setdefault((p.get("extra") or {}).get("route", "unknown"), []).append(p)
    return {
        "overall": {"all": _cost_row([p for _, p in preds], rates)},
        "by_type": {k: _cost_row(v, rates) for k, v in sorted(by_type.items())},
        "by_route": {k: _cost_row(v, rates) for k, v in sorted(by_route.items(), key=lambda kv: -len(kv[1]))},
        "reference_rates": list(rates),
    }
