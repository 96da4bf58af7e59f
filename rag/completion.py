"""After the checks: what a checked answer must still say, added by code from the clauses.

A comparison speaks for every compared document; a multi-part answer answers every part from its
own clauses (or says "方案未写明…" for a part the plans do not answer); a department question names
the units; an English answer quotes the Chinese sentence it rests on. Each step appends a quoted,
cited line and names itself in the answer's route ("+completed", "+parts", "+units", "+quoted").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rag.config import Settings
from rag.excerpts import CITATION, Block
from rag.extractive import EXTRACTIVE, complete_comparison, complete_part, complete_units, quote_source
from rag.factcheck import ENGLISH_TERM, ends_open, topic_terms, whole_sentences
from rag.postchecks import CheckContext, check_answer
from rag.prompting import reply
from rag.retrieval import RetrievalResult
from rag.text import match_key


@dataclass(frozen=True)
class Completion:
    """What the completion steps read: the prompt's blocks, the retrieval and what was asked."""

    result: RetrievalResult
    blocks: list[Block]
    asked_text: str
    query: str
    lang: str
    settings: Settings
    parent_text: Callable
    kind_text: str = ""  # the words saying what kind of answer is wanted (default: `asked_text`)

    @property
    def english(self) -> bool:
        return self.lang == "english"


def part_groups(result: RetrievalResult) -> list[tuple[str, list]]:
    """(part, its ranked clauses) for each answerable part of a multi-part question."""
    if not result.parts:
        return []
    parts = result.analysis.parts
    return [
        (p.text, ranked)
        for p, ranked, d in zip(parts, result.parts, result.part_decisions, strict=True)
        if not d.declined
    ]


def complete(answer: str, cited: list[Block], route: str, c: Completion) -> tuple[str, list[Block], str]:
    """Run the completion steps in order; each that adds a line extends the route."""
    compared = c.result.extra.get("compared_docs", [])
    if compared and cited:
        pool = c.blocks + _comparison_extras(c, compared)
        answer, cited, added = complete_comparison(
            answer, cited, pool, compared, c.kind_text or c.asked_text, c.query, c.english
        )
        route += "+completed" if added else ""
    if part_groups(c.result):
        answer, cited, added, unstated = _complete_parts(answer, cited, c)
        route += "+parts" if added or unstated else ""
    elif c.result.analysis.answer_type == "department" and cited:
        # "which bureau?" answered without naming one of the clause's units ("the environment
        # bureau of Source County"): the units as the plan names them, cited — a plan the answer
        # cites: another's units answer what was not asked ("意见稿里质量学院是让谁来办的？" is not
        # answered by the 2024 plan's bureaus); when the cited plans' clauses list none, no line
        answered = {b.scored.document.doc_id for b in cited}
        own = [b for b in c.blocks if b.scored.document.doc_id in answered]
        answer, cited, added = complete_units(answer, cited, own, c.english)
        route += "+units" if added else ""
    if c.english and cited and not route.startswith(EXTRACTIVE) and not ENGLISH_TERM.search(answer):
        # the model left out the plans' own terms in brackets (or wrote a Chinese fragment into an
        # English word, "brand无形 asset"): quote the sentence it rests on, so the reader can find
        # it in the cited (Chinese) clause; an extractive answer is the clauses' own words already
        # (its units and document-facts forms too: they show the Chinese names)
        answer, cited = quote_source(answer, cited, c.query)
        route += "+quoted"
    return answer, cited, route


# completion steps that add what the answer left out (a compared side, the units), unlike "+quoted",
# which only shows the Chinese words of an English answer it has; "+parts" may also be only a part
# the plans do not answer, so covers_question asks the parts step itself
MISSING_STEPS = ("+completed", "+units")


def covers_question(raw: str, ctx: CheckContext, c: Completion) -> bool:
    """The model's whole sentences so far, were it stopped here, end no list midway ("…；",
    "如下："), pass the checks as its own answer (not replaced by a quote) and leave the completion
    steps nothing to add: every compared side, every answered part, the units (a part the plans do
    not answer is said so by code whatever the model writes). What the time budget asks before it
    stops a model (rag/answer.py)."""
    if ends_open(whole_sentences(raw)):
        return False
    answer, cited, route = check_answer(raw, ctx, cut=True)
    if route.startswith(EXTRACTIVE) or not names_its_topics(answer, cited, ctx):
        return False
    _, _, route = complete(answer, cited, route, c)
    if any(step in route for step in MISSING_STEPS):
        return False
    return not (part_groups(c.result) and _complete_parts(answer, cited, c)[2])


def names_its_topics(answer: str, cited: list[Block], ctx: CheckContext) -> bool:
    """A Chinese answer names each of the question's topic terms (`factcheck.topic_terms`) that
    the clauses it cites use: "支持市场主体创建自主品牌" passes every check but does not yet say
    what "有什么金融支持" asks (the clause's 金融产品 does). English answers name the plans' terms
    only in brackets, if at all: not judged."""
    if ctx.english:
        return True
    said = match_key(CITATION.sub("", answer))
    in_cited = match_key(" ".join(b.text for b in cited))
    return all(t in said for t in topic_terms(ctx.query, ctx.blocks, ctx.idf) if t in in_cited)


def _complete_parts(answer: str, cited: list[Block], c: Completion) -> tuple[str, list[Block], int, int]:
    """Every answered part is cited from its own clauses (else its best sentence is quoted);
    every part the plans do not answer is said to be unanswered ("方案未写明…"). Returns (answer,
    cited, lines added for answered parts, lines for unanswered ones)."""
    added = 0
    kinds = {p.text: p.answer_type for p in c.result.analysis.parts}
    for part, ranked in part_groups(c.result):
        ids = {s.clause.clause_id for s in ranked[: c.settings.prompt_k_part]}
        own = [b for b in c.blocks if b.scored.clause.clause_id in ids]
        if kinds.get(part) == "department":  # "…哪个部门牵头？": the units must be named
            answer, cited, n = complete_units(answer, cited, own, c.english)
        else:
            answer, cited, n = complete_part(answer, cited, own, part, c.english, c.result.analysis.earlier_questions)
        added += n
    unstated = 0
    for part, decision in zip(c.result.analysis.parts, c.result.part_decisions, strict=True):
        if decision.declined:
            answer = answer.rstrip() + "\n" + reply("part_unstated", c.lang, part=part.text)
            unstated += 1
    return answer, cited, added, unstated


def _comparison_extras(c: Completion, compared: list[str]) -> list[Block]:
    """The compared documents' best retrieved clauses beyond those the prompt had room for."""
    in_prompt = {b.scored.clause.clause_id for b in c.blocks}
    extra = [s for s in c.result.clauses if s.clause.doc_id in compared and s.clause.clause_id not in in_prompt]
    extra = extra[: c.settings.compare_slots * len(compared)]
    n = len(c.blocks)
    return [Block(n + i, s, s.clause.body, c.parent_text(s)) for i, s in enumerate(extra, 1)]
