"""Answers composed by code from the clauses' own sentences, each quoted and cited.

`extractive_answer` quotes the best clause sentences (or the responsible units, or the document's
facts) when the model refuses although retrieval found the answer, or when checking leaves nothing;
the `complete_*` functions add what a comparison side, a part of the question or a department
question is missing from the model's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from rag.answer_words import load_answer_words
from rag.excerpts import (
    Block,
    name_tokens,
    overlap,
    ranked_sentences,
)
from rag.text import match_key, tokens

PART_ANSWERED_SHARE = 0.5  # a part counts as answered when the answer holds this share of its best sentence
EXTRACTIVE_SENTENCES = 2


def quote_line(sentence: str, block: Block, n: int, english: bool) -> str:
    source = block.scored.document.display_title
    where = block.scored.clause.number + block.scored.clause.heading
    if english:
        return f"According to {source} ({where}): “{sentence}” [{n}]"
    return f"根据《{source}》{where}：“{sentence}”[{n}]"


def complete_comparison(
    answer: str, cited: list[Block], blocks: list[Block], compared: list[str], question: str, query: str, english: bool
) -> tuple[str, list[Block], int]:
    """A comparison must speak for every compared document: for each one the answer does not
    cite, append that document's best sentence, quoted and cited. Returns (answer, cited, added).

    `blocks` may hold more clauses than the prompt did; a sentence must share a topic word with
    the question, not just the names of the documents being compared."""
    cited = list(cited)
    added = 0
    ignore = name_tokens(blocks) | set(tokens("征求意见稿 正式 方案 文件 计划"))
    for doc_id in compared:
        if any(b.scored.document.doc_id == doc_id for b in cited):
            continue
        own = [b for b in blocks if b.scored.document.doc_id == doc_id]
        ranked = ranked_sentences(question, query, own, ignore)
        if not ranked or ranked[0][0] == 0:
            continue
        _, sentence, block = ranked[0]
        cited.append(block)
        answer = answer.rstrip() + "\n" + quote_line(sentence, block, len(cited), english)
        added += 1
    return answer, cited, added


def complete_part(
    answer: str, cited: list[Block], own: list[Block], part: str, english: bool
) -> tuple[str, list[Block], int]:
    """One part of a multi-part question must be answered from its own clauses: when the answer
    cites none of `own`, append the best sentence of `own` for `part`, quoted and cited."""
    if not own:
        return answer, cited, 0
    ranked = ranked_sentences(part, part, own, name_tokens(own))
    if not ranked or ranked[0][0] == 0:
        return answer, cited, 0
    _, sentence, block = ranked[0]
    # answered when its best sentence's clause is cited and the answer says much of what it says
    if block in cited and overlap(sentence, answer) >= PART_ANSWERED_SHARE:
        return answer, cited, 0
    if block not in cited:
        cited = [*cited, block]
    return answer.rstrip() + "\n" + quote_line(sentence, block, cited.index(block) + 1, english), cited, 1


def quote_source(answer: str, cited: list[Block], query: str) -> tuple[str, list[Block]]:
    """Append the cited clauses' sentence that best matches `query`, quoted, to an English answer."""
    ranked = ranked_sentences(query, query, cited, name_tokens(cited))
    if not ranked:
        return answer, cited
    _, sentence, block = ranked[0]
    return answer.rstrip() + "\n" + quote_line(sentence, block, cited.index(block) + 1, True), cited


def extractive_parts(
    parts: list[str], blocks: list[Block], english: bool, weight: Callable[[str], float] = len
) -> tuple[str, list[Block]]:
    """The extractive answer of a multi-part question: the best sentence (or the units) for each part."""
    lines: list[str] = []
    cited: list[Block] = []
    for part in parts:
        text, got = extractive_answer(part, part, blocks, english, sentences=1, weight=weight)
        for b in got:
            if b not in cited:
                cited.append(b)
        numbers = {str(i): str(cited.index(b) + 1) for i, b in enumerate(got, 1)}
        text = re.sub(r"\[(\d+)\]", lambda m, numbers=numbers: f"[{numbers.get(m.group(1), m.group(1))}]", text)
        if text and text not in lines:
            lines.append(text)
    return "\n".join(lines), cited


def complete_units(answer: str, cited: list[Block], own: list[Block], english: bool) -> tuple[str, list[Block], int]:
    """A part asking who is responsible: when the answer names none of the units of its clauses,
    append the first clause's units (lead first), cited."""
    # a clause the answer already cites first: its units are the ones the answer is about
    with_units = sorted((b for b in own if b.scored.clause.responsible), key=lambda b: b not in cited)
    plain = match_key(answer)
    if not with_units or any(match_key(u) in plain for b in with_units for u in b.scored.clause.responsible):
        return answer, cited, 0
    b = with_units[0]
    cited = cited if b in cited else [*cited, b]
    n = cited.index(b) + 1
    c, title = b.scored.clause, b.scored.document.display_title
    units = "、".join(c.responsible)
    if english:
        line = f"Responsible units ({title}, {c.number}{c.heading}): {units} [{n}]"
    else:
        lead = f"由{c.lead}牵头，" if c.lead else ""
        line = f"根据《{title}》{c.number}{c.heading}，{lead}责任单位为{units}。[{n}]"
    return answer.rstrip() + "\n" + line, cited, 1


def extractive_answer(
    question: str,
    query: str,
    blocks: list[Block],
    english: bool = False,
    sentences: int = EXTRACTIVE_SENTENCES,
    kind: str = "",
    weight: Callable[[str], float] = len,
) -> tuple[str, list[Block]]:
    """The best clause sentences (or the responsible units, or the document's facts), quoted with
    their source. `kind` (default: `question`) is what says which of those is asked for; `weight`
    scores a shared word (`idf_weight`: "预付式" outweighs "消费")."""
    question = kind or question
    if load_answer_words().document_question.search(question) and blocks:
        b = blocks[0]
        d = b.scored.document
        facts = [("文号", "document number", d.doc_number), ("日期", "date", d.date), ("发布机关", "issuer", d.issuer)]
        facts = [f for f in facts if f[2]]
        if facts:
            if english:
                return f"{d.title}: " + "; ".join(f"{en} {v}" for _, en, v in facts) + " [1]", [b]
            return f"《{d.title}》" + "，".join(f"{zh}：{v}" for zh, _, v in facts) + "。[1]", [b]
    if load_answer_words().department_question.search(question):
        with_units = [b for b in blocks if b.scored.clause.responsible][:1]
        if with_units:
            b = with_units[0]
            c, src = b.scored.clause, b.scored.document.display_title
            units = "、".join(c.responsible)
            if english:
                return f"According to {src} ({c.number}{c.heading}), the responsible units are: {units} [1]", [b]
            lead = f"由{c.lead}牵头，" if c.lead else ""
            return f"根据《{src}》{c.number}{c.heading}，{lead}责任单位为：{units}。[1]", [b]
    chosen: list[tuple[str, Block]] = []
    # the words naming the documents say which plan, not what about: a preamble repeating
    # "东莞…征求意见稿" is not the answer to a question naming that plan
    for score, sentence, block in ranked_sentences(question, query, blocks, name_tokens(blocks), weight):
        if len(chosen) == sentences or (chosen and score == 0):
            break
        chosen.append((sentence, block))
    cited: list[Block] = []
    for _, block in chosen:
        if block not in cited:
            cited.append(block)
    lines = [quote_line(sentence, block, cited.index(block) + 1, english) for sentence, block in chosen]
    return "\n".join(lines), cited
