"""Faults while stopped: broken index, broken model, a badly encoded document, exposed without auth."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace

import pytest

from rag.config import GENERATOR_FILE, PROJECT_ROOT
from rag.index import POINTER, build_index, load_index


def run(args, env_extra, timeout=300):
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


START = ["-c", "from rag.answer import AnswerPipeline; p = AnswerPipeline.from_settings(); print(len(p.index.clauses))"]


@pytest.fixture
def built_copy(corpus_copy, embedder):
    build_index(corpus_copy, embedder=embedder, show_progress=False)
    return corpus_copy


def env_of(s):
    return {"RAG_DATA_DIR": str(s.data_dir), "RAG_INDEX_DIR": str(s.index_dir)}


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage-pointer"])
def test_next_start_rebuilds_a_damaged_index(built_copy, damage):
    build = built_copy.index_dir / (built_copy.index_dir / POINTER).read_text().strip()
    if damage == "delete":
        shutil.rmtree(build)
    elif damage == "truncate":
        (build / "dense.faiss").write_bytes((build / "dense.faiss").read_bytes()[:100])
    else:
        (built_copy.index_dir / POINTER).write_text("nonsense")
    out = run(START, env_of(built_copy))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "191"
    assert "rebuilding" in out.stderr and "Traceback" not in out.stderr
    assert len(load_index(built_copy).clauses) == 191


def test_badly_encoded_document_is_rejected_and_the_index_stays(built_copy):
    before = load_index(built_copy).manifest.built_at
    (built_copy.data_dir / "yuancheng-quality-plan.txt").write_bytes(b"\x00\x01\x02\xff" * 500)
    out = run(["-m", "rag.ingest"], env_of(built_copy))
    assert out.returncode == 1
    assert out.stderr.strip().splitlines()[-1].startswith("error: yuancheng-quality-plan.txt: binary")
    assert load_index(built_copy, check_fresh=False).manifest.built_at == before


@pytest.mark.parametrize("broken", ["missing", "truncated"])
def test_a_broken_model_file_gives_a_clear_error_naming_make_setup(tmp_path, settings, broken):
    models = tmp_path / "models"
    shutil.copytree(settings.embedder_path, models / settings.embedder_path.name)
    if broken == "truncated":
        (models / GENERATOR_FILE).write_bytes(b"GGUF" + b"\0" * 4096)
    code = (
        "from rag.llm import LlamaCppBackend\n"
        "from rag.models import ModelError\n"
        "try:\n    list(LlamaCppBackend().stream([{'role': 'user', 'content': 'hi'}], 1, 0.0))\n"
        "except ModelError as e:\n    print('error:', e)\n"
    )
    out = run(["-c", code], {"RAG_MODELS_DIR": str(models)})
    assert "make setup" in out.stdout and "Traceback" not in out.stderr, out.stderr
    check = run(["-m", "rag.models", "--check"], {"RAG_MODELS_DIR": str(models)})
    assert check.returncode == 1 and "make setup" in check.stderr


def test_exposed_host_without_auth_refuses_to_start(settings):
    out = run(["app.py"], {"HOST": "0.0.0.0", "RAG_AUTH": "", "RAG_ALLOW_NO_AUTH": ""}, timeout=60)
    assert out.returncode != 0
    assert "RAG_AUTH" in out.stderr and "Traceback" not in out.stderr


def test_secrets_never_appear_in_settings_dumps():
    from rag.config import Settings

    s = Settings.from_env({"RAG_OPENAI_API_KEY": "sk-very-secret", "RAG_AUTH": "admin:hunter2"})
    dumped = str(s.to_dict()) + repr(s)
    assert "sk-very-secret" not in dumped and "hunter2" not in dumped


def test_the_default_host_is_loopback():
    from rag.config import Settings
    from rag.ui import is_loopback

    assert is_loopback(Settings.from_env({}).host)
    assert not is_loopback("0.0.0.0")
    assert replace(Settings.from_env({}), host="::1").host == "::1" and is_loopback("::1")
