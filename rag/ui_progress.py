"""What the chat shows while an answer is on its way: the clauses it will cite (the `Evidence`
event, tens of milliseconds after the question), then the streamed text below that line.

On a slow CPU the model's first token takes seconds; the reader sees at once where the answer
will come from instead of a bare "…"."""

from __future__ import annotations

import html

EVIDENCE_CLASS = "answer-evidence"  # the line's CSS class (the browser test looks for it)


def progress_text(note: str, streamed: str) -> str:
    """The in-progress assistant message: the evidence line, then what the model wrote so far."""
    line = f'<span class="{EVIDENCE_CLASS}">{html.escape(note, quote=False)}</span>' if note else ""
    if not streamed:
        return line or "…"
    return (line + "\n\n" if line else "") + streamed + " ▌"
