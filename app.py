"""Web UI entry point: `python app.py` (or `make run`) serves http://127.0.0.1:7860 by default.

Configuration is read from the environment (see README and rag/config.py): HOST, PORT,
RAG_AUTH, RAG_FEEDBACK_LOG, RAG_LLM_BACKEND, …
"""

import signal

from rag.ui import launch

if __name__ == "__main__":
    # `kill`, `docker stop` and systemd send SIGTERM: stop as Ctrl-C does, so the server closes and
    # the exit handlers run (the targets tab's CSV folder is removed, not left in the temp dir)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    launch()
