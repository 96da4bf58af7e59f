"""Callbacks of the policy finder and the document browser: no model, instant. The finder is a
`rag.finder` query over the index; what they show is `rag.ui_render`.
"""

from __future__ import annotations

import gradio as gr

from rag.finder import FinderQuery, find_clauses
from rag.index import CorpusIndex
from rag.retrieval import RetrievalFilters
from rag.text import match_key
from rag.ui_render import catalog_row, document_html, finder_note, finder_row
from rag.ui_text import load_ui_text


class BrowseViews:
    """The finder's and the document browser's callbacks over one index."""

    def __init__(self, index: CorpusIndex) -> None:
        self.index = index
        self.text = load_ui_text()
        self.regions = sorted({d.region for d in index.documents.values()})
        self.doc_choices = [(d.display_title, d.doc_id) for d in index.documents.values()]

    def _chosen(self, value) -> tuple:
        """A dropdown's value as a filter: "全部" is no constraint, anything else must match."""
        return () if value == self.text.all else (value,)

    def query(self, region, sector, need, include_drafts, keyword) -> FinderQuery:
        """The finder form as a query over the index (document filters as the retriever has them)."""
        filters = RetrievalFilters(regions=self._chosen(region), include_drafts=bool(include_drafts))
        return FinderQuery(filters, self._chosen(sector), self._chosen(need), keyword or "")

    def find(self, region: str, sector: str, need: str, include_drafts: bool, keyword: str):
        """(rows of the finder table, the count line under it)."""
        query = self.query(region, sector, need, include_drafts, keyword)
        docs = self.index.documents
        shown_need = need if query.needs else ""
        key = query.key
        rows = [finder_row(c, docs[c.doc_id], shown_need, key) for c in find_clauses(self.index.clauses, docs, query)]
        return rows, finder_note(len(rows))

    def open_from_finder(self, rows, evt: gr.SelectData):
        """A click on a finder row: open the browser tab on that clause's document, clause in focus."""
        try:
            row = evt.index[0]
            clause_id = rows.iloc[row][self.text.finder.columns[-1]] if hasattr(rows, "iloc") else rows[row][-1]
        except (IndexError, KeyError, TypeError):
            return gr.update(), gr.update(), gr.update(), gr.update()
        clause = self.index.clause_by_id.get(clause_id)
        if clause is None:  # not a clause of this index: nothing to open
            return gr.update(), gr.update(), gr.update(), gr.update()
        return gr.Tabs(selected="docs"), clause.doc_id, "", self.render_document(clause.doc_id, "", clause_id)

    def catalog_rows(self) -> list[list[str]]:
        docs = self.index.documents
        return [catalog_row(d, docs) for d in docs.values()]

    def render_document(self, doc_id: str | None, query: str, focus: str = "") -> str:
        docs = self.index.documents
        if not doc_id or doc_id not in docs:
            return document_html(None, [], docs)
        clauses = [c for c in self.index.clauses if c.doc_id == doc_id]
        return document_html(docs[doc_id], clauses, docs, query or "", match_key(query or ""), focus)
