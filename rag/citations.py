"""Citations owned by code: the 1.5B model renumbers citations, writes "[编号]" or cites nothing.

`cite_answer` maps every [n] the model wrote to the block it was given, drops numbers that were not
in the prompt, renumbers them 1..m in order, and attributes each uncited sentence to the block whose
text it overlaps most (preferring the document the sentence names).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from rag.answer_words import load_answer_words
from rag.excerpts import CITATION, Block, overlap
from rag.factcheck import facts_of, supported
from rag.places import version_preference
from rag.text import normalize, split_sentences, to_simplified, to_traditional

CITATION_AFTER_END = re.compile(r"([。！？；!?;.])\s*((?:[\[【［]\s*\d{1,2}(?:\s*[,，、]\s*\d{1,2})*\s*[\]】］]\s*)+)")
LEADING_CITATION = re.compile(r"(?m)^\s*((?:[\[【［]\s*\d{1,2}\s*[\]】］]\s*)+)(.+?)\s*$")
OVERLAP_MIN = 0.25  # share of an answer's character bigrams that must come from a clause to cite it
NEAR_BEST = 0.8  # a sentence cites a second clause only when it supports it almost as well


def _attribute(sentence: str, blocks: list[Block], question: str) -> list[Block]:
    """Blocks an uncited sentence rests on: best overlap, within the documents the sentence names."""
    named = version_preference(normalize(sentence), {b.scored.document.doc_id: b.scored.document for b in blocks})
    candidates = [b for b in blocks if b.scored.document.doc_id in named] or blocks
    facts = facts_of(sentence)
    if facts:  # a clause that states the sentence's numbers beats one that merely reads alike
        candidates = [b for b in candidates if all(supported(f, [b.support_text]) for f in facts)] or candidates
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
    words = load_answer_words()
    answer = words.placeholder.sub("", answer)
    by_number = {b.number: b for b in blocks}
    # "根据条款[1]，…": the number names a clause; moved to the sentence end it would leave "根据条款，"
    answer = words.clause_reference.sub(lambda m: _reference(m, by_number), answer)
    answer = LEADING_CITATION.sub(lambda m: m.group(2) + m.group(1).replace(" ", ""), answer)  # "[1] 句子" → "句子[1]"
    answer = CITATION_AFTER_END.sub(lambda m: m.group(2).strip() + m.group(1), answer)  # "句子。[1]" → "句子[1]。"
    pieces: list[tuple[str, list[int]]] = []
    for sentence in split_sentences(answer) or [answer]:
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


def formal_titles(answer: str, blocks: list[Block]) -> str:
    """The model names a document by the short name its prompt gives (`DocumentInfo.prompt_title`,
    "东莞2024方案"); the reader, and grounding after this, get its display title (see `title_renamer`)."""
    return title_renamer(blocks)(answer)


def title_renamer(blocks: list[Block]) -> Callable[[str], str]:
    """`formal_titles` for these blocks, its pattern built once (the chat applies it to the streamed
    text after every token). The name is matched loosely — either script, "年" after a year
    ("东莞2024年方案"), with or without 《》 — because a near-copy left short would read to grounding
    as an unsupported title or year. One pass, the longest name first, so no name is replaced inside
    another's replacement."""
    docs = {b.scored.document.doc_id: b.scored.document for b in blocks}.values()
    named = sorted((d for d in docs if d.prompt_title), key=lambda d: len(d.prompt_title), reverse=True)
    if not named:
        return str
    # one capturing group per document: the group that matched says whose name it is
    names = re.compile(
        "|".join(f"(《(?:{_loose_name(d.prompt_title)})》|(?:{_loose_name(d.prompt_title)}))" for d in named)
    )
    return partial(names.sub, lambda m: f"《{named[m.lastindex - 1].display_title}》")


def _loose_name(name: str) -> str:
    """A regex for `name` in either script, with an optional 年 after each run of digits."""
    out = []
    for i, ch in enumerate(name):
        variants = dict.fromkeys([ch, to_traditional(ch), to_simplified(ch)])
        out.append(re.escape(ch) if len(variants) == 1 else f"[{''.join(re.escape(v) for v in variants)}]")
        if ch.isdigit() and (i + 1 == len(name) or not name[i + 1].isdigit()):
            out.append("年?")
    return "".join(out)


def _reference(m: re.Match, by_number: dict[int, Block]) -> str:
    """ "条款[1]" → "《东莞市质量强市方案(2024)》14、争创中国精品[1]" (the number stays as a citation);
    "条款[1]和[3]" names both clauses, joined the way the model joined them."""
    numbers = [int(m.group(2)), *(int(n) for n in re.findall(r"\d{1,2}", m.group(3) or ""))]
    if any(n not in by_number for n in numbers):
        return m.group(0)
    english = m.group(0)[:1].isascii()
    joiners = re.findall(r"[\]】］]\s*(.*?)\s*[\[【［]", m.group(0))  # what stands between the brackets
    labels = [_label(by_number[n], n, english) for n in numbers]
    out = labels[0]
    for joiner, label in zip(joiners, labels[1:], strict=False):
        out += (f"{joiner} " if english else joiner) + label  # an English label ends " [n]"
    return out


def _label(block: Block, number: int, english: bool) -> str:
    c, title = block.scored.clause, block.scored.document.display_title
    return f"{title} {c.number}{c.heading} [{number}]" if english else f"《{title}》{c.number}{c.heading}[{number}]"
