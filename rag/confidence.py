"""Does the corpus answer this question? Decisive rules first, then a small calibrated model.

e5 cosines sit in a narrow band (about 0.84–0.94 for anything vaguely on topic), so a bare
cosine threshold cannot tell "the plans say nothing about this" from "the plans answer it".

Decisive rules (each one declines, and says why, so the user can be told):
- `other_place`: the question names a place no document covers (深圳, Guangzhou…), names no
  covered one, and the best clauses do not mention it either;
- `unseen_number`: the question contains a number (a year, a rate) no document mentions at
  all (the plans set no target for 2030);
- `unseen_term`: the question quotes a Chinese name (“粤字号”, 《…》) no document contains;
- `unmet_answer_type`: the question asks how much / how many (an amount of money needs a
  figure in 元), on what date, in which year, for a phone number or web address, or for a named
  person, and none of the top three clauses states such a thing (奖金是多少 when the clause
  only says 通报表扬).

Soft signals, combined by a logistic regression fitted with scikit-learn on the dev sets (`python
-m eval.calibrate`, threshold chosen on cross-validated scores; weights and threshold in
`rag/confidence.json`, plain JSON):
- `top_dense`: the best cosine of any chunk;
- `dense_margin`: how far it stands above the query's median cosine (a query-specific baseline);
- `coverage`: the IDF-weighted share of the question's topic words found in the top three
  clauses (NaN for questions without Chinese words: `no_cjk` carries that case);
- `missing_rarity`: for the topic words missing from those clauses, how rare each is in the plans
  times how specific it is in general Chinese (jieba's word frequencies), at most: a word the plans
  never use and everyday language rarely uses (保费, 组长) scores high; a paraphrase word (打算,
  希望, 遵守) scores low however absent it is from the plans.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

CONFIDENCE_FILE = Path(__file__).with_name("confidence.json")
FEATURE_NAMES = ("top_dense", "dense_margin", "coverage", "no_cjk", "missing_rarity")


@dataclass(frozen=True)
class QueryFeatures:
    top_dense: float
    dense_margin: float
    coverage: float  # NaN when the question has no Chinese words
    missing_rarity: float = 0.0
    other_place: str = ""  # the uncovered place the question names, if any
    unseen_number: str = ""  # a number of the question that no document mentions
    unseen_term: str = ""  # a quoted Chinese name of the question that no document mentions
    unmet_answer_type: str = ""  # a key of retrieval.ANSWER_TYPES the top clauses cannot supply

    def vector(self) -> np.ndarray:
        no_cjk = math.isnan(self.coverage)
        coverage = 0.0 if no_cjk else self.coverage
        return np.array([self.top_dense, self.dense_margin, coverage, float(no_cjk), self.missing_rarity])

    @property
    def decisive_reason(self) -> str:
        """Why the question is certainly not covered, or "" when no rule applies."""
        if self.other_place:
            return f"place:{self.other_place}"
        if self.unseen_number:
            return f"number:{self.unseen_number}"
        if self.unseen_term:
            return f"term:{self.unseen_term}"
        if self.unmet_answer_type in {"national", "current"}:  # the level or time asked is not the plans'
            return self.unmet_answer_type
        if self.unmet_answer_type:
            return f"answer-type:{self.unmet_answer_type}"
        return ""

    def to_dict(self) -> dict:
        d = asdict(self)
        d["coverage"] = None if math.isnan(self.coverage) else round(self.coverage, 4)
        return {k: round(v, 4) if isinstance(v, float) else v for k, v in d.items()}


@dataclass
class ConfidenceModel:
    """confidence = sigmoid(w · standardise(soft features) + b); decline below `threshold`."""

    weights: list[float]
    bias: float
    mean: list[float]
    scale: list[float]
    trained_on: str = "uncalibrated default"
    threshold: float = 0.5

    def predict(self, features: QueryFeatures) -> float:
        x = (features.vector() - np.array(self.mean)) / np.array(self.scale)
        z = float(np.dot(self.weights, x) + self.bias)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    @classmethod
    def fit(
        cls, features: list[QueryFeatures], answerable: list[bool], trained_on: str, c: float = 1.0
    ) -> ConfidenceModel:
        """L2-regularised logistic regression (scikit-learn), classes weighted equally (there are
        many more answerable questions than unanswerable ones). Questions a decisive rule already
        declines are left out: the model learns the rest. The weights are stored as plain numbers."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler

        pairs = [(f, a) for f, a in zip(features, answerable, strict=True) if not f.decisive_reason]
        x = np.stack([f.vector() for f, _ in pairs])
        y = np.array([a for _, a in pairs], dtype=int)
        scaler = StandardScaler().fit(x)
        scale = np.where(scaler.scale_ < 1e-6, 1.0, scaler.scale_)
        lr = LogisticRegression(C=c, class_weight="balanced", max_iter=1000).fit((x - scaler.mean_) / scale, y)
        return cls(
            [float(v) for v in lr.coef_[0]],
            float(lr.intercept_[0]),
            [float(v) for v in scaler.mean_],
            [float(v) for v in scale],
            trained_on,
        )

    def save(self, path: Path = CONFIDENCE_FILE) -> None:
        data = {"features": list(FEATURE_NAMES), **asdict(self)}
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")

    @classmethod
    def load(cls, path: Path = CONFIDENCE_FILE) -> ConfidenceModel:
        if not path.is_file():
            return cls.default()
        data = json.loads(path.read_text())
        if data.pop("features", None) != list(FEATURE_NAMES):
            raise ValueError(f"{path} was fitted on other features; re-run `python -m eval.calibrate`")
        return cls(**data)

    @classmethod
    def default(cls) -> ConfidenceModel:
        """Used only before calibration: trusts word coverage, distrusts a rare missing word."""
        return cls([0.0, 1.0, 3.0, 1.0, -2.0], 0.0, [0.9, 0.05, 0.6, 0.0, 0.5], [0.03, 0.03, 0.2, 1.0, 0.3])
