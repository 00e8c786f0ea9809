"""Advisory ids named in the message or the pull request body: CVE, GHSA, RUSTSEC, PYSEC."""

from __future__ import annotations

from commitwatch.triage.titles import ADVISORY_ID_RE as _ADVISORY_RE  # one pattern for triage and signals

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
