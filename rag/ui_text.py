"""The words of the web page, read once from `data/lexicon/ui.yaml` into a frozen object.

The title, the filter choices, column names, example questions and the messages the callbacks
show are data, not Python literals: rewording the page (or translating it) edits YAML, not code.
Each section of the file is one frozen dataclass, so a missing or misspelt key fails when the page
is built, with the file and the key in the message, not when a visitor first triggers the message.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from rag.lexicon import LEXICON_DIR, LexiconError, read_lexicon_file

UI_TEXT_FILE = "ui.yaml"


@dataclass(frozen=True)
class ChatText:
    enterprise_examples: tuple[str, ...]
    citizen_examples: tuple[str, ...]
    empty_question: str
    error_reply: str
    declined_heading: str
    vote_thanks: str
    comment_empty: str
    comment_no_question: str
    comment_saved: str
    feedback_off: str


@dataclass(frozen=True)
class FinderText:
    columns: tuple[str, ...]
    default_need: str
    count: str  # {count}
    none: str


@dataclass(frozen=True)
class DocumentsText:
    columns: tuple[str, ...]
    pick: str
    search_count: str  # {query} {shown} {total}


@dataclass(frozen=True)
class PlansText:
    table_columns: tuple[str, ...]
    figure_columns: tuple[str, ...]
    status_names: MappingProxyType[str, str]
    targets_count: str  # {count} {columns}
    targets_none: str
    sort_label: str
    sort_original: str  # the sort choice that keeps the documents' own order
    descending: str
    diff_pick: str  # {known}
    diff_replaces: str  # {old} {new}
    diff_unrelated: str  # {old} {new}
    diff_none: str


@dataclass(frozen=True)
class ReportText:
    intro: str
    counts: str  # {support} {obligation} {documents} {query}
    export_failed: str  # {error}
    failed: str
    bad_link: str  # {error}


@dataclass(frozen=True)
class UiText:
    title: str
    header: str  # {title} {documents}
    all: str  # the "no constraint" choice of a filter
    simplified: str
    traditional: str
    chat: ChatText
    finder: FinderText
    documents: DocumentsText
    plans: PlansText
    report: ReportText


def _frozen(value: Any) -> Any:
    """YAML lists and mappings as their immutable counterparts; scalars as text."""
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, dict):
        return MappingProxyType({str(k): str(v) for k, v in value.items()})
    return str(value)


def _section(cls: type, raw: object, where: str) -> Any:
    """One dataclass from one mapping of the file, every key present and none unknown."""
    if not isinstance(raw, dict):
        raise LexiconError(f"{where}: expected a mapping")
    names = [f.name for f in fields(cls)]
    missing = [n for n in names if n not in raw]
    unknown = sorted(set(map(str, raw)) - set(names))
    if missing or unknown:
        raise LexiconError(f"{where}: missing {missing or 'nothing'}, unknown {unknown or 'nothing'}")
    return cls(**{n: _frozen(raw[n]) for n in names})


SECTIONS = {
    "chat": ChatText,
    "finder": FinderText,
    "documents": DocumentsText,
    "plans": PlansText,
    "report": ReportText,
}


@cache
def load_ui_text(directory: Path = LEXICON_DIR) -> UiText:
    path = directory / UI_TEXT_FILE
    data = read_lexicon_file(path)
    sections = {key: _section(cls, data.get(key), f"{path}: {key}") for key, cls in SECTIONS.items()}
    top = {key: value for key, value in data.items() if key not in SECTIONS}
    scalars = [f.name for f in fields(UiText) if f.name not in SECTIONS]
    missing = [n for n in scalars if not isinstance(top.get(n), str)]
    unknown = sorted(set(map(str, top)) - set(scalars))
    if missing or unknown:
        raise LexiconError(f"{path}: missing text {missing or 'nothing'}, unknown {unknown or 'nothing'}")
    return UiText(**{n: top[n] for n in scalars}, **sections)
