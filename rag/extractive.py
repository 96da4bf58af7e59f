"""Answers composed by code from the clauses' own sentences, each quoted and cited.

`extractive_answer` quotes the best clause sentences (or the responsible units, or the document's
facts) when the model refuses although retrieval found the answer, or when checking leaves nothing;
the `complete_*` functions add what a comparison side, a part of the question or a department
question is missing from the model's answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from functools import cache

from rag.answer_words import load_answer_words
from rag.clauses import Clause
from rag.excerpts import (
    Block,
    Meaning,
    name_tokens,
    overlap,
    ranked_sentences,
)
from rag.text import SENTENCE_ENDS, match_key, normalize, to_simplified, tokens, words

PART_ANSWERED_SHARE = 0.5  # a part counts as answered when the answer holds this share of its best sentence
EXTRACTIVE_SENTENCES = 2
EXTRACTIVE = "extractive"  # how the route of an answer quoted from the clauses begins (postchecks.fallback)
HEADING_NAMED_SHARE = 0.5  # share of a heading's rarity-weighted words a question names to be about it


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


def part_query(part: str, previous: str = "") -> str:
    """The words a part's sentence is chosen by: its own, and in a follow-up the earlier questions'
    ("有没有时间节点" after "首席质量官有啥说法" is about 首席质量官), as a whole follow-up's query has."""
    return f"{part} {previous}".strip()


def complete_part(
    answer: str, cited: list[Block], own: list[Block], part: str, english: bool, previous: str = ""
) -> tuple[str, list[Block], int]:
    """One part of a multi-part question must be answered from its own clauses: when the answer
    cites none of `own`, append the best sentence of `own` for `part`, quoted and cited."""
    if not own:
        return answer, cited, 0
    ranked = ranked_sentences(part, part_query(part, previous), own, name_tokens(own))
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
    parts: list[str], blocks: list[Block], english: bool, weight: Callable[[str], float] = len, previous: str = ""
) -> tuple[str, list[Block]]:
    """The extractive answer of a multi-part question: the best sentence (or the units) for each
    part; `previous`: a follow-up's earlier questions (`part_query`)."""
    lines: list[str] = []
    cited: list[Block] = []
    for part in parts:
        text, got = extractive_answer(part, part_query(part, previous), blocks, english, sentences=1, weight=weight)
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
    return answer.rstrip() + "\n" + units_answer(b, english, cited.index(b) + 1), cited, 1


def units_answer(block: Block, english: bool, n: int = 1) -> str:
    """A clause's responsible units (lead first) with its source, cited [n]. The heading and the
    names read in simplified script (a traditional answer is converted whole); the title as issued."""
    c, src = block.scored.clause, block.scored.document.display_title
    where, units, lead = (to_simplified(x) for x in (c.number + c.heading, "、".join(c.responsible), c.lead))
    if english:
        led = f"led by {lead}; " if lead else ""
        return f"According to {src}, {where}: {led}responsible units: {units} [{n}]"
    led = f"由{lead}牵头，" if lead else ""
    return f"根据《{src}》{where}，{led}责任单位为：{units}。[{n}]"


def units_topic(question: str, heading: str) -> str | None:
    """What a question asking only which department acts is about, its asking taken out
    ("提升工程质量由哪个部门牵头？" → "提升工程质量 ?"); None when it asks no department, or
    more ("…牵头，目标是多少？"; the words of `heading`, the clause's, do not count as asking)."""
    answer_words = load_answer_words()
    asked = normalize(question).lower()
    if not answer_words.department_question.search(asked):
        return None
    topic = _department_asking().sub(" ", asked)
    rest = topic
    for word in sorted(words(heading), key=len, reverse=True):
        rest = rest.replace(word, " ")
    return None if answer_words.more_question.search(rest) else topic


@cache
def _department_asking() -> re.Pattern:
    """A department question's form with what may follow it ("由哪个部门来负责"), compiled once."""
    words_ = load_answer_words()
    form, tail = words_.department_question.pattern, words_.department_tail.pattern
    return re.compile(f"(?:{form})(?:{tail}){{0,2}}", re.IGNORECASE)


