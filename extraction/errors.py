"""Reasons a record comes back without text (``Article.error``): bounds, and listing pages.

Kept apart from the code that detects them so the extract step can count them and the parent
process can name them without importing trafilatura.
"""

TOO_LARGE_ERROR = "page too large"
TOO_DEEP_ERROR = "document nested too deeply"
MEMORY_ERROR = "memory limit exceeded"
TIMEOUT_ERROR = "extraction timed out"
WORKER_DIED_ERROR = "extraction worker died"
LISTING_ERROR = "listing page, not an article"
