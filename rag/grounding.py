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
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from rag.lexicon import load_lexicon
from rag.query import version_preference
from rag.retrieval import ScoredClause
from rag.text import match_key, normalize, tokens

SENTENCE = re.compile(r"[^。！？；!?;\n]+[。！？；!?;]?")
CITATION = re.compile(r"[\[【［]\s*(\d{1,2}(?:\s*[,，、]\s*\d{1,2})*)\s*[\]】］]")
PLACEHOLDER = re.compile(r"[\[【［]\s*(编号|編號|n|N|数字|x|X)\s*[\]】］]")
CITATION_AFTER_END = re.compile(r"([。！？；!?;.])\s*((?:[\[【［]\s*\d{1,2}(?:\s*[,，、]\s*\d{1,2})*\s*[\]】］]\s*)+)")
REFERENCE = re.compile(r"(?:条款|條款|第|clause|article)\s*([\[【［]\s*(\d{1,2})\s*[\]】］])\s*条?", re.IGNORECASE)
LEADING_CITATION = re.compile(r"(?m)^\s*((?:[\[【［]\s*\d{1,2}\s*[\]】］]\s*)+)(.+?)\s*$")
FACT_PATTERNS = [
    # numbers with their unit; not digits glued to Latin letters ("PM2.5", "5G", "3D")
    re.compile(
        r"(?<![A-Za-z\d.])\d+(?:\.\d+)?(?![A-Za-z\d])\s*(?:%|％|万|亿|元|家|项|个|名|件|条|类|种|倍|年|月|日|号)?"
    ),
    re.compile(r"“([^”]{2,30})”"),  # quoted names
    re.compile(r"《([^》]{2,40})》"),  # titles
]
SEGMENT_BREAK = re.compile(r"[，,；;。！？!?\n]")  # a figure and what it measures stand in one segment
MISREAD_MIN_OVERLAP = 3  # character pairs a passage must share with the sentence to judge its figure
DATE_UNITS = {"", "年", "月", "日", "号"}  # "2025年" is supported by a bare "2025"
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # the comma of "10,000"
REFUSAL = re.compile(
    r"没有相关规定|沒有相關規定|未作规定|没有提及|未提及|无法回答|无法确定|不知道|"
    r"no relevant|not (?:mentioned|specified|provided)|cannot answer|can't answer|do not (?:contain|mention)",
    re.IGNORECASE,
)
NON_ANSWER = re.compile(
    r"^(?:是的|有的|有|对|是|yes)?[，,\s]*(?:文件|条款|方案)?中?(?:有|存在|提到了?)相关的?(?:规定|内容|要求)[。.!！]?$"
    r"|^(?:yes|no)?[,.\s]*there (?:is|are) (?:a )?relevant (?:provisions?|rules?)[.!]?$",
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
MIN_NEW_WORDS = 2  # … or, in English, this many words (or numbers, or Chinese terms) the question does not contain
ENGLISH_FILLER = set(
    "the a an of to in on at for and or is are was were be been by with as it its this that these those there "
    "has have had do does did can could may might will would should several some many various such which what "
    "how who whom whose when where why according plan plans document documents clause clauses provides says".split()
)
REPEAT_RUN = 16  # characters of a run that, repeated REPEAT_MAX times, marks a looping answer
REPEAT_MAX = 3
PART_ANSWERED_SHARE = 0.5  # a part counts as answered when the answer holds this share of its best sentence
OVERLAP_MIN = 0.25  # share of an answer's character bigrams that must come from a clause to cite it
NEAR_BEST = 0.8  # a sentence cites a second clause only when it supports it almost as well
EXTRACTIVE_SENTENCES = 2
TOPIC_TERMS = 3  # an answer must mention one of the question's this-many rarest clause words
TOPIC_MIN_IDF_SHARE = 0.25  # … that are rarer than this share of the rarest (not 质量, 企业, 建设)
OFF_TOPIC_MIN_HANZI = 20  # shorter answers are terse statements of the fact, not judged for topic
STATES_MIN_SHARE = 0.5  # a sentence stating the asked-for fact must have this share of the best word overlap
UNITS_IN_PROMPT = 8  # responsible units listed per block for a department question
# answer types (data/lexicon/query.yaml) whose fact an answer must state, else it is no answer
FACT_TYPES = ("contact", "date", "year", "amount", "rate", "count")
ANY_FIGURE = re.compile(
    r"(?<![\d.])(?!(?:19|20)\d\d(?:\D|$))\d+(?:\.\d+)?|[一二三四五六七八九十百千万亿两]+[个家项名条类倍]"
)


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


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in SENTENCE.findall(text) if s.strip()]


