"""HybridRetriever: normalise → dense (e5 + FAISS) and BM25 (jieba) candidates → reciprocal-rank
fusion → jurisdiction/version preference → metadata filters → one entry per clause → confidence.

`HybridRetriever.search()` is the typed entry point used by the answer pipeline, the UI and the
evaluation; LangChain's `invoke()` goes through the same code (`_get_relevant_documents`).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr

from rag.clauses import Clause
from rag.confidence import ConfidenceModel, QueryFeatures
from rag.config import Settings, get_settings
from rag.documents import DocumentInfo
from rag.glossary import chinese_term_groups
from rag.index import CorpusIndex
from rag.text import match_key, normalize, script_of, specificity, tokens

# English names of places, so that "Dongguan" prefers Dongguan's documents like "东莞" does.
ENGLISH_PLACES = {
    "guangdong": "广东",
    "dongguan": "东莞",
    "heyuan": "河源",
    "yuancheng": "源城",
    "shaoguan": "韶关",
    "shenzhen": "深圳",
    "guangzhou": "广州",
    "zhuhai": "珠海",
    "foshan": "佛山",
    "huizhou": "惠州",
    "shantou": "汕头",
    "zhongshan": "中山",
    "jiangmen": "江门",
    "zhanjiang": "湛江",
    "meizhou": "梅州",
    "beijing": "北京",
    "shanghai": "上海",
    "hong kong": "香港",
    "macao": "澳门",
    "macau": "澳门",
}
# Places a user may name that no document of the corpus covers (Guangdong's other cities and
# large cities elsewhere). Naming only such places is a strong sign the plans do not answer.
OTHER_PLACES = (
    "广州 深圳 珠海 汕头 佛山 江门 湛江 茂名 肇庆 惠州 梅州 汕尾 阳江 清远 中山 潮州 揭阳 云浮 "
    "北京 上海 天津 重庆 杭州 南京 武汉 成都 西安 苏州 长沙 郑州 厦门 福州 香港 澳门 海南 浙江 江苏 广西 湖南"
).split()
COMPARE_WORDS = re.compile(
    r"和|与|與|及|分别|分別|各是|各为|相比|对比|對比|比较|比較|不同|区别|區別|差异|差異|变化|變化|vs|versus|compare|differ"
)
PLACE_CONTEXT_CHARS = 3  # characters after a place name that must match for "mentioned the same way"
DRAFT_WORDS = ("征求意见", "意见稿", "草案", "草稿", "draft", "consultation")
FINAL_WORDS = ("正式", "最终", "定稿", "final")
# Words that shape a question but say nothing about its topic, left out of the coverage
# features: question words, modal and light verbs, and generic nouns. A general list of Chinese
# question phrasing, not a list of any particular question's words.
QUESTION_WORDS = set(
    # comparison and enumeration
    "分别 各 各是 各为 相比 对比 比较 不同 区别 差异 变化 一共 总共 哪年 哪一年 一年 哪天 "
    # modal and light verbs
    "可以 能 能够 应该 应当 需要 必须 会 得到 获得 做 进行 来 去 给 让 叫 "
    # generic nouns and phrasing
    "做法 情况 方面 内容 具体 主要 有关 关于 数量 时候 时间 什么样 怎么样 怎样 如何 是否 有没有 没有 那么 "
    "目标 要求 规定 提出 方案 计划 文件 政策 措施 这项 其中 这个 有何 正式 中 里 呢 那 讲 说 提到".split()
)
# What a question asks for, and what a clause must state to answer it (else: decline).
ANSWER_TYPES = {
    "quantity": (
        re.compile(
            r"多少|几[个家项名条类次倍]|多大|多高|比例|比重|百分之|how many|how much|what percentage|what share",
            re.IGNORECASE,
        ),
        re.compile(
            r"(?<![\d.])(?!(?:19|20)\d\d(?:\D|$))\d+(?:\.\d+)?|[一二三四五六七八九十百千万亿两]+[个家项名条类倍]"
        ),
    ),
    "date": (
        re.compile(r"哪一?天|几月几[日号]|什么日子|日期|截止|what date|which day|deadline", re.IGNORECASE),
        re.compile(r"\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{2}-\d{2}"),
    ),
    "year": (
        re.compile(r"哪一?年|什么时候|何时|which year|what year|by when", re.IGNORECASE),
        re.compile(r"(?:19|20)\d\d\s*年"),
    ),
    "contact": (
        re.compile(
            r"电话|联系方式|号码|网址|网站|邮箱|电子邮件|传真|phone|contact number|website|e-?mail|fax|\burl\b",
            re.IGNORECASE,
        ),
        re.compile(r"\d{3,4}-\d{6,8}|\d{7,}|https?://|www\.|[\w.]+@[\w.]+|\.gov\.cn", re.IGNORECASE),
    ),
    "person": (  # a named person, not a department ("由谁负责" asks for a department)
        re.compile(
            r"(?:组长|局长|市长|区长|主任|书记|联系人)(?:是谁|叫什么|的姓名|是哪位)"
            r"|who (?:is|are) the (?:head|leader|director|chair|contact)",
            re.IGNORECASE,
        ),
        re.compile(r"联系人|担任|同志|[:：]\s*[\u4e00-\u9fff]{2,3}(?:\s|，|,|$)"),
    ),
}
# jieba keeps "哪些因素", "什么等级" as one word: the question word is not a topic, and its
# parts ("因素") are tokens of their own
INTERROGATIVE = re.compile(r"^(哪|什么|多少|怎么|怎样|如何|为何|为什么|几)")
QUANTITY_UNIT = re.compile(r"(?:多少|几)\s*(万元|亿元|元|钱|家|项|个|名|人|件|条|倍|%|百分点)")
# "预算是多少", "how much funding": an amount of money, so a clause needs a figure in 元
MONEY_WORDS = re.compile(
    r"预算|经费|资金|奖金|奖励金额|补贴|补助|资助|保费|费用|金额"
    r"|budget|funding|\bfunds?\b|money|subsid|bonus|grant|premium|\bfees?\b|yuan|rmb",
    re.IGNORECASE,
)
RATE_WORDS = re.compile(r"比例|比重|百分|率|percent|share|rate|ratio", re.IGNORECASE)
UNIT_ALIASES = {"钱": "元|万元|亿元", "元": "元|万元|亿元", "%": "%|％", "人": "人|名"}
NUMBER = re.compile(r"(?<![A-Za-z\d.])\d+(?:\.\d+)?(?![A-Za-z\d])")  # not "PM2.5", "5G", "3D"
# a quoted Chinese name ("粤字号", 《…条例》): a document that deals with it would use it
QUOTED = re.compile(r"[“\"「『《]([^”\"」』》]*[\u4e00-\u9fff][^”\"」』》]*)[”\"」』》]")
YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")


@dataclass(frozen=True)
class RetrievalFilters:
    """Hard constraints on which clauses may be returned (empty = no constraint)."""

    regions: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    include_drafts: bool = True

    def allows(self, info: DocumentInfo) -> bool:
        return (
            (not self.regions or info.region in self.regions)
            and (not self.doc_ids or info.doc_id in self.doc_ids)
            and (not self.kinds or info.kind in self.kinds)
            and (not self.statuses or info.status in self.statuses)
            and (self.include_drafts or not info.is_draft)
        )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> RetrievalFilters:
        """Accepts {"region": "东莞市" | [...], "doc_id": ..., "kind": ..., "status": ..., "include_drafts": bool}."""
        data = dict(data or {})

        def as_tuple(*keys: str) -> tuple[str, ...]:
            for key in keys:
                value = data.pop(key, None)
                if value:
                    return (value,) if isinstance(value, str) else tuple(value)
            return ()

        filters = cls(
            regions=as_tuple("region", "regions"),
            doc_ids=as_tuple("doc_id", "doc_ids"),
            kinds=as_tuple("kind", "kinds"),
            statuses=as_tuple("status", "statuses"),
            include_drafts=bool(data.pop("include_drafts", True)),
        )
        if data:
            raise ValueError(f"unknown filter(s): {', '.join(sorted(data))}")
        return filters

    def to_dict(self) -> dict[str, Any]:
        return {
            "regions": list(self.regions),
            "doc_ids": list(self.doc_ids),
            "kinds": list(self.kinds),
            "statuses": list(self.statuses),
            "include_drafts": self.include_drafts,
        }


@dataclass
class ScoredClause:
    clause: Clause
    document: DocumentInfo
    score: float  # fused score after preferences (higher is better)
    dense: float  # best cosine of any of its chunks
    bm25: float  # best BM25 score of any of its chunks
    best_chunk: str  # chunk_id that scored best

    def to_contract(self) -> dict[str, Any]:
        """The clause object of ../shared/eval-format.md, plus `score`."""
        return {
            "clause_id": self.clause.clause_id,
            "doc_id": self.clause.doc_id,
            "doc_title": self.document.title,
            "label": self.clause.label,
            "text": self.clause.text,
            "score": round(self.score, 6),
        }


@dataclass
class RetrievalResult:
    decline_reason: str  # "" when answerable; else place:…, number:…, answer-type:…, low-confidence
    query: str
    normalized_query: str
    clauses: list[ScoredClause]
    confidence: float
    declined: bool
    features: QueryFeatures
    preferred_docs: list[str]
    filters: RetrievalFilters
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


def place_mentions(query_norm: str, documents: dict[str, DocumentInfo]) -> tuple[set[str], list[str]]:
    """(doc_ids whose region the query names, uncovered places it names when it names no covered one)."""
    text = query_norm.lower()
    for english, chinese in ENGLISH_PLACES.items():
        if re.search(rf"\b{english}\b", text):
            text += " " + chinese
    named: set[str] = set()
    covered_names: set[str] = set()
    for info in documents.values():
        region = normalize(info.region)
        names = {region}
        # "河源市源城区" → 河源市源城区, 源城区, 源城, 河源市, 河源
        for part in re.findall(r"[^省市区县]+[省市区县]", region):
            names.add(part)
            names.add(part[:-1])
        names = {n for n in names if len(n) >= 2}
        covered_names |= names
        if any(n in text for n in names):
            named.add(info.doc_id)
    provinces = {d for d in named if documents[d].region.endswith("省")}
    if provinces and named - provinces:
        # "广东省东莞市…" names the city, not the province's own plan; "广东省和东莞…" names both
        city_names = [normalize(documents[d].region)[:2] for d in named - provinces]
        if any(re.search(rf"(广东省?){c}", text) for c in city_names):
            named -= provinces
    others = [p for p in OTHER_PLACES if p in text and not any(p in c for c in covered_names)]
    return named, [] if named else others


def version_preference(query_norm: str, documents: dict[str, DocumentInfo]) -> set[str]:
    """doc_ids the query's wording points to: drafts, final texts, or a year in the date/title."""
    text = query_norm.lower()
    wants_draft = any(w in text for w in DRAFT_WORDS)
    wants_final = any(w in text for w in FINAL_WORDS)
    years = set(YEAR.findall(text))
    preferred = set()
    for info in documents.values():
        if (
            (wants_draft and info.is_draft)
            or (wants_final and not info.is_draft and info.kind != "interpretation")
            or (years and any(y in info.date or y in info.title for y in years))
        ):
            preferred.add(info.doc_id)
    return preferred


