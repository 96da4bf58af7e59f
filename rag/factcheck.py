"""Checks on what the model wrote, each a small predicate over the answer text.

`ground_answer` removes every sentence stating a number, percentage, date or quoted name that
neither its cited clause, that clause's parent headings, nor its document's title contains, or
whose figure the cited clause gives for something else; the other checks say whether an answer is
a refusal, a loop, says nothing new, misses the asked-for kind of fact, or answers another topic.
"""

from __future__ import annotations

import re
from collections import Counter

from rag.answer_words import load_answer_words
from rag.excerpts import CITATION, Block, answer_states, bigrams, name_tokens, states
from rag.lexicon import load_lexicon
from rag.text import chinese_number, match_key, normalize, split_sentences, tokens

# after the number with its unit (`AnswerWords.fact_number`, data/lexicon/answer.yaml)
QUOTED_NAME = re.compile(r"“([^”]{2,30})”")
TITLE = re.compile(r"《([^》]{2,40})》")
NAME_PATTERNS = (QUOTED_NAME, TITLE)
# an e-mail address or web address is one fact, not the number in it ("dgzlfz@163.com" is not 163)
CONTACT_FACT = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:https?://|www\.)[^\s，。；）)]+")
# an English answer gives the plans' own term in brackets, "additional tax deduction (加计扣除)":
# the term is a fact the clause must contain (the small model also copies the prompt's example)
ENGLISH_TERM = re.compile(r"[（(]([\u4e00-\u9fff]{2,16})[)）]")
ENGLISH_SENTENCE = re.compile(r"[A-Za-z]{3}")
SEGMENT_BREAK = re.compile(r"[，,；;。！？!?\n]")  # a figure and what it measures stand in one segment
MISREAD_MIN_OVERLAP = 3  # character pairs a passage must share with the sentence to judge its figure
THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")  # the comma of "10,000"
MIN_ANSWER_CHARS = 2  # an answer with fewer letters, digits or hanzi than this says nothing
MIN_NEW_BIGRAMS = 3  # an answer must add at least this many character pairs the question does not contain
MIN_NEW_WORDS = 2  # … or, in English, this many words (or numbers, or Chinese terms) the question does not contain
ENGLISH_FILLER = set(
    "the a an of to in on at for and or is are was were be been by with as it its this that these those there "
    "has have had do does did can could may might will would should several some many various such which what "
    "how who whom whose when where why according plan plans document documents clause clauses provides says".split()
)
REPEAT_RUN = 16  # characters of a run that, repeated REPEAT_MAX times, marks a looping answer
# … in a Latin-script answer (spaces removed): a letter says far less than a hanzi, and an English
# answer may well name "digital and intelligent" three times without looping
REPEAT_RUN_LATIN = 40
REPEAT_MAX = 3
# more citation marks in a row than any prompt has clauses (at most RAG_TOP_K, 10 by default): the
# model is counting, not citing ("…responsibility rules: [1] [2] [3] … [61]")
CITATIONS_IN_A_ROW_MAX = 10
CITATION_RUN = re.compile(rf"(?:{CITATION.pattern}[\s,，、]*){{{CITATIONS_IN_A_ROW_MAX + 1},}}")
# a sentence of a looping answer: English ones end at a full stop too ("98.5%. The …", not "98.5");
# `text.split_sentences` does not, since the checks must not cut "U.S." or "e.g." — here a wrong cut
# only keeps a little less of an answer that is looping anyway
LOOP_SENTENCE_ENDS = "。！？；!?;\n"
LOOP_SENTENCE = re.compile(rf"[^{LOOP_SENTENCE_ENDS}]+?(?:[{LOOP_SENTENCE_ENDS}]|\.(?=\s|\[|$)|$)")
CITATIONS_AHEAD = re.compile(r"(?:\s*\[[\d,，、\s]+\])+")
HANGING_LIST_MARK = re.compile(r"(?:^|\n)[ \t]*(?:\d{1,2}[.、)）]|[-*•])[ \t]*$")
TOPIC_TERMS = 3  # an answer must mention one of the question's this-many rarest clause words
TOPIC_MIN_IDF_SHARE = 0.25  # … that are rarer than this share of the rarest (not 质量, 企业, 建设)
OFF_TOPIC_MIN_HANZI = 20  # shorter answers are terse statements of the fact, not judged for topic


