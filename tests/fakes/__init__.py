"""Test doubles that speak real protocols (HTTP servers on 127.0.0.1), never patched clients, and small
builders for the typed objects the analysis stage receives (commits with patches, hand-made triage)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

from commitwatch.models import (
    ChangeType,
    Commit,
    DirStat,
    FileCategory,
    FileChange,
    Importance,
    Person,
    Reason,
    RepoRef,
    Triage,
)

AUTHOR = Person("Ada Lovelace", "ada@example.com")
BASE_TIME = datetime(2026, 2, 7, 1, 0, tzinfo=timezone(timedelta(hours=8)))
REPO = RepoRef(spec="acme/engine", kind="remote", name="acme/engine", slug="acme-engine",
               url="https://github.com/acme/engine.git", github="acme/engine")


def with_diff_header(path: str, hunks: str) -> str:
    """A file's patch as ``git log -p`` prints it: the ``diff --git``/``---``/``+++`` header, then ``hunks``."""
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n{hunks}"


TRIAGE_TIME = datetime(2026, 2, 7, 3, 0, tzinfo=timezone.utc)
FileSpec = tuple[str, int, int] | tuple[str, int, int, str]  # path, added, deleted[, git status letter]


def triage_commit(
    subject: str,
    files: Sequence[FileSpec] = (),
    *,
    body: str = "",
    parents: int = 1,
    author: tuple[str, str] = ("Ada Lovelace", "ada@example.com"),
    patches: dict[str, str] | None = None,
    sha: str = "a" * 40,
    when: datetime = TRIAGE_TIME,
) -> Commit:
    """One commit for a triage test: ``files`` as ``(path, added, deleted)`` or with git's status letter
    last (``M`` when not given); ``patches`` maps a path to its whole patch (see ``with_diff_header``)."""
    person = Person(*author)
    patches = patches or {}
    changes = tuple(
        FileChange(spec[0], spec[3] if len(spec) == 4 else "M", spec[1], spec[2], patch=patches.get(spec[0]))
        for spec in files
    )
    return Commit(
        sha=sha,
        parents=tuple(f"{i:040x}" for i in range(parents)),
        author=person,
        authored_at=when,
        committer=person,
        committed_at=when,
        subject=subject,
        body=body,
        files=changes,
        patches_collected=bool(patches),
    )


def patch_for(path: str, added: Sequence[str], removed: Sequence[str] = (), context: int = 3, start: int = 10) -> str:
    """A unified diff of one hunk: ``context`` lines, the removed and added lines, ``context`` lines."""
    before = [f" context line {start + i}" for i in range(context)]
    after = [f" context line {start + context + len(removed) + i}" for i in range(context)]
    body = before + [f"-{line}" for line in removed] + [f"+{line}" for line in added] + after
    old_count = 2 * context + len(removed)
    new_count = 2 * context + len(added)
    header = [f"diff --git a/{path} b/{path}", "index 1111111..2222222 100644", f"--- a/{path}", f"+++ b/{path}",
              f"@@ -{start},{old_count} +{start},{new_count} @@ def handler():"]
    return "\n".join(header + body) + "\n"


def file_change(path: str, added: int = 3, removed: int = 0, *, status: str = "M", binary: bool = False,
                lines: Sequence[str] | None = None) -> FileChange:
    if binary:
        return FileChange(path, status, 0, 0, binary=True, patch=f"diff --git a/{path} b/{path}\nBinary files differ\n")
    added_lines = list(lines) if lines is not None else [f"new code {i} in {path}" for i in range(added)]
    removed_lines = [f"old code {i} in {path}" for i in range(removed)]
    return FileChange(path, status, len(added_lines), removed, patch=patch_for(path, added_lines, removed_lines))


def make_commit(index: int, subject: str, files: Sequence[FileChange] = (), *, body: str = "",
                author: Person = AUTHOR, parents: int = 1) -> Commit:
    sha = hashlib.sha1(f"{index}:{subject}".encode()).hexdigest()
    when = BASE_TIME + timedelta(minutes=index)
    return Commit(
        sha=sha,
        parents=tuple(hashlib.sha1(f"parent{index}:{p}".encode()).hexdigest() for p in range(parents)),
        author=author,
        authored_at=when,
        committer=author,
        committed_at=when,
        subject=subject,
        body=body,
        files=tuple(files),
        patches_collected=True,
    )


_CATEGORY_BY_SUFFIX = {
    ".md": FileCategory.DOCS,
    ".rst": FileCategory.DOCS,
    ".lock": FileCategory.LOCKFILE,
    ".png": FileCategory.BINARY,
    ".toml": FileCategory.CONFIG,
    ".yaml": FileCategory.CONFIG,
}


def category_of(f: FileChange) -> FileCategory:
    if f.binary:
        return FileCategory.BINARY
    if "/tests/" in f"/{f.path}" or f.path.split("/")[-1].startswith("test_"):
        return FileCategory.TEST
    if f.path.startswith("vendor/"):
        return FileCategory.VENDORED
    for suffix, category in _CATEGORY_BY_SUFFIX.items():
        if f.path.endswith(suffix):
            return category
    return FileCategory.SOURCE


def make_triage(commit: Commit, change_type: ChangeType = ChangeType.FEATURE,
                importance: Importance = Importance.MEDIUM, *, score: int = 40, bot: bool = False,
                breaking: bool = False, reasons: Sequence[Reason] | None = None) -> Triage:
    """A hand-made triage (the tests do not depend on the rules' exact scoring)."""
    return Triage(
        change_type=change_type,
        importance=importance,
        score=score,
        reasons=tuple(reasons) if reasons is not None else (Reason("test.reason", (("what", "prior"),), 10),),
        categories=tuple(category_of(f) for f in commit.files),
        top_dirs=(DirStat(".", len(commit.files), commit.additions, commit.deletions),),
        breaking=breaking,
        bot=bot,
    )
