"""Split a document into its own numbered clauses (一、 → （一） → 1.), the unit every answer cites.

Rules, in the order they are applied to each non-blank line:
1. A numbered line (一、 / （一）/(一) / 1. 1、 1．) opens a clause. Its level comes from the order
   in which the numbering styles first appear in the document, so (一) under 一、 nests, and a
   document that starts at （一） still works.
2. A "——" line opens a bullet clause under the current numbered clause (goal bullets).
3. A line that continues a sentence cut by a page break (the previous line is long and does
   not end in closing punctuation) is glued to the previous line with no newline.
4. Any other line continues the current clause, except: after a bullet, or after a heading-only
   clause that already has its body, it opens a paragraph clause of the same parent; before the
   first numbered line it belongs to the preamble (title, notice, news summary, contact details).
Nothing is dropped: every non-blank source line lands in exactly one clause.

A clause longer than `max_chars` is cut at sentence ends into `Chunk`s for embedding; the
clause itself stays whole and is what retrieval returns and answers cite.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from rag.documents import Document, DocumentInfo
from rag.tags import tag_clause
from rag.text import normalize

CHUNKER_VERSION = (
    "clauses-2"  # 2: policy-finder tags  # bump when parsing or splitting changes (index manifest records it)
)

CN_DIGITS = {"零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
NUMBERING = {
    "cn": re.compile(r"^([一二三四五六七八九十]{1,3})、"),
    "paren": re.compile(r"^[（(]([一二三四五六七八九十]{1,3})[）)]"),
    "arabic": re.compile(r"^(\d{1,2})(?:[.．、](?!\d))"),
}
BULLET = re.compile(r"^——")
HEADING_ONLY_MAX = 40  # a numbered line this short, with no sentence after its title, is a heading
PAGE_BREAK_MIN_LINE = 40  # a cut-off line is at least this long (titles are shorter)
PREAMBLE_PARAGRAPH_MIN = 60  # a preamble line this long is a paragraph, not a title or a contact line
CLOSING = tuple("。！？；：”’」』）)》…!?;:")
SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")
TITLE_WORDS = re.compile(r"印发|印發|方案|计划|計劃|意见|意見|纲要|綱要|解读|解讀|通知")
RESPONSIBLE_TAIL = re.compile(r"[（(]([^（()）]{2,300})[）)][。.]?\s*$")
UNIT_WORDS = re.compile(r"局|厅|廳|委|办|辦|会|會|单位|單位|部门|部門|海关|海關|政府|小组|小組|分局|中心|院")
RESPONSIBLE_PREFIX = re.compile(r"^(责任单位|責任單位)\s*[:：]\s*")
RESPONSIBLE_SUFFIX = re.compile(r"(等单位|等單位)?(按照|按)?(职责分工|職責分工)?(负责|負責|参与|參與)$")
LEAD_WORD = re.compile(r"牵头|牽頭")
UNIT_SPLIT = re.compile(r"[、，,；;]")
# a unit written without its level ("商务厅" after "省农业厅") inherits the first unit's level
LEVEL_PREFIXES = ("省", "市", "区", "區", "县", "縣")
PLACE_PREFIXES = (
    *LEVEL_PREFIXES,
    "广东",
    "廣東",
    "东莞",
    "東莞",
    "深圳",
    "珠海",
    "韶关",
    "河源",
    "国家",
    "國家",
    "中国",
)


@dataclass
class Clause:
    """One clause of one document, as it stands in the source."""

    clause_id: str
    doc_id: str
    kind: str  # preamble | section | item | bullet | paragraph
    number: str  # the numbering as written, e.g. "（一）", "8.", "16、"; "" for preamble/bullets
    path: list[str]  # headings above this clause, outermost first, as written
    label: str
    heading: str
    text: str
    responsible: list[str] = field(default_factory=list)
    lead: str = ""
    order: int = 0
    tags: list[str] = field(default_factory=list)

    @property
    def parent_id(self) -> str:
        """The id of the clause this one sits under ("doc/1.2.b1" → "doc/1.2"); "" at the top level,
        so no other module needs to know how ids are built."""
        return self.clause_id.rsplit(".", 1)[0] if "." in self.clause_id else ""

    @property
    def is_heading_only(self) -> bool:
        """A section title with no text of its own (e.g. "三、主要工作措施")."""
        return self.kind in {"section", "item"} and len(self.text) <= len(self.number) + len(self.heading) + 1

    @property
    def body(self) -> str:
        """The text without what a prompt label already says: the leading "8.标题。" and the
        trailing "(…负责)" of responsible units (kept as `responsible`). Falls back to `text`."""
        text = self.text.strip()
        head = f"{self.number}{self.heading}"
        if self.heading and text.startswith(head):
            text = text[len(head) :].lstrip("。.:：， \n")
        if self.responsible:
            lines = text.rstrip().rsplit("\n", 1)
            lines[-1] = RESPONSIBLE_TAIL.sub("", lines[-1])
            text = "\n".join(lines).strip()
        return text or self.text

    @property
    def search_text(self) -> str:
        """NFKC + t2s form used only for matching."""
        return normalize(self.text)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["search_text"] = self.search_text
        return d

    @classmethod
    def from_dict(cls, data: dict) -> Clause:
        data = {k: v for k, v in data.items() if k != "search_text"}
        return cls(**data)


@dataclass(frozen=True)
class Chunk:
    """A retrieval unit: a whole clause, or one sentence-aligned part of a long one."""

    chunk_id: str  # clause_id, or clause_id#N for part N of a split clause
    clause_id: str
    text: str
    context: str  # the heading path, prepended when embedding

    @property
    def embed_text(self) -> str:
        return f"{self.context}\n{self.text}" if self.context else self.text


def cn_to_int(numeral: str) -> int:
    """Chinese numerals up to 99: 三 → 3, 十 → 10, 十四 → 14, 二十一 → 21, 三十 → 30."""
    if "十" not in numeral:
        return CN_DIGITS[numeral]
    tens, _, ones = numeral.partition("十")
    return (CN_DIGITS[tens] if tens else 1) * 10 + (CN_DIGITS[ones] if ones else 0)


def _numbering(line: str) -> tuple[str, int, str] | None:
    for style, pattern in NUMBERING.items():
        m = pattern.match(line)
        if m:
            value = int(m.group(1)) if style == "arabic" else cn_to_int(m.group(1))
            return style, value, m.group(0)
    return None


def _heading(body: str) -> tuple[str, bool]:
    """(title, heading_only) of a numbered line or bullet with its marker removed."""
    first, sep, rest = body.partition("。")
    if not sep:
        return (body.strip(), True) if len(body) <= HEADING_ONLY_MAX else ("", False)
    if len(first) > HEADING_ONLY_MAX:
        return "", False
    return first.strip(), not rest.strip()


def parse_responsible(text: str) -> tuple[list[str], str]:
    """Departments and lead unit from a clause's trailing parenthesis, e.g. "(省质监局牵头,省农业厅…参与)"."""
    last_line = text.rstrip().rsplit("\n", 1)[-1]
    m = RESPONSIBLE_TAIL.search(last_line)
    if not m or not UNIT_WORDS.search(m.group(1)):
        return [], ""
    inner = RESPONSIBLE_PREFIX.sub("", m.group(1).strip())
    lead = ""
    parts = LEAD_WORD.split(inner, maxsplit=1)
    if len(parts) == 2:
        lead_part, rest = parts
        leads = [u.strip() for u in UNIT_SPLIT.split(lead_part) if u.strip()]
        lead = "、".join(leads)
        raw_units = leads + [u for u in UNIT_SPLIT.split(rest)]
    else:
        raw_units = UNIT_SPLIT.split(inner)
    units: list[str] = []
    for raw in raw_units:
        unit = RESPONSIBLE_SUFFIX.sub("", raw.strip()).strip()
        unit = re.sub(r"(等单位|等單位|等部门|等部門)$", "", unit).strip()
        if unit and unit not in units:
            units.append(unit)
    if units and units[0].startswith(LEVEL_PREFIXES):
        level = units[0][0]
        units = [u if u.startswith(PLACE_PREFIXES) or "单位" in u or "單位" in u else level + u for u in units]
        if lead and not lead.startswith(PLACE_PREFIXES):
            lead = level + lead
    return units, lead


