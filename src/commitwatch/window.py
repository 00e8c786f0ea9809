"""Report windows: half-open intervals [start, end) of committer time.

A calendar day is midnight to midnight in a time zone, so it lasts 23 or 25 hours on a daylight-saving
switch day. An explicit range takes ISO 8601 times; one without an offset is read in the report's zone.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .config import parse_timezone
from .errors import UsageError
from .models import Window


def zone(name: str) -> ZoneInfo:
    try:
        return parse_timezone(name)
    except ValueError as e:
        raise UsageError(str(e), hint="Pass --tz with an IANA name, for example --tz Asia/Shanghai.") from e


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as e:
        raise UsageError(
            f"malformed date {text!r}", hint="Give the day as YYYY-MM-DD, for example --date 2026-02-07."
        ) from e


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    # Normalise through UTC so a midnight that falls in a DST gap moves to the first real instant.
    local = datetime.combine(day, time(0), tzinfo=tz)
    return local.astimezone(ZoneInfo("UTC")).astimezone(tz)


def day_window(day: date, tz_name: str) -> Window:
    """The calendar day ``day`` in ``tz_name``."""
    tz = zone(tz_name)
    return Window(
        start=_midnight(day, tz), end=_midnight(day + timedelta(days=1), tz), tz=tz_name, day=day
    )


def yesterday(tz_name: str, now: datetime | None = None) -> date:
    """Yesterday's date in ``tz_name`` (the default report day)."""
    tz = zone(tz_name)
    current = (now or datetime.now(tz)).astimezone(tz)
    return current.date() - timedelta(days=1)


def parse_instant(text: str, tz_name: str, flag: str) -> datetime:
    """An ISO 8601 date or date-time; without an offset it is read in ``tz_name``."""
    tz = zone(tz_name)
    raw = text.strip()
    try:
        if len(raw) == 10:
            return _midnight(date.fromisoformat(raw), tz)
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as e:
        raise UsageError(
            f"malformed {flag} {text!r}",
            hint=f"Use ISO 8601, for example {flag} 2026-02-07T08:00:00+08:00 or {flag} 2026-02-07.",
        ) from e
    return value if value.tzinfo else value.replace(tzinfo=tz)


def range_window(since: str, until: str | None, tz_name: str, now: datetime | None = None) -> Window:
    """[since, until) — ``until`` defaults to now."""
    start = parse_instant(since, tz_name, "--since")
    end = parse_instant(until, tz_name, "--until") if until else (now or datetime.now(zone(tz_name)))
    if end <= start:
        raise UsageError(
            f"empty window: --until ({end.isoformat()}) is not after --since ({start.isoformat()})",
            hint="Swap the two times or widen the range.",
        )
    return Window(start=start, end=end, tz=tz_name)
