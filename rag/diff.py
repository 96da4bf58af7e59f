"""Draft ↔ final: align the clauses of a document with those of the text that superseded it.

    python -m rag.diff OLD_DOC NEW_DOC [--json]

The catalog says which text supersedes which (`superseded_by`). Clauses are aligned one-to-one
by an optimal assignment (scipy's Hungarian method) over `rag.diff_similarity.similarity`, which
mixes fuzzy text similarity and the cosine of the index's e5 vectors. A pair below
`MIN_PAIR_SCORE` is no pair: its clauses are `removed` / `added`. A pair is `unchanged` when the
texts are equal after normalisation, else `changed`, and its figures are compared
(`rag.target_figures` finds them): changed figures are listed old → new.

The figures of the two documents are also compared as a whole (`Comparison.figures`), so a
target that moved to another clause between the versions is still found as changed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

from rag.clauses import Clause
from rag.diff_similarity import comparable, similarity
from rag.documents import DocumentInfo
from rag.target_figures import find_figures, indicators, target_lexicon, target_sentences
from rag.targets import Target, extract
from rag.text import match_key, normalize

MIN_PAIR_SCORE = 0.45  # below this two clauses are not versions of each other
MIN_FIGURE_MATCH = 60  # rapidfuzz ratio of two indicators for their figures to be compared
STATUSES = ("unchanged", "changed", "added", "removed")


class DiffInputError(ValueError):
    """Unknown document ids, or two documents with nothing to align; the message lists the known ids."""


@dataclass(frozen=True)
class FigureChange:
    old: str  # the figure as written in the old text ("98%以上"); "" when the new text adds it
    new: str
    indicator: str = ""
    old_clause_id: str = ""
    new_clause_id: str = ""


@dataclass
class Pair:
    status: str  # unchanged | changed | added | removed
    old_clause_id: str
    new_clause_id: str
    old_text: str  # as in the document (its own script)
    new_text: str
    changes: list[FigureChange] = field(default_factory=list)
    score: float = 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["changes"] = [{"old": c.old, "new": c.new, "indicator": c.indicator} for c in self.changes]
        d["score"] = round(self.score, 3)
        return d


@dataclass
class Comparison:
    old_doc: str
    new_doc: str
    pairs: list[Pair]
    figures: list[FigureChange]  # every target figure that differs, document-wide

    def counts(self) -> dict[str, int]:
        return {s: sum(1 for p in self.pairs if p.status == s) for s in STATUSES}

    def to_dict(self) -> dict:
        return {
            "old_doc": self.old_doc,
            "new_doc": self.new_doc,
            "counts": self.counts(),
            "pairs": [p.to_dict() for p in self.pairs],
            "figures": [asdict(f) for f in self.figures],
        }


# ----------------------------------------------------------------------------- figures
def clause_figures(clause: Clause) -> list[tuple[str, str]]:
    """(indicator, figure as written) of every figure of a clause, target sentence or not."""
    lex = target_lexicon()
    out = []
    for sentence in target_sentences(normalize(clause.text)):
        figures = find_figures(sentence, True, lex)
        names = indicators(sentence, figures, lex)
        out += [(names[f.start], f.text) for f in figures if not f.skipped]
    return out


def match_figures(old: list[tuple[str, str]], new: list[tuple[str, str]]) -> list[tuple[int | None, int | None]]:
    """One-to-one (old index, new index) by indicator similarity, best first; unmatched get None."""
    from rapidfuzz import fuzz

    scored = sorted(
        ((fuzz.ratio(a[0], b[0]), i, j) for i, a in enumerate(old) for j, b in enumerate(new)),
        key=lambda x: (-x[0], x[1], x[2]),
    )
    used_old: set[int] = set()
    used_new: set[int] = set()
    pairs: list[tuple[int | None, int | None]] = []
    for score, i, j in scored:
        if score < MIN_FIGURE_MATCH or i in used_old or j in used_new:
            continue
        used_old.add(i)
        used_new.add(j)
        pairs.append((i, j))
    pairs += [(i, None) for i in range(len(old)) if i not in used_old]
    pairs += [(None, j) for j in range(len(new)) if j not in used_new]
    return pairs


def figure_changes(old: Clause | None, new: Clause | None) -> list[FigureChange]:
    a = clause_figures(old) if old else []
    b = clause_figures(new) if new else []
    changes = []
    for i, j in match_figures(a, b):
        before, after = a[i] if i is not None else ("", ""), b[j] if j is not None else ("", "")
        if match_key(before[1]) != match_key(after[1]):
            changes.append(FigureChange(before[1], after[1], after[0] or before[0]))
    return changes


def target_changes(old: list[Target], new: list[Target]) -> list[FigureChange]:
    """Document-wide: every target whose figure differs, and those only one version has."""
    a = [(t.indicator, t.figure) for t in old]
    b = [(t.indicator, t.figure) for t in new]
    out = []
    for i, j in match_figures(a, b):
        o, n = old[i] if i is not None else None, new[j] if j is not None else None
        if o and n and (o.value, o.unit, o.comparator) == (n.value, n.unit, n.comparator):
            continue
        out.append(
            FigureChange(
                old=o.figure if o else "",
                new=n.figure if n else "",
                indicator=n.indicator if n else o.indicator if o else "",
                old_clause_id=o.clause_id if o else "",
                new_clause_id=n.clause_id if n else "",
            )
        )
    return out


# ----------------------------------------------------------------------------- alignment
def align(old: list[Clause], new: list[Clause], index=None) -> list[Pair]:
    """One-to-one alignment of two documents' clauses, in the new text's order (removed clauses
    stand after the pair that precedes them in the old text)."""
    from scipy.optimize import linear_sum_assignment

    if not old or not new:
        raise DiffInputError("nothing to align: one of the documents has no clauses")
    scores = similarity(old, new, index)
    rows, cols = linear_sum_assignment(-scores)
    matched = {int(i): int(j) for i, j in zip(rows, cols, strict=True) if scores[i, j] >= MIN_PAIR_SCORE}
    pairs: list[tuple[float, Pair]] = []
    for i, j in matched.items():
        o, n = old[i], new[j]
        same = comparable(o.text) == comparable(n.text)
        pair = Pair("unchanged" if same else "changed", o.clause_id, n.clause_id, o.text, n.text)
        pair.score = float(scores[i, j])
        if not same:
            pair.changes = figure_changes(o, n)
        pairs.append((float(j), pair))
    position = -1.0
    for i, o in enumerate(old):
        if i in matched:
            position = float(matched[i])
            continue
        position += 1e-3  # after the pair before it, before the next new clause
        pairs.append((position, Pair("removed", o.clause_id, "", o.text, "", figure_changes(o, None))))
    taken = set(matched.values())
    for j, n in enumerate(new):
        if j not in taken:
            pairs.append((float(j), Pair("added", "", n.clause_id, "", n.text, figure_changes(None, n))))
    return [p for _, p in sorted(pairs, key=lambda x: x[0])]


def check_pair(documents: Mapping[str, DocumentInfo], old_doc: str, new_doc: str) -> None:
    known = ", ".join(documents)
    for doc_id in (old_doc, new_doc):
        if doc_id not in documents:
            raise DiffInputError(f"unknown document {doc_id!r}; known: {known}")
    if old_doc == new_doc:
        raise DiffInputError(f"nothing to align: {old_doc} with itself; known: {known}")


def compare(
    documents: Mapping[str, DocumentInfo], clauses: list[Clause], old_doc: str, new_doc: str, index=None
) -> Comparison:
    check_pair(documents, old_doc, new_doc)
    old = [c for c in clauses if c.doc_id == old_doc]
    new = [c for c in clauses if c.doc_id == new_doc]
    if not old or not new:
        raise DiffInputError(f"nothing to align between {old_doc} and {new_doc}; known: {', '.join(documents)}")
    wanted = [c for c in clauses if c.doc_id in {old_doc, new_doc}]
    targets = extract(documents, wanted).targets
    figures = target_changes([t for t in targets if t.doc_id == old_doc], [t for t in targets if t.doc_id == new_doc])
    return Comparison(old_doc, new_doc, align(old, new, index), figures)


def successions(documents: Mapping[str, DocumentInfo]) -> list[tuple[str, str]]:
    """(old, new) doc_id pairs the catalog records: old is superseded by new."""
    return [(d.doc_id, d.superseded_by) for d in documents.values() if d.superseded_by in documents]


# ----------------------------------------------------------------------------- chat
_CACHE: dict[tuple[str, str, str], Comparison] = {}


def comparison_for(index, old_doc: str, new_doc: str) -> Comparison:
    """The comparison of two documents of a loaded index (computed once per index build)."""
    key = (str(index.path), old_doc, new_doc)
    if key not in _CACHE:
        _CACHE[key] = compare(index.documents, index.clauses, old_doc, new_doc, index)
    return _CACHE[key]


def successor_map(index) -> dict[str, str]:
    """{clause of a superseded document: its aligned clause in the text that superseded it}."""
    return {
        pair.old_clause_id: pair.new_clause_id
        for old_doc, new_doc in successions(index.documents)
        for pair in comparison_for(index, old_doc, new_doc).pairs
        if pair.old_clause_id and pair.new_clause_id
    }


def aligned_pair(index, clause_id: str) -> Pair | None:
    """The pair a clause of a superseded document or of its successor belongs to; None when the
    clause's document has no recorded version, or the clause has no counterpart."""
    clause = index.clause_by_id.get(clause_id)
    doc_id = clause.doc_id if clause else ""
    for old_doc, new_doc in successions(index.documents):
        if doc_id in (old_doc, new_doc):
            for pair in comparison_for(index, old_doc, new_doc).pairs:
                if clause_id in (pair.old_clause_id, pair.new_clause_id):
                    return pair if pair.old_clause_id and pair.new_clause_id else None
    return None


