"""Reading unified diffs cheaply: the removed and added lines of a file's patch, hunk by hunk.

Every reader of signals goes through here, so one bound holds for all: at most ``MAX_PATCH_CHARS`` of
one file's patch and ``MAX_COMMIT_CHARS`` of one commit's patches are read (a 1 MB commit costs a
linear scan of what is kept, never more).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from commitwatch.models import Commit, FileChange

MAX_PATCH_CHARS = 200_000
MAX_COMMIT_CHARS = 1_000_000


@dataclass(slots=True)
class Hunk:
    header: str  # the text after the second "@@" (git's function context: "class ServerArgs:")
    lines: list[str] = field(default_factory=list)  # as in the patch, with their " ", "-" or "+" prefix

    def side(self, sign: str) -> list[str]:
        """The hunk as it was (``"-"``) or as it is (``"+"``): context lines and that side's lines."""
        return [line[1:] for line in self.lines if line[:1] in (" ", sign)]


def hunks(patch: str) -> Iterator[Hunk]:
    current: Hunk | None = None
    for line in patch[:MAX_PATCH_CHARS].splitlines():
        if line.startswith("@@"):
            if current is not None:
                yield current
            current = Hunk(line.split("@@", 2)[-1].strip() if line.count("@@") >= 2 else "")
        elif current is not None and line[:1] in (" ", "-", "+") and not line.startswith(("+++", "---")):
            current.lines.append(line)
        elif current is not None and line.startswith("\\"):
            continue  # "\ No newline at end of file"
    if current is not None:
        yield current


def patched_files(commit: Commit) -> Iterator[FileChange]:
    """The commit's files that carry a patch, until the commit's reading budget is spent."""
    spent = 0
    for change in commit.files:
        if not change.patch:
            continue
        spent += min(len(change.patch), MAX_PATCH_CHARS)
        if spent > MAX_COMMIT_CHARS:
            return
        yield change


def changed(patch: str) -> tuple[list[str], list[str]]:
    """(removed lines, added lines) of a patch, without their prefix."""
    removed: list[str] = []
    added: list[str] = []
    for hunk in hunks(patch):
        for line in hunk.lines:
            if line[:1] == "-":
                removed.append(line[1:])
            elif line[:1] == "+":
                added.append(line[1:])
    return removed, added
