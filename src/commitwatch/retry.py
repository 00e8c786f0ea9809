"""``Retry-After`` as the LLM client (``analysis.failures``) and the GitHub client (``sources.githubapi``) read it."""

from __future__ import annotations

import email.utils
import math
import time
from typing import Any


def parse_retry_after(headers: Any, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date); None when
    neither is there or readable (``nan`` and ``inf`` are not read as numbers)."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        seconds = _seconds(value)
        if seconds is not None:
            return seconds / 1000.0
    value = headers.get("retry-after")
    if not value:
        return None
    seconds = _seconds(value)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def _seconds(value: str) -> float | None:
    """A finite number of seconds (negative ones count as 0), else None."""
    try:
        seconds = float(value)
    except ValueError:
        return None
    return max(seconds, 0.0) if math.isfinite(seconds) else None