def _score(sentence: str, qtokens: set[str]) -> float:
    return sum(len(t) for t in qtokens & set(tokens(sentence)))


def _fact_types(question: str) -> list:
    """The kinds of fact the question asks for (a figure, a date, a year, a contact), per the lexicon."""
    q = normalize(question).lower()
    return [t for t in load_lexicon().answer_types if t.name in FACT_TYPES and t.asks.search(q)]


def _answer_states(question: str) -> list[re.Pattern]:
    """What the question asks for (a quantity, a date, a year), as patterns a sentence must match.
    A count is any figure here ("指数达到94"): the unit check is the answerability decision's."""
    return [ANY_FIGURE if t.name == "count" else t.states for t in _fact_types(question)]


def _states(text: str, wanted: list[re.Pattern]) -> bool:
    """`text` states everything the question asks for (False when it asks for nothing in particular)."""
    plain = normalize(text)
    return bool(wanted) and all(p.search(plain) for p in wanted)


def _name_tokens(blocks: list[Block]) -> set[str]:
    """Words of the blocks' document titles and regions (东莞, 征求意见稿): names, not topics."""
    d = [b.scored.document for b in blocks]
    return set(tokens(normalize(" ".join(f"{x.title} {x.display_title} {x.region}" for x in d))))


def _ranked_sentences(
    question: str, query: str, blocks: list[Block], ignore: set[str] | None = None
) -> list[tuple[float, str, Block]]:
    """Clause sentences by relevance: those stating what the question asks for first, then word
    overlap (not counting the words in `ignore`)."""
    qtokens = set(tokens(query)) - (ignore or set())
    wanted = _answer_states(question)
    candidates = []
    for b in blocks:
        for i, s in enumerate(_sentences(b.text)):
            if _is_heading(s, b):
                continue
            candidates.append((_states(s, wanted), _score(s, qtokens), -b.number, -i, s, b))
    best = max((c[1] for c in candidates), default=0.0)
    # a sentence stating the asked-for kind of fact goes first, if it is nearly as relevant as the best
    candidates = [(st and sc > 0 and sc >= STATES_MIN_SHARE * best, sc, *rest) for st, sc, *rest in candidates]
    candidates.sort(key=lambda c: c[:4], reverse=True)
    return [(score, s, b) for _, score, _, _, s, b in candidates]


def top_sentences(question: str, query: str, blocks: list[Block], n: int) -> list[str]:
    """The `n` clause sentences most likely to answer (what a yes/no judge reads)."""
    return [s for _, s, _ in _ranked_sentences(question, query, blocks)[:n]]


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
    ignore = _name_tokens(blocks) | set(tokens("征求意见稿 正式 方案 文件 计划"))
    for doc_id in compared:
        if any(b.scored.document.doc_id == doc_id for b in cited):
            continue
        own = [b for b in blocks if b.scored.document.doc_id == doc_id]
        ranked = _ranked_sentences(question, query, own, ignore)
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
    ranked = _ranked_sentences(part, part, own)
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
    ranked = _ranked_sentences(query, query, cited)
    if not ranked:
        return answer, cited
    _, sentence, block = ranked[0]
    return answer.rstrip() + "\n" + quote_line(sentence, block, cited.index(block) + 1, True), cited


def extractive_parts(parts: list[str], blocks: list[Block], english: bool) -> tuple[str, list[Block]]:
    """The extractive answer of a multi-part question: the best sentence (or the units) for each part."""
    lines: list[str] = []
    cited: list[Block] = []
    for part in parts:
        text, got = extractive_answer(part, part, blocks, english, sentences=1)
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


def select_sentences(texts: list[str], query: str, budget: int, question: str = "") -> list[str]:
    """Excerpts of the clause texts for the prompt, chosen sentence by sentence within one budget.

    Every clause gets its best sentence (so each block can be cited); the rest of the budget goes
    to the most relevant sentences of any clause, wherever they are — a sentence stating what the
    question asks for (a figure, a date, a phone number) first, then word overlap. Excerpts keep
    source order; skipped text is marked "…"."""
    qtokens = set(tokens(query))
    wanted = _answer_states(question)
    sentences = [_sentences(normalize(t)) for t in texts]
    ranked = []
    for j, sents in enumerate(sentences):
        for i, sent in enumerate(sents):
            score = _score(sent, qtokens)
            ranked.append((not (score > 0 and _states(sent, wanted)), -score, j, i))
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
    by_number = {b.number: b for b in blocks}
    # "根据条款[1]，…": the number names a clause; moved to the sentence end it would leave "根据条款，"
    answer = REFERENCE.sub(lambda m: _reference(m, by_number), answer)
    answer = LEADING_CITATION.sub(lambda m: m.group(2) + m.group(1).replace(" ", ""), answer)  # "[1] 句子" → "句子[1]"
    answer = CITATION_AFTER_END.sub(lambda m: m.group(2).strip() + m.group(1), answer)  # "句子。[1]" → "句子[1]。"
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


