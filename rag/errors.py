"""Errors and hints that runtime code raises about models, kept apart from `rag.models` (the
setup-time assembler) so answering a question never imports the code that builds the weights."""

from __future__ import annotations

FIX_HINT = "run `make setup` (or `python -m rag.models`)"
STAMP_SUFFIX = ".stamp.json"  # written next to each assembled model; its presence means "complete"
EMBEDDER_WEIGHTS = "model.safetensors"  # the weights file inside the assembled embedder folder


class ModelError(RuntimeError):
    """A model is missing, truncated or corrupt; the message says what to run."""
