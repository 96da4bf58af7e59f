"""English → Chinese domain terms, so an English question also reaches BM25 and gives the
multilingual embedder Chinese anchor words. e5-small matches English to Chinese only loosely;
adding the plans' own vocabulary for the English words a user typed closes most of that gap.
The list (`data/lexicon/glossary.yaml`) is about the domain (quality policy), not about any
particular question. It is the fallback of the model translation in `rag/query.py`.
"""

from __future__ import annotations

import re
from functools import cache

from rag.lexicon import load_lexicon


@cache
def _pattern() -> re.Pattern:
    keys = sorted(load_lexicon().glossary, key=len, reverse=True)
    return re.compile(r"\b(" + "|".join(re.escape(k) for k in keys) + r")\b", re.IGNORECASE)


def chinese_term_groups(english: str) -> list[list[str]]:
    """Per English word or phrase in `english`, its Chinese alternatives ("deadline" → 日前, 截止)."""
    glossary = load_lexicon().glossary
    return [list(glossary[m.group(1).lower()]) for m in _pattern().finditer(english)]


def chinese_terms(english: str) -> list[str]:
    """Chinese domain terms for the English words and phrases in `english`, in order, deduplicated."""
    return list(dict.fromkeys(t for group in chinese_term_groups(english) for t in group))