def facts_of(sentence: str) -> list[str]:
    """Numbers (with their unit), counts in Chinese numerals ("三个", not "一个": that is an
    article), quoted names and titles, e-mail and web addresses, and in English the plans' terms
    in brackets that a sentence states."""
    found: list[str] = []
    words = load_answer_words()
    plain = THOUSANDS.sub("", CITATION.sub("", sentence))  # "10,000" is the number 10000
    found += [m.group(0).rstrip(".") for m in CONTACT_FACT.finditer(plain)]
    plain = CONTACT_FACT.sub(" ", plain)
    if ENGLISH_SENTENCE.search(plain):
        found += ENGLISH_TERM.findall(plain)
    for pattern in (words.fact_number, *NAME_PATTERNS):
        for m in pattern.finditer(plain):
            fact = (m.group(1) if m.groups() else m.group(0)).strip()
            if fact:
                found.append(fact)
    found += [m.group(0) for m in words.count_fact.finditer(normalize(plain)) if (_count_value(m.group(1)) or 0) >= 2]
    return found


def _count_value(numeral: str) -> int | None:
    """三 → 3, 二十 → 20; None for what is no number ("万万")."""
    value = chinese_number(numeral)
    return None if value is None else int(value)


def _count_supported(fact: str, texts: list[str]) -> bool:
    """A count in Chinese numerals is supported by the same count, in numerals or digits, before
    any word ("三个等级" by "分为三级", "十家" by "10家"), not by an ordinal ("第三方")."""
    numerals = load_answer_words().numerals
    numeral = re.match(rf"[{numerals}]+", fact).group(0)
    value = _count_value(numeral)
    written = f"{re.escape(numeral)}|{value}" if value is not None else re.escape(numeral)
    count = re.compile(rf"(?<![第{numerals}\d.])(?:{written})(?![{numerals}\d.])\s*[\u4e00-\u9fff]")
    return any(count.search(normalize(t)) for t in texts)


def supported(fact: str, texts: list[str]) -> bool:
    """The fact stands in one of the texts; a number with a unit needs that unit there too
    ("94%" is not supported by "指数达到94"), except dates ("2025年" is supported by "2025")."""
    if load_answer_words().count_fact.fullmatch(fact):  # "三个", not a quoted name such as “十四五”
        return _count_supported(fact, texts)
    key = match_key(fact)
    keys = [match_key(t) for t in texts]
    digits = re.match(r"\d+(?:\.\d+)?", key)
    if not digits:
        return any(key in k for k in keys)
    number, unit = digits.group(0), key[digits.end() :]
    wanted = re.escape(number) + ("" if unit in load_answer_words().date_units else re.escape(unit))
    return any(re.search(_alone(wanted), k) for k in keys)


def _alone(number: str) -> str:
    """`number` (a regex) not as part of a longer number ("98" is not in "98.5"); a full stop after it
    is no decimal point ("19.完善")."""
    return rf"(?<!\d)(?<!\d\.){number}(?!\d|\.\d)"


def _segments(text: str) -> list[str]:
    return [seg for seg in SEGMENT_BREAK.split(match_key(text)) if seg]


def _misread(fact: str, sentence: str, texts: list[str]) -> bool:
    """The clause passage that reads most like the sentence states another figure of the same
    kind: "食品抽检合格率达到98%" where the clause says 食品…98.5% (and 98% only for 农产品)."""
    m = re.match(r"(\d+(?:\.\d+)?)(.*)", match_key(fact))
    if not m or m.group(2) in load_answer_words().date_units - {""}:
        return False
    number, unit = m.groups()
    # the document's title says nothing about the figure, and would match the title in the support text
    plain = TITLE.sub("", CITATION.sub("", sentence))
    own = next((seg for seg in _segments(plain) if number in seg), "")
    grams = bigrams(re.sub(r"[\d.%]+", "", own))
    if not grams:
        return False
    segments = [seg for t in texts for seg in _segments(t)]
    overlaps = [len(grams & bigrams(seg)) for seg in segments]
    top = max(overlaps, default=0)
    if top < MISREAD_MIN_OVERLAP:
        return False
    best = [seg for seg, o in zip(segments, overlaps, strict=True) if o == top]
    same_kind = re.compile(_alone(r"\d+(?:\.\d+)?") + re.escape(unit))
    has_fact = re.compile(_alone(re.escape(number) + re.escape(unit)))
    return not any(has_fact.search(seg) for seg in best) and any(same_kind.search(seg) for seg in best)


