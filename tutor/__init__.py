"""An offline tutor that answers questions with verbatim, cited quotes from a corpus.

Text flows one way: ``corpus`` (documents, exact text) -> ``chunking`` (passages and
sentences as character ranges) -> ``index`` (TF-IDF on disk) -> ``retrieval`` (ranked
passages) -> ``answer`` (quotes and citations) -> ``cli`` / ``app.py``.
"""

__version__ = "0.1.0"
