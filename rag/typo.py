"""Typo repair for question analysis (rag/query.py).

People type Chinese by sound: 河原 for 河源, 标准话 for 标准化, 检侧 for 检测. A run of the question
that the corpus never contains, but that reads (in toneless pinyin, with the input methods' fuzzy
sounds folded) like a corpus word differing in one character, is replaced by that word. The corpus
is the judge: nothing is repaired towards a word the plans do not use, and everyday words
(任职) are left alone. The input-method facts live in `data/lexicon/typo.yaml`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jieba
from jieba import posseg
from pypinyin import lazy_pinyin

from rag.lexicon import LEXICON_DIR, LexiconError, read_lexicon_file
from rag.text import GENERAL_RARE, general_share, normalize

CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
FUNCTION_POS = set("vdprcu")  # jieba part-of-speech initials of words that join others
REPAIR_LENGTHS = (4, 3, 2)  # corpus words of these lengths are repair targets, longest first
REPAIR_MIN_CORPUS_FREQ = 2  # a repair target occurs at least this often in the corpus (or is a place name)


@dataclass(frozen=True)
class TypoVocabulary:
    """What typo repair knows about Chinese input, read once from `data/lexicon/typo.yaml`."""

    function_chars: frozenset[str]
    fuzzy_sounds: tuple[tuple[str, str], ...]
    fuzzy_initials: tuple[tuple[str, str], ...]


def _pairs(data: dict, key: str, where: Path) -> tuple[tuple[str, str], ...]:
    pairs = data.get(key)
    if not isinstance(pairs, list) or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise LexiconError(f"{where}: {key} must be a list of [from, to] pairs")
    return tuple((str(a), str(b)) for a, b in pairs)


@cache
def load_typo_vocabulary(directory: Path = LEXICON_DIR) -> TypoVocabulary:
    path = directory / "typo.yaml"
    data = read_lexicon_file(path)
    if not data.get("function_chars"):
        raise LexiconError(f"{path}: missing entry 'function_chars'")
    return TypoVocabulary(
        function_chars=frozenset(str(data["function_chars"])),
        fuzzy_sounds=_pairs(data, "fuzzy_sounds", path),
        fuzzy_initials=_pairs(data, "fuzzy_initials", path),
    )


def _syllables(text: str) -> list[str]:
    return lazy_pinyin(text, errors=lambda chars: list(chars))


def _is_function_word(char: str) -> bool:
    """A verb, adverb, preposition, pronoun, conjunction or particle on its own (搞, 把, 正)."""
    return any(flag[:1] in FUNCTION_POS for _, flag in posseg.cut(char))


def fuzzy_syllable(syllable: str) -> str:
    """A syllable with the input methods' fuzzy distinctions folded (zh→z, ang→an, l→n …)."""
    vocabulary = load_typo_vocabulary()
    for a, b in vocabulary.fuzzy_sounds:
        if a in syllable:
            syllable = syllable.replace(a, b, 1)
    for a, b in vocabulary.fuzzy_initials:
        if syllable.startswith(a):
            syllable = b + syllable[len(a) :]
    return syllable


def _sound_key(text: str) -> str:
    return " ".join(fuzzy_syllable(x) for x in _syllables(text))


def _word_bounds(run: str) -> set[int]:
    """Positions in `run` where jieba's words start or end: a repair replaces whole words."""
    bounds, pos = {0}, 0
    for word in jieba.lcut(run):
        pos += len(word)
        bounds.add(pos)
    return bounds


class TypoRepairer:
    """Replaces runs of a question that the corpus never contains but that sound like a corpus word
    differing in one character (same toneless pinyin, or one syllable a letter off)."""

    def __init__(self, corpus_texts: Iterable[str], names: Iterable[str] = ()) -> None:
        self.function_chars = load_typo_vocabulary().function_chars
        texts = [normalize(t) for t in corpus_texts]
        self.corpus = "\n".join(texts)
        words = self._corpus_words(texts, names)
        self._words = set(words)
        self._by_sound: dict[str, list[tuple[str, int]]] = {}
        for word, count in words.items():
            if word[0] in self.function_chars or word[-1] in self.function_chars:
                continue
            self._by_sound.setdefault(_sound_key(word), []).append((word, count))

    @staticmethod
    def _corpus_words(texts: list[str], names: Iterable[str]) -> Counter[str]:
        """The corpus's words as jieba cuts them (not any character run) that occur often enough,
        and the place names, each with its count."""
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(w for w in jieba.cut_for_search(text) if len(w) in REPAIR_LENGTHS and CJK_RUN.fullmatch(w))
        words = Counter({w: c for w, c in counts.items() if c >= REPAIR_MIN_CORPUS_FREQ})
        for name in names:
            words[name] += REPAIR_MIN_CORPUS_FREQ
        return words

    def _candidate(self, gram: str) -> str | None:
        best: tuple[int, str] | None = None
        for word, count in self._by_sound.get(_sound_key(gram), []):
            diff = [i for i, (a, b) in enumerate(zip(gram, word, strict=True)) if a != b]
            if len(diff) != 1 or gram[diff[0]] in self.function_chars:
                continue
            i = diff[0]
            rest = gram[1:] if i == 0 else gram[:-1] if i == len(gram) - 1 else ""
            if rest in self._words and _is_function_word(gram[i]):
                continue  # "搞质量" is 搞 + 质量 (a verb before a word), not a typo of 高质量
            if best is None or count > best[0]:
                best = (count, word)
        return best[1] if best else None

    def _repair_at(self, run: str, i: int, bounds: set[int]) -> tuple[str, str] | None:
        """(typed, repaired) for the longest whole-word run starting at `i` that is a typo, if any."""
        for n in REPAIR_LENGTHS:
            gram = run[i : i + n]
            if len(gram) < n or i not in bounds or i + n not in bounds or gram in self.corpus:
                continue
            if general_share(gram) >= GENERAL_RARE:  # a real everyday word (任职), not a typo
                continue
            word = self._candidate(gram)
            if word:
                return gram, word
        return None

    def _repair_run(self, run: str, repairs: list[tuple[str, str]]) -> str:
        """One run of Chinese characters with its typos repaired (appended to `repairs`)."""
        bounds = _word_bounds(run)  # "方案里" is not "方案例"
        pieces: list[str] = []
        i = 0
        while i < len(run):
            found = self._repair_at(run, i, bounds)
            if found:
                pieces.append(found[1])
                repairs.append(found)
                i += len(found[0])
            else:
                pieces.append(run[i])
                i += 1
        return "".join(pieces)

    def repair(self, text: str) -> tuple[str, list[tuple[str, str]]]:
        """(text with repairs, [(typed, repaired), …]); text unchanged where nothing is sure."""
        repairs: list[tuple[str, str]] = []
        out = []
        last = 0
        for m in CJK_RUN.finditer(text):
            out.append(text[last : m.start()] + self._repair_run(m.group(0), repairs))
            last = m.end()
        out.append(text[last:])
        return "".join(out), repairs