def _reference(m: re.Match, by_number: dict[int, Block]) -> str:
    """ "条款[1]" → "《东莞市质量强市方案(2024)》14、争创中国精品[1]" (the number stays as a citation)."""
    block = by_number.get(int(m.group(2)))
    if block is None:
        return m.group(0)
    c, title = block.scored.clause, block.scored.document.display_title
    if m.group(0)[:1].isascii():
        return f"{title} {c.number}{c.heading} [{m.group(2)}]"
    return f"《{title}》{c.number}{c.heading}[{m.group(2)}]"


def facts_of(sentence: str) -> list[str]:
    """Numbers (with their unit), quoted names and titles a sentence states."""
    found: list[str] = []
    plain = THOUSANDS.sub("", CITATION.sub("", sentence))  # "10,000" is the number 10000
    for pattern in FACT_PATTERNS:
        for m in pattern.finditer(plain):
            fact = (m.group(1) if m.groups() else m.group(0)).strip()
            if fact:
                found.append(fact)
    return found


def _supported(fact: str, texts: list[str]) -> bool:
    """The fact stands in one of the texts; a number with a unit needs that unit there too
    ("94%" is not supported by "指数达到94"), except dates ("2025年" is supported by "2025")."""
    key = match_key(fact)
    keys = [match_key(t) for t in texts]
    digits = re.match(r"\d+(?:\.\d+)?", key)
    if not digits:
        return any(key in k for k in keys)
    number, unit = digits.group(0), key[digits.end() :]
    wanted = re.escape(number) + ("" if unit in DATE_UNITS else re.escape(unit))
    return any(re.search(rf"(?<![\d.]){wanted}(?![\d.])", k) for k in keys)


def _segments(text: str) -> list[str]:
    return [seg for seg in SEGMENT_BREAK.split(match_key(text)) if seg]


def _misread(fact: str, sentence: str, texts: list[str]) -> bool:
    """The clause passage that reads most like the sentence states another figure of the same
    kind: "食品抽检合格率达到98%" where the clause says 食品…98.5% (and 98% only for 农产品)."""
    m = re.match(r"(\d+(?:\.\d+)?)(.*)", match_key(fact))
    if not m or m.group(2) in DATE_UNITS - {""}:
        return False
    number, unit = m.groups()
    own = next((seg for seg in _segments(CITATION.sub("", sentence)) if number in seg), "")
    grams = _bigrams(re.sub(r"[\d.%]+", "", own))
    if not grams:
        return False
    segments = [seg for t in texts for seg in _segments(t)]
    overlaps = [len(grams & _bigrams(seg)) for seg in segments]
    top = max(overlaps, default=0)
    if top < MISREAD_MIN_OVERLAP:
        return False
    best = [seg for seg, o in zip(segments, overlaps, strict=True) if o == top]
    same_kind = re.compile(rf"(?<![\d.])\d+(?:\.\d+)?{re.escape(unit)}" if unit else r"(?<![\d.])\d+(?:\.\d+)?")
    has_fact = re.compile(rf"(?<![\d.]){re.escape(number)}{re.escape(unit)}(?![\d.])")
    return not any(has_fact.search(seg) for seg in best) and any(same_kind.search(seg) for seg in best)


def ground_answer(answer: str, cited: list[Block]) -> tuple[str, int]:
    """Drop sentences whose facts stand in none of the clauses they cite (or, uncited, in any),
    or whose figure the cited clause gives for something else (see `_misread`)."""
    kept, removed = [], 0
    for sentence in _sentences(answer) or [answer]:
        numbers = [int(n) for m in CITATION.finditer(sentence) for n in re.split(r"[,，、]", m.group(1))]
        texts = [cited[n - 1].support_text for n in numbers if 0 < n <= len(cited)] or [b.support_text for b in cited]
        if all(_supported(f, texts) and not _misread(f, sentence, texts) for f in facts_of(sentence)):
            kept.append(sentence)
        else:
            removed += 1
    return "".join(kept).strip(), removed


