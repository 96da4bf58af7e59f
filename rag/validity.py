"""Whether a document still applies: its catalog `status` read for people.

One place turns a status into what the page, the CLI and an answer say about it, so a
superseded or expired plan is never presented as in force. A draft is recognised by its kind
(`DocumentInfo.is_draft`), so the 2023 consultation draft, now superseded, is still flagged as a draft.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from rag.documents import DRAFT_KIND, DocumentInfo

NOT_CURRENT = ("superseded", "expired")  # an answer citing such a document says so
STATUS_NAMES = {  # how the page names a status (English values stay the data's)
    "in force": "现行",
    "superseded": "已被取代",
    "expired": "已失效（实施期已结束）",
    "draft": "征求意见稿",
    "reference": "参考",
}


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
    name = STATUS_NAMES.get(info.status, info.status)
    if info.status == "superseded" and info.superseded_by in documents:
        name += f" → {documents[info.superseded_by].display_title}"
    return name


def citation_badge(citation: Mapping[str, Any], documents: Mapping[str, DocumentInfo] | None = None) -> str:
    """What a citation card says about its document's version and validity ("" when in force)."""
    flags = []
    if is_draft_citation(citation):
        flags.append("征求意见稿（非正式文本）")
    status = citation.get("status", "")
    if status == "superseded":
        successor = citation.get("superseded_by") or ""
        if documents and successor in documents:
            successor = documents[successor].display_title
        flags.append(f"已被《{successor}》取代" if successor else STATUS_NAMES["superseded"])
    elif status == "expired":
        flags.append(STATUS_NAMES["expired"])
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
