"""Decide on evidence: do the retrieved clauses state what the question asks, about its focus,
for the place, level and time asked? The retriever retrieves; this module decides.

Evidence rules (each one declines with a reason the reply can give):
- `place`: the question names only places no document covers (深圳, Guangzhou);
- `number` / `term`: it names a number or quotes a name no document contains (2030, “质量护照”);
- `national`: it asks about the national level; a city's or province's plan does not answer it
  unless a top clause speaks of the national level itself;
- `current`: it asks about the state today ("现在有多少家"), and the top clauses give only targets
  ("到2025年…达到…") or no figure;
- `answer-type`: it asks for a kind of thing (amount, rate, count, date, year, contact, address,
  person, procedure) and no top clause sentence states one — after `evidence_first` has moved up a
  clause from a little further down that states it about the question's topic.

In the gray zone (confidence just above the threshold) and when the model, reading the clauses,
refuses or writes nothing but citations, `ModelJudge` asks the local model one short yes/no
question — do these sentences answer this question? — and reads P(是) from its logits; below
`RAG_JUDGE_MIN_YES` the question is declined.

Otherwise a logistic regression over retrieval features (fitted with scikit-learn by `python -m
eval.calibrate`, plain-JSON weights in `rag/confidence.json`) decides. Its features are computed
on the question's focus (rag/query.py), and words the plans never use count by how specific they
are in general Chinese, so a long colloquial question is not declined for its filler.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from rag.confidence import ConfidenceModel, QueryFeatures
from rag.glossary import chinese_terms
from rag.lexicon import Lexicon, load_lexicon
from rag.places import without_version_words
from rag.query import QueryAnalysis
from rag.text import SENTENCE_ENDS, match_key, normalize, specificity, split_sentences, tokens

if TYPE_CHECKING:  # the retrieval result is decided here, not built: no import at run time
    from rag.retrieve.types import RetrievalResult

EVIDENCE_CLAUSES = 3  # the top clauses whose text must state the asked-for thing
PLACE_CONTEXT_CHARS = 3  # characters after a place name that must match for "mentioned the same way"
NUMBER = re.compile(r"(?<![A-Za-z\d.])\d+(?:\.\d+)?(?![A-Za-z\d])")  # not "PM2.5", "5G", "3D"
# "到25年", "24-25年": a year written short (each of a range)
SHORT_YEAR = re.compile(r"(?<![A-Za-z\d.])(\d\d)(?=\s*(?:年|[-–—~至到]\s*\d\d\s*年))")
QUOTED = re.compile(r"[“\"「『《]([^”\"」』》]*[\u4e00-\u9fff][^”\"」』》]*)[”\"」』》]")
FIGURE_TYPES = {"count", "amount", "rate"}  # asked about today or the nation, these need a local, present figure
ANCHOR_MIN_IDF_SHARE = 0.1  # an anchor word is rarer than this share of the rarest word (not 质量)


@dataclass
class Decision:
    """The verdict for one question (or one part of it)."""

    declined: bool
    reason: str  # "" when answerable; place:…, number:…, term:…, national, current, answer-type:…, low-confidence
    confidence: float
    features: QueryFeatures
    mechanism: str  # "rule" | "model" | "none"
    stated: list[str] = field(default_factory=list)  # clause_ids of top clauses that state the asked-for thing


class EvidenceJudge:
    """Evidence rules plus the calibrated model; one per index."""

    def __init__(
        self,
        clause_texts: list[str],
        titles: list[str],
        idf: dict[str, float],
        model: ConfidenceModel | None = None,
        lexicon: Lexicon | None = None,
        threshold: float | None = None,
        topic_words: Callable[[str], list[str]] | None = None,
        evidence_search_k: int = EVIDENCE_CLAUSES,
    ) -> None:
        self.topic_words = topic_words
        self.evidence_search_k = evidence_search_k
        self.lexicon = lexicon or load_lexicon()
        self.model = model or ConfidenceModel.load()
        self.idf = idf
        self.max_idf = max(idf.values(), default=1.0)
        self.corpus_numbers = set(NUMBER.findall(normalize(" ".join(clause_texts))))
        self.corpus_key = match_key("\n".join(clause_texts + titles))
        self._threshold = threshold

    def _unseen_number(self, text: str) -> str:
        """The first number of `text` no document mentions; "25年" counts as 2025 when the plans
        mention that year (people write years short: "到25年", "16-17年")."""
        short = {m.group(1) for m in SHORT_YEAR.finditer(text) if "20" + m.group(1) in self.corpus_numbers}
        return next((n for n in NUMBER.findall(text) if n not in self.corpus_numbers and n not in short), "")

    @property
    def threshold(self) -> float:
        return self.model.threshold if self._threshold is None or self._threshold < 0 else self._threshold

    # ------------------------------------------------------------------ features
    def features(
        self, analysis: QueryAnalysis, ranked: list, dense: np.ndarray, ask: str | None = None
    ) -> QueryFeatures:
        """Soft and rule features of the top clauses for the question's focus (or one part `ask`)."""
        lx = self.lexicon
        ask = ask if ask is not None else (analysis.ask or analysis.focus)
        top = [
            normalize(s.clause.text + " " + s.clause.label + " " + "、".join(s.clause.responsible))
            for s in ranked[:EVIDENCE_CLAUSES]
        ]
        top_text = " ".join(top)
        top_dense = float(dense.max()) if dense.size else 0.0
        margin = top_dense - float(np.median(dense)) if dense.size else 0.0
        # words naming the version asked for (草稿版, 正式版) say which document, not what about: the
        # version reading (analysis.versions) has used them, and the plans call a draft 征求意见稿
        topic = without_version_words(ask, lx) if analysis.versions else ask
        words = _without_compounds(
            [
                t
                for t in dict.fromkeys(tokens(topic))
                if re.search(r"[\u4e00-\u9fff]", t) and t not in lx.question_words and not lx.interrogative.match(t)
            ],
            self.idf,
        )
        alternatives = {t: set(g) for g in analysis.glossary_terms for t in g}
        coverage, missing_rarity = float("nan"), 0.0
        if words and ranked:

            def present(t: str) -> bool:  # "韶关市" is present when the clauses say "韶关"
                if t in top_text or (len(t) > 2 and t[-1] in lx.place_suffixes and t[:-1] in top_text):
                    return True
                return any(a in top_text for a in alternatives.get(t, ()))

            # a word the plans use weighs its IDF; one they never use weighs by how specific it is
            # in general Chinese: 保费 counts, 咋/小店-style everyday words hardly do
            weights = {t: self.idf[t] if t in self.idf else self.max_idf * specificity(t) for t in words}
            missing = [t for t in weights if not present(t)]
            total = sum(weights.values())
            coverage = 1.0 - sum(weights[t] for t in missing) / total if total else 0.0
            missing_rarity = max(
                (min(1.0, self.idf.get(t, self.max_idf) / self.max_idf) * specificity(t) for t in missing), default=0.0
            )
        low_ask = normalize(ask).lower()
        return QueryFeatures(
            top_dense=top_dense,
            dense_margin=margin,
            coverage=coverage,
            missing_rarity=missing_rarity,
            other_place=next(
                (p for p in analysis.other_places if not _mentioned_alike(p, analysis.repaired, top_text)), ""
            ),
            unseen_number=self._unseen_number(low_ask),
            # a name the user quoted (not one a translation put in quotes)
            unseen_term=next(
                (t for t in QUOTED.findall(analysis.normalized) if match_key(t) not in self.corpus_key), ""
            ),
            unmet_answer_type=self._unmet(analysis, ask, ranked),
        )

    def stating(self, answer_type: str, ranked: list, ask: str = "", english: str = "") -> list:
        """The top clauses with a sentence that states the asked-for kind of thing about the focus:
        the sentence matches the type's `states` pattern and names one of the ask's topic words
        (when the top clauses use any of them), so "利率是多少" is not answered by a pass rate."""
        if not answer_type:
            return list(ranked[:EVIDENCE_CLAUSES])
        states_kind = self._states_kind(answer_type, ask)
        top = ranked[:EVIDENCE_CLAUSES]
        top_text = normalize(" ".join(s.clause.text for s in top))
        topics = [t for t in self._anchors(ask, english) if t in top_text]
        out = []
        for s in top:
            if answer_type == "department" and s.clause.responsible:
                out.append(s)
                continue
            for sentence in _sentences(normalize(s.clause.body)):
                if states_kind(sentence) and (not topics or any(t in sentence for t in topics)):
                    out.append(s)
                    break
        return out

    def _states_kind(self, answer_type: str, ask: str) -> Callable[[str], bool]:
        """Does a sentence state the asked-for kind? An amount or count asked in money ("多少钱",
        "几万元") needs a sum of money, not just any figure."""
        lx = self.lexicon
        states = lx.answer_type(answer_type).states
        if answer_type in {"amount", "count"} and lx.money_words.search(normalize(ask).lower()):
            money = lx.answer_type("amount").states
            return lambda sentence: bool(states.search(sentence) and money.search(sentence))
        return lambda sentence: bool(states.search(sentence))

    def _anchors(self, ask: str, english: str = "") -> list[str]:
        """Words of the ask that a sentence stating its answer would name: the topic words, or, when
        the ask has none, any word the plans use that is not a question word or a place (贷款).
        `english`: the English original of an English question ("" otherwise). A translation
        paraphrases (政府服务 for the plans' 政务服务, 措施 for 举措), so the topic words among the
        glossary's Chinese for its English words ("measures" → 举措 措施) anchor as well — not those
        naming a version ("draft" → 征求意见稿), which say which document, not what about."""
        if self.topic_words is None:
            return []
        anchors = self.topic_words(ask) or self._plan_words(ask)
        if english:
            terms = without_version_words(" ".join(chinese_terms(english)), self.lexicon)
            anchors += [t for t in self.topic_words(terms) if t not in anchors]
        return anchors

    def _plan_words(self, ask: str) -> list[str]:
        """The ask's words the plans use that are rare enough to tell clauses apart, question words aside."""
        lx = self.lexicon
        floor = ANCHOR_MIN_IDF_SHARE * self.max_idf
        return [
            t
            for t in dict.fromkeys(tokens(ask))
            if len(t) >= 2
            and t in self.idf
            and self.idf[t] >= floor
            and t not in lx.question_words
            and re.search(r"[\u4e00-\u9fff]", t)
            and not lx.interrogative.match(t)
        ]

    def _unmet(self, analysis: QueryAnalysis, ask: str, ranked: list) -> str:
        lx = self.lexicon
        whole = ask == (analysis.ask or analysis.focus)
        # the whole question's type was read from the user's own words too (English: not only the translation)
        kind = analysis.answer_type if whole else lx.answer_type_of(normalize(ask).lower())
        if not kind or kind == "department":  # every clause of these plans names who acts
            return ""
        if analysis.asks_national and kind in FIGURE_TYPES:  # a national figure: the plans are local
            return "national"
        stating = self.stating(kind, ranked, ask, analysis.english_of(ask))
        if not stating:
            return kind
        if analysis.asks_current and kind in FIGURE_TYPES:
            # today's figure: a sentence with the figure that is not a target ("到2025年…达到…以上")
            states = lx.answer_type(kind).states
            topics = self._anchors(ask, analysis.english_of(ask))
            present = [
                sent
                for s in stating
                for sent in _sentences(normalize(s.clause.body))
                if states.search(sent)
                and not lx.target_sentence.search(sent)
                and (not topics or any(t in sent for t in topics))
            ]
            if not present:
                return "current"
        return ""

    # ------------------------------------------------------------------ the decision
    def decide(self, analysis: QueryAnalysis, ranked: list, dense: np.ndarray, ask: str | None = None) -> Decision:
        features = self.features(analysis, ranked, dense, ask)
        if not ranked:
            return Decision(True, "no-clauses", 0.0, features, "rule")
        confidence = self.model.predict(features)
        reason = features.decisive_reason
        if reason:
            return Decision(True, reason, confidence, features, "rule")
        if confidence < self.threshold:
            return Decision(True, "low-confidence", confidence, features, "model")
        whole = ask is None
        ask = ask or analysis.ask or analysis.focus
        # the whole question's kind was read from its asking segments (QueryAnalysis.kind_text)
        kind = analysis.answer_type if whole else self.lexicon.answer_type_of(normalize(ask).lower())
        stated = [s.clause.clause_id for s in self.stating(kind, ranked, ask, analysis.english_of(ask))] if kind else []
        return Decision(False, "", confidence, features, "model", stated)

    def evidence_first(self, result: RetrievalResult) -> int | None:
        """When no top clause states the asked-for kind of thing (an address, a rate…) but one a
        little further down states it about the question's topic, that clause moves up to the last
        of the top places the decision and the prompt read. Returns its old rank, else None.
        The whole question's ranking; compared sides and parts are ordered by the ranker (`promote_stating`)."""
        analysis = result.analysis
        kind = analysis.answer_type
        if not kind or kind == "department" or result.parts or result.sides:
            return None
        ask = analysis.ask or analysis.focus
        english = analysis.english_of(ask)
        if self.stating(kind, result.clauses, ask, english):
            return None
        return self.promote_stating(result.clauses, ask, english, EVIDENCE_CLAUSES, kind)

    def promote_stating(self, ranked: list, ask: str, english: str, places: int, kind: str | None = None) -> int | None:
        """Move the clause below the top `places` whose sentence stating the asked-for kind names the
        most of the ask's topic words (IDF-weighted; not the words naming the kind: "申报条件", "地址")
        up to the last of those places, when it names more than any of them. In place; returns its old rank.
        `kind`: the asked-for kind, by default read from `ask` (a part of a multi-part question)."""
        kind = self.lexicon.answer_type_of(normalize(ask).lower()) if kind is None else kind
        if not kind or kind == "department" or places < 1 or len(ranked) <= places:
            return None
        answer_type = self.lexicon.answer_type(kind)
        states_kind = self._states_kind(kind, ask)
        kind_words = "".join(m.group(0) for m in answer_type.asks.finditer(normalize(ask).lower()))
        anchors = [a for a in self._anchors(ask, english) if a not in kind_words]
        if not anchors:  # nothing to tell a clause about the topic from any clause with a figure
            return None

        def weight(scored) -> float:
            """The rare words of the ask its best sentence stating the kind names (IDF sum, 0: none)."""
            sentences = [t for t in _sentences(normalize(scored.clause.body)) if states_kind(t)]
            return max((sum(self.idf.get(a, 0.0) for a in anchors if a in t) for t in sentences), default=0.0)

        depth = min(len(ranked), self.evidence_search_k)
        weights = [weight(s) for s in ranked[:depth]]
        held = max(weights[:places])
        best = max(range(places, depth), key=lambda i: (weights[i], -i), default=None)
        # a clause further down moves up when it states the kind about more of the topic than the
        # top places do ("制造业产品质量合格率达到94%" over "制造业质量竞争力指数达到94")
        if best is None or weights[best] <= held:
            return None
        ranked.insert(places - 1, ranked.pop(best))
        return best

    def decide_result(self, result: RetrievalResult) -> RetrievalResult:
        """Fill in the decision of a retrieval result, per part for several parts: a multi-part
        question is declined only when no part is answered, and is as sure as its surest part."""
        result.extra["evidence_moved_from"] = self.evidence_first(result)
        analysis = result.analysis
        decision = self.decide(analysis, result.clauses, result.dense)
        if result.parts:
            result.part_decisions = self._decide_parts(analysis, result.parts, result.dense)
            answered = [d for d in result.part_decisions if not d.declined]
            if answered:
                decision = max(answered, key=lambda d: d.confidence)
        result.decision = decision
        result.features = decision.features
        result.confidence = decision.confidence
        result.declined = decision.declined
        result.decline_reason = decision.reason
        return result

    def _decide_parts(self, analysis: QueryAnalysis, parts: list[list], dense: np.ndarray) -> list[Decision]:
        decisions: list[Decision] = []
        for part, ranked in zip(analysis.parts, parts, strict=True):
            d = self.decide(analysis, ranked, dense, ask=part.text)
            before = decisions[-1] if decisions else None
            if part.continues and before is not None and before.declined and not d.declined:
                # "…怎么申请？找哪家银行？": a continuation of a part the plans do not answer
                d = Decision(True, before.reason, d.confidence, d.features, "rule")
            decisions.append(d)
        return decisions


