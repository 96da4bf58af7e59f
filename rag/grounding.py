"""Code owns the evidence: excerpts for the prompt, citations, grounding, and the extractive fallback.

The 1.5B model renumbers citations, writes "[编号]", cites nothing, or states a number that is
in no clause. So:
- `build_blocks` gives the model, per clause, the sentences that matter for the question (the
  prompt budget is ~250 tokens on this CPU), plus the responsible units when the question asks
  who is responsible and the document's number/date/issuer when it asks about the document;
  the citation still carries the whole clause;
- `cite_answer` maps every [n] the model wrote to the block it was given, drops numbers that
  were not in the prompt, renumbers them 1..m in order, and attributes each uncited sentence to
  the block whose text it overlaps most (preferring the document the sentence names);
- `ground_answer` removes every sentence stating a number, percentage, date or quoted name that
  neither its cited clause, that clause's parent headings, nor its document's title contains;
- `extractive_answer` quotes the best clause sentences (or the responsible units) when the
  model refuses although retrieval found the answer, or when checking leaves nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rag.retrieval import ANSWER_TYPES, ScoredClause, version_preference
from rag.text import match_key, normalize, tokens

SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
CITATION = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
PLACEHOLDER = re.compile(r"[\[【［]\s*(编号|編號|n|N|数字|x|X)\s*[\]】］]")
CITATION_AFTER_END = re.compile(r"([。！？；!?;.])\s*((?:[\[【［]\s*\d{1,2}(?:\s*[,，、]\s*\d{1,2})*\s*[\]】］]\s*)+)")
LEADING_CITATION = re.compile(r"(?m)^\s*((?:[\[【［]\s*\d{1,2}\s*[\]】］]\s*)+)(.+?)\s*$")
FACT_PATTERNS = [
    # numbers with their unit; not digits glued to Latin letters ("PM2.5", "5G", "3D")
    re.compile(
        r"(?<![A-Za-z\d.])\d+(?:\.\d+)?(?![A-Za-z\d])\s*(?:%|％|万|亿|元|家|项|个|名|件|条|类|种|倍|年|月|日|号)?"
    ),
    re.compile(r"“([^”]{2,30})”"),  # quoted names
    re.compile(r"《([^》]{2,40})》"),  # titles
]
REFUSAL = re.compile(
    r"没有相关规定|沒有相關規定|未作规定|没有提及|未提及|无法回答|无法确定|不知道|"
    r"no relevant|not (?:mentioned|specified|provided)|cannot answer|can't answer|do not (?:contain|mention)",
    re.IGNORECASE,
)
DEPARTMENT_QUESTION = re.compile(
    r"部门|單位|单位|负责|負責|牵头|牽頭|责任单位|哪个局|哪些局|谁来|由谁|"
    r"department|agency|agencies|bureau|responsible|who leads|which office",
    re.IGNORECASE,
)
DOCUMENT_QUESTION = re.compile(
    r"文号|文號|发文|發文|印发|印發|发布|發布|哪天|日期|机关|機關|issued|document number|when was", re.IGNORECASE
)
MIN_ANSWER_CHARS = 2  # an answer with fewer letters, digits or hanzi than this says nothing
MIN_NEW_BIGRAMS = 3  # an answer must add at least this many character pairs the question does not contain
OVERLAP_MIN = 0.25  # share of an answer's character bigrams that must come from a clause to cite it
NEAR_BEST = 0.8  # a sentence cites a second clause only when it supports it almost as well
EXTRACTIVE_SENTENCES = 2
UNITS_IN_PROMPT = 8  # responsible units listed per block for a department question


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
        draft = "（征求意见稿）" if s.document.is_draft else ""
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


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


def _score(sentence: str, qtokens: set[str]) -> float:
    return sum(len(t) for t in qtokens & set(tokens(sentence)))


def excerpt(clause_text: str, query: str, budget: int) -> str:
    """The clause's most query-relevant sentences, in source order, within `budget` characters."""
    text = normalize(clause_text)
    if len(text) <= budget:
        return text
    qtokens = set(tokens(query))
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


