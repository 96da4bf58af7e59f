"""A CJK font cut down to the characters of the corpus, made once and kept on disk, for the PDFs.

fpdf2 reads the whole font for every PDF it writes: with the 4 MB Droid Sans Fallback that is
about a third of a report's PDF time. Every character a report prints comes from the corpus
(`data/`: the documents, the catalog and the report's wording), so a copy of the font that holds
only those characters (about 270 KB) prints the same text with the same glyphs and metrics, and
fpdf2 then subsets that copy instead of the full font. A report with any character outside the
copy, or a font fontTools cannot cut, gets the full font: the copy changes speed, never content.
"""

from __future__ import annotations

import hashlib
import logging
import os
import string
import tempfile
from functools import cache
from pathlib import Path

FONT_DIR = Path(tempfile.gettempdir()) / "rag-fonts"  # one file per font and corpus: bounded
CORPUS_FILES = ("*.txt", "*.yaml")  # everything a report can quote or print

log = logging.getLogger(__name__)


@cache
def corpus_chars(corpus_dir: Path) -> frozenset[str]:
    """Every character of the corpus files, plus printable ASCII (dates, clause ids, counts)."""
    chars = set(string.printable)
    for pattern in CORPUS_FILES:
        for path in sorted(corpus_dir.rglob(pattern)):
            chars.update(path.read_text(encoding="utf-8"))
    return frozenset(chars)


def corpus_font(font: Path, text: str, corpus_dir: Path | None) -> Path:
    """The cut-down copy of `font` when every character of `text` is in the corpus, else `font`."""
    if corpus_dir is None:
        return font
    chars = corpus_chars(corpus_dir)
    if not set(text) <= chars:
        return font
    try:
        return _cut_font(font, font.stat().st_mtime_ns, chars)
    except Exception as exc:
        log.warning("PDF font: using the full %s (%s)", font, exc)
        return font


@cache
def _cut_font(font: Path, mtime_ns: int, chars: frozenset[str]) -> Path:
    """The copy of `font` with only `chars`, named after the font, its version and the characters."""
    key = hashlib.sha256(f"{font.resolve()}|{mtime_ns}|{''.join(sorted(chars))}".encode()).hexdigest()[:16]
    out = FONT_DIR / f"{font.stem}-{key}.ttf"
    if out.is_file():
        return out
    from fontTools import subset
    from fontTools.ttLib import TTFont

    options = subset.Options()
    options.notdef_outline = True  # the glyph of a missing character stays what it was
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    ttf = TTFont(str(font), recalcTimestamp=False)
    subsetter.subset(ttf)
    FONT_DIR.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        ttf.save(str(tmp))
        os.replace(tmp, out)  # another process may write the same file: either copy is the same
    finally:
        tmp.unlink(missing_ok=True)
    return out
