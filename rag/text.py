"""The one place text is normalised: NFKC, OpenCC t2s/s2t, jieba tokens, script detection.

`normalize` is the evaluation contract's normalisation minus whitespace removal and
lower-casing (`match_key` adds those); retrieval and matching must both go through here.
"""

from __future__ import annotations

import logging
import math
import re
import unicodedata
from functools import lru_cache

import jieba
import opencc

jieba.setLogLevel(logging.WARNING)

_WS = re.compile(r"\s+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# tokens that carry no meaning for BM25 (punctuation and a few function words)
_STOP = set(
    "的 了 和 与 及 或 等 在 对 为 是 有 将 把 被 从 以 之 其 各 中 上 下 要 由 并 也 而 "
    "我 我们 你 请问 吗 呢 什么 哪些 哪个 哪项 哪 怎么 如何 多少 几 是否 有没有 有何 怎样 为何 为什么 谁 哪里".split()
)
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
SENTENCE_ENDS = "。！？；!?;"
_SENTENCE = re.compile(rf"[^{SENTENCE_ENDS}\n]+[{SENTENCE_ENDS}]?")
# a phrase ends at a Chinese comma or at an ASCII comma not inside a number ("10,000")
_PHRASE = re.compile(r"(?:[^，,]|(?<=\d),(?=\d))+(?:，|,(?!\d)|$)")


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def to_traditional(text: str) -> str:
    return _s2t().convert(text)


def normalize(text: str) -> str:
    """NFKC then traditional → simplified: the search form of any text (keeps whitespace)."""
    return to_simplified(unicodedata.normalize("NFKC", text))


def match_key(text: str) -> str:
    """The evaluation contract's normalisation: NFKC, t2s, all whitespace removed, lower-cased."""
    return _WS.sub("", normalize(text)).lower()


def contains(haystack: str, needle: str) -> bool:
    """`needle` stands in `haystack` under the contract's normalisation."""
    return match_key(needle) in match_key(haystack)


def split_sentences(text: str) -> list[str]:
    """The sentences of `text` as written, closing punctuation kept; a line break also ends one.
    The one sentence splitter: answer checking, answerability, clause kinds, targets and diff use it."""
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def split_phrases(sentence: str) -> list[str]:
    """The comma-separated phrases of one sentence, punctuation kept: joined they give the sentence back."""
    return [p for p in _PHRASE.findall(sentence) if p]


def tokens(text: str) -> list[str]:
    """BM25 tokens: jieba search-mode words of the normalised, lower-cased text, minus stop words."""
    out = []
    for tok in jieba.cut_for_search(normalize(text).lower()):
        tok = tok.strip()
        if not tok or tok in _STOP or _PUNCT.match(tok):
            continue
        out.append(tok)
    return out


def words(text: str) -> list[str]:
    """jieba's precise-mode words of the normalised, lower-cased text, minus stop words: each word
    once, whole ("宣传教育"), where `tokens` adds its pieces and fragments ("宣传", "传教", "教育")."""
    out = []
    for tok in jieba.lcut(normalize(text).lower()):
        tok = tok.strip()
        if tok and tok not in _STOP and not _PUNCT.match(tok):
            out.append(tok)
    return out


GENERAL_COMMON = -3.5  # log10 share in general Chinese at or above which a word is everyday language
GENERAL_RARE = -6.5  # … at or below which it is a specialist term


@lru_cache(maxsize=20000)
def general_share(word: str) -> float:
    """log10 of the word's share in general Chinese (jieba's dictionary); -inf when unknown."""
    dt = jieba.dt
    dt.check_initialized()
    freq = dt.FREQ.get(word, 0)
    return math.log10(freq / dt.total) if freq else float("-inf")


@lru_cache(maxsize=20000)
def specificity(word: str) -> float:
    """0 for everyday words (希望, 打算, 方式), up to 1 for specialist ones (保费, 资格证), from
    jieba's general-language frequencies. Words jieba does not know count as half specific."""
    dt = jieba.dt
    dt.check_initialized()
    freq = dt.FREQ.get(word, 0)
    if not freq:
        return 0.5
    log_share = math.log10(freq / dt.total)
    return min(1.0, max(0.0, (GENERAL_COMMON - log_share) / (GENERAL_COMMON - GENERAL_RARE)))


def script_of(text: str) -> str:
    """'traditional', 'simplified' or 'english' (no Chinese characters) for a question or a document."""
    cjk = "".join(_CJK.findall(text))
    if not cjk:
        return "english" if _LATIN_WORD.search(text) else "simplified"
    simplified = to_simplified(cjk)
    changed = sum(1 for a, b in zip(cjk, simplified, strict=False) if a != b)
    # a single ambiguous character is not enough evidence of traditional script
    return "traditional" if changed >= 2 or (changed == 1 and len(cjk) <= 6) else "simplified"


def chinese_number(numeral: str) -> float | None:
    """A number written in Chinese numerals (三 → 3, 二十 → 20, 1.5万 → 15000; cn2an "smart" mode),
    None for what is no number ("万万")."""
    import cn2an  # 90 ms to import: only where a numeral is read

    try:
        return float(cn2an.cn2an(numeral, "smart"))
    except (ValueError, KeyError, TypeError):
        return None
