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

import cn2an

from rag.clause_rules import load_clause_rules, parse_responsible
from rag.documents import Document, DocumentInfo
from rag.tags import tag_clause
from rag.text import normalize

CHUNKER_VERSION = (
    "clauses-2"  # 2: policy-finder tags  # bump when parsing or splitting changes (index manifest records it)
)

HEADING_ONLY_MAX = 40  # a numbered line this short, with no sentence after its title, is a heading
PAGE_BREAK_MIN_LINE = 40  # a cut-off line is at least this long (titles are shorter)
PREAMBLE_PARAGRAPH_MIN = 60  # a preamble line this long is a paragraph, not a title or a contact line
TITLE_MAX = 80  # a title line is shorter than this
CLOSING = tuple("。！？；：”’」』）)》…!?;:")
SENTENCE_END = re.compile(r"(?<=[。！？；!?;])")


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
        """The text without what a label already says: the leading "8.标题。" (the prompt line keeps
        the heading, not the number) and the trailing "(…负责)" of responsible units (kept as
        `responsible`). Falls back to `text`."""
        text = self.text.strip()
        head = f"{self.number}{self.heading}"
        if self.heading and text.startswith(head):
            text = text[len(head) :].lstrip("。.:：， \n")
        if self.responsible:
            lines = text.rstrip().rsplit("\n", 1)
            lines[-1] = load_clause_rules().responsible_tail.sub("", lines[-1])
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
    """Chinese numerals: 三 → 3, 十 → 10, 十四 → 14, 二十一 → 21, 三十 → 30 (cn2an, strict mode)."""
    return int(cn2an.cn2an(numeral, "strict"))


def _numbering(line: str) -> tuple[str, int, str] | None:
    for style, pattern in load_clause_rules().numbering.items():
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
        is_title, prev_title = _is_title(line), _is_title(self.prev_line)
        long_para = len(line) >= PREAMBLE_PARAGRAPH_MIN
        return (is_title and not prev_title) or (long_para and self.preamble_has_paragraph)

    def continuation(self, line: str) -> None:
        self.clauses[-1].text += line

    def feed(self, line: str) -> None:
        broken = (
            self.clauses
            and len(self.prev_line) >= PAGE_BREAK_MIN_LINE
            and not self.prev_line.endswith(CLOSING)
            and not load_clause_rules().title_words.search(self.prev_line)
            and not _numbering(line)
            and not load_clause_rules().bullet.match(line)
        )
        if broken:
            self.continuation(line)
        elif (num := _numbering(line)) is not None:
            self.numbered(line, *num)
        elif load_clause_rules().bullet.match(line):
            self.bullet(line)
        else:
            self.paragraph(line)
        self.prev_line = line

    def finish(self) -> list[Clause]:
        by_id = {c.clause_id: c for c in self.clauses}
        for c in self.clauses:
            c.responsible, c.lead = parse_responsible(c.text)
            c.tags = tag_clause(c.text, c.responsible)
            c.label = _label(c, by_id, self.info.display_title)
        return self.clauses


def _label(c: Clause, by_id: dict[str, Clause], short: str) -> str:
    """The human-readable position: document title + the numbering of the clause and its parents."""
    rules = load_clause_rules()
    if c.kind == "preamble":
        return rules.preamble_label.format(short=short, n=c.clause_id.rsplit("pre", 1)[1])
    numbers = []
    parent = by_id.get(c.parent_id)
    while parent is not None:
        numbers.append(parent.number)
        parent = by_id.get(parent.parent_id)
    prefix = "".join(reversed(numbers))
    if c.kind == "bullet":
        return f"{short} {prefix}——{c.heading}"
    if c.kind == "paragraph":
        # p1 is the second paragraph: the first is the parent's own body
        return rules.paragraph_label.format(short=short, prefix=prefix, n=int(c.clause_id.rsplit(".p", 1)[1]) + 1)
    return f"{short} {prefix}{c.number}{c.heading}"


def _is_title(line: str) -> bool:
    """A short line naming a document or notice (印发…方案), with no full stop."""
    return bool(load_clause_rules().title_words.search(line)) and "。" not in line and len(line) < TITLE_MAX


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
