"""eval.run end to end: the quality gate's bounds, foreign datasets, resume, reports."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from eval.run import DatasetError, gate_failures, load_dataset, run
from rag.config import PROJECT_ROOT
from rag.text import match_key

DEV = PROJECT_ROOT / "eval" / "datasets" / "dev.jsonl"


@pytest.mark.parametrize(
    ("name", "at_least"),
    [
        ("dev.jsonl", 120),
        ("users-dev.jsonl", 90),
        ("users-heldout.jsonl", 60),
        ("users-dev-3.jsonl", 36),
        ("users-dev-4.jsonl", 48),
        ("users-dev-5.jsonl", 40),
        ("users-heldout-4.jsonl", 84),
        ("users-heldout-5.jsonl", 84),
    ],
)
def test_every_evidence_snippet_stands_verbatim_in_a_document(settings, name, at_least):
    from rag.documents import load_documents

    docs = [match_key(d.text) for d in load_documents(settings.data_dir)]
    questions = load_dataset(DEV.with_name(name))
    assert len(questions) >= at_least
    for q in questions:
        for snippet in q.evidence:
            assert any(match_key(snippet) in d for d in docs), (q.id, snippet)


def test_users_sets_cover_every_kind_of_user_question():
    """The issue's minimum: 15 of each kind over both halves, 40 unanswerable (not tuned on: heldout)."""
    from collections import Counter

    counts = Counter(
        q.type for name in ("users-dev.jsonl", "users-heldout.jsonl") for q in load_dataset(DEV.with_name(name))
    )
    kinds = ("colloquial", "typo", "traditional", "english", "multipart", "compare", "followup")
    assert all(counts[k] >= 15 for k in kinds), counts
    assert counts["unanswerable"] >= 40


def test_dev_set_covers_every_kind_of_question():
    types = {q.type for q in load_dataset(DEV)}
    assert {
        "numeric",
        "support",
        "obligation",
        "department",
        "citizen",
        "compare",
        "unanswerable",
        "traditional",
        "english",
        "followup",
    } <= types


@pytest.fixture(scope="module")
def retrieval_run(tmp_path_factory, pipeline):
    out = tmp_path_factory.mktemp("dev-retrieval")
    return out, run(DEV, out, retrieval_only=True, limit=None, types=None)


def test_the_gate_fails_on_any_bound_out_of_range_and_on_errors():
    """The dev set's in-sample figures are checked by `make eval-retrieval` (eval.run --min-hit5 …)."""
    overall = {"hit@5": 0.95, "mrr": 0.92, "decline_rate": 0.74, "false_decline_rate": 0.03, "n_errors": 0}
    bounds = {"min_hit5": 0.94, "min_mrr": 0.90, "min_decline_rate": 0.70, "max_false_decline_rate": 0.034}
    assert gate_failures(overall, bounds) == []
    assert gate_failures({**overall, "hit@5": 0.93}, bounds) == ["hit@5=0.930 (< 0.94)"]
    assert gate_failures({**overall, "false_decline_rate": 0.05}, bounds) == ["false_decline_rate=0.050 (> 0.034)"]
    assert gate_failures({**overall, "n_errors": 2}, {"min_hit5": None}) == ["n_errors=2"]
    assert gate_failures({"mrr": 0.95}, {"min_hit5": 0.9}) == ["hit@5=– (< 0.9)"]


@pytest.mark.slow  # English questions are translated by the real model
def test_retrieval_quality_on_users_own_words(tmp_path_factory, pipeline):
    # measured 2026-11-29 on users-dev.jsonl (95 questions in users' words, retrieval-only): hit@5 0.971,
    # mrr 0.866, decline 0.920 (23/25), false decline 0.014 (1/70); before rag/query.py: 0.871 / 0.757.
    out = tmp_path_factory.mktemp("users-retrieval")
    o = run(DEV.with_name("users-dev.jsonl"), out, retrieval_only=True, limit=None, types=None)["overall"]
    assert o["n_errors"] == 0
    assert o["hit@5"] >= 0.92
    assert o["decline_rate"] >= 0.88  # one more miss passes (24/25 at the previous model)
    assert o["false_decline_rate"] <= 0.03
    assert o["retrieval_s_p50"] < 0.2


def test_run_writes_every_report_file_in_dataset_order(retrieval_run):
    out, _ = retrieval_run
    preds = [json.loads(line) for line in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in preds] == [q.id for q in load_dataset(DEV)]
    p = preds[0]
    assert {"id", "question", "answer", "declined", "citations", "retrieved", "timings", "error"} <= set(p)
    assert len(p["retrieved"]) >= 10 and all(c["text"] for c in p["retrieved"])
    assert set(p["timings"]) == {"retrieval_s", "first_token_s", "total_s"}
    report = json.loads((out / "report.json").read_text())
    assert "hit@1" in report["overall"] and "english" in report["by_type"]
    assert (out / "report.md").read_text().startswith("# Evaluation report")
    assert (out / "report.png").stat().st_size > 5000


@pytest.mark.model  # embeds / loads the real models
def test_a_foreign_dataset_runs_unchanged_and_resumes(tmp_path):
    data = tmp_path / "theirs.jsonl"
    rows = [
        {
            "question": "源城区的企业参与品牌建设有什么金融支持？",
            "id": "x1",
            "evidence": ["支持企业利用品牌资产质押融资"],
            "answer_keys": [["质押融资"]],
            "type": "support",
            "author": "someone else",
        },
        {"id": "x2", "question": "深圳市质量强市的奖补标准是多少？", "evidence": [], "answer_keys": []},
    ]
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n", encoding="utf-8")
    out = tmp_path / "out"
    cmd = [sys.executable, "-m", "eval.run", "--dataset", str(data), "--out", str(out), "--retrieval-only"]
    first = subprocess.run([*cmd, "--limit", "1"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    second = subprocess.run(cmd, cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "resuming: 1 of 2 already done" in second.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["by_type"]["unknown"]["decline_rate"] == 1.0  # the type field is optional
    assert report["overall"]["hit@1"] == 1.0


def test_bad_dataset_lines_are_reported_with_their_line_number(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "question": "q"}\n{"id": "b"\n', encoding="utf-8")
    with pytest.raises(DatasetError, match="bad.jsonl:2"):
        load_dataset(bad)
    out = subprocess.run(
        [sys.executable, "-m", "eval.run", "--dataset", str(bad), "--out", str(tmp_path / "o"), "--retrieval-only"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and out.stderr.startswith("error: ") and "Traceback" not in out.stderr
