"""Reverts: the commit a revert names ("This reverts commit <sha>."), and pairs of a commit and its revert
inside one report, which the report shows as one entry ("reverted the same day")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from commitwatch.models import Commit

_REVERTS_RE = re.compile(r"\bThis reverts commit (?P<sha>[0-9a-f]{7,40})\b", re.IGNORECASE)


def reverted_sha(commit: Commit) -> str | None:
    """The sha (full or abbreviated, lower case) the commit's body says it reverts."""
    match = _REVERTS_RE.search(commit.body[:20_000])
    return match.group("sha").lower() if match else None


def revert_pairs(commits: Sequence[Commit], reverted: Sequence[str | None]) -> dict[str, str]:
    """``{reverting sha: reverted sha}`` for reverts whose original is among ``commits`` (``reverted``
    is parallel to ``commits``: what each one reverts, if anything). A revert of a revert pairs too."""
    by_prefix = {commit.sha: commit.sha for commit in commits}
    pairs: dict[str, str] = {}
    for commit, target in zip(commits, reverted, strict=True):
        if not target:
            continue
        original = by_prefix.get(target) or next((sha for sha in by_prefix if sha.startswith(target)), None)
        if original is not None and original != commit.sha:
            pairs[commit.sha] = original
    return pairs
