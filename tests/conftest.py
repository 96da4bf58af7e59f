"""Shared fixtures: the real models and the real index (built once per session when missing)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Settings

TEST_OUTPUT = PROJECT_ROOT / "test-output"


MODEL_FIXTURES = {"embedder", "pipeline", "index", "server"}  # fixtures that load a real model


def pytest_collection_modifyitems(items):
    """Mark every test that uses a model-loading fixture `model`, so `make test-fast` can leave
    them out without each test having to remember its marker."""
    for item in items:
        if MODEL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.model)


# Tests read the prompts the budget builds, whether or not this checkout has built the clause prefix
# cache (`make prefix-cache`); its own tests make their own (tests/rag/test_prefix_cache*.py).
os.environ["RAG_CLAUSE_PREFIX_CACHE"] = "0"


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings.from_env()


@pytest.fixture(scope="session")
def embedder(settings):
    from rag.embedder import Embedder

    return Embedder(settings)


@pytest.fixture(scope="session")
def pipeline(settings, embedder):
    """The project's own pipeline over the project's index (built if missing or stale)."""
    from rag.answer import AnswerPipeline
    from rag.index import ensure_index
    from rag.retrieval import HybridRetriever

    index = ensure_index(settings, embedder=embedder)
    return AnswerPipeline(settings, index, HybridRetriever(index=index, embedder=embedder, settings=settings))


@pytest.fixture(scope="session")
def index(pipeline):
    return pipeline.index


@pytest.fixture
def corpus_copy(tmp_path, settings) -> Settings:
    """Settings over a private copy of data/ and an empty index dir, for tests that write."""
    data = tmp_path / "data"
    shutil.copytree(settings.data_dir, data)
    return replace(settings, data_dir=data, index_dir=tmp_path / "index")


@pytest.fixture(scope="session")
def output_dir() -> Path:
    TEST_OUTPUT.mkdir(exist_ok=True)
    return TEST_OUTPUT


# ---------------------------------------------------------------------- a live server
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory, pipeline):  # `pipeline` makes sure the index exists first
    port = free_port()
    logs = tmp_path_factory.mktemp("server")
    scratch = logs / "tmp"  # the server's temp dir, to see what it leaves behind
    scratch.mkdir()
    env = {
        **os.environ,
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "RAG_FEEDBACK_LOG": str(logs / "feedback.jsonl"),
        "TMPDIR": str(scratch),
    }
    out = open(logs / "server.log", "w")  # noqa: SIM115 (closed when the server stops)
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=PROJECT_ROOT, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError((logs / "server.log").read_text())
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        raise RuntimeError("server did not start: " + (logs / "server.log").read_text()[-2000:])
    yield {"url": url, "logs": logs}
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    out.close()
    # SIGTERM stops the app as Ctrl-C does (app.py), so its exit handlers remove the targets CSV folder
    assert not list(scratch.glob("targets-*")), "the stopped server left its targets CSV folder"


@pytest.fixture(scope="session")
def client(server):
    from gradio_client import Client

    return Client(server["url"], verbose=False)