def ground_answer(
    answer: str, cited: list[Block], prefer_final: bool = False, named_docs: tuple[str, ...] = ()
) -> tuple[str, int]:
    """Drop sentences whose facts stand in none of the clauses they cite (or, uncited, in any),
    or whose figure the cited clause gives for something else (see `_misread`).

    With `prefer_final` (the question asked for no draft), a sentence citing a final plan and a
    draft of the same place is held to the final: "2025年食品抽检合格率目标是98%[1][2]" takes the
    draft's 98% where the in-force plan says 98.5%. With `named_docs` (the documents of the places
    the question names), a fact is held to those: "东莞打算新增几个？" is not answered by the
    provincial plan's figure, nor "韶关的目标" by Dongguan's."""
    kept, removed = [], 0
    for sentence in split_sentences(answer) or [answer]:
        numbers = [int(n) for m in CITATION.finditer(sentence) for n in re.split(r"[,，、]", m.group(1))]
        blocks = [cited[n - 1] for n in numbers if 0 < n <= len(cited)] or cited
        if named_docs:
            blocks = [b for b in blocks if b.scored.document.doc_id in named_docs]
        if prefer_final:
            blocks = _finals_over_their_drafts(blocks)
        texts = [b.support_text for b in blocks]
        if all(supported(f, texts) and not _misread(f, sentence, texts) for f in facts_of(sentence)):
            kept.append(sentence)
        else:
            removed += 1
    return "".join(kept).strip(), removed


def _finals_over_their_drafts(blocks: list[Block]) -> list[Block]:
    """The blocks without the drafts whose place also has a final plan among them."""
    final_regions = {b.scored.document.region for b in blocks if not b.scored.document.is_draft}
    return [b for b in blocks if not (b.scored.document.is_draft and b.scored.document.region in final_regions)]


def _runs(key: str) -> list[str]:
    """The overlapping runs of `key` whose repetition marks a loop (longer runs in Latin script)."""
    latin = sum(c.isascii() and c.isalpha() for c in key)
    size = REPEAT_RUN_LATIN if 2 * latin > len(key) else REPEAT_RUN
    return [key[i : i + size] for i in range(0, max(len(key) - size + 1, 0))]


def is_degenerate(answer: str) -> bool:
    """The small model sometimes loops ("Guangdong's plan  Guangdong's plan  Guangdong's plan …"):
    the same run of characters standing REPEAT_MAX or more times is no answer, nor is a row of
    citation marks longer than any prompt's clauses."""
    if CITATION_RUN.search(answer):
        return True
    runs = Counter(_runs(match_key(CITATION.sub("", answer))))
    return bool(runs) and max(runs.values()) >= REPEAT_MAX


def before_loop(answer: str) -> str:
    """The beginning of a looping answer, up to the first sentence that repeats a run of what came
    before it (or of itself), or that is shorter than a run and said before: "[1] The target for
    food sampling inspections is 98.5%. [2] The target for food sampling inspections is 98%. …"
    keeps its first sentence; "" when the first sentence already loops. Returned as written."""
    end = 0
    seen: set[str] = set()
    for m in LOOP_SENTENCE.finditer(answer):
        key = match_key(CITATION.sub("", m.group(0)))
        runs = _runs(key) or [key]  # a short sentence counts as one run: said again, it repeats
        if len(set(runs)) < len(runs) or seen.intersection(runs):
            break
        seen.update(runs)
        end = m.end()
    return answer[: _with_its_citations(answer, end)]


def _with_its_citations(answer: str, end: int) -> int:
    """Where a kept sentence ending at `end` ends with its citations: "98.5%.[1] The …" keeps the
    [1], unless the model puts its citations first ("[1] The … 98.5%.[2] The …")."""
    ahead = CITATIONS_AHEAD.match(answer, end)
    return ahead.end() if ahead and end and not answer.lstrip().startswith("[") else end


def whole_sentences(answer: str) -> str:
    """An answer cut off mid-sentence (at its token limit) up to its last whole sentence and that
    sentence's citations: "…达450家以上[1]。到2025年，全市" keeps "…达450家以上[1]。". A "." at the
    very end may be a cut number ("98.") and ends nothing; a list's next number or mark ("\n2.")
    left hanging after the last whole sentence goes too."""
    end = 0
    for m in LOOP_SENTENCE.finditer(answer):
        if m.end() < len(answer) or answer[m.end() - 1] in LOOP_SENTENCE_ENDS:
            end = m.end()
    return HANGING_LIST_MARK.sub("", answer[: _with_its_citations(answer, end)])


