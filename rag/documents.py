"""Documents and their catalog: read any supported file into plain text, and describe it.

A `DocumentInfo` is one entry of `data/catalog.yaml`; `read_text` turns a .txt/.md (UTF-8,
GB18030 or Big5), .docx, .pdf (text layer) or .html file into plain text lines.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

import yaml

from rag.text import script_of, to_simplified

CATALOG_FILE = "catalog.yaml"
TEXT_SUFFIXES = {".txt", ".md"}
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | {".docx", ".pdf", ".html", ".htm"}
REQUIRED_FIELDS = ("doc_id", "file", "title", "region")
MIN_PROMPT_TITLE = 2  # characters: a shorter name would be replaced wherever it occurs in an answer
MIN_TEXT_CHARS = 20  # fewer readable characters than this = nothing to index
MAX_CONTROL_SHARE = 0.01  # more control characters than this = binary junk
KINDS = ("implementation plan", "action plan", "consultation draft", "interpretation", "other")
# validity: "superseded" names its successor in `superseded_by`; "expired" = its period has ended.
STATUSES = ("in force", "superseded", "expired", "draft", "reference")
DRAFT_KIND = "consultation draft"  # a draft is a draft by kind, whatever its validity (a superseded draft too)
_DOC_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


class DocumentError(ValueError):
    """A document cannot be read or described; the message names the file and the reason."""


@dataclass(frozen=True)
class DocumentInfo:
    """One catalog entry. Values come from the document's own text."""

    doc_id: str
    file: str
    title: str
    region: str
    short_title: str = ""
    issuer: str = ""
    level: str = ""
    kind: str = "other"
    status: str = "in force"
    date: str = ""
    doc_number: str = ""
    script: str = "simplified"
    note: str = ""
    superseded_by: str = ""  # doc_id of the text that replaces this one (status "superseded")
    prompt_title: str = ""  # a short simplified name the model reads (each prompt token costs ~25 ms on 2 cores)

    def __post_init__(self) -> None:
        for name in REQUIRED_FIELDS:
            if not str(getattr(self, name) or "").strip():
                raise DocumentError(f"catalog entry {self.doc_id or self.file!r}: missing required field {name!r}")
        if not _DOC_ID.match(self.doc_id):
            raise DocumentError(f"catalog entry {self.doc_id!r}: doc_id must be lower-case letters, digits and '-'")
        if self.kind not in KINDS:
            raise DocumentError(f"catalog entry {self.doc_id!r}: kind must be one of {', '.join(KINDS)}")
        if self.status not in STATUSES:
            raise DocumentError(f"catalog entry {self.doc_id!r}: status must be one of {', '.join(STATUSES)}")
        if (self.status == "superseded") != bool(self.superseded_by):
            raise DocumentError(
                f"catalog entry {self.doc_id!r}: superseded_by is required with status 'superseded' and only with it"
            )

    @property
    def display_title(self) -> str:
        return self.short_title or self.title

    @property
    def prompt_name(self) -> str:
        """The name the answer prompt uses: `prompt_title`, else the display title in simplified script.
        The model copies it into answers; `formal_titles` puts the display title back."""
        return self.prompt_title or to_simplified(self.display_title)

    @property
    def is_draft(self) -> bool:
        """A consultation draft stays a draft when a final text supersedes it (kind, not status)."""
        return self.kind == DRAFT_KIND or self.status == "draft"

    def has_status(self, status: str) -> bool:
        """`status` as a filter value: "draft" also matches a draft whose status is now "superseded"."""
        return self.status == status or (status == "draft" and self.is_draft)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> DocumentInfo:
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise DocumentError(f"catalog entry {data.get('doc_id')!r}: unknown fields {', '.join(sorted(unknown))}")
        return cls(**{k: "" if v is None else str(v) for k, v in data.items()})


@dataclass(frozen=True)
class Document:
    info: DocumentInfo
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


