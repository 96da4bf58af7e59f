"""👍/👎 feedback, appended to a JSON-lines file that never grows without bound.

Each line holds: time, vote ("up"/"down"/"comment"), the optional comment, the question, the
answer, whether it was a decline, and the cited clause ids and labels. Nothing else: no IP
address, no user name, no session id. When the file passes `max_bytes` it is rotated once to
`<name>.1` (the older `.1` is dropped), so at most twice `max_bytes` is kept. An empty path
turns logging off (RAG_FEEDBACK_LOG="").
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path
from typing import Any

MAX_COMMENT_CHARS = 1000
MAX_FIELD_CHARS = 4000


class FeedbackLog:
    def __init__(self, path: Path | None, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.path is not None

    def record(self, vote: str, prediction: dict[str, Any], comment: str = "") -> bool:
        """Append one entry; returns False when logging is off."""
        if self.path is None:
            return False
        if vote not in {"up", "down", "comment"}:
            raise ValueError(f"vote must be up, down or comment, got {vote!r}")
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "vote": vote,
            "comment": (comment or "").strip()[:MAX_COMMENT_CHARS],
            "question": str(prediction.get("question", ""))[:MAX_FIELD_CHARS],
            "answer": str(prediction.get("answer", ""))[:MAX_FIELD_CHARS],
            "declined": bool(prediction.get("declined")),
            "citations": [
                {"clause_id": c.get("clause_id"), "label": c.get("label")} for c in prediction.get("citations") or []
            ],
        }
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.is_file() and self.path.stat().st_size + len(line.encode()) > self.max_bytes:
                os.replace(self.path, self.path.with_name(self.path.name + ".1"))
            with open(self.path, "a", encoding="utf-8") as f:
                f.write(line)
        return True
