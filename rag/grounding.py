"""Code owns the evidence: excerpts for the prompt, citations, grounding, and the extractive fallback.

The 1.5B model renumbers citations, writes "[编号]", cites nothing, or states a number that is
in no clause. So:
- `excerpt` picks the sentences of a clause that matter for the question (the prompt budget is
  ~250 tokens on this CPU); the citation still carries the whole clause;
- `cite_answer` maps every [n] the model wrote to the block it was given, drops numbers that
  were not in the prompt, renumbers them 1..m in order, and when nothing is cited attaches the
  blocks whose text the answer overlaps most;
- `ground_answer` removes every sentence stating a number, percentage, date or quoted name that
  no cited clause contains;
- `extractive_answer` builds an answer from the best clause sentences when the model refuses
  although retrieval found the answer, or when grounding leaves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.retrieval import ScoredClause
from rag.text import match_key, normalize, tokens

SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
CITATION = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
PLACEHOLDER = re.compile(r"[\[【［]\s*(编号|編號|n|N|数字|x|X)\s*[\]】］]")
FACT_PATTERNS = [
    re.compile(r"\d+(?:\.\d+)?\s*(?:%|％|万|亿|元|家|项|个|名|件|条|类|种|倍|年|月|日|号)?"),  # numbers with units
    re.compile(r"“([^”]{2,30})”"),  # quoted names
    re.compile(r"《([^》]{2,40})》"),  # titles
]
REFUSAL = re.compile(
    r"没有相关规定|沒有相關規定|未作规定|没有提及|未提及|无法回答|无法确定|不知道|"
    r"no relevant|not (?:mentioned|specified|provided)|cannot answer|can't answer|do not (?:contain|mention)",
    re.IGNORECASE,
)
MIN_ANSWER_CHARS = 4  # an answer with fewer real characters than this says nothing
OVERLAP_MIN = 0.25  # share of an answer's character bigrams that must come from a clause to cite it
NEAR_BEST = 0.8  # other clauses are cited too only when they support the answer almost as well
EXTRACTIVE_SENTENCES = 2


@dataclass
class Block:
    """One numbered clause in the prompt."""

    number: int
    scored: ScoredClause
    excerpt: str

    @property
    def text(self) -> str:
        return self.scored.clause.text

    @property
    def support_text(self) -> str:
        """What an answer citing this block may state: the clause, its label and its document's titles."""
        d = self.scored.document
        return "\n".join([self.text, self.scored.clause.label, d.title, d.display_title, d.date, d.doc_number])


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


def _score(sentence: str, qtokens: set[str]) -> float:
    stoks = set(tokens(sentence))
    return sum(len(t) for t in qtokens & stoks)


def excerpt(clause_text: str, question: str, budget: int) -> str:
    """The clause's most question-relevant sentences, in source order, within `budget` characters."""
    text = normalize(clause_text)
    if len(text) <= budget:
        return text
    qtokens = set(tokens(question))
    sentences = _sentences(text)
    ranked = sorted(range(len(sentences)), key=lambda i: (-_score(sentences[i], qtokens), i))
    chosen: set[int] = set()
    used = 0
    for i in ranked:
        if used + len(sentences[i]) > budget and chosen:
            continue
        chosen.add(i)
        used += len(sentences[i])
    parts = [sentences[i] if len(sentences[i]) <= budget else sentences[i][:budget] for i in sorted(chosen)]
    return "…".join(parts)


