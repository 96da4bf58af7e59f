"""Adapters from the project's stages to other frameworks' interfaces (LangChain)."""
