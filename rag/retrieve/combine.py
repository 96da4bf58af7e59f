"""Several rankings into one: the parts of a multi-part question and the sides of a comparison
are ranked separately and merged here, so no part or side is crowded out by another."""

from __future__ import annotations

from rag.documents import DocumentInfo
from rag.lexicon import Lexicon, load_lexicon
from rag.places import region_names, without_versions
from rag.retrieve.types import ScoredClause


def merge_rankings(lists: list[list[ScoredClause]], k: int) -> list[ScoredClause]:
    """Round-robin over several rankings, each clause once: every part keeps its best clauses on top."""
    out: list[ScoredClause] = []
    seen: set[str] = set()
    for i in range(max((len(x) for x in lists), default=0)):
        for ranked in lists:
            if i < len(ranked) and ranked[i].clause.clause_id not in seen:
                seen.add(ranked[i].clause.clause_id)
                out.append(ranked[i])
    return out[: max(k, 0)] if k else out


def without_names(text: str, documents: list[DocumentInfo], lexicon: Lexicon | None = None) -> str:
    """The topic of a comparison: the text without the compared documents' place and version words,
    so each side is searched for the topic alone."""
    lexicon = lexicon or load_lexicon()
    out = text
    for d in documents:
        for name in sorted(region_names(d, lexicon), key=len, reverse=True):
            out = out.replace(name, " ")
    return without_versions(out, documents, lexicon) or text


def interleave_documents(ranked: list[ScoredClause], docs: set[str], slots: int) -> list[ScoredClause]:
    """For a comparison, put each compared document's best `slots` clauses first (round-robin)."""
    per_doc = {d: [s for s in ranked if s.clause.doc_id == d][:slots] for d in sorted(docs)}
    head: list[ScoredClause] = []
    for i in range(slots):
        layer = [clauses[i] for clauses in per_doc.values() if i < len(clauses)]
        head += sorted(layer, key=lambda s: -s.score)
    chosen = {id(s) for s in head}
    return head + [s for s in ranked if id(s) not in chosen]