def build_blocks(clauses: list[ScoredClause], question: str, total_chars: int) -> list[Block]:
    """Number the clauses for the prompt; the first gets half the budget, the rest share the other half."""
    if not clauses:
        return []
    budgets = [total_chars // 2] + [total_chars // (2 * max(len(clauses) - 1, 1))] * (len(clauses) - 1)
    if len(clauses) == 1:
        budgets = [total_chars]
    pairs = zip(clauses, budgets, strict=True)
    return [Block(i, s, excerpt(s.clause.text, question, b)) for i, (s, b) in enumerate(pairs, 1)]


def _bigrams(text: str) -> set[str]:
    key = match_key(text)
    return {key[i : i + 2] for i in range(len(key) - 1)}


def overlap(answer: str, clause_text: str, question: str = "") -> float:
    """Share of the answer's character bigrams — beyond those it repeats from the question — in the clause."""
    a = _bigrams(CITATION.sub("", answer)) - _bigrams(question)
    return len(a & _bigrams(clause_text)) / len(a) if a else 0.0


def cite_answer(
    answer: str,
    blocks: list[Block],
    similarity: Callable[[str, list[str]], list[float]] | None = None,
    question: str = "",
) -> tuple[str, list[Block]]:
    """Renumber the answer's citations 1..m over real blocks; attach support when it cites none.

    `similarity(answer, texts)` (e.g. e5 cosines) is used when character overlap cannot work,
    as for an English answer about Chinese clauses."""
    answer = PLACEHOLDER.sub("", answer)
    by_number = {b.number: b for b in blocks}
    order: list[int] = []
    for m in CITATION.finditer(answer):
        for n in re.split(r"[,，、]", m.group(1)):
            n = int(n)
            if n in by_number and n not in order:
                order.append(n)
    if not order:
        scores = [overlap(answer, b.text, question) for b in blocks]
        if similarity is not None and max(scores, default=0) < OVERLAP_MIN and blocks:
            sims = similarity(answer, [b.text for b in blocks])
            best = max(range(len(blocks)), key=lambda i: sims[i])
            scores = [1.0 if i == best else 0.0 for i in range(len(blocks))]
        top = max(scores, default=0.0)
        order = [b.number for b, s in zip(blocks, scores, strict=True) if s >= max(OVERLAP_MIN, NEAR_BEST * top)]
        cleaned = CITATION.sub("", answer).strip()
        if order:
            cleaned += "".join(f"[{i}]" for i in range(1, len(order) + 1))
        return cleaned, [by_number[n] for n in order]
    order.sort()
    renumber = {n: i for i, n in enumerate(order, 1)}

    def replace(m: re.Match) -> str:
        nums = [int(n) for n in re.split(r"[,，、]", m.group(1))]
        kept = sorted({renumber[n] for n in nums if n in renumber})
        return "".join(f"[{k}]" for k in kept)

    return CITATION.sub(replace, answer), [by_number[n] for n in order]


def facts_of(sentence: str) -> list[str]:
    """Numbers (with their unit), quoted names and titles a sentence states."""
    found: list[str] = []
    plain = CITATION.sub("", sentence)
    for pattern in FACT_PATTERNS:
        for m in pattern.finditer(plain):
            fact = m.group(1) if m.groups() else m.group(0)
            fact = fact.strip()
            if fact and not fact.isspace():
                found.append(fact)
    return found


def _supported(fact: str, texts: list[str]) -> bool:
    key = match_key(fact)
    if any(key in match_key(t) for t in texts):
        return True
    digits = re.match(r"\d+(?:\.\d+)?", key)  # "98.5%" is supported by "98.5%以上"; "2025年" by "2025"
    return bool(digits) and any(
        re.search(rf"(?<![\d.]){re.escape(digits.group(0))}(?![\d.])", match_key(t)) for t in texts
    )


def ground_answer(answer: str, cited: list[Block]) -> tuple[str, int]:
    """Drop sentences whose facts stand in none of the clauses they cite (or, uncited, in any)."""
    kept, removed = [], 0
    for sentence in _sentences(answer) or [answer]:
        numbers = [int(n) for m in CITATION.finditer(sentence) for n in re.split(r"[,，、]", m.group(1))]
        texts = [cited[n - 1].support_text for n in numbers if 0 < n <= len(cited)] or [b.support_text for b in cited]
        if all(_supported(f, texts) for f in facts_of(sentence)):
            kept.append(sentence)
        else:
            removed += 1
    return "".join(kept).strip(), removed


def is_refusal(answer: str) -> bool:
    return bool(REFUSAL.search(answer))


def has_content(answer: str) -> bool:
    return len(re.sub(r"[\W_\d]+", "", CITATION.sub("", answer))) >= MIN_ANSWER_CHARS


def extractive_answer(question: str, blocks: list[Block], english: bool = False) -> tuple[str, list[Block]]:
    """The best sentences of the best clauses, quoted with their source, as a last resort."""
    qtokens = set(tokens(question))
    candidates = []
    for b in blocks:
        for i, s in enumerate(_sentences(b.text)):
            candidates.append((_score(s, qtokens), -b.number, -i, s, b))
    candidates.sort(reverse=True)
    chosen: list[tuple[str, Block]] = []
    for score, *_rest, sentence, block in candidates:
        if len(chosen) == EXTRACTIVE_SENTENCES or (chosen and score == 0):
            break
        chosen.append((sentence, block))
    if not chosen and blocks:
        chosen = [(_sentences(blocks[0].text)[0], blocks[0])]
    cited: list[Block] = []
    for _, block in chosen:
        if block not in cited:
            cited.append(block)
    lines = []
    for sentence, block in chosen:
        n = cited.index(block) + 1
        source = block.scored.document.display_title
        where = block.scored.clause.number + block.scored.clause.heading
        if english:
            lines.append(f"According to {source} ({where}): “{sentence}” [{n}]")
        else:
            lines.append(f"根据《{source}》{where}：“{sentence}”[{n}]")
    return "\n".join(lines), cited