def pair_first(scored: list, result, index, depth: int) -> list:
    """For a question comparing a draft with the text that superseded it: the best-ranked clause of
    either version and its aligned counterpart go first (the evidence, both cited); else `scored`."""
    from rag.retrieval import ScoredClause

    compared = set(getattr(result.analysis, "compare_docs", ()) or ())
    pairs = [(o, n) for o, n in successions(index.documents) if {o, n} <= compared]
    if not pairs:
        return scored
    versions = set(pairs[0])
    best = next((s for s in result.clauses if s.clause.doc_id in versions), None)
    pair = aligned_pair(index, best.clause.clause_id) if best else None
    if pair is None:
        return scored
    by_id = {s.clause.clause_id: s for s in result.clauses}
    evidence = []
    for cid in (pair.old_clause_id, pair.new_clause_id):
        clause = index.clause_by_id[cid]
        evidence.append(by_id.get(cid) or ScoredClause(clause, index.documents[clause.doc_id], best.score, 0, 0, cid))
    rest = [s for s in scored if s.clause.clause_id not in {pair.old_clause_id, pair.new_clause_id}]
    return (evidence + rest)[: max(depth, len(evidence))]


# ----------------------------------------------------------------------------- CLI
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m rag.diff", description=__doc__.split("\n")[0])
    parser.add_argument("old_doc", metavar="OLD_DOC")
    parser.add_argument("new_doc", metavar="NEW_DOC")
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    return parser


