"""`python -m rag.ingest`: rebuild everything downstream of data/, export clauses, add a document.

    python -m rag.ingest                              # parse data/, embed, write index/
    python -m rag.ingest --if-stale                   # only when the index is missing, stale or corrupt
    python -m rag.ingest --export-clauses out.jsonl   # one JSON object per clause
    python -m rag.ingest --add plan.docx [--title … --region … --date …]

Adding validates everything first (readable, decodable, numbered clauses, not a duplicate,
title and region known), then writes the document and the catalog through temp files and
renames, then rebuilds the index; if the rebuild fails, data/ is put back as it was.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

from rag.clauses import parse_document
from rag.config import Settings, get_settings
from rag.documents import (
    CATALOG_FILE,
    Document,
    DocumentError,
    DocumentInfo,
    detect_script,
    load_catalog,
    prompt_title_problem,
    read_text,
    save_catalog,
)
from rag.errors import ModelError
from rag.index import IndexProblem, build_index, load_index, parse_corpus
from rag.text import match_key, normalize

MIN_NUMBERED_CLAUSES = 2  # a policy document has at least this many numbered clauses
DATE = re.compile(r"(20\d\d|19\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
DOC_NUMBER = re.compile(r"[\u4e00-\u9fff]{1,8}〔\d{4}〕\d+[号號]")
TITLE_LINE = re.compile(r"(方案|计划|計劃|意见|意見|纲要|綱要|规划|規劃|办法|辦法|措施|解读|解讀)")
REGION = re.compile(r"(广东省|廣東省|[\u4e00-\u9fff]{2,3}市[\u4e00-\u9fff]{2,3}区|[\u4e00-\u9fff]{2,3}[市区县])")


def export_clauses(settings: Settings, out: Path) -> int:
    infos, clauses, _ = parse_corpus(settings)
    by_id = {i.doc_id: i for i in infos}
    tmp = out.with_name(out.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        for c in clauses:
            info = by_id[c.doc_id]
            row = {
                "clause_id": c.clause_id,
                "doc_id": c.doc_id,
                "doc_title": info.title,
                "label": c.label,
                "text": c.text,
                "responsible": c.responsible,
                "lead": c.lead,
                "heading": c.heading,
                "path": c.path,
                "kind": c.kind,
                "region": info.region,
                "status": info.status,
                "superseded_by": info.superseded_by,
                "doc_kind": info.kind,
            }
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(tmp, out)
    return len(clauses)


def infer_info(path: Path, text: str, given: dict[str, str], existing: list[DocumentInfo]) -> DocumentInfo:
    """Catalog entry for a new document: what the user gave, else what the text says."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    title = given.get("title") or next(
        (ln for ln in lines[:15] if TITLE_LINE.search(ln) and "。" not in ln and len(ln) <= 60), ""
    )
    region = given.get("region") or ""
    if not region and title:
        m = REGION.search(normalize(title))
        region = m.group(1) if m else ""
    date = given.get("date") or ""
    if not date and (m := DATE.search(text)):
        date = f"{m.group(1)}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    draft = "征求意见" in normalize(title + text[:500])
    kind = given.get("kind") or (
        "consultation draft"
        if draft
        else "interpretation"
        if "解读" in normalize(title)
        else "action plan"
        if "行动计划" in normalize(title)
        else "implementation plan"
        if "方案" in title
        else "other"
    )
    doc_id = given.get("doc_id") or _slug(path.stem) or "doc-" + hashlib.sha256(text.encode()).hexdigest()[:8]
    taken = {e.doc_id for e in existing}
    if doc_id in taken and not given.get("doc_id"):
        doc_id = f"{doc_id}-{hashlib.sha256(text.encode()).hexdigest()[:6]}"
    number = DOC_NUMBER.search(text[:2000])
    missing = [name for name, value in (("title", title), ("region", region)) if not value]
    if missing:
        flags = " ".join(f"--{m} …" for m in missing)
        raise DocumentError(f"{path.name}: cannot infer {', '.join(missing)} from the text; pass {flags}")
    return DocumentInfo(
        doc_id=doc_id,
        file=f"{doc_id}.txt",
        title=title,
        region=region,
        short_title=given.get("short_title") or "",
        prompt_title=given.get("prompt_title") or "",
        issuer=given.get("issuer") or "",
        level=given.get("level") or ("省级" if region.endswith("省") else "区县级" if region[-1] in "区县" else "市级"),
        kind=kind,
        status=given.get("status") or ("draft" if draft else "in force"),
        date=date,
        doc_number=number.group(0) if number else "",
        script=detect_script(text),
        note=given.get("note") or f"added from {path.name} by rag.ingest --add",
        superseded_by=given.get("superseded_by") or "",
    )