class _Builder:
    """Accumulates clauses while walking the lines of one document."""

    def __init__(self, info: DocumentInfo) -> None:
        self.info = info
        self.clauses: list[Clause] = []
        self.stack: list[tuple[int, Clause]] = []  # (level, clause) of open numbered clauses
        self.style_rank: dict[str, int] = {}
        self.heading_only: dict[str, bool] = {}
        self.has_body: dict[str, bool] = {}
        self.child_counts: dict[tuple[str, str], int] = {}
        self.preamble_has_paragraph = False
        self.prev_line = ""

    # -- helpers
    def _new(self, clause_id: str, kind: str, number: str, heading: str, text: str) -> Clause:
        base, n = clause_id, 2
        existing = {c.clause_id for c in self.clauses}
        while clause_id in existing:  # duplicate numbering in the source: keep ids unique and stable
            clause_id, n = f"{base}~{n}", n + 1
        path = [c.number + c.heading if c.heading else c.number for _, c in self.stack]
        clause = Clause(clause_id, self.info.doc_id, kind, number, path, "", heading, text, order=len(self.clauses))
        self.clauses.append(clause)
        return clause

    def _count(self, parent_id: str, kind: str) -> int:
        key = (parent_id, kind)
        self.child_counts[key] = self.child_counts.get(key, 0) + 1
        return self.child_counts[key]

    def _parent(self) -> Clause | None:
        return self.stack[-1][1] if self.stack else None

    # -- line kinds
    def numbered(self, line: str, style: str, value: int, marker: str) -> None:
        level = self.style_rank.setdefault(style, len(self.style_rank))
        while self.stack and self.stack[-1][0] >= level:
            self.stack.pop()
        parent = self._parent()
        clause_id = (parent.clause_id if parent else self.info.doc_id) + ("." if parent else "/") + str(value)
        heading, heading_only = _heading(line[len(marker) :])
        clause = self._new(clause_id, "section" if style != "arabic" else "item", marker, heading, line)
        self.heading_only[clause.clause_id] = heading_only
        self.has_body[clause.clause_id] = not heading_only
        self.stack.append((level, clause))

    def bullet(self, line: str) -> None:
        parent = self._parent()
        pid = parent.clause_id if parent else f"{self.info.doc_id}/pre"
        heading, _ = _heading(line[2:])
        self._new(f"{pid}.b{self._count(pid, 'b')}", "bullet", "——", heading, line)

    def paragraph(self, line: str) -> None:
        last = self.clauses[-1] if self.clauses else None
        if last is None or (not self.stack and self._starts_preamble_block(line)):
            n = self._count(self.info.doc_id, "pre")
            first = line if len(line) < PREAMBLE_PARAGRAPH_MIN else ""
            self._new(f"{self.info.doc_id}/pre{n}", "preamble", "", first.rstrip("。:："), line)
            self.preamble_has_paragraph = len(line) >= PREAMBLE_PARAGRAPH_MIN
            return
        if not self.stack:  # still in the preamble, same block
            last.text += "\n" + line
            self.preamble_has_paragraph |= len(line) >= PREAMBLE_PARAGRAPH_MIN
            return
        parent = self._parent()
        assert parent is not None
        opens_paragraph = last.kind in {"bullet", "paragraph"} or (
            last is parent and self.heading_only.get(parent.clause_id) and self.has_body.get(parent.clause_id)
        )
        if opens_paragraph:
            pid = parent.clause_id
            self._new(f"{pid}.p{self._count(pid, 'p')}", "paragraph", "", "", line)
        else:
            last.text += "\n" + line
            self.has_body[last.clause_id] = True

    def _starts_preamble_block(self, line: str) -> bool:
        """Preamble blocks: a title line, or a second long paragraph, starts a new one."""
        is_title = bool(TITLE_WORDS.search(line)) and "。" not in line and len(line) < 80
        prev_title = (
            bool(TITLE_WORDS.search(self.prev_line)) and "。" not in self.prev_line and len(self.prev_line) < 80
        )
        long_para = len(line) >= PREAMBLE_PARAGRAPH_MIN
        return (is_title and not prev_title) or (long_para and self.preamble_has_paragraph)

    def continuation(self, line: str) -> None:
        self.clauses[-1].text += line

    def feed(self, line: str) -> None:
        broken = (
            self.clauses
            and len(self.prev_line) >= PAGE_BREAK_MIN_LINE
            and not self.prev_line.endswith(CLOSING)
            and not TITLE_WORDS.search(self.prev_line)
            and not _numbering(line)
            and not BULLET.match(line)
        )
        if broken:
            self.continuation(line)
        elif (num := _numbering(line)) is not None:
            self.numbered(line, *num)
        elif BULLET.match(line):
            self.bullet(line)
        else:
            self.paragraph(line)
        self.prev_line = line

    def finish(self) -> list[Clause]:
        short = self.info.display_title
        by_id = {c.clause_id: c for c in self.clauses}
        for c in self.clauses:
            c.responsible, c.lead = parse_responsible(c.text)
            c.tags = tag_clause(c.text, c.responsible)
            if c.kind == "preamble":
                c.label = f"{short} 前言{c.clause_id.rsplit('pre', 1)[1]}"
                continue
            numbers = []
            pid = c.clause_id.rsplit(".", 1)[0] if "." in c.clause_id else ""
            while pid in by_id:
                numbers.append(by_id[pid].number)
                pid = pid.rsplit(".", 1)[0] if "." in pid else ""
            prefix = "".join(reversed(numbers))
            if c.kind == "bullet":
                c.label = f"{short} {prefix}——{c.heading}"
            elif c.kind == "paragraph":
                # p1 is the second paragraph: the first is the parent's own body
                c.label = f"{short} {prefix} 第{int(c.clause_id.rsplit('.p', 1)[1]) + 1}段"
            else:
                c.label = f"{short} {prefix}{c.number}{c.heading}"
        return self.clauses