# ----------------------------------------------------------------------------- catalog
def load_catalog(data_dir: Path) -> list[DocumentInfo]:
    path = data_dir / CATALOG_FILE
    if not path.is_file():
        raise DocumentError(f"{path}: catalog not found (expected one entry per document)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise DocumentError(f"{path}: not valid YAML ({exc})") from None
    entries = [DocumentInfo.from_dict(d) for d in raw.get("documents", [])]
    ids = [e.doc_id for e in entries]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise DocumentError(f"{path}: duplicate doc_id {', '.join(sorted(dupes))}")
    unknown = [f"{e.doc_id} → {e.superseded_by}" for e in entries if e.superseded_by and e.superseded_by not in ids]
    if unknown:
        raise DocumentError(f"{path}: superseded_by names no document of the catalog: {', '.join(unknown)}")
    if problem := prompt_title_problem(entries):
        raise DocumentError(f"{path}: {problem}")
    return entries


def prompt_title_problem(entries: list[DocumentInfo]) -> str:
    """Why the prompt titles cannot stand for their documents, or "": an answer's short name is
    replaced by its document's display title (`citations.formal_titles`), so each must be at least
    MIN_PROMPT_TITLE characters, without surrounding spaces, and no part of another document's name."""
    for e in entries:
        t = e.prompt_title
        if not t:
            continue
        if t != t.strip() or len(t) < MIN_PROMPT_TITLE:
            return f"prompt_title of {e.doc_id!r} must be {MIN_PROMPT_TITLE}+ characters without surrounding spaces"
        for other in entries:
            names = (other.prompt_title, other.display_title, other.title)
            if other.doc_id != e.doc_id and any(t in to_simplified(n) or t in n for n in names if n):
                return f"prompt_title {t!r} of {e.doc_id!r} is part of {other.doc_id!r}'s name"
    return ""


def save_catalog(data_dir: Path, entries: list[DocumentInfo]) -> str:
    """Return the catalog YAML text for `entries` (the caller writes it atomically)."""
    header = (
        "# The corpus: one entry per document in this folder. Values are taken from the documents.\n"
        "# Fields: doc_id, file, title, short_title, issuer, region, level, kind, status, date,\n"
        "# doc_number, script, note, superseded_by, prompt_title (a short name for the model's prompt). kind: "
        + " | ".join(KINDS)
        + "; status: "
        + " | ".join(STATUSES)
        + "\n"
    )
    body = yaml.safe_dump({"documents": [e.to_dict() for e in entries]}, allow_unicode=True, sort_keys=False, width=100)
    return header + body


def load_documents(data_dir: Path) -> list[Document]:
    docs = []
    for info in load_catalog(data_dir):
        path = data_dir / info.file
        if not path.is_file():
            raise DocumentError(f"{path}: listed in the catalog as {info.doc_id} but missing")
        docs.append(Document(info, read_text(path)))
    return docs


# ----------------------------------------------------------------------------- reading
def decode_bytes(raw: bytes, name: str) -> str:
    """UTF-8 (with or without BOM), else GB18030 or Big5, whichever decodes cleanly and reads best."""
    if not raw.strip():
        raise DocumentError(f"{name}: file is empty")
    if b"\x00" in raw[:4096]:
        raise DocumentError(f"{name}: binary data, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(raw, cp_isolation=["gb18030", "big5"]).best()
    if best is None:
        raise DocumentError(f"{name}: cannot decode as UTF-8, GB18030 or Big5")
    return str(best)


def _docx_text(path: Path) -> str:
    import docx

    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several unrelated types for broken files
        raise DocumentError(f"{path.name}: not a readable .docx ({type(exc).__name__})") from None
    return "\n".join(p.text for p in document.paragraphs)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, OSError, ValueError) as exc:
        raise DocumentError(f"{path.name}: not a readable PDF ({exc})") from None
    return "\n".join(pages)


def _html_text(raw: bytes, name: str) -> str:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(decode_bytes(raw, name), "html.parser")
    for tag in soup(["script", "style", "head"]):
        tag.decompose()
    blocks = soup.find_all(["p", "h1", "h2", "h3", "h4", "li", "div", "td"])
    if not blocks:
        return soup.get_text("\n")
    lines = [b.get_text("", strip=True) for b in blocks if not b.find(["p", "div", "li", "td"])]
    return "\n".join(line for line in lines if line)


def read_text(path: Path) -> str:
    """Plain text of a supported document; DocumentError (one line, naming the file) otherwise."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise DocumentError(f"{path.name}: unsupported file type {suffix or '(none)'}; use .txt .md .docx .pdf .html")
    if not path.is_file():
        raise DocumentError(f"{path}: no such file")
    if suffix == ".docx":
        text = _docx_text(path)
    elif suffix == ".pdf":
        text = _pdf_text(path)
    else:
        raw = path.read_bytes()
        text = _html_text(raw, path.name) if suffix in {".html", ".htm"} else decode_bytes(raw, path.name)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    visible = [c for c in text if not c.isspace()]
    if len(visible) < MIN_TEXT_CHARS:
        raise DocumentError(f"{path.name}: no text to index (only {len(visible)} characters)")
    controls = sum(1 for c in visible if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c == "\ufffd")
    if controls / len(visible) > MAX_CONTROL_SHARE:
        raise DocumentError(f"{path.name}: looks like binary junk or a wrong encoding ({controls} control characters)")
    return text


def detect_script(text: str) -> str:
    return "traditional" if script_of(text[:4000]) == "traditional" else "simplified"