def _without_compounds(words: list[str], idf: dict[str, float]) -> list[str]:
    """`words` (jieba search mode: a long word and its pieces) with a word the plans never use counted
    once: at its longest (有助于, not also 有助 and 助于, which look like rare words), and not at all
    when the plans' words among `words` spell it out (法律义务 = 法律 + 义务: its parts carry it).
    Words the plans use keep their pieces (产品质量, 产品, 质量), as before."""
    known = [w for w in words if w in idf]
    unknown = [w for w in words if w not in idf]

    def spelled(word: str) -> bool:
        covered = [False] * len(word)
        for part in known:
            if part != word and part in word:
                i = word.find(part)
                covered[i : i + len(part)] = [True] * len(part)
        return all(covered)

    def piece(word: str) -> bool:
        return any(word != other and word in other for other in unknown)

    return [w for w in words if w in idf or not (spelled(w) or piece(w))]


def _sentences(text: str) -> list[str]:
    """The sentences of `text` (rag.text.split_sentences) without their closing punctuation: the
    evidence patterns read a sentence's words, and a pattern ending at `$` must see its last word."""
    return [s[:-1] if s[-1] in SENTENCE_ENDS else s for s in split_sentences(text)]


def _mentioned_alike(place: str, query: str, text: str) -> bool:
    """True when `text` mentions `place` the way the question does ("深圳出入境检验检疫局"),
    not merely in passing ("依托广州、深圳等中心城市" for a question about 广州市's own plan)."""
    i = query.find(place)
    phrase = query[i : i + len(place) + PLACE_CONTEXT_CHARS] if i >= 0 else place
    phrase = re.split(r"[的，,。？?、\s]", phrase)[0]
    return len(phrase) > len(place) and phrase in text


