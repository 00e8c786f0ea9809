"""Commit objects from git's parsed output: a commit's own object, its files and their patches.

``Repository.read_commits`` (``sources/git.py``) reads; this module assembles what it read into
``Commit``/``FileChange``, matching patch sections to files and noting what could not be read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from commitwatch.models import Commit, FileChange, Person
from commitwatch.sources.logparse import CommitObject, FilePatch, Ident, RawEntry, parse_commit_object, section_path


def parsed_object(raw: bytes | None) -> CommitObject:
    return parse_commit_object(raw) if raw is not None else UNREADABLE


def build_commit(sha: str, obj: CommitObject, entries: list[RawEntry], texts: list[str | None] | None,
            lack: Lack | None) -> Commit:  # fmt: skip
    """A ``Commit`` from its parsed object and its files; ``texts`` are the files' patches (None: not
    collected). Dates that cannot be read fall back (author → committer → author → the epoch), with a
    note; objects the repository lacks are named in a note and in ``missing_objects``."""
    subject, body = split_message(obj.message)
    notes = [*obj.author.notes, *obj.committer.notes, *obj.notes]
    committed = obj.committer.when or obj.author.when
    if obj.committer.when is None:
        notes.append("the committer date cannot be read; " + ("the author date is shown" if committed else
                                                              "1970-01-01 is shown"))  # fmt: skip
    committed = committed or datetime.fromtimestamp(0, timezone.utc)
    if obj.author.when is None:
        notes.append("the author date cannot be read; the committer date is shown")
    if lack is not None:
        named = ", ".join(oid[:12] for oid in lack.oids) or lack.detail
        notes.append(f"the repository lacks objects of this commit: {named}; {lack.what}")
    patches: list[str | None] = texts if texts is not None else [None] * len(entries)
    return Commit(
        sha=sha,
        parents=obj.parents,
        author=Person(obj.author.name, obj.author.email),
        authored_at=obj.author.when or committed,
        committer=Person(obj.committer.name, obj.committer.email),
        committed_at=committed,
        subject=subject,
        body=body,
        files=tuple(_file(entry, text) for entry, text in zip(entries, patches, strict=True)),
        patches_collected=texts is not None,
        notes=tuple(dict.fromkeys(notes)),
        missing_objects=lack.oids if lack is not None else (),
    )


def _file(entry: RawEntry, patch: str | None) -> FileChange:
    return FileChange(
        path=decode_path(entry.path),
        status=entry.status,
        additions=entry.additions,
        deletions=entry.deletions,
        old_path=decode_path(entry.old_path) if entry.old_path is not None else None,
        binary=entry.binary,
        similarity=entry.similarity,
        patch=patch,
    )


def apply_patches(entries: list[RawEntry], patches: list[FilePatch]) -> list[str | None] | None:
    """Match patches to files by order, taking each file's line counts from its patch; None when the
    numbers disagree. A type change (T) prints as a deletion plus a creation: two sections, one file."""
    if sum(2 if e.status == "T" else 1 for e in entries) != len(patches):
        return None
    texts: list[str | None] = []
    i = 0
    for entry in entries:
        parts = patches[i : i + (2 if entry.status == "T" else 1)]
        i += len(parts)
        entry.additions = sum(p.additions for p in parts)
        entry.deletions = sum(p.deletions for p in parts)
        entry.binary = any(p.binary for p in parts)
        pieces = [p.text for p in parts if p.text is not None]
        texts.append("".join(pieces) if pieces else None)
    return texts


def patches_by_path(entries: list[RawEntry], patches: list[FilePatch]) -> list[str | None]:
    """Fallback matching by the path in each ``diff --git`` line (files without one get no patch)."""
    found: dict[bytes, list[str]] = {}
    for patch in patches:
        path = section_path(patch.header)
        if path is not None and patch.text is not None:
            found.setdefault(path, []).append(patch.text)
    return ["".join(found[e.path]) if e.path in found else None for e in entries]


@dataclass(frozen=True, slots=True)
class Lack:
    """What one commit could not get: the object ids git named, what is missing from the commit, and
    git's message."""

    oids: tuple[str, ...]
    what: str
    detail: str


Files = tuple[list[RawEntry], list[str | None] | None]
UNREADABLE = CommitObject((), Ident("", "", None), Ident("", "", None), "", ("git cannot read this commit object",))


def split_message(message: str) -> tuple[str, str]:
    """Subject and body as git sees them: the subject is the first paragraph joined into one line
    (``%s``), the body everything after it, stripped. An empty message gives ``("", "")``."""
    lines = message.replace("\r\n", "\n").split("\n")
    start = 0
    while start < len(lines) and not lines[start].strip():
        start += 1
    end = start
    while end < len(lines) and lines[end].strip():
        end += 1
    subject = " ".join(line.strip() for line in lines[start:end])
    return subject, "\n".join(lines[end:]).strip()


def decode_path(raw: bytes) -> str:
    """A path from git's raw bytes: UTF-8, with any other byte shown as ``\\xNN``."""
    return raw.decode("utf-8", "backslashreplace")
