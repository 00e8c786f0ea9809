"""What a git source tells the user: report-header warnings and the branch list in a hint.

Each names at most ``SHOWN`` items and says how many more there are.
"""

from __future__ import annotations

from collections.abc import Sequence

from commitwatch.models import Commit

#: How many shas or branch names one message names.
SHOWN = 10


def undated_warning(shas: Sequence[str], branch: str) -> str | None:
    """The report-header warning for commits that are in no window because of their committer date."""
    if not shas:
        return None
    many = len(shas) != 1
    count = f"{len(shas)} commit{'s' if many else ''} reachable from {branch} {'have' if many else 'has'}"
    listed = _listed([sha[:10] for sha in shas])
    return f"{count} a committer date that cannot be read, so no window holds {'them' if many else 'it'}: {listed}"


def missing_objects_warning(commits: Sequence[Commit]) -> str | None:
    """The report-header warning for commits reported without some of their objects."""
    lacking = [c for c in commits if c.missing_objects]
    if not lacking:
        return None
    many = len(lacking) != 1
    return (
        f"the repository lacks objects of {len(lacking)} commit{'s' if many else ''} "
        f"({_listed([c.sha[:10] for c in lacking])}): "
        f"{'they are' if many else 'it is'} reported with what git could read; see the note on "
        f"{'each' if many else 'it'}"
    )


def branches_hint(refs: list[str]) -> str:
    """The hint that lists a repository's branches (from its ``refs/heads/`` refs)."""
    names = [r[len("refs/heads/") :] for r in refs if r.startswith("refs/heads/")]
    if not names:
        return "The repository has no branches yet."
    return f"Available branches: {_listed(names)}."


def _listed(items: Sequence[str]) -> str:
    """The first ``SHOWN`` items, comma-separated, and how many more there are."""
    more = f" (and {len(items) - SHOWN} more)" if len(items) > SHOWN else ""
    return ", ".join(items[:SHOWN]) + more
