"""Sync and subtree merges, and the commits they bring into a window: a report shows such a merge once,
with the commits it brings, and the analysis spends no model request on those commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..models import Commit, Triage

# The reasons that make a merge commit a sync of other work (``history``): its second parents' commits are
# reported once, under it.
SYNC_REASONS = frozenset({"merge_commit", "subtree_sync", "release_merge"})


def is_sync(commit: Commit, triage: Triage) -> bool:
    reasons = triage.reasons
    return commit.is_merge and bool(reasons) and reasons[0].key in SYNC_REASONS


def brought_in_by(items: Sequence[tuple[Commit, Triage]]) -> dict[str, str]:
    """``{sha: merge sha}`` for every commit of the window that a sync merge of the window brings in:
    reachable from the merge's second (or later) parents without leaving the window, and not from its
    first parent. A commit two syncs bring is under the newer one (the first in ``items``). In memory,
    over the parents the commits carry: no git call."""
    in_window = {commit.sha: commit for commit, _ in items}

    def reach(starts: Iterable[str]) -> set[str]:
        seen: set[str] = set()
        stack = [sha for sha in starts if sha in in_window]
        while stack:
            sha = stack.pop()
            if sha in seen:
                continue
            seen.add(sha)
            stack.extend(p for p in in_window[sha].parents if p in in_window and p not in seen)
        return seen

    by: dict[str, str] = {}
    for commit, triage in items:
        if not is_sync(commit, triage):
            continue
        parents = commit.parents
        for sha in sorted(reach(parents[1:]) - reach(parents[:1])):
            if sha != commit.sha and sha not in by:
                by[sha] = commit.sha
    # a merge that is itself brought in hands its commits to the merge that brought it
    for sha, merge in list(by.items()):
        seen = {sha}
        while merge in by and merge not in seen:
            seen.add(merge)
            merge = by[merge]
        by[sha] = merge
    return by