def parse_document(doc: Document) -> list[Clause]:
    """All clauses of one document, in source order."""
    builder = _Builder(doc.info)
    for raw in doc.text.split("\n"):
        line = raw.strip().strip("\u3000\ufeff")
        if line:
            builder.feed(line)
    return builder.finish()


def split_clause(clause: Clause, max_chars: int) -> list[Chunk]:
    """Sentence-aligned parts of at most ~max_chars; a short clause is one chunk with its own id."""
    context = " > ".join([clause.label.split(" ", 1)[0], *clause.path])
    if len(clause.text) <= max_chars:
        return [Chunk(clause.clause_id, clause.clause_id, clause.text, context)]
    sentences = [s for s in SENTENCE_END.split(clause.text) if s]
    parts: list[str] = []
    current = ""
    for sentence in sentences:
        while len(sentence) > max_chars:  # a single run-on sentence: cut it hard
            if current:
                parts.append(current)
                current = ""
            parts.append(sentence[:max_chars])
            sentence = sentence[max_chars:]
        if current and len(current) + len(sentence) > max_chars:
            parts.append(current)
            current = ""
        current += sentence
    if current:
        parts.append(current)
    head = clause.number + clause.heading if clause.heading else clause.number
    return [
        Chunk(f"{clause.clause_id}#{i}", clause.clause_id, part, context + (f" > {head}" if i > 1 and head else ""))
        for i, part in enumerate(parts, start=1)
    ]
