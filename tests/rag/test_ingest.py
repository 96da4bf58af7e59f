"""`python -m rag.ingest`: export, adding documents of every kind, and every bad-input case."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from rag.clauses import parse_document
from rag.config import PROJECT_ROOT
from rag.documents import Document, DocumentInfo, read_text

CJK_FONT = Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf")
NEW_PLAN = [
    "珠海市质量提升行动方案",
    "一、总体要求",
    "（一）工作目标。到2026年，全市产品质量合格率达到96%以上。",
    "（二）重点任务。支持企业开展质量攻关，对获得省政府质量奖的企业给予奖励。（市市场监管局负责）",
    "二、保障措施",
    "（三）加强组织领导。各区要建立工作机制。",
]


def run_ingest(settings, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "RAG_DATA_DIR": str(settings.data_dir), "RAG_INDEX_DIR": str(settings.index_dir)}
    return subprocess.run(
        [sys.executable, "-m", "rag.ingest", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )


def snapshot(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def make_docx(path: Path, lines: list[str]) -> Path:
    import docx

    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    document.save(str(path))
    return path


def make_pdf(path: Path, lines: list[str]) -> Path:
    if not CJK_FONT.is_file():
        pytest.skip(f"{CJK_FONT} missing: `make test` installs fonts-droid-fallback")
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.add_font("droid", fname=str(CJK_FONT))
    pdf.set_font("droid", size=11)
    for line in lines:
        pdf.multi_cell(0, 8, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))
    return path


def test_export_clauses_writes_one_object_per_clause(corpus_copy, tmp_path):
    out = tmp_path / "clauses.jsonl"
    result = run_ingest(corpus_copy, "--export-clauses", str(out))
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 191
    assert {"clause_id", "doc_id", "doc_title", "label", "text", "responsible"} <= set(rows[0])
    row = next(r for r in rows if r["clause_id"] == "yuancheng-plan/3.2.8")
    assert "区税务局" in row["responsible"] and row["doc_title"] == "源城区加快推进质量强区建设实施方案"


@pytest.mark.parametrize("maker", [make_docx, make_pdf])
def test_docx_and_pdf_made_here_are_read_and_parsed(tmp_path, maker):
    path = maker(tmp_path / ("plan.docx" if maker is make_docx else "plan.pdf"), NEW_PLAN)
    text = read_text(path)
    info = DocumentInfo(doc_id="zhuhai-plan", file="x.txt", title=NEW_PLAN[0], region="珠海市")
    clauses = parse_document(Document(info, text))
    ids = [c.clause_id for c in clauses]
    assert ids == [
        "zhuhai-plan/pre1",
        "zhuhai-plan/1",
        "zhuhai-plan/1.1",
        "zhuhai-plan/1.2",
        "zhuhai-plan/2",
        "zhuhai-plan/2.3",
    ]
    assert clauses[3].responsible == ["市市场监管局"]


@pytest.mark.model  # embeds / loads the real models
def test_add_a_docx_infers_its_entry_and_rebuilds_the_index(corpus_copy, tmp_path):
    path = make_docx(tmp_path / "zhuhai-quality.docx", NEW_PLAN)
    result = run_ingest(corpus_copy, "--add", str(path), "--prompt-title", "珠海方案")
    assert result.returncode == 0, result.stderr
    assert "added zhuhai-quality: 珠海市质量提升行动方案 (珠海市" in result.stdout
    catalog = (corpus_copy.data_dir / "catalog.yaml").read_text(encoding="utf-8")
    assert "zhuhai-quality" in catalog and "珠海市" in catalog
    from rag.index import load_index

    index = load_index(corpus_copy)
    assert "zhuhai-quality" in index.documents
    assert index.documents["zhuhai-quality"].prompt_name == "珠海方案"
    assert index.clause_by_id["zhuhai-quality/1.2"].responsible == ["市市场监管局"]
    # the first five documents' clause ids did not move
    assert "yuancheng-plan/3.2.8" in index.clause_by_id


BAD_INPUTS = {
    "empty.txt": (b"", "file is empty"),
    "junk.txt": (bytes(range(256)) * 40, "binary"),
    "undecodable.txt": (b"\xff\xfe\xfa\x80\x81\x8f" * 40, "binary|cannot decode"),
    "notes.txt": ("这是一段没有编号的文字，讲质量工作的一些想法。\n再写一行说明。".encode(), "no recognisable clause"),
    "no-region.txt": (
        "某某质量工作实施方案\n一、总体要求\n（一）目标。做好质量工作。\n（二）任务。".encode(),
        "cannot infer region",
    ),
    "table.xlsx": (b"PK\x03\x04", "unsupported file type"),
}


@pytest.mark.parametrize("name", list(BAD_INPUTS))
def test_bad_input_gets_one_line_and_changes_nothing(corpus_copy, tmp_path, name):
    data, reason = BAD_INPUTS[name]
    path = tmp_path / name
    path.write_bytes(data)
    before = snapshot(corpus_copy.data_dir)
    result = run_ingest(corpus_copy, "--add", str(path))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and name in lines[0], result.stderr
    import re

    assert re.search(reason, lines[0]), lines[0]
    assert snapshot(corpus_copy.data_dir) == before
    assert not corpus_copy.index_dir.exists() or not list(corpus_copy.index_dir.glob("build-*"))


def test_duplicate_document_is_rejected(corpus_copy, tmp_path):
    dup = tmp_path / "copy-of-yuancheng.txt"
    original = (corpus_copy.data_dir / "yuancheng-quality-plan.txt").read_text(encoding="utf-8")
    dup.write_text(original, encoding="gb18030")  # same text, other encoding: still a duplicate
    before = snapshot(corpus_copy.data_dir)
    result = run_ingest(corpus_copy, "--add", str(dup))
    assert result.returncode == 1
    assert "duplicate of yuancheng-plan" in result.stderr
    assert snapshot(corpus_copy.data_dir) == before


def test_missing_file_is_a_clear_error(corpus_copy, tmp_path):
    result = run_ingest(corpus_copy, "--add", str(tmp_path / "nope.txt"))
    assert result.returncode == 1 and "no such file" in result.stderr