def about_clause(topic: str, clause: Clause, idf: Mapping[str, float], ignore: AbstractSet[str]) -> bool:
    """Whether `topic` is what the clause is about, both ways: it names the clause's heading
    (`names_heading`), and most of its own words (weighed by rarity, document names aside) are the
    clause's. "提升工程质量，建设单位由哪个部门监管" names the heading but asks about 建设单位."""
    if not names_heading(topic, clause.heading, idf, ignore):
        return False
    # the topic's words the plans never use ("这项", a typo) say nothing about which clause it is
    share = _named_share(topic, normalize(clause.heading + clause.text).lower(), idf, ignore, known_only=True)
    return share >= HEADING_NAMED_SHARE


def names_heading(topic: str, heading: str, idf: Mapping[str, float], ignore: AbstractSet[str]) -> bool:
    """Whether `topic` names what a clause heading is about: at least `HEADING_NAMED_SHARE` of the
    heading's words (two or more characters, not in `ignore`: document names), weighed by rarity,
    occur in it — a word also when its pieces do ("宣传和教育" names 宣传教育). "向…反映问题" is
    not about "加强组织领导", nor "加强质量工作" about "加强计量测试能力"."""
    return _named_share(heading, normalize(topic).lower(), idf, ignore) >= HEADING_NAMED_SHARE


def _named_share(
    text: str, other: str, idf: Mapping[str, float], ignore: AbstractSet[str], known_only: bool = False
) -> float:
    """The share of `text`'s words (two or more characters, not in `ignore`; only the plans' own with
    `known_only`), weighed by their idf (an unseen word as the rarest), that occur in `other`
    (normalised) whole or by their pieces; 0 when it has none."""
    own = [w for w in dict.fromkeys(words(text)) if len(w) >= 2 and w not in ignore and (w in idf or not known_only)]
    rarest = idf.get("", max(idf.values(), default=1.0))  # idf_table's weight of an unseen word
    weight = {w: idf.get(w, rarest) for w in own}
    total = sum(weight.values())
    found = sum(v for w, v in weight.items() if w in other or _pieces_in(w, other))
    return found / total if total > 0 else 0.0


def _pieces_in(word: str, text: str) -> bool:
    """Whether the word's pieces (jieba's shorter words inside it) that occur in `text` cover it."""
    covered = [False] * len(word)
    for piece in tokens(word):
        if piece != word and len(piece) >= 2 and piece in text and (at := word.find(piece)) >= 0:
            covered[at : at + len(piece)] = [True] * len(piece)
    return all(covered)


def extractive_answer(
    question: str,
    query: str,
    blocks: list[Block],
    english: bool = False,
    sentences: int = EXTRACTIVE_SENTENCES,
    kind: str = "",
    weight: Callable[[str], float] = len,
    meaning: Meaning | None = None,
) -> tuple[str, list[Block]]:
    """The best clause sentences (or the responsible units, or the document's facts), quoted with
    their source. `kind` (default: `question`) is what says which of those is asked for; `weight`
    scores a shared word (`idf_weight`: "预付式" outweighs "消费"); `meaning` (English) adds each
    sentence's closeness in meaning to the question."""
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
            return units_answer(with_units[0], english), with_units
    chosen: list[tuple[str, Block]] = []
    quoted: set[tuple[str, str]] = set()  # (document, sentence) already chosen
    # the words naming the documents say which plan, not what about: a preamble repeating
    # "东莞…征求意见稿" is not the answer to a question naming that plan
    for score, sentence, block in ranked_sentences(question, query, blocks, name_tokens(blocks), weight, meaning):
        if len(chosen) == sentences or (chosen and score == 0):
            break
        # a preamble repeating a clause's sentence: quoted once, the next best instead (another
        # document stating the same sentence is another source, as in a comparison)
        key = (block.scored.document.doc_id, match_key(sentence).rstrip(SENTENCE_ENDS))
        if key in quoted:
            continue
        quoted.add(key)
        chosen.append((sentence, block))
    cited: list[Block] = []
    for _, block in chosen:
        if block not in cited:
            cited.append(block)
    lines = [quote_line(sentence, block, cited.index(block) + 1, english) for sentence, block in chosen]
    return "\n".join(lines), cited
