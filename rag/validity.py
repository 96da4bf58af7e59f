"""Whether a document still applies: its catalog `status` read for people.

One place turns a status into what the page, the CLI and an answer say about it, so a
superseded or expired plan is never presented as in force. A draft is recognised by its kind
(`DocumentInfo.is_draft`), so the 2023 consultation draft, now superseded, is still flagged as a draft.
The words are data (`data/lexicon/validity.yaml`); the statuses stay the catalog's English values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from rag.documents import DRAFT_KIND, DocumentInfo
from rag.lexicon import LEXICON_DIR, LexiconError

LEXICON_FILE = LEXICON_DIR / "validity.yaml"
NOT_CURRENT = ("superseded", "expired")  # an answer citing such a document says so


@dataclass(frozen=True)
class ValidityWording:
    """How a status reads (`data/lexicon/validity.yaml`); the statuses themselves stay the catalog's."""

    status_names: dict[str, str]
    draft_badge: str
    superseded_by_badge: str  # with {successor}


@cache
def validity_wording(path: Path = LEXICON_FILE) -> ValidityWording:
    """The validity wording, read once; LexiconError names the file and the entry at fault."""
    if not path.is_file():
        raise LexiconError(f"{path}: missing (the validity wording; restore it from git)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return ValidityWording(
            status_names={str(k): str(v) for k, v in raw["status_names"].items()},
            draft_badge=str(raw["draft_badge"]),
            superseded_by_badge=str(raw["superseded_by_badge"]),
        )
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML ({exc})") from None
    except (KeyError, TypeError, AttributeError) as exc:
        raise LexiconError(f"{path}: missing or malformed entry {exc}") from None


@dataclass(frozen=True)
class ValidityLine:
    """One line an answer adds about a cited document: a key of prompts/replies.yaml and its values."""

    key: str
    values: dict[str, str]


def is_draft_citation(citation: Mapping[str, Any]) -> bool:
    """A citation object of a draft (by the document's kind; old objects carry only the status)."""
    return citation.get("doc_kind") == DRAFT_KIND or citation.get("status") == "draft"


def status_label(info: DocumentInfo, documents: Mapping[str, DocumentInfo]) -> str:
    """Short label of a document's validity, e.g. "已被取代 → 東莞市質量強市方案(2024)"."""
    name = validity_wording().status_names.get(info.status, info.status)
    if info.status == "superseded" and info.superseded_by in documents:
        name += f" → {documents[info.superseded_by].display_title}"
    return name


def citation_badge(citation: Mapping[str, Any], documents: Mapping[str, DocumentInfo] | None = None) -> str:
    """What a citation card says about its document's version and validity ("" when in force)."""
    wording = validity_wording()
    flags = []
    if is_draft_citation(citation):
        flags.append(wording.draft_badge)
    status = citation.get("status", "")
    if status == "superseded":
        successor = citation.get("superseded_by") or ""
        if documents and successor in documents:
            successor = documents[successor].display_title
        flags.append(
            wording.superseded_by_badge.format(successor=successor) if successor else wording.status_names["superseded"]
        )
    elif status == "expired":
        flags.append(wording.status_names["expired"])
    return " · ".join(flags)


def validity_lines(citations: Iterable[Mapping[str, Any]], documents: Mapping[str, DocumentInfo]) -> list[ValidityLine]:
    """One line per cited superseded or expired document, in the order first cited."""
    lines: list[ValidityLine] = []
    seen: set[str] = set()
    for c in citations:
        info = documents.get(c.get("doc_id", ""))
        if info is None or info.status not in NOT_CURRENT or info.doc_id in seen:
            continue
        seen.add(info.doc_id)
        values = {"title": info.display_title}
        if info.status == "superseded":
            successor = documents.get(info.superseded_by)
            values["successor"] = successor.display_title if successor else info.superseded_by
        lines.append(ValidityLine(f"validity_{info.status}", values))
    return lines
