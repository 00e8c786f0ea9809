"""The ``rev-list --timestamp`` walk of a branch: which commits a window holds, and which no window can.

The walk of a large history has 100,000s of lines; these functions read it as bytes, without splitting
it into lines when they can avoid it.
"""

from __future__ import annotations

from commitwatch.errors import UsageError
from commitwatch.models import Window
from commitwatch.sources.logparse import LAST_STAMP


def stamped(walk: bytes, low: int, high: int) -> list[tuple[int, str]]:
    """``(timestamp, sha)`` of the lines of ``rev-list --timestamp`` output whose timestamp is in
    ``[low, high)``, in their order. The walk of a large history has 100,000s of lines, so only the lines
    that start with the digits both bounds share are looked at, found with ``bytes.find``."""
    if low >= high:
        return []
    first, last = str(low), str(high - 1)
    shared = 0
    if len(first) == len(last):
        while shared < len(first) and first[shared] == last[shared]:
            shared += 1
    prefix = first[:shared].encode("ascii")
    marker = b"\n" + prefix
    found = []
    start = 0 if walk.startswith(prefix) else _after(walk.find(marker))
    while start != -1:
        end = walk.find(b"\n", start)
        end = len(walk) if end == -1 else end
        stamp, _, sha = walk[start:end].partition(b" ")
        if stamp.isdigit() and low <= int(stamp) < high:
            found.append((int(stamp), sha.decode("ascii")))
        start = _after(walk.find(marker, end))
    return found


def _after(newline: int) -> int:
    """Where the line after the newline at ``newline`` starts; -1 when there was none (-1)."""
    return -1 if newline == -1 else newline + 1


def undated_lines(walk: bytes) -> list[str]:
    """The shas of ``rev-list --timestamp`` lines whose timestamp is 0 (git could not read the date) or
    beyond year 9999. Fast path: when every line has the length of a ten-digit timestamp (2001 to 2286),
    there are none."""
    width = walk.find(b"\n") + 1
    lines = walk.count(b"\n")
    # every line equally wide: a newline at each multiple of the width and none elsewhere (equal total
    # length alone is not enough: a 7-digit and a 13-digit stamp add up to two 10-digit ones)
    if (
        width in (11 + 1 + 40, 11 + 1 + 64)
        and len(walk) == lines * width
        and walk[width - 1 :: width].count(b"\n") == lines
    ):
        return []
    undated = []
    for line in walk.splitlines():
        stamp, _, sha = line.partition(b" ")
        if int(stamp) == 0 or int(stamp) >= LAST_STAMP:
            undated.append(sha.decode("ascii"))
    return undated


def newest_first(pairs: list[tuple[int, str]]) -> list[str]:
    """The shas of ``(timestamp, sha)`` pairs, newest first; ties keep their order (the sort is stable)."""
    return [sha for _, sha in sorted(pairs, key=lambda item: -item[0])]


def window_bounds(window: Window) -> tuple[float, float]:
    if window.start.tzinfo is None or window.end.tzinfo is None:
        raise UsageError("the report window needs time zone aware bounds", hint="Pass --tz or offsets.")
    return window.start.timestamp(), window.end.timestamp()