def _slug(stem: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-")[:48]
    return slug if len(slug) >= 3 and re.match(r"^[a-z0-9]", slug) else ""


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def add_document(settings: Settings, path: Path, given: dict[str, str]) -> DocumentInfo:
    """Validate, then add `path` to data/ and rebuild the index; data/ is unchanged on any error."""
    data_dir = settings.data_dir
    text = read_text(path)
    existing = load_catalog(data_dir)
    for info in existing:
        old = data_dir / info.file
        if old.is_file() and match_key(read_text(old)) == match_key(text):
            raise DocumentError(f"{path.name}: duplicate of {info.doc_id} ({info.file})")
    provisional = DocumentInfo(doc_id="new-document", file=path.name, title=path.stem or "?", region="?")
    numbered = [c for c in parse_document(Document(provisional, text)) if c.kind in {"section", "item"}]
    if len(numbered) < MIN_NUMBERED_CLAUSES:
        raise DocumentError(f"{path.name}: no recognisable clause numbering (一、 / （一） / 1.) found")
    info = infer_info(path, text, given, existing)
    if info.doc_id in {e.doc_id for e in existing}:
        raise DocumentError(f"{path.name}: doc_id {info.doc_id!r} already exists; pass another --doc-id")
    if any(normalize(e.title) == normalize(info.title) for e in existing):
        raise DocumentError(f"{path.name}: a document titled {info.title!r} is already in the catalog")
    if not info.short_title:
        info = replace(info, short_title=info.title[:24])
    if problem := prompt_title_problem([*existing, info]):
        raise DocumentError(f"{path.name}: {problem}")

    catalog_path = data_dir / CATALOG_FILE
    old_catalog = catalog_path.read_text(encoding="utf-8")
    doc_path = data_dir / info.file
    _atomic_write(doc_path, text)
    try:
        _atomic_write(catalog_path, save_catalog(data_dir, [*existing, info]))
        build_index(settings)
    except BaseException:
        _atomic_write(catalog_path, old_catalog)
        doc_path.unlink(missing_ok=True)
        raise
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag.ingest", description=__doc__.split("\n")[0])
    parser.add_argument("--export-clauses", metavar="FILE.jsonl", type=Path, help="write every clause as JSON lines")
    parser.add_argument("--add", metavar="PATH", type=Path, help="add a document (.txt .md .docx .pdf .html)")
    parser.add_argument("--if-stale", action="store_true", help="rebuild only if the index is missing/stale/corrupt")
    names = (
        "title",
        "short-title",
        "prompt-title",
        "region",
        "date",
        "issuer",
        "kind",
        "status",
        "superseded-by",
        "doc-id",
        "level",
        "note",
    )
    for name in names:
        parser.add_argument(f"--{name}", help=f"with --add: the document's {name.replace('-', ' ')}")
    args = parser.parse_args(argv)
    settings = get_settings()
    try:
        if args.export_clauses:
            n = export_clauses(settings, args.export_clauses)
            print(f"wrote {n} clauses to {args.export_clauses}")
            return 0
        if args.add:
            given = {
                k: v
                for k, v in vars(args).items()
                if k not in {"export_clauses", "add"} and isinstance(v, str) and v.strip()
            }
            info = add_document(settings, args.add, given)
            print(f"added {info.doc_id}: {info.title} ({info.region}, {info.kind}, {info.status})")
            return 0
        if args.if_stale:
            try:
                index = load_index(settings)
                print(f"index is up to date ({index.manifest.n_clauses} clauses, built {index.manifest.built_at})")
                return 0
            except IndexProblem as exc:
                print(f"index: {str(exc).split(';')[0]} — rebuilding", file=sys.stderr)
        t0 = time.perf_counter()
        index = build_index(settings)
        m = index.manifest
        print(
            f"index built in {time.perf_counter() - t0:.1f}s: {m.n_documents} documents, "
            f"{m.n_clauses} clauses, {m.n_chunks} chunks, {m.n_parts} search parts, {m.n_pieces} clause pieces "
            f"→ {index.path}"
        )
        return 0
    except (DocumentError, IndexProblem, ModelError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