def ends_sentence(text: str) -> bool:
    """The text stops right at a sentence's end mark (its citation, if any, may still come)."""
    tail = text.rstrip(" \t")
    return bool(tail) and (tail[-1] in LOOP_SENTENCE_ENDS or tail[-1] == ".")


OPEN_ENDS = "；;：:，,、"  # marks after which an answer goes on: a list's next item, "如下："
TRAILING_CITATIONS = re.compile(CITATIONS_AHEAD.pattern + r"\s*$")  # the citations that end a text


def ends_open(text: str) -> bool:
    """The text's last sentence (its citations aside) ends where more must follow ("…；", "如下：")."""
    tail = TRAILING_CITATIONS.sub("", text).rstrip()
    return bool(tail) and tail[-1] in OPEN_ENDS


def is_refusal(answer: str) -> bool:
    return bool(load_answer_words().refusal.search(answer))


def found_nothing(raw: str) -> bool:
    """The model, reading the clauses, found no answer: it says so, or writes nothing but
    citations ("[1]") or "有相关规定" — a second opinion is due before quoting the clauses."""
    return is_refusal(raw) or not has_content(raw)


def has_content(answer: str, question: str = "") -> bool:
    """Says something: a few letters/digits/hanzi, more than a restatement of the question, and
    more than "有相关规定" (which answers "有奖励吗？" without saying what the plans provide)."""
    plain = CITATION.sub("", answer)
    if len(re.sub(r"[\W_]+", "", plain)) < MIN_ANSWER_CHARS or load_answer_words().non_answer.match(plain.strip()):
        return False
    if not question:
        return True
    if re.search(r"[A-Za-z]{3}", plain):  # English: character pairs are too fine, count new words
        words = set(re.findall(r"[a-z]+", plain.lower())) - set(re.findall(r"[a-z]+", question.lower()))
        new = (
            len(words - ENGLISH_FILLER)
            + len(re.findall(r"\d+", plain))
            + len(bigrams("".join(re.findall(r"[\u4e00-\u9fff]+", plain))) - bigrams(question))
        )
        return new >= MIN_NEW_WORDS
    return len(bigrams(plain) - bigrams(question)) >= MIN_NEW_BIGRAMS


def topic_terms(query: str, blocks: list[Block], idf: dict[str, float]) -> list[str]:
    """The question's rarest words that the prompt's clauses also use (首席质量官, 加计扣除): an
    answer about the question mentions at least one of them. Question words, paraphrase words the
    clauses never use, and the documents' own names (东莞, 征求意见稿) are not topics."""
    clause_text = " ".join(normalize(b.text) for b in blocks)
    lexicon = load_lexicon()
    skip = name_tokens(blocks) | lexicon.question_words
    words = [
        t
        for t in dict.fromkeys(tokens(query))
        if len(t) >= 2 and re.search(r"[\u4e00-\u9fff]", t) and t not in skip and not lexicon.interrogative.match(t)
    ]
    floor = TOPIC_MIN_IDF_SHARE * max(idf.values(), default=0.0)
    words = [t for t in words if t in clause_text and idf.get(t, 0.0) >= floor]
    return sorted(words, key=lambda t: -idf[t])[:TOPIC_TERMS]


def off_topic(answer: str, terms: list[str], question: str = "") -> bool:
    """A Chinese answer that mentions none of the question's topic terms answers something else.

    Not judged: English answers, terse ones ("韶关稳居B级", "源城区：2025年") and ones stating the
    kind of fact the question asks for — they answer rather than restate the topic."""
    plain = match_key(CITATION.sub("", answer))
    if (
        not terms
        or re.search(r"[A-Za-z]{3}", plain)
        or len(re.findall(r"[\u4e00-\u9fff]", plain)) < OFF_TOPIC_MIN_HANZI
    ):
        return False
    if states(plain, answer_states(question)):
        return False
    return not any(t in plain for t in terms)


def misses_answer_type(question: str, answer: str) -> bool:
    """The question asks how much / which date / which year, and the answer states no such thing."""
    plain = normalize(CITATION.sub("", answer))
    return any(not p.search(plain) for p in answer_states(question))
