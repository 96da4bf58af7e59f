"""What a clause is, for an enterprise reader: target, task, support, obligation, safeguard or other.

Rules over the document's own structure and words, no model (the report must be built in well
under 2 s and every decision must be explainable by pointing at a sentence):

1. other      — a preamble, or a clause under a background heading (an interpretation's 背景);
2. target     — in the goals part (目标, 指导思想, 总体要求), or every sentence states a goal;
3. safeguard  — in the safeguard part (保障措施, 组织保障);
4. obligation — a sentence states a duty or liability enterprises bear (主体责任, 召回义务,
                强制性标准…), in a phrase that does not merely encourage it (鼓励, 引导…);
5. support    — a sentence names something concrete an enterprise can obtain (funds, tax relief,
                finance, an award or selection, a service or help, a preference), in a phrase
                not aimed at places or citizens, and is not addressed to local governments;
6. task       — anything else: the government's own work.

The vocabulary lives in `data/lexicon/report.yaml` (read by `rag.report_lexicon`); the labelled
sample that measures these rules is `eval/datasets/clause-kinds.jsonl` (`python -m eval.clause_kinds`).
Sentences are `rag.text.split_sentences`, the one splitter.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.clauses import Clause
from rag.lexicon import load_lexicon
from rag.report_lexicon import ReportLexicon, load_report_lexicon
from rag.text import normalize, split_sentences

KINDS = ("target", "task", "support", "obligation", "safeguard", "other")
REPORTED = ("support", "obligation")  # the kinds an enterprise report lists
PHRASE = re.compile(r"[，,；;]")


@dataclass(frozen=True)
class ClauseKind:
    """A clause's kind and, for support and obligations, the sentences (as written) that decided it."""

    kind: str
    sentences: tuple[str, ...] = ()


def is_obligation(sentence: str, lex: ReportLexicon | None = None) -> bool:
    """A phrase of the sentence states a duty enterprises bear, and does not merely encourage it."""
    lex = lex or load_report_lexicon()
    return any(lex.obligation.search(p) and not lex.soft.search(p) for p in PHRASE.split(normalize(sentence)))


def is_support(sentence: str, lex: ReportLexicon | None = None) -> bool:
    """A phrase of the sentence names something concrete an enterprise can obtain (and the
    sentence is not addressed to local governments or departments)."""
    lex = lex or load_report_lexicon()
    phrases = PHRASE.split(normalize(sentence))
    if lex.addressed_to_governments.search(phrases[0]):
        return False
    return any(lex.support.search(p) and not lex.not_for_enterprises.search(p) for p in phrases)


def classify(clause: Clause, lex: ReportLexicon | None = None) -> ClauseKind:
    """The kind of one clause (rules in the module docstring, first match wins)."""
    lex = lex or load_report_lexicon()
    if clause.kind == "preamble" or clause.is_heading_only:
        return ClauseKind("other")
    # the part of the plan a clause stands in: the headings above it (its own, for a top-level part);
    # a task titled "强化工程质量保障" is not in the safeguard part
    headings = normalize(" ".join(clause.path or [clause.heading]))
    if lex.other_headings.search(headings):
        return ClauseKind("other")
    body = split_sentences(clause.body)
    target_sentence = load_lexicon().target_sentence
    if lex.target_headings.search(headings) or (body and all(target_sentence.search(normalize(s)) for s in body)):
        return ClauseKind("target")
    if lex.safeguard_headings.search(headings):
        return ClauseKind("safeguard")
    duties = tuple(s for s in body if is_obligation(s, lex))
    if duties:
        return ClauseKind("obligation", duties)
    offers = tuple(s for s in body if is_support(s, lex))
    if offers:
        return ClauseKind("support", offers)
    return ClauseKind("task")
