"""Advisory ids named in the message or the pull request body: CVE, GHSA, RUSTSEC, PYSEC."""

from __future__ import annotations

import re

_ADVISORY_RE = re.compile(
    r"(?<![\w/.-])(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|RUSTSEC-\d{4}-\d{4}|PYSEC-\d{4}-\d+)(?![\w-])",
    re.IGNORECASE,
)
MAX_ADVISORIES = 20


def advisories(*texts: str) -> tuple[str, ...]:
    """The advisory ids in ``texts``, upper-cased ("GHSA" ids keep their lower-case body), once each,
    in order of appearance."""
    found: dict[str, None] = {}
    for text in texts:
        for match in _ADVISORY_RE.finditer(text[:50_000]):
            raw = match.group(0)
            name = "GHSA" + raw[4:].lower() if raw.upper().startswith("GHSA") else raw.upper()
            found.setdefault(name, None)
    return tuple(found)[:MAX_ADVISORIES]
