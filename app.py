"""Web UI entry point: `python app.py` (or `make run`) serves http://127.0.0.1:7860 by default.

Configuration is read from the environment (see README and rag/config.py): HOST, PORT,
RAG_AUTH, RAG_FEEDBACK_LOG, RAG_LLM_BACKEND, …
"""

from rag.ui import launch

if __name__ == "__main__":
    launch()