class HybridRetriever(BaseRetriever):
    """Dense + BM25 over clause chunks, fused by reciprocal rank; a LangChain retriever."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    index: CorpusIndex
    embedder: Any
    settings: Settings = Field(default_factory=get_settings)
    confidence_model: ConfidenceModel | None = None
    filters: RetrievalFilters = Field(default_factory=RetrievalFilters)
    k: int | None = None
    use_dense: bool = True
    use_bm25: bool = True
    _idf: dict[str, float] = PrivateAttr(default_factory=dict)
    _corpus_numbers: set[str] = PrivateAttr(default_factory=set)
    _corpus_key: str = PrivateAttr(default="")

    def model_post_init(self, context: Any) -> None:
        if not (self.use_dense or self.use_bm25):
            raise ValueError("HybridRetriever needs at least one of use_dense / use_bm25")
        if self.confidence_model is None:
            self.confidence_model = ConfidenceModel.load()
        self._idf = _idf_table(self.index.chunk_tokens)
        self._corpus_numbers = set(NUMBER.findall(normalize(" ".join(c.text for c in self.index.clauses))))
        titles = [d.title for d in self.index.documents.values()]
        self._corpus_key = match_key("\n".join([c.text for c in self.index.clauses] + titles))

    # -- LangChain interface: a thin wrapper over search()
    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        result = self.search(query)
        return [
            LCDocument(page_content=s.clause.text, metadata={**s.to_contract(), "confidence": result.confidence})
            for s in result.clauses
        ]

    # -- the typed API
    def search(
        self,
        query: str,
        filters: RetrievalFilters | None = None,
        k: int | None = None,
        focus: str | None = None,
        context: str | None = None,
    ) -> RetrievalResult:
        """Top-k clauses for `query`. `focus` (a follow-up's own words) decides the preferred
        places/versions when it names any, so "那东莞呢？" moves the preference to Dongguan.
        `context` (the user's previous question) lends its places/versions when the query names
        none: after asking about 韶关, "在监管方面提出了什么？" still means 韶关."""
        t0 = time.perf_counter()
        filters = filters or self.filters
        k = k or self.k or self.settings.top_k
        qnorm = normalize(query).strip()
        alternatives: dict[str, set[str]] = {}  # an English word's Chinese terms stand in for one another
        if script_of(qnorm) == "english":  # give BM25 and the embedder the plans' own words
            groups = chinese_term_groups(qnorm)
            for group in groups:
                for term in group:
                    for t in [term, *tokens(term)]:
                        alternatives.setdefault(t, set()).update(group)
            terms = dict.fromkeys(t for group in groups for t in group)
            qnorm = f"{qnorm} {' '.join(terms)}".strip()
        qtokens = tokens(qnorm)
        named, other_places = place_mentions(qnorm, self.index.documents)
        versions = version_preference(qnorm, self.index.documents)
        if focus:
            fnorm = normalize(focus)
            f_named, _ = place_mentions(fnorm, self.index.documents)
            f_versions = version_preference(fnorm, self.index.documents)
            if f_named or f_versions:
                named, versions = f_named, f_versions
        if context and not (named or versions):
            cnorm = normalize(context)
            named, _ = place_mentions(cnorm, self.index.documents)
            versions = version_preference(cnorm, self.index.documents)
            wants_context_draft = any(w in cnorm.lower() for w in DRAFT_WORDS)
        else:
            wants_context_draft = False
        preferred = named | versions
        if named and versions:  # both a place and a version: the version within that place
            preferred = versions & named or named
        wants_draft = wants_context_draft or any(w in qnorm.lower() for w in DRAFT_WORDS)
        comparing = len(preferred) >= 2 and bool(COMPARE_WORDS.search(qnorm))

        n = len(self.index.chunks)
        dense_scores = np.zeros(n, dtype=np.float32)
        ranks: list[list[int]] = []
        weights: list[float] = []
        if self.use_dense:
            qvec = self.embedder.embed_query(qnorm)
            sims, ids = self.index.dense.search(qvec[None, :], n)
            dense_scores[ids[0]] = sims[0]
            ranks.append(list(ids[0][: self.settings.candidate_k]))
            weights.append(self.settings.dense_weight)
        bm25_scores = np.zeros(n, dtype=np.float64)
        if self.use_bm25 and qtokens:
            bm25_scores = np.asarray(self.index.bm25.get_scores(qtokens))
            order = np.argsort(-bm25_scores, kind="stable")
            ranks.append([int(i) for i in order[: self.settings.candidate_k] if bm25_scores[i] > 0])
            weights.append(self.settings.bm25_weight)

        fused: dict[int, float] = {}
        for ranking, weight in zip(ranks, weights, strict=True):
            for rank, idx in enumerate(ranking):
                fused[int(idx)] = fused.get(int(idx), 0.0) + weight / (self.settings.rrf_k + rank + 1)

        best: dict[str, ScoredClause] = {}
        unpreferred: dict[str, float] = {}  # score without place/version preference, per clause
        for idx, score in fused.items():
            chunk = self.index.chunks[idx]
            clause = self.index.clause_by_id[chunk.clause_id]
            info = self.index.documents[clause.doc_id]
            if not filters.allows(info):
                continue
            if clause.is_heading_only:
                score *= self.settings.heading_only_factor
            unpreferred[clause.clause_id] = max(unpreferred.get(clause.clause_id, 0.0), score)
            if clause.doc_id in preferred:
                score *= self.settings.jurisdiction_boost
            if info.is_draft and not wants_draft:
                score *= self.settings.draft_factor
            prev = best.get(clause.clause_id)
            if prev is None:
                best[clause.clause_id] = ScoredClause(
                    clause, info, score, float(dense_scores[idx]), float(bm25_scores[idx]), chunk.chunk_id
                )
            else:  # parts of one clause: keep the clause once, with its best part's scores
                prev.dense = max(prev.dense, float(dense_scores[idx]))
                prev.bm25 = max(prev.bm25, float(bm25_scores[idx]))
                if score > prev.score:
                    prev.score, prev.best_chunk = score, chunk.chunk_id
        ranked = sorted(best.values(), key=lambda s: (-s.score, s.clause.order))
        if unpreferred:  # a preference reorders; it never hides the best match of another document
            winner = max(unpreferred, key=unpreferred.get)
            pos = next(i for i, s in enumerate(ranked) if s.clause.clause_id == winner)
            keep = self.settings.keep_best_within - 1
            if pos > keep:
                ranked.insert(keep, ranked.pop(pos))
        if comparing:
            ranked = _interleave_documents(ranked, preferred, self.settings.compare_slots)
        if len(ranked) < k:
            ranked += self._fill(ranked, filters, k - len(ranked), dense_scores)
        ranked = ranked[:k]

        asked = normalize(focus) if focus else qnorm  # what this turn asks for (not the earlier turn)
        features = self._features(qnorm, qtokens, ranked, dense_scores, other_places, asked, alternatives)
        confidence = self.confidence_model.predict(features)
        reason = features.decisive_reason or ("low-confidence" if confidence < self.decline_threshold else "")
        if not ranked:
            reason = "no-clauses"
        declined = bool(reason)
        return RetrievalResult(
            reason,
            query,
            qnorm,
            ranked,
            confidence,
            declined,
            features,
            sorted(preferred),
            filters,
            time.perf_counter() - t0,
            {"compared_docs": sorted(preferred)} if comparing else {},
        )

    def _fill(
        self, have: list[ScoredClause], filters: RetrievalFilters, need: int, dense: np.ndarray
    ) -> list[ScoredClause]:
        """Top up to k with the allowed clauses nearest by cosine (the report wants ≥ 10)."""
        seen = {s.clause.clause_id for s in have}
        extra: list[ScoredClause] = []
        for idx in np.argsort(-dense, kind="stable"):
            chunk = self.index.chunks[int(idx)]
            clause = self.index.clause_by_id[chunk.clause_id]
            info = self.index.documents[clause.doc_id]
            if clause.clause_id in seen or not filters.allows(info):
                continue
            seen.add(clause.clause_id)
            extra.append(ScoredClause(clause, info, 0.0, float(dense[idx]), 0.0, chunk.chunk_id))
            if len(extra) == need:
                break
        return extra

    def _features(
        self,
        qnorm: str,
        qtokens: list[str],
        ranked: list[ScoredClause],
        dense: np.ndarray,
        other_places: list[str],
        asked: str,
        alternatives: dict[str, set[str]] | None = None,
    ) -> QueryFeatures:
        top_dense = float(dense.max()) if dense.size else 0.0
        margin = top_dense - float(np.median(dense)) if dense.size else 0.0
        top3 = [normalize(s.clause.text + " " + s.clause.label) for s in ranked[:3]]
        top_text = " ".join(top3)
        cjk_tokens = [
            t
            for t in dict.fromkeys(qtokens)
            if re.search(r"[\u4e00-\u9fff]", t) and t not in QUESTION_WORDS and not INTERROGATIVE.match(t)
        ]
        alternatives = alternatives or {}
        coverage, missing_rarity = float("nan"), 0.0
        if cjk_tokens and ranked:

            def present(t: str) -> bool:  # "韶关市" is present when the clauses say "韶关"
                if t in top_text or (len(t) > 2 and t[-1] in "省市区县" and t[:-1] in top_text):
                    return True
                return any(a in top_text for a in alternatives.get(t, ()))

            weights = {t: self._idf.get(t, self._max_idf) for t in cjk_tokens}
            missing = [t for t in weights if not present(t)]
            total = sum(weights.values())
            coverage = 1.0 - sum(weights[t] for t in missing) / total if total else 0.0
            # rare in the plans AND specific in general Chinese: 保费, 组长 — not paraphrase words like 打算
            missing_rarity = max((weights[t] / self._max_idf * specificity(t) for t in missing), default=0.0)
        unmet = next(
            (
                kind
                for kind, (asks, states) in ANSWER_TYPES.items()
                if asks.search(asked) and not any(states.search(t) for t in top3)
            ),
            "",
        )
        unit = QUANTITY_UNIT.search(asked)
        wanted = UNIT_ALIASES.get(unit.group(1), unit.group(1)) if unit else ""
        asks_quantity = ANSWER_TYPES["quantity"][0].search(asked)
        if not wanted and asks_quantity and MONEY_WORDS.search(asked) and not RATE_WORDS.search(asked):
            wanted = UNIT_ALIASES["元"]
        # "多少万元" needs an amount in 万元, not just any number
        if not unmet and wanted and not any(re.search(rf"\d\s*(?:{wanted})", t) for t in top3):
            unmet = "quantity"
        return QueryFeatures(
            top_dense=top_dense,
            dense_margin=margin,
            coverage=coverage,
            missing_rarity=missing_rarity,
            other_place=next((p for p in other_places if not _mentioned_alike(p, qnorm, top_text)), ""),
            unseen_number=next((n for n in NUMBER.findall(qnorm) if n not in self._corpus_numbers), ""),
            unseen_term=next((t for t in QUOTED.findall(asked) if match_key(t) not in self._corpus_key), ""),
            unmet_answer_type=unmet,
        )

    @property
    def decline_threshold(self) -> float:
        """RAG_DECLINE_THRESHOLD when set (>= 0), else the threshold calibrated with the model."""
        configured = self.settings.decline_threshold
        return configured if configured >= 0 else self.confidence_model.threshold

    @property
    def idf(self) -> dict[str, float]:
        """Inverse document frequency of each token over the clause chunks."""
        return self._idf

    @property
    def _max_idf(self) -> float:
        return max(self._idf.values(), default=1.0)


def _mentioned_alike(place: str, query: str, text: str) -> bool:
    """True when `text` mentions `place` the way the question does ("深圳出入境检验检疫局"),
    not merely in passing ("依托广州、深圳等中心城市" for a question about 广州市's own plan)."""
    i = query.find(place)
    phrase = query[i : i + len(place) + PLACE_CONTEXT_CHARS] if i >= 0 else place
    phrase = re.split(r"[的，,。？?、\s]", phrase)[0]
    return len(phrase) > len(place) and phrase in text


def _interleave_documents(ranked: list[ScoredClause], docs: set[str], slots: int) -> list[ScoredClause]:
    """For a comparison, put each compared document's best `slots` clauses first (round-robin)."""
    per_doc = {d: [s for s in ranked if s.clause.doc_id == d][:slots] for d in sorted(docs)}
    head: list[ScoredClause] = []
    for i in range(slots):
        layer = [clauses[i] for clauses in per_doc.values() if i < len(clauses)]
        head += sorted(layer, key=lambda s: -s.score)
    chosen = {id(s) for s in head}
    return head + [s for s in ranked if id(s) not in chosen]


def _idf_table(chunk_tokens: list[list[str]]) -> dict[str, float]:
    n = len(chunk_tokens)
    df: dict[str, int] = {}
    for toks in chunk_tokens:
        for t in set(toks):
            df[t] = df.get(t, 0) + 1
    # unseen tokens get log(n + 1): rarer than anything in the corpus
    return {t: math.log((n + 1) / (c + 0.5)) for t, c in df.items()} | {"": math.log(n + 1)}