def print_comparison(result: Comparison, relation: str) -> None:
    """The counts, every pair that is not unchanged with its figure changes, then the document-wide
    figure changes, one line each."""
    counts = ", ".join(f"{k} {v}" for k, v in result.counts().items())
    print(f"{result.new_doc} {relation} {result.old_doc}: {counts}")
    for p in result.pairs:
        if p.status == "unchanged":
            continue
        head = normalize((p.new_text or p.old_text).split("\n", 1)[0])[:50]
        print(f"{p.status:9} {p.old_clause_id or '—':36} → {p.new_clause_id or '—':36} {head}")
        for c in p.changes:
            print(f"{'':11}{c.indicator}: {c.old or '—'} → {c.new or '—'}")
    print("\ntarget figures that differ (whole documents):")
    for f in result.figures:
        print(
            f"  {f.indicator}: {f.old or '—'} → {f.new or '—'}  ({f.old_clause_id or '—'} → {f.new_clause_id or '—'})"
        )


def main(argv: list[str] | None = None) -> int:
    from rag.config import get_settings
    from rag.documents import DocumentError, load_catalog
    from rag.index import IndexProblem, load_index

    args = _parser().parse_args(argv)
    settings = get_settings()
    try:
        documents = {d.doc_id: d for d in load_catalog(settings.data_dir)}
        check_pair(documents, args.old_doc, args.new_doc)
        index = load_index(settings)
        result = compare(index.documents, index.clauses, args.old_doc, args.new_doc, index)
    except DiffInputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (DocumentError, IndexProblem) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=1))
        return 0
    relation = "supersedes" if documents[args.old_doc].superseded_by == args.new_doc else "compared with"
    print_comparison(result, relation)
    return 0


__all__ = ["Comparison", "FigureChange", "Pair", "aligned_pair", "compare", "successor_map"]

if __name__ == "__main__":
    sys.exit(main())
