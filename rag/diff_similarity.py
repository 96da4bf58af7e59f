"""How alike two clauses of two versions of a plan are: the score `rag.diff` aligns them by.

The score mixes fuzzy text similarity (rapidfuzz, on the simplified text without the clause's
own numbering, since the two versions number differently and may differ in script) and the
cosine of the index's e5 vectors (no model call); clauses of different kinds (a goal bullet and
a section heading) are rarely versions of each other, so their score is scaled down.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from rag.clauses import Clause
from rag.lexicon import LEXICON_DIR, LexiconError
from rag.text import match_key, normalize, tokens

LEXICON_FILE = LEXICON_DIR / "diff.yaml"
TEXT_WEIGHT = 0.6  # share of the fuzzy text similarity in a pair's score (the rest: e5 cosine)
COSINE_FLOOR = 0.75  # e5 cosines of unrelated clauses of one corpus sit around here: rescaled to 0
KIND_MISMATCH_FACTOR = 0.7  # a goal bullet and a section heading are rarely versions of each other
KIND_GROUPS = {"section": "numbered", "item": "numbered"}  # the versions number sections differently


@dataclass(frozen=True)
class DiffLexicon:
    numbering: re.Pattern  # a clause's own numbering (一、 （一） 1.), dropped before comparing


@cache
def diff_lexicon(path: Path = LEXICON_FILE) -> DiffLexicon:
    """The comparison's vocabulary, read once; LexiconError names the file and the entry at fault."""
    if not path.is_file():
        raise LexiconError(f"{path}: missing (the draft ↔ final vocabulary; restore it from git)")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return DiffLexicon(numbering=re.compile(raw["numbering"]))
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path}: not valid YAML ({exc})") from None
    except (KeyError, TypeError) as exc:
        raise LexiconError(f"{path}: missing or malformed entry {exc}") from None
    except re.error as exc:
        raise LexiconError(f"{path}: bad pattern ({exc})") from None


def comparable(text: str) -> str:
    """What two versions of a clause are compared on: simplified, no numbering, no whitespace."""
    return match_key(diff_lexicon().numbering.sub("", normalize(text).strip()))


def _words(clause: Clause) -> str:
    return " ".join(sorted(set(tokens(comparable(clause.text)))))


def text_similarity(old: list[Clause], new: list[Clause]) -> np.ndarray:
    """Shared words (rapidfuzz token-set ratio over jieba words: rewritten clauses keep their
    vocabulary, not their order), averaged with the headings' similarity when both have one."""
    from rapidfuzz import fuzz
    from rapidfuzz.process import cdist

    words = cdist([_words(c) for c in old], [_words(c) for c in new], scorer=fuzz.token_set_ratio) / 100.0
    heads = cdist([match_key(c.heading) for c in old], [match_key(c.heading) for c in new], scorer=fuzz.ratio) / 100.0
    both = np.array([bool(c.heading) for c in old])[:, None] & np.array([bool(c.heading) for c in new])[None, :]
    return np.where(both, (words + heads) / 2, words)


def clause_vectors(index, clauses: list[Clause]) -> np.ndarray | None:
    """Mean e5 vector of each clause's chunks, from the index (no model call); None without one."""
    if index is None:
        return None
    from rag.index import vectors_of

    vectors = vectors_of(index)
    rows: dict[str, list[int]] = {}
    for i, chunk in enumerate(index.chunks):
        rows.setdefault(chunk.clause_id, []).append(i)
    out = np.stack([vectors[rows[c.clause_id]].mean(axis=0) for c in clauses])
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def _kind(clause: Clause) -> str:
    """Clauses of one kind may be versions of each other; a bare title only of another title."""
    return KIND_GROUPS.get(clause.kind, clause.kind) + ("-title" if clause.is_heading_only else "")


def similarity(old: list[Clause], new: list[Clause], index=None) -> np.ndarray:
    """Score of every (old, new) clause pair, old × new: text similarity, mixed with the e5 cosine
    when an index is given, scaled down for clauses of different kinds."""
    text = text_similarity(old, new)
    a, b = clause_vectors(index, old), clause_vectors(index, new)
    if a is not None and b is not None:
        cosine = np.clip((a @ b.T - COSINE_FLOOR) / (1 - COSINE_FLOOR), 0, 1)
        text = TEXT_WEIGHT * text + (1 - TEXT_WEIGHT) * cosine
    kinds_old = np.array([_kind(c) for c in old])
    kinds_new = np.array([_kind(c) for c in new])
    return np.where(kinds_old[:, None] == kinds_new[None, :], text, text * KIND_MISMATCH_FACTOR)