def is_degenerate(answer: str) -> bool:
    """The small model sometimes loops ("Guangdong's plan  Guangdong's plan  Guangdong's plan …"):
    the same run of characters standing REPEAT_MAX or more times is no answer."""
    key = match_key(CITATION.sub("", answer))
    runs = Counter(key[i : i + REPEAT_RUN] for i in range(0, max(len(key) - REPEAT_RUN + 1, 0)))
    return bool(runs) and max(runs.values()) >= REPEAT_MAX


def is_refusal(answer: str) -> bool:
    return bool(REFUSAL.search(answer))


def has_content(answer: str, question: str = "") -> bool:
    """Says something: a few letters/digits/hanzi, more than a restatement of the question, and
    more than "有相关规定" (which answers "有奖励吗？" without saying what the plans provide)."""
    plain = CITATION.sub("", answer)
    if len(re.sub(r"[\W_]+", "", plain)) < MIN_ANSWER_CHARS or NON_ANSWER.match(plain.strip()):
        return False
    if not question:
        return True
    if re.search(r"[A-Za-z]{3}", plain):  # English: character pairs are too fine, count new words
        words = set(re.findall(r"[a-z]+", plain.lower())) - set(re.findall(r"[a-z]+", question.lower()))
        new = (
            len(words - ENGLISH_FILLER)
            + len(re.findall(r"\d+", plain))
            + len(_bigrams("".join(re.findall(r"[\u4e00-\u9fff]+", plain))) - _bigrams(question))
        )
        return new >= MIN_NEW_WORDS
    return len(_bigrams(plain) - _bigrams(question)) >= MIN_NEW_BIGRAMS


def topic_terms(query: str, blocks: list[Block], idf: dict[str, float]) -> list[str]:
    """The question's rarest words that the prompt's clauses also use (首席质量官, 加计扣除): an
    answer about the question mentions at least one of them. Question words, paraphrase words the
    clauses never use, and the documents' own names (东莞, 征求意见稿) are not topics."""
    clause_text = " ".join(normalize(b.text) for b in blocks)
    lexicon = load_lexicon()
    skip = _name_tokens(blocks) | lexicon.question_words
    words = [
        t
        for t in dict.fromkeys(tokens(query))
        if len(t) >= 2 and re.search(r"[\u4e00-\u9fff]", t) and t not in skip and not lexicon.interrogative.match(t)
    ]
    floor = TOPIC_MIN_IDF_SHARE * max(idf.values(), default=0.0)
    words = [t for t in words if t in clause_text and idf.get(t, 0.0) >= floor]
    return sorted(words, key=lambda t: -idf[t])[:TOPIC_TERMS]


def off_topic(answer: str, terms: list[str], question: str = "") -> bool:
    """A Chinese answer that mentions none of the question's topic terms answers something else.

    Not judged: English answers, terse ones ("韶关稳居B级", "源城区：2025年") and ones stating the
    kind of fact the question asks for — they answer rather than restate the topic."""
    plain = match_key(CITATION.sub("", answer))
    if (
        not terms
        or re.search(r"[A-Za-z]{3}", plain)
        or len(re.findall(r"[\u4e00-\u9fff]", plain)) < OFF_TOPIC_MIN_HANZI
    ):
        return False
    if _states(plain, _answer_states(question)):
        return False
    return not any(t in plain for t in terms)


def misses_answer_type(question: str, answer: str) -> bool:
    """The question asks how much / which date / which year, and the answer states no such thing."""
    plain = normalize(CITATION.sub("", answer))
    return any(not p.search(plain) for p in _answer_states(question))


def _is_heading(sentence: str, block: Block) -> bool:
    c = block.scored.clause
    return match_key(sentence).rstrip("。") in {match_key(c.number + c.heading), match_key(c.heading)}


def extractive_answer(
    question: str, query: str, blocks: list[Block], english: bool = False, sentences: int = EXTRACTIVE_SENTENCES
) -> tuple[str, list[Block]]:
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
    chosen: list[tuple[str, Block]] = []
    for score, sentence, block in _ranked_sentences(question, query, blocks):
        if len(chosen) == sentences or (chosen and score == 0):
            break
        chosen.append((sentence, block))
    cited: list[Block] = []
    for _, block in chosen:
        if block not in cited:
            cited.append(block)
    lines = [quote_line(sentence, block, cited.index(block) + 1, english) for sentence, block in chosen]
    return "\n".join(lines), cited
