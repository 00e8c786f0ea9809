"""Kept for imports: redaction lives in ``commitwatch.redact`` (one module for every output)."""

from __future__ import annotations

from ..redact import MARKER, Redaction, redact

__all__ = ["MARKER", "Redaction", "redact"]
