"""The policy finder: clauses of the index picked by document filters, tags and a keyword.

No model and no ranking: a plain query over `index.clauses` in corpus order, instant. Which
documents count is decided by the same `RetrievalFilters` the retriever uses (region, drafts, …),
so the finder and the chat cannot disagree about what a filter means; the finder adds what only it
needs: sector and need tags (rag.tags) and a keyword matched under the contract's normalisation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rag.clauses import Clause
from rag.documents import DocumentInfo
from rag.retrieval import RetrievalFilters
from rag.text import match_key


@dataclass(frozen=True)
class FinderQuery:
    """What the finder form asks for; an empty tuple or keyword is no constraint (as in
    `RetrievalFilters`). A clause must carry every tag in `sectors` and `needs`."""

    filters: RetrievalFilters = field(default_factory=RetrievalFilters)
    sectors: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    keyword: str = ""

    @property
    def key(self) -> str:
        """The keyword in its match form (NFKC, simplified, no whitespace, lower-cased)."""
        return match_key(self.keyword or "")

    def allows(self, clause: Clause, info: DocumentInfo, key: str | None = None) -> bool:
        """The clause answers the query; `key` is `self.key`, passed in by callers that loop."""
        key = self.key if key is None else key
        return (
            self.filters.allows(info)
            and all(tag in clause.tags for tag in self.sectors)
            and all(tag in clause.tags for tag in self.needs)
            and not clause.is_heading_only
            and (not key or key in match_key(clause.text + clause.label))
        )


def find_clauses(clauses: Sequence[Clause], documents: Mapping[str, DocumentInfo], query: FinderQuery) -> list[Clause]:
    """The clauses (in corpus order) that `query` allows; section titles without text of their own
    are left out, they say nothing a reader can act on."""
    key = query.key
    return [c for c in clauses if query.allows(c, documents[c.doc_id], key)]
