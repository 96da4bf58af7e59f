"""What the model is shown: numbered clause blocks, each with the sentences that matter for the question.

The prompt budget is ~150 tokens on a slow CPU, so `build_blocks` gives the model, per clause, the
sentences that state what is asked (a figure, a date, a phone number) and overlap the question most,
plus the responsible units when the question asks who is responsible and the document's
number/date/issuer when it asks about the document; the citation still carries the whole clause.
The sentence ranking here is shared by the judge (`top_sentences`) and the extractive answers.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.answer_words import load_answer_words
from rag.lexicon import load_lexicon
from rag.text import match_key, normalize, split_phrases, split_sentences, to_simplified, tokens

if TYPE_CHECKING:  # annotations only: answer checking does not load the retriever
    from rag.retrieval import ScoredClause

CITATION = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
# a follow-up's own topic word counts this many times: more than any query's other words together.
# A word scores its length (2-4 characters) times its idf (at most ~7 here), so a query of a few
# hundred words scores ~10^4 at most, while a turn word, a topic word whose idf has a floor
# (`QuestionReader._is_topic`), scores ~10^6 times its own. Known effect: a sentence stating the
# asked-for fact without a turn word no longer counts as nearly as relevant as one with it
# (`ranked_sentences`' STATES_MIN_SHARE): the turn says what the sentence must be about.
TURN_WORD_FACTOR = 1e6
STATES_MIN_SHARE = 0.5  # a sentence stating the asked-for fact must have this share of the best word overlap
YEAR_FRAME = re.compile(r"(?:19|20)\d{2}年")  # an opening phrase that dates its sentence ("力争到2025年，")
YEAR_FRAME_MAX_CHARS = 16  # …when it is only that frame, not a long phrase of its own
UNITS_IN_PROMPT = 8  # responsible units listed per block for a department question
# answer types (data/lexicon/query.yaml) whose fact an answer must state, else it is no answer
FACT_TYPES = ("contact", "date", "year", "amount", "rate", "count")


@dataclass(frozen=True)
class Meaning:
    """How close in meaning each piece of clause text is to the question (the embedder's cosine),
    fused with word overlap. For English questions, whose Chinese words come from a 1.5B model's
    translation ("migrant工", "获得资金" for "raise funds") and often miss the clause's own words:
    the multilingual embedder reads the question as typed."""

    similarity: Callable[[list[str]], list[float]]  # texts -> cosine of each to the question
    fusion_k: int  # reciprocal-rank-fusion constant, as the retriever fuses BM25 and dense (RAG_RRF_K)

    def rescore(self, score: Callable[[str], float], pieces: list[str]) -> Callable[[str], float]:
        """Reciprocal-rank fusion of `pieces`' rank by `score` (word overlap) and by closeness in
        meaning, tied values sharing a rank (all pieces sharing no word rank last by words alike):
        no scale to fit between an idf sum and a cosine, which here all lie within ~0.75-0.9. Every
        piece scores above 0, so one sharing no word with the translation can still be shown or
        quoted when it is close in meaning; a text not among `pieces` scores 0."""
        words = {p: score(p) for p in dict.fromkeys(pieces) if p}
        if not words:
            return score
        cosines = dict(zip(words, self.similarity(list(words)), strict=True))
        by_words, by_meaning = _ranks(words), _ranks(cosines)
        fused = {p: 1 / (self.fusion_k + by_words[p]) + 1 / (self.fusion_k + by_meaning[p]) for p in words}
        return lambda piece: fused.get(piece, 0.0)


def _ranks(values: dict[str, float]) -> dict[str, int]:
    """Each key's rank by its value, highest first (0-based); tied values share the better rank."""
    negated = sorted(-v for v in values.values())  # ascending: the highest value first
    return {key: bisect_left(negated, -v) for key, v in values.items()}


@dataclass
class Block:
    """One numbered clause in the prompt."""

    number: int
    scored: ScoredClause
    excerpt: str
    context: str = ""  # the parent clauses' text (a goal bullet's "到2025年" stands in its parent)

    @property
    def text(self) -> str:
        return self.scored.clause.text

    @property
    def support_text(self) -> str:
        """What an answer citing this block may state: the clause, its parents, label and document facts."""
        d = self.scored.document
        parts = [
            self.text,
            self.context,
            self.scored.clause.label,
            d.title,
            d.display_title,
            d.prompt_name,
            d.date,
            d.doc_number,
            d.issuer,
            "、".join(self.scored.clause.responsible),
        ]
        return "\n".join(p for p in parts if p)

    def prompt_line(self, with_units: bool) -> str:
        """The numbered clause line; its document's title is the group header above it (`prompt_lines`).
        The clause's own numbering ("(三十三)", "22、") is left out, the heading and units simplified:
        the model cites by [n], and each of those tokens delays the first one (~25 ms each on 2 cores)."""
        c = self.scored.clause
        line = self.opening()
        if with_units and c.responsible:
            lead = f"牵头：{c.lead}；" if c.lead else ""
            line += to_simplified(f"（{lead}责任单位：{'、'.join(c.responsible[:UNITS_IN_PROMPT])}）")
        return line

    def opening(self) -> str:
        """The line "[n]heading：excerpt", without the units a department question adds after it."""
        return f"[{self.number}]{to_simplified(self.scored.clause.heading)}：{self.excerpt}"

    def document_header(self, with_document: bool) -> str:
        """《title》(draft marker)(document facts when the question asks about the document)."""
        d = self.scored.document
        draft = "（征求意见稿）" if d.is_draft and "征求意见稿" not in d.prompt_name else ""
        header = f"《{d.prompt_name}》{draft}"
        facts = "，".join(x for x in (d.doc_number, d.date, d.issuer) if x)
        if with_document and facts:
            header += f"（文件信息：{normalize(facts)}）"
        return header


def _score(sentence: str, qtokens: set[str], weight: Callable[[str], float] = len) -> float:
    return sum(weight(t) for t in qtokens & set(tokens(sentence)))


def idf_weight(idf: dict[str, float]) -> Callable[[str], float]:
    """A query word's weight in choosing excerpts: its length times its rarity across the clauses,
    so "电梯" outweighs "安全" (an unknown word counts as the rarest)."""
    rarest = max(idf.values(), default=1.0)
    return lambda t: len(t) * idf.get(t, rarest)


def turn_first(weight: Callable[[str], float], words: Set[str]) -> Callable[[str], float]:
    """`weight`, with the words in `words` counting TURN_WORD_FACTOR times, more than all other
    words together: a follow-up's own topic words ("制定" of "标准制定方面的数呢？") choose its
    sentences, and the earlier question's ("检验检测认证") only break ties; they outnumber the
    turn's and otherwise chose the sentences that had answered the earlier question."""
    if not words:
        return weight
    return lambda t: weight(t) * (TURN_WORD_FACTOR if t in words else 1)


def fact_types(question: str) -> list:
    """The kinds of fact the question asks for (a figure, a date, a year, a contact), per the lexicon."""
    q = normalize(question).lower()
    return [t for t in load_lexicon().answer_types if t.name in FACT_TYPES and t.asks.search(q)]


def answer_states(question: str) -> list[re.Pattern]:
    """What the question asks for (a quantity, a date, a year), as patterns a sentence must match.
    A count is any figure here ("指数达到94"): the unit check is the answerability decision's."""
    return [load_answer_words().any_figure if t.name == "count" else t.states for t in fact_types(question)]


def states(text: str, wanted: list[re.Pattern]) -> bool:
    """`text` states everything the question asks for (False when it asks for nothing in particular)."""
    plain = normalize(text)
    return bool(wanted) and all(p.search(plain) for p in wanted)


def name_tokens(blocks: list[Block]) -> set[str]:
    """Words of the blocks' document titles and regions (东莞, 征求意见稿): names, not topics."""
    return document_name_tokens([b.scored for b in blocks])


def document_name_tokens(clauses: list[ScoredClause]) -> set[str]:
    d = [s.document for s in clauses]
    return set(tokens(normalize(" ".join(f"{x.title} {x.display_title} {x.region}" for x in d))))


def ranked_sentences(
    question: str,
    query: str,
    blocks: list[Block],
    ignore: set[str] | None = None,
    weight: Callable[[str], float] = len,
    meaning: Meaning | None = None,
) -> list[tuple[float, str, Block]]:
    """Clause sentences by relevance: those stating what the question asks for first, then word
    overlap (not counting the words in `ignore`; each shared word scored by `weight`, `idf_weight`
    for rare words to count more), plus closeness in meaning when `meaning` is given (English)."""
    qtokens = set(tokens(query)) - (ignore or set())
    wanted = answer_states(question)
    sentences = [(i, s, b) for b in blocks for i, s in enumerate(split_sentences(b.text)) if not is_heading(s, b)]
    scores = {s: _score(s, qtokens, weight) for _, s, _ in sentences}
    word = scores.__getitem__
    # the order; with meaning every sentence scores above 0, while stating the asked-for fact still
    # counts only with words nearly the best's
    order = meaning.rescore(word, list(scores)) if meaning is not None else word
    candidates = [(states(s, wanted), word(s), -b.number, -i, s, b) for i, s, b in sentences]
    best = max((c[1] for c in candidates), default=0.0)
    top_block = min((b.number for b in blocks), default=0)
    # a sentence stating the asked-for kind of fact goes first, if it is nearly as relevant as the
    # best; when none shares a word with the question ("截止到什么时候？" after a question naming
    # the plan), stating it tells apart only the top clause's sentences: the retriever's order
    # still decides which clause is quoted
    candidates = [
        (
            st and (sc >= STATES_MIN_SHARE * best if sc > 0 else best == 0 and b.number == top_block),
            order(s),
            n,
            i,
            s,
            b,
        )
        for st, sc, n, i, s, b in candidates
    ]
    candidates.sort(key=lambda c: c[:4], reverse=True)
    return [(score, s, b) for _, score, _, _, s, b in candidates]


def top_sentences(question: str, query: str, blocks: list[Block], n: int, meaning: Meaning | None = None) -> list[str]:
    """The `n` clause sentences most likely to answer (what a yes/no judge reads); `meaning` (English)
    adds their closeness in meaning to the question, as for the excerpts and quotes."""
    return [s for _, s, _ in ranked_sentences(question, query, blocks, meaning=meaning)[:n]]


def is_heading(sentence: str, block: Block) -> bool:
    c = block.scored.clause
    return match_key(sentence).rstrip("。") in {match_key(c.number + c.heading), match_key(c.heading)}


class _ClauseText:
    """One clause's text as phrases, grouped into the units an excerpt takes whole (sentences, or
    single phrases when the question asks for a fact), and the phrases chosen so far."""

    def __init__(self, text: str, by_phrase: bool) -> None:
        self.phrases: list[tuple[int, str]] = []  # (sentence number, phrase), in order
        self.units: list[list[int]] = []  # phrase indexes of each unit
        for i, sentence in enumerate(split_sentences(text)):
            first = len(self.phrases)
            self.phrases += [(i, p) for p in split_phrases(sentence) or [sentence]]
            indexes = list(range(first, len(self.phrases)))
            self.units += [[x] for x in indexes] if by_phrase else [indexes]
        self.chosen: set[int] = set()

    def text(self, indexes: list[int]) -> str:
        return "".join(self.phrases[x][1] for x in indexes)

    def excerpt(self, budget: int) -> str:
        """The chosen phrases in source order; "…" where text was skipped."""
        out, prev = "", None
        for x in sorted(self.chosen):
            out += ("" if prev is None or x == prev + 1 else "…") + self.phrases[x][1][:budget]
            prev = x
        return out


def clause_starts(text: str) -> list[str]:
    """A clause as the excerpts that begin at each of its sentences and run to its end, normalised
    and joined as every excerpt is: the clause prefix cache's starts. An excerpt of whole sentences
    begins as one of them; a fact question's, which can begin inside a sentence, shares the title
    line and label with them, and more only when its first phrase opens a sentence."""
    clause = _ClauseText(normalize(text), by_phrase=False)
    return ["".join(p for _, p in clause.phrases[unit[0] :]) for unit in clause.units]


def clause_pieces(body: str, text: str) -> list[str]:
    """Every piece of one clause that `Meaning` may rank, in the form it is embedded (normalised):
    the excerpts' units and phrases of the clause's `body`, and the sentences of its whole `text`
    that quotes are chosen from (`ranked_sentences`). Embedded once when the index is built."""
    clause = _ClauseText(normalize(body), by_phrase=False)
    units = [clause.text(unit) for unit in clause.units]
    phrases = [p for _, p in clause.phrases]
    return list(dict.fromkeys(units + phrases + [normalize(s) for s in split_sentences(text)]))


class _Selection:
    """The excerpts of several clauses being chosen within one character budget."""

    def __init__(
        self,
        clauses: list[_ClauseText],
        budget: int,
        score: Callable[[str], float],
        wanted: list[re.Pattern],
        words: Callable[[str], float] | None = None,
        phrase_score: Callable[[str], float] | None = None,
    ) -> None:
        self.clauses, self.budget, self.score, self.wanted = clauses, budget, score, wanted
        self.words = words or score  # word overlap alone (`score` may add meaning)
        self.phrase_score = phrase_score or score  # a phrase's (with meaning, ranked among phrases)
        self.by_phrase = bool(wanted)
        self.used = 0

    def rank(self, piece: str, score: Callable[[str], float] | None = None) -> tuple[bool, float]:
        """Sort key: a piece stating what is asked (and sharing a word) first, then relevance
        (`score`, default the units')."""
        return (not (self.words(piece) > 0 and states(piece, self.wanted)), -(score or self.score)(piece))

    def fits(self, chars: int) -> bool:
        return self.used + chars <= self.budget

    def take(self, j: int, indexes: list[int]) -> None:
        """Choose phrases of clause j; a phrase brings its sentence's opening phrase when that names a
        year ("到2025年，"), so a target keeps its year."""
        c = self.clauses[j]
        for x in indexes:
            if x not in c.chosen:
                c.chosen.add(x)
                self.used += len(c.phrases[x][1])
        if self.by_phrase and indexes:
            opening = _opening(c.phrases, indexes[0])
            if opening is not None and opening not in c.chosen and self.fits(len(c.phrases[opening][1])):
                self.take(j, [opening])

    def best_phrase(self, j: int, indexes: list[int]) -> int:
        c = self.clauses[j]
        return max(indexes, key=lambda x: (self.phrase_score(c.phrases[x][1]), -x))

    def lead(self, j: int) -> None:
        """Clause j's best phrase, if it fits (the first one always: it may be cut to the budget)."""
        c = self.clauses[j]
        ranked = sorted(range(len(c.phrases)), key=lambda x: (self.rank(c.phrases[x][1], self.phrase_score), x))
        if ranked and (self.fits(len(c.phrases[ranked[0]][1])) or not self.used):
            self.take(j, [ranked[0]])

    def extend(self, j: int, unit: list[int]) -> None:
        """Add a unit whole if it fits, else a window of it around its best (or already chosen)
        phrases, growing to the right first: the plans name the topic before what they say about it
        ("在近三届…考核中，韶关稳居B级")."""
        c = self.clauses[j]
        rest = [x for x in unit if x not in c.chosen]
        if not rest:
            return
        if self.fits(len(c.text(rest))):
            self.take(j, rest)
            return
        inside = [x for x in unit if x in c.chosen]
        if not inside:
            best = self.best_phrase(j, unit)
            if not self.fits(len(c.phrases[best][1])):
                return
            self.take(j, [best])
            inside = [best]
        low, high = min(inside), max(inside)
        while True:
            free = [x for x in (high + 1, low - 1) if x in unit and x not in c.chosen]
            nxt = next((x for x in free if self.fits(len(c.phrases[x][1]))), None)
            if nxt is None:
                return
            self.take(j, [nxt])
            low, high = min(low, nxt), max(high, nxt)


def select_sentences(
    texts: list[str],
    query: str,
    budget: int,
    question: str = "",
    weight: Callable[[str], float] = len,
    ignore: set[str] | None = None,
    sources: list[str] | None = None,
    meaning: Meaning | None = None,
) -> list[str]:
    """Excerpts of the clause texts for the prompt, chosen within one character budget.

    The unit of an excerpt is a sentence, or a comma-separated phrase when the question asks for a
    fact (a figure, a date, a phone number): a description or a list reads badly in fragments.
    The plans' sentences run to 150+ characters and the budget is ~130, so:
    1. the first clause, then the best clause of each other source (`sources[i]` names text i's
       document, so both sides of a comparison are quoted), get their best phrase — one stating what
       the question asks for first, then word overlap;
    2. the rest of the budget goes to the units sharing a word with the query, the most relevant
       first, from any clause: whole if they fit, else a window around their best phrase (a long
       sentence no longer takes the whole budget, nor is skipped for a shorter, irrelevant one).
    Excerpts keep source order; skipped text is marked "…". `weight` scores a matched query word
    (`idf_weight`); the words in `ignore` (the documents' own names) do not count; `meaning` (English)
    adds each unit's and phrase's closeness in meaning to the question."""
    if sources is None:
        sources = [str(j) for j in range(len(texts))]
    elif len(sources) != len(texts):
        raise ValueError(f"{len(sources)} sources for {len(texts)} texts")
    qtokens = set(tokens(query)) - (ignore or set())
    wanted = answer_states(question)
    clauses = [_ClauseText(normalize(t), by_phrase=bool(wanted)) for t in texts]
    words: Callable[[str], float] = lambda piece: _score(piece, qtokens, weight)  # noqa: E731
    by_unit = by_phrase = words
    if meaning is not None:  # units are ranked among units, phrases among phrases
        by_unit = meaning.rescore(words, [c.text(unit) for c in clauses for unit in c.units])
        # a fact question's units are its phrases: one ranking serves both
        by_phrase = by_unit if wanted else meaning.rescore(words, [p for c in clauses for _, p in c.phrases])
    selection = _Selection(clauses, budget, by_unit, wanted, words, by_phrase)
    ranked = sorted(
        (selection.rank(c.text(unit)), j, k) for j, c in enumerate(clauses) for k, unit in enumerate(c.units)
    )
    best_of_source: dict[str, int] = {sources[0]: 0} if texts else {}
    for (_, negative_score), j, _k in ranked:
        if negative_score < 0:
            best_of_source.setdefault(sources[j], j)
    for j in best_of_source.values():
        selection.lead(j)
    for (_, negative_score), j, k in ranked:
        if negative_score >= 0:
            break  # the rest share no word with the question
        selection.extend(j, clauses[j].units[k])
    return [c.excerpt(budget) for c in clauses]


def _opening(units: list[tuple[int, str]], k: int) -> int | None:
    """The index of phrase k's sentence's first phrase when that one names a year, else None."""
    sentence = units[k][0]
    first = next(i for i, (s, _) in enumerate(units) if s == sentence)
    text = units[first][1]
    return first if first != k and len(text) <= YEAR_FRAME_MAX_CHARS and YEAR_FRAME.search(text) else None


def build_blocks(
    clauses: list[ScoredClause],
    query: str,
    total_chars: int,
    context_of: Callable[[ScoredClause], str] | None = None,
    question: str = "",
    idf: dict[str, float] | None = None,
    turn_words: Set[str] = frozenset(),
    meaning: Meaning | None = None,
) -> list[Block]:
    """Number the clauses for the prompt, each with its excerpt (`select_sentences`): the clauses
    with an excerpt 1..m in rank order, then those the budget left without one (not shown in the
    prompt, `prompt_lines`), so the numbers the model sees have no gaps.

    `query` is the retrieval's normalised query (for English, expanded with Chinese terms); with
    `idf`, rare query words weigh more in choosing the excerpts and the documents' names not at all;
    a follow-up's `turn_words` choose before all others (`turn_first`); `meaning` (English) adds
    closeness in meaning to the question."""
    weight, ignore = (idf_weight(idf), document_name_tokens(clauses)) if idf else (len, set())
    weight = turn_first(weight, turn_words)
    sources = [s.document.doc_id for s in clauses]
    texts = [s.clause.body for s in clauses]
    excerpts = select_sentences(texts, query, total_chars, question, weight, ignore, sources, meaning)
    pairs = list(zip(clauses, excerpts, strict=True))
    ordered = [p for p in pairs if p[1]] + [p for p in pairs if not p[1]]
    return [Block(i, s, text, context_of(s) if context_of else "") for i, (s, text) in enumerate(ordered, 1)]


def prompt_lines(blocks: list[Block], question: str, show_empty: bool = False) -> list[str]:
    """The blocks' lines, each run of blocks from one document under one title line: a title
    repeated per clause cost ~6 prompt tokens each and told the model nothing new. A block the
    budget left without an excerpt is not shown (its heading cost ~15 tokens and could not support
    an answer; `build_blocks` numbers those last), unless `show_empty` (the budget measuring every
    label, `prompting.evidence_chars`) or no block has an excerpt."""
    words = load_answer_words()
    with_units = bool(words.department_question.search(question))
    with_document = bool(words.document_question.search(question))
    shown = blocks if show_empty else [b for b in blocks if b.excerpt] or blocks
    lines, previous = [], None
    for b in shown:
        if b.scored.document.doc_id != previous:
            lines.append(b.document_header(with_document))
            previous = b.scored.document.doc_id
        lines.append(b.prompt_line(with_units))
    return lines


def bigrams(text: str) -> set[str]:
    key = match_key(text)
    return {key[i : i + 2] for i in range(len(key) - 1)}


def overlap(answer: str, clause_text: str, question: str = "") -> float:
    """Share of the answer's character bigrams — beyond those it repeats from the question — in the clause."""
    a = bigrams(CITATION.sub("", answer)) - bigrams(question)
    return len(a & bigrams(clause_text)) / len(a) if a else 0.0