def build_blocks(
    clauses: list[ScoredClause], query: str, total_chars: int, context_of: Callable[[ScoredClause], str] | None = None
) -> list[Block]:
    """Number the clauses for the prompt; the first gets half the budget, the rest share the other half.

    `query` is the retrieval's normalised query (for English, expanded with Chinese terms)."""
    if not clauses:
        return []
    budgets = [total_chars // 2] + [total_chars // (2 * max(len(clauses) - 1, 1))] * (len(clauses) - 1)
    if len(clauses) == 1:
        budgets = [total_chars]
    return [
        Block(i, s, excerpt(s.clause.text, query, b), context_of(s) if context_of else "")
        for i, (s, b) in enumerate(zip(clauses, budgets, strict=True), 1)
    ]


def prompt_lines(blocks: list[Block], question: str) -> list[str]:
    with_units = bool(DEPARTMENT_QUESTION.search(question))
    with_document = bool(DOCUMENT_QUESTION.search(question))
    return [b.prompt_line(with_units, with_document) for b in blocks]


def _bigrams(text: str) -> set[str]:
    key = match_key(text)
    return {key[i : i + 2] for i in range(len(key) - 1)}


def overlap(answer: str, clause_text: str, question: str = "") -> float:
    """Share of the answer's character bigrams — beyond those it repeats from the question — in the clause."""
    a = _bigrams(CITATION.sub("", answer)) - _bigrams(question)
    return len(a & _bigrams(clause_text)) / len(a) if a else 0.0


def _attribute(sentence: str, blocks: list[Block], question: str) -> list[Block]:
    """Blocks an uncited sentence rests on: best overlap, within the documents the sentence names."""
    named = version_preference(normalize(sentence), {b.scored.document.doc_id: b.scored.document for b in blocks})
    candidates = [b for b in blocks if b.scored.document.doc_id in named] or blocks
    facts = facts_of(sentence)
    if facts:  # a clause that states the sentence's numbers beats one that merely reads alike
        candidates = [b for b in candidates if all(_supported(f, [b.support_text]) for f in facts)] or candidates
    scores = [overlap(sentence, b.support_text, question) for b in candidates]
    top = max(scores, default=0.0)
    if top < OVERLAP_MIN:
        return []
    return [b for b, s in zip(candidates, scores, strict=True) if s >= NEAR_BEST * top]


def cite_answer(
    answer: str,
    blocks: list[Block],
    similarity: Callable[[str, list[str]], list[float]] | None = None,
    question: str = "",
) -> tuple[str, list[Block]]:
    """Renumber the answer's citations 1..m over real blocks; attribute the uncited sentences.

    `similarity(text, texts)` (e5 cosines) is used when character overlap cannot work, as for an
    English answer about Chinese clauses."""
    answer = PLACEHOLDER.sub("", answer)
    answer = LEADING_CITATION.sub(lambda m: m.group(2) + m.group(1).replace(" ", ""), answer)  # "[1] 句子" → "句子[1]"
    answer = CITATION_AFTER_END.sub(lambda m: m.group(2).strip() + m.group(1), answer)  # "句子。[1]" → "句子[1]。"
    by_number = {b.number: b for b in blocks}
    pieces: list[tuple[str, list[int]]] = []
    for sentence in _sentences(answer) or [answer]:
        nums = [int(n) for m in CITATION.finditer(sentence) for n in re.split(r"[,，、]", m.group(1))]
        nums = [n for n in dict.fromkeys(nums) if n in by_number]
        plain = CITATION.sub("", sentence)
        if not nums and plain.strip():
            nums = [b.number for b in _attribute(plain, blocks, question)]
        pieces.append((plain, nums))
    if not any(nums for _, nums in pieces) and similarity is not None and blocks:
        sims = similarity(CITATION.sub("", answer), [b.text for b in blocks])
        best = max(range(len(blocks)), key=lambda i: sims[i])
        pieces = [(plain, [blocks[best].number]) for plain, _ in pieces]
    order = sorted({n for _, nums in pieces for n in nums})
    renumber = {n: i for i, n in enumerate(order, 1)}
    parts = []
    for plain, nums in pieces:
        body = plain.rstrip()
        end = body[-1] if body and body[-1] in "。！？；!?;." else ""
        marks = "".join(f"[{renumber[n]}]" for n in sorted(nums))
        parts.append((body[:-1] if end else body) + marks + end)
    return "".join(parts).strip(), [by_number[n] for n in order]


def facts_of(sentence: str) -> list[str]:
    """Numbers (with their unit), quoted names and titles a sentence states."""
    found: list[str] = []
    plain = CITATION.sub("", sentence)
    for pattern in FACT_PATTERNS:
        for m in pattern.finditer(plain):
            fact = (m.group(1) if m.groups() else m.group(0)).strip()
            if fact:
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


def has_content(answer: str, question: str = "") -> bool:
    """Says something: a few letters/digits/hanzi, and more than a restatement of the question."""
    plain = CITATION.sub("", answer)
    if len(re.sub(r"[\W_]+", "", plain)) < MIN_ANSWER_CHARS:
        return False
    return not question or len(_bigrams(plain) - _bigrams(question)) >= MIN_NEW_BIGRAMS


def misses_answer_type(question: str, answer: str) -> bool:
    """The question asks how much / which date / which year, and the answer states no such thing."""
    q = normalize(question)
    plain = normalize(CITATION.sub("", answer))
    return any(asks.search(q) and not states.search(plain) for asks, states in ANSWER_TYPES.values())


def _is_heading(sentence: str, block: Block) -> bool:
    c = block.scored.clause
    return match_key(sentence).rstrip("。") in {match_key(c.number + c.heading), match_key(c.heading)}


def extractive_answer(question: str, query: str, blocks: list[Block], english: bool = False) -> tuple[str, list[Block]]:
    """The best clause sentences (or the responsible units, or the document's facts), quoted with their source."""
    if DOCUMENT_QUESTION.search(question) and blocks:
        b = blocks[0]
        d = b.scored.document
        facts = [("文号", "document number", d.doc_number), ("日期", "date", d.date), ("发布机关", "issuer", d.issuer)]
        facts = [f for f in facts if f[2]]
        if facts:
            if english:
                return f"{d.title}: " + "; ".join(f"{en} {v}" for _, en, v in facts) + " [1]", [b]
            return f"《{d.title}》" + "，".join(f"{zh}：{v}" for zh, _, v in facts) + "。[1]", [b]
    if DEPARTMENT_QUESTION.search(question):
        with_units = [b for b in blocks if b.scored.clause.responsible][:1]
        if with_units:
            b = with_units[0]
            c, src = b.scored.clause, b.scored.document.display_title
            units = "、".join(c.responsible)
            if english:
                return f"According to {src} ({c.number}{c.heading}), the responsible units are: {units} [1]", [b]
            lead = f"由{c.lead}牵头，" if c.lead else ""
            return f"根据《{src}》{c.number}{c.heading}，{lead}责任单位为：{units}。[1]", [b]
    qtokens = set(tokens(query))
    candidates = []
    for b in blocks:
        for i, s in enumerate(_sentences(b.text)):
            if not _is_heading(s, b):
                candidates.append((_score(s, qtokens), -b.number, -i, s, b))
    candidates.sort(reverse=True)
    chosen: list[tuple[str, Block]] = []
    for score, *_rest, sentence, block in candidates:
        if len(chosen) == EXTRACTIVE_SENTENCES or (chosen and score == 0):
            break
        chosen.append((sentence, block))
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
