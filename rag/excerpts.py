"""What the model is shown: numbered clause blocks, each with the sentences that matter for the question.

The prompt budget is ~150 tokens on a slow CPU, so `build_blocks` gives the model, per clause, the
sentences that state what is asked (a figure, a date, a phone number) and overlap the question most,
plus the responsible units when the question asks who is responsible and the document's
number/date/issuer when it asks about the document; the citation still carries the whole clause.
The sentence ranking here is shared by the judge (`top_sentences`) and the extractive answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rag.answer_words import load_answer_words
from rag.lexicon import load_lexicon
from rag.text import match_key, normalize, split_sentences, tokens

if TYPE_CHECKING:  # annotations only: answer checking does not load the retriever
    from rag.retrieval import ScoredClause

CITATION = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
STATES_MIN_SHARE = 0.5  # a sentence stating the asked-for fact must have this share of the best word overlap
UNITS_IN_PROMPT = 8  # responsible units listed per block for a department question
# answer types (data/lexicon/query.yaml) whose fact an answer must state, else it is no answer
FACT_TYPES = ("contact", "date", "year", "amount", "rate", "count")


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
            d.date,
            d.doc_number,
            d.issuer,
            "、".join(self.scored.clause.responsible),
        ]
        return "\n".join(p for p in parts if p)

    def prompt_line(self, with_units: bool, with_document: bool) -> str:
        s = self.scored
        draft = "（征求意见稿）" if s.document.is_draft and "征求意见稿" not in s.document.display_title else ""
        line = (
            f"[{self.number}]《{s.document.display_title}》{draft}{s.clause.number}{s.clause.heading}：{self.excerpt}"
        )
        if with_units and s.clause.responsible:
            lead = f"牵头：{s.clause.lead}；" if s.clause.lead else ""
            line += f"（{lead}责任单位：{'、'.join(s.clause.responsible[:UNITS_IN_PROMPT])}）"
        if with_document:
            d = s.document
            facts = "，".join(x for x in (d.doc_number, d.date, d.issuer) if x)
            if facts:
                line += f"（文件信息：{normalize(facts)}）"
        return line


def _score(sentence: str, qtokens: set[str]) -> float:
    return sum(len(t) for t in qtokens & set(tokens(sentence)))


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
    d = [b.scored.document for b in blocks]
    return set(tokens(normalize(" ".join(f"{x.title} {x.display_title} {x.region}" for x in d))))


def ranked_sentences(
    question: str, query: str, blocks: list[Block], ignore: set[str] | None = None
) -> list[tuple[float, str, Block]]:
    """Clause sentences by relevance: those stating what the question asks for first, then word
    overlap (not counting the words in `ignore`)."""
    qtokens = set(tokens(query)) - (ignore or set())
    wanted = answer_states(question)
    candidates = []
    for b in blocks:
        for i, s in enumerate(split_sentences(b.text)):
            if is_heading(s, b):
                continue
            candidates.append((states(s, wanted), _score(s, qtokens), -b.number, -i, s, b))
    best = max((c[1] for c in candidates), default=0.0)
    # a sentence stating the asked-for kind of fact goes first, if it is nearly as relevant as the best
    candidates = [(st and sc > 0 and sc >= STATES_MIN_SHARE * best, sc, *rest) for st, sc, *rest in candidates]
    candidates.sort(key=lambda c: c[:4], reverse=True)
    return [(score, s, b) for _, score, _, _, s, b in candidates]


def top_sentences(question: str, query: str, blocks: list[Block], n: int) -> list[str]:
    """The `n` clause sentences most likely to answer (what a yes/no judge reads)."""
    return [s for _, s, _ in ranked_sentences(question, query, blocks)[:n]]


def is_heading(sentence: str, block: Block) -> bool:
    c = block.scored.clause
    return match_key(sentence).rstrip("。") in {match_key(c.number + c.heading), match_key(c.heading)}


def select_sentences(texts: list[str], query: str, budget: int, question: str = "") -> list[str]:
    """Excerpts of the clause texts for the prompt, chosen sentence by sentence within one budget.

    Every clause gets its best sentence (so each block can be cited); the rest of the budget goes
    to the most relevant sentences of any clause, wherever they are — a sentence stating what the
    question asks for (a figure, a date, a phone number) first, then word overlap. Excerpts keep
    source order; skipped text is marked "…"."""
    qtokens = set(tokens(query))
    wanted = answer_states(question)
    sentences = [split_sentences(normalize(t)) for t in texts]
    ranked = []
    for j, sents in enumerate(sentences):
        for i, sent in enumerate(sents):
            score = _score(sent, qtokens)
            ranked.append((not (score > 0 and states(sent, wanted)), -score, j, i))
    ranked.sort()
    chosen: list[set[int]] = [set() for _ in texts]
    used = 0
    best_first = {j: (j, i) for *_, j, i in reversed(ranked)}  # each clause's best sentence
    for j, i in [best_first[j] for j in sorted(best_first)] + [(j, i) for *_, j, i in ranked]:
        size = min(len(sentences[j][i]), budget)
        if i in chosen[j] or (used + size > budget and used):
            continue
        chosen[j].add(i)
        used += size
    return [_joined(sentences[j], chosen[j], budget) for j in range(len(texts))]


def _joined(sentences: list[str], chosen: set[int], budget: int) -> str:
    """The chosen sentences in source order; "…" where text was skipped."""
    out, prev = "", None
    for i in sorted(chosen):
        out += ("" if prev is None or i == prev + 1 else "…") + sentences[i][:budget]
        prev = i
    return out


def build_blocks(
    clauses: list[ScoredClause],
    query: str,
    total_chars: int,
    context_of: Callable[[ScoredClause], str] | None = None,
    question: str = "",
) -> list[Block]:
    """Number the clauses for the prompt, each with its excerpt (`select_sentences`).

    `query` is the retrieval's normalised query (for English, expanded with Chinese terms)."""
    excerpts = select_sentences([s.clause.body for s in clauses], query, total_chars, question)
    return [
        Block(i, s, text, context_of(s) if context_of else "")
        for i, (s, text) in enumerate(zip(clauses, excerpts, strict=True), 1)
    ]


def prompt_lines(blocks: list[Block], question: str) -> list[str]:
    words = load_answer_words()
    with_units = bool(words.department_question.search(question))
    with_document = bool(words.document_question.search(question))
    return [b.prompt_line(with_units, with_document) for b in blocks]


def bigrams(text: str) -> set[str]:
    key = match_key(text)
    return {key[i : i + 2] for i in range(len(key) - 1)}


def overlap(answer: str, clause_text: str, question: str = "") -> float:
    """Share of the answer's character bigrams — beyond those it repeats from the question — in the clause."""
    a = bigrams(CITATION.sub("", answer)) - bigrams(question)
    return len(a & bigrams(clause_text)) / len(a) if a else 0.0
