"""Build, load and verify the search index in `index/`: FAISS vectors + BM25 tokens + a manifest.

Layout: each build goes to its own folder `index/build-<time>/` (clauses.json, chunks.json,
documents.json, dense.faiss, manifest.json, the search parts' parts.json and parts.faiss, and the
clause pieces' pieces.json and pieces.faiss); the
small pointer file `index/CURRENT` names the live one and is replaced atomically only after a build is
complete, so a build killed midway leaves the previous index in service. Nothing is pickled: the
clause store is JSON and the vectors are FAISS's own binary format. The manifest records every file's
sha256 (checked on load: a truncated or edited file is reported, never silently used) and the
fingerprint of what the index was built from (documents, catalog, chunker version, embedder weights,
clause and part lengths): when any of those change the index is stale and `ensure_index` rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from rag.clauses import CHUNKER_VERSION, Chunk, Clause, parse_document, split_clause
from rag.config import Settings, get_settings
from rag.documents import CATALOG_FILE, DocumentInfo, load_catalog, load_documents
from rag.errors import EMBEDDER_WEIGHTS, STAMP_SUFFIX
from rag.excerpts import clause_pieces
from rag.text import normalize, tokens

log = logging.getLogger(__name__)

INDEX_FORMAT = 3  # 2: chunks embedded in their normalised (simplified) form; 3: with the clause pieces
POINTER = "CURRENT"
MANIFEST = "manifest.json"
CLAUSES = "clauses.json"
CHUNKS = "chunks.json"
DOCUMENTS = "documents.json"
DENSE = "dense.faiss"
PARTS = "parts.json"
PARTS_DENSE = "parts.faiss"
PIECES = "pieces.json"
PIECES_DENSE = "pieces.faiss"
INGEST_HINT = "run `python -m rag.ingest` (or `make run`, which rebuilds it)"


class IndexProblem(RuntimeError):
    """The index cannot be used as it is; the message says why and what to run."""


class IndexMissing(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    pass


class IndexStale(IndexProblem):
    pass


@dataclass
class Manifest:
    fingerprint: dict
    files: dict[str, str]
    n_documents: int
    n_clauses: int
    n_chunks: int
    build_seconds: float
    built_at: str
    format: int = INDEX_FORMAT
    n_parts: int = 0
    n_pieces: int = 0


@dataclass
class SearchParts:
    """The clauses cut into short sentence-aligned parts (RAG_SEARCH_PART_CHARS), searched beside
    the whole clauses: a long clause one of whose sentences answers ranks by that sentence
    instead of being diluted by the rest. They only rank; the decision reads whole-clause scores."""

    chunks: list[Chunk]
    tokens: list[list[str]]
    dense: object  # faiss.Index, row i = chunks[i]
    _bm25: object = field(init=False, default=None)

    @property
    def bm25(self):
        if self._bm25 is None:
            from rank_bm25 import BM25Okapi

            self._bm25 = BM25Okapi(self.tokens)
        return self._bm25


@dataclass
class ClausePieces:
    """Every clause's sentences and phrases as an English question's excerpts and quotes rank them
    by meaning (`excerpts.clause_pieces`), embedded when the index is built: ~2,100 pieces took
    ~16 s here, which the first English questions of every new process used to pay for while they
    waited (~0.5 s each). Not searched: `Embedder.remember` keeps them. They are a cache, not in the
    fingerprint: a piece the splitting of a later version cuts differently is embedded when asked for."""

    texts: list[str]
    vectors: np.ndarray  # row i = texts[i], L2-normalised


@dataclass
class CorpusIndex:
    """Everything retrieval needs, loaded in memory."""

    documents: dict[str, DocumentInfo]
    clauses: list[Clause]
    chunks: list[Chunk]
    chunk_tokens: list[list[str]]
    dense: object  # faiss.Index over chunk vectors, row i = chunks[i]
    manifest: Manifest
    path: Path
    parts: SearchParts | None = None  # None: built with RAG_SEARCH_PART_CHARS=0
    pieces: ClausePieces | None = None  # None: not embedded (an index made up by a test)
    clause_by_id: dict[str, Clause] = field(init=False)
    rows_of: dict[str, list[int]] = field(init=False)  # clause_id -> its chunks' rows
    _bm25: object = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.clause_by_id = {c.clause_id: c for c in self.clauses}
        self.rows_of = {}
        for row, chunk in enumerate(self.chunks):
            self.rows_of.setdefault(chunk.clause_id, []).append(row)

    @property
    def bm25(self):
        if self._bm25 is None:
            from rank_bm25 import BM25Okapi

            self._bm25 = BM25Okapi(self.chunk_tokens)
        return self._bm25

    def document_of(self, clause: Clause) -> DocumentInfo:
        return self.documents[clause.doc_id]

    def ancestors(self, clause: Clause) -> list[Clause]:
        """The clauses above this one, nearest first (a goal bullet's "到2025年" stands in its parent)."""
        out, parent = [], self.clause_by_id.get(clause.parent_id)
        while parent is not None:
            out.append(parent)
            parent = self.clause_by_id.get(parent.parent_id)
        return out


# ----------------------------------------------------------------------------- fingerprint
def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def fingerprint(settings: Settings) -> dict:
    """What an index depends on; cheap to compute (hashes of the small document files)."""
    data_dir = settings.data_dir
    catalog = load_catalog(data_dir)
    docs = {}
    for info in catalog:
        path = data_dir / info.file
        docs[info.doc_id] = _sha256_bytes(path.read_bytes()) if path.is_file() else "missing"
    stamp = Path(str(settings.embedder_path / EMBEDDER_WEIGHTS) + STAMP_SUFFIX)
    try:
        embedder = json.loads(stamp.read_text())["sha256"]
    except (OSError, ValueError, KeyError):
        embedder = "missing"
    return {
        "documents": docs,
        "catalog": _sha256_bytes((data_dir / CATALOG_FILE).read_bytes()),
        "chunker": CHUNKER_VERSION,
        "embedder": embedder,
        "max_clause_chars": settings.max_clause_chars,
        "search_part_chars": settings.search_part_chars,
    }


# ----------------------------------------------------------------------------- build
def parse_corpus(settings: Settings) -> tuple[list[DocumentInfo], list[Clause], list[Chunk]]:
    documents = load_documents(settings.data_dir)
    clauses: list[Clause] = []
    for doc in documents:
        clauses.extend(parse_document(doc))
    chunks = [chunk for clause in clauses for chunk in split_clause(clause, settings.max_clause_chars)]
    return [d.info for d in documents], clauses, chunks


def search_parts_of(clauses: list[Clause], max_chars: int) -> list[Chunk]:
    """Every clause as parts of at most `max_chars` (0: none); a shorter clause is one part. Every
    clause is there, so that a long clause's parts do not simply add rankings only it is in."""
    if max_chars <= 0:
        return []
    return [part for clause in clauses for part in split_clause(clause, max_chars)]


def _write_json(path: Path, obj) -> str:
    data = json.dumps(obj, ensure_ascii=False, indent=0).encode("utf-8")
    path.write_bytes(data)
    return _sha256_bytes(data)


def _pointer_path(settings: Settings) -> Path:
    return settings.index_dir / POINTER


def _current_build(settings: Settings) -> Path | None:
    pointer = _pointer_path(settings)
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    if not name.startswith("build-") or "/" in name:
        raise IndexCorrupt(f"{pointer} does not name a build folder; {INGEST_HINT}")
    return settings.index_dir / name


def build_index(settings: Settings | None = None, embedder=None, show_progress: bool = True) -> CorpusIndex:
    """Parse, embed and write a new index, then switch `index/CURRENT` to it."""
    import faiss

    from rag.embedder import Embedder

    settings = settings or get_settings()
    t0 = time.perf_counter()
    fp = fingerprint(settings)
    infos, clauses, chunks = parse_corpus(settings)
    if not chunks:
        raise IndexProblem(f"no clauses found in {settings.data_dir}; add documents first")
    parts = search_parts_of(clauses, settings.search_part_chars)
    piece_texts = list(dict.fromkeys(p for c in clauses for p in clause_pieces(c.body, c.text)))
    embedder = embedder or Embedder(settings)
    if show_progress:
        print(
            f"embedding {len(chunks)} chunks, {len(parts)} search parts and {len(piece_texts)} pieces of "
            f"{len(clauses)} clauses from {len(infos)} documents…",
            file=sys.stderr,
        )
    # embed the normalised (t2s) text: queries are normalised too, so scripts never mismatch (the
    # pieces are normalised already)
    texts = [normalize(c.embed_text) for c in chunks + parts] + piece_texts
    vectors = embedder.embed_passages(texts, show_progress=show_progress)
    n_parts_end = len(chunks) + len(parts)
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors[: len(chunks)])
    chunk_tokens = [tokens(c.embed_text) for c in chunks]
    search_parts = None
    if parts:
        parts_dense = faiss.IndexFlatIP(vectors.shape[1])
        parts_dense.add(vectors[len(chunks) : n_parts_end])
        search_parts = SearchParts(parts, [tokens(p.embed_text) for p in parts], parts_dense)
    pieces = ClausePieces(piece_texts, vectors[n_parts_end:].copy())  # not a view keeping all vectors alive
    pieces_dense = faiss.IndexFlatIP(vectors.shape[1])
    pieces_dense.add(pieces.vectors)

    settings.index_dir.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=time.strftime("build-%Y%m%d-%H%M%S-"), dir=settings.index_dir))
    try:
        files = {
            DOCUMENTS: _write_json(build / DOCUMENTS, [i.to_dict() for i in infos]),
            CLAUSES: _write_json(build / CLAUSES, [asdict(c) for c in clauses]),
            CHUNKS: _write_json(
                build / CHUNKS, [{**asdict(c), "tokens": t} for c, t in zip(chunks, chunk_tokens, strict=True)]
            ),
        }
        faiss.write_index(dense, str(build / DENSE))
        files[DENSE] = _sha256_bytes((build / DENSE).read_bytes())
        if search_parts is not None:
            files[PARTS] = _write_json(
                build / PARTS,
                [{**asdict(p), "tokens": t} for p, t in zip(search_parts.chunks, search_parts.tokens, strict=True)],
            )
            faiss.write_index(search_parts.dense, str(build / PARTS_DENSE))
            files[PARTS_DENSE] = _sha256_bytes((build / PARTS_DENSE).read_bytes())
        files[PIECES] = _write_json(build / PIECES, pieces.texts)
        faiss.write_index(pieces_dense, str(build / PIECES_DENSE))
        files[PIECES_DENSE] = _sha256_bytes((build / PIECES_DENSE).read_bytes())
        manifest = Manifest(
            fingerprint=fp,
            files=files,
            n_documents=len(infos),
            n_clauses=len(clauses),
            n_chunks=len(chunks),
            n_parts=len(parts),
            n_pieces=len(piece_texts),
            build_seconds=round(time.perf_counter() - t0, 2),
            built_at=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        )
        _write_json(build / MANIFEST, asdict(manifest))
        _switch_pointer(settings, build)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    _remove_old_builds(settings, keep=build)
    return CorpusIndex(
        {i.doc_id: i for i in infos}, clauses, chunks, chunk_tokens, dense, manifest, build, search_parts, pieces
    )