@dataclass
class JudgeVerdict:
    """The yes/no judge's reading of the top sentences: P(yes), and whether that declines."""

    p_yes: float
    declined: bool
    seconds: float
    stage: str  # "gray-zone" (before answering) | "refusal" (after the model found no answer)

    def to_dict(self) -> dict:
        return {
            "p_yes": round(self.p_yes, 4),
            "declined": self.declined,
            "seconds": round(self.seconds, 3),
            "stage": self.stage,
        }


class ModelJudge:
    """One short constrained call: the few sentences most likely to answer, the question, "是/否".

    Short on purpose (~100 prompt tokens: about 1 s at 90 tok/s); the instructions share the
    answer's system prompt, which stays in the model's prefix cache. `judge_after` asks instead
    about an answer prompt the model has just read (~25 new tokens)."""

    YES, NO = "是", "否"

    def __init__(
        self,
        yes_probability: Callable[[list[dict[str, str]], str, str], float],
        system: str,
        template: str,
        min_yes: float,
        instruction: str,
    ) -> None:
        if not 0 <= min_yes < 1:
            raise ValueError(f"min_yes must be in [0, 1), got {min_yes}")
        self.yes_probability = yes_probability
        self.system = system
        self.template = template  # the sentences and the question ({clauses}, {question})
        self.min_yes = min_yes
        self.instruction = instruction  # the yes/no question, after the clauses and the question

    def judge(self, question: str, sentences: list[str], stage: str) -> JudgeVerdict:
        content = self.template.format(clauses="\n".join(sentences), question=question)
        messages = [
            {"role": "system", "content": self.system},
            {"role": "user", "content": f"{content}\n{self.instruction}"},
        ]
        return self._verdict(messages, stage)

    def judge_after(self, answer_prompt: list[dict[str, str]], stage: str) -> JudgeVerdict:
        """The same question about the answer's own prompt: when the model has read that prompt just
        before (or reads it next, for the answer), it is the start of the prefix cache, so it is
        processed once and the judge adds only the instruction and the chat template."""
        *head, last = answer_prompt
        return self._verdict([*head, {**last, "content": f"{last['content']}\n{self.instruction}"}], stage)

    def _verdict(self, messages: list[dict[str, str]], stage: str) -> JudgeVerdict:
        t0 = time.perf_counter()
        p_yes = self.yes_probability(messages, self.YES, self.NO)
        return JudgeVerdict(p_yes, p_yes < self.min_yes, time.perf_counter() - t0, stage)
