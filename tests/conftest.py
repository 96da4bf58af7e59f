"""Shared fixtures: the real models and the real index (built once per session when missing)."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from rag.config import PROJECT_ROOT, Settings

TEST_OUTPUT = PROJECT_ROOT / "test-output"


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