def _switch_pointer(settings: Settings, build: Path) -> None:
    pointer = _pointer_path(settings)
    tmp = pointer.with_name(pointer.name + f".{os.getpid()}.tmp")
    tmp.write_text(build.name + "\n")
    os.replace(tmp, pointer)


def _remove_old_builds(settings: Settings, keep: Path) -> None:
    for old in settings.index_dir.glob("build-*"):
        if old.is_dir() and old != keep:
            shutil.rmtree(old, ignore_errors=True)


# ----------------------------------------------------------------------------- load
def load_index(settings: Settings | None = None, check_fresh: bool = True) -> CorpusIndex:
    """Load and verify the current index; IndexMissing / IndexCorrupt / IndexStale otherwise."""
    settings = settings or get_settings()
    build = _current_build(settings)
    if build is None or not build.is_dir():
        raise IndexMissing(f"no index in {settings.index_dir}; {INGEST_HINT}")
    try:
        manifest = Manifest(**json.loads((build / MANIFEST).read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError) as exc:
        raise IndexCorrupt(f"index manifest in {build} is unreadable ({type(exc).__name__}); {INGEST_HINT}") from None
    if manifest.format != INDEX_FORMAT:
        raise IndexStale(f"index format {manifest.format} is not {INDEX_FORMAT}; {INGEST_HINT}")
    blobs: dict[str, bytes] = {}
    for name, expected in manifest.files.items():
        try:
            blobs[name] = (build / name).read_bytes()
        except OSError:
            raise IndexCorrupt(f"index file {build / name} is missing; {INGEST_HINT}") from None
        if _sha256_bytes(blobs[name]) != expected:
            raise IndexCorrupt(f"index file {build / name} is truncated or corrupt (sha256 mismatch); {INGEST_HINT}")
    if check_fresh:
        current = fingerprint(settings)
        if current != manifest.fingerprint:
            changed = sorted(k for k in current if current[k] != manifest.fingerprint.get(k))
            raise IndexStale(f"index is stale ({', '.join(changed)} changed since it was built); {INGEST_HINT}")
    infos = [DocumentInfo.from_dict(d) for d in json.loads(blobs[DOCUMENTS])]
    clauses = [Clause(**d) for d in json.loads(blobs[CLAUSES])]
    chunks, chunk_tokens, dense = _read_units(blobs, CHUNKS, DENSE, "chunks")
    return CorpusIndex(
        {i.doc_id: i for i in infos},
        clauses,
        chunks,
        chunk_tokens,
        dense,
        manifest,
        build,
        _load_parts(build, blobs),
        _load_pieces(build, blobs),
    )


def _read_units(blobs: dict[str, bytes], units: str, vectors: str, what: str) -> tuple:
    """(chunks, their tokens, their FAISS vectors) from a build's JSON file and FAISS file."""
    raw = json.loads(blobs[units])
    unit_tokens = [u.pop("tokens") for u in raw]
    chunks = [Chunk(**u) for u in raw]
    dense = _faiss_index(blobs[vectors])
    if dense.ntotal != len(chunks):
        raise IndexCorrupt(f"index has {dense.ntotal} vectors for {len(chunks)} {what}; {INGEST_HINT}")
    return chunks, unit_tokens, dense


def _load_parts(build: Path, blobs: dict[str, bytes]) -> SearchParts | None:
    """The search parts of a build, if it has any (their files are in the verified manifest)."""
    if PARTS not in blobs and PARTS_DENSE not in blobs:
        return None
    if PARTS not in blobs or PARTS_DENSE not in blobs:
        raise IndexCorrupt(f"index in {build} lists only one of {PARTS} and {PARTS_DENSE}; {INGEST_HINT}")
    return SearchParts(*_read_units(blobs, PARTS, PARTS_DENSE, "search parts"))


def _faiss_index(blob: bytes):
    """A FAISS index from the bytes whose sha256 the manifest check verified (not read again from disk)."""
    import faiss

    return faiss.deserialize_index(np.frombuffer(blob, dtype=np.uint8))


def _load_pieces(build: Path, blobs: dict[str, bytes]) -> ClausePieces:
    """The clause pieces and their vectors; every format-3 build has them."""
    if PIECES not in blobs or PIECES_DENSE not in blobs:
        raise IndexCorrupt(f"index in {build} lacks {PIECES} or {PIECES_DENSE}; {INGEST_HINT}")
    texts = json.loads(blobs[PIECES])
    dense = _faiss_index(blobs[PIECES_DENSE])
    if dense.ntotal != len(texts):
        raise IndexCorrupt(f"index has {dense.ntotal} vectors for {len(texts)} clause pieces; {INGEST_HINT}")
    return ClausePieces(texts, dense.reconstruct_n(0, dense.ntotal))


def ensure_index(settings: Settings | None = None, embedder=None) -> CorpusIndex:
    """Load the index, rebuilding it when it is missing, stale or corrupt (says which on stderr)."""
    settings = settings or get_settings()
    try:
        return load_index(settings)
    except IndexProblem as exc:
        print(f"index: {str(exc).split(';')[0]} — rebuilding", file=sys.stderr)
        return build_index(settings, embedder=embedder)


def vectors_of(index: CorpusIndex) -> np.ndarray:
    """All chunk vectors (row i = chunk i), for diagnostics and tests."""
    return index.dense.reconstruct_n(0, index.dense.ntotal)
