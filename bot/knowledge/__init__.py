"""The knowledge base: curated entries from the notices, and a matcher that knows when it does not know.

Layers, each in its own module: ``schema`` (pydantic models of the YAML files), ``loader`` (load and
cross-check ``knowledge/``), ``normalize`` (query and entry text alike), ``matcher`` (BM25 + fuzzy
scoring and the three outcomes), ``answering`` (formatting an answer with its source line; no
database), ``feature`` (the chat handler), ``feedback`` (votes and unanswered questions).
"""
