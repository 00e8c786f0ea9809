"""Parse ``git log -z --raw --numstat`` output, streaming.

Metadata output (``-z``), per commit::

    \\x1e<sha>\\0<parents>\\0<field>\\0...\\0<message>\\0          header (fields as requested)
    \\n:<mode> <mode> <oid> <oid> <STATUS>\\0<path>\\0[<new path>\\0]   one raw entry per file
    <add>\\t<del>\\t<path>\\0  or  <add>\\t<del>\\t\\0<old>\\0<new>\\0    one numstat entry per file

Tokens are NUL-separated. A path token is never inspected: each raw or numstat entry says how many
path tokens follow it, so any byte in a file name (newline, tab, \\x1e ...) parses.

Patches are parsed in ``sources.patches``, commit objects in ``sources.commitobject``; their names
are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO

from commitwatch.errors import SourceError
from commitwatch.sources.commitobject import (
    LAST_STAMP,
    CommitObject,
    Ident,
    clean_text,
    decode_message,
    is_hex,
    parse_batch,
    parse_commit_object,
    parse_ident,
)
from commitwatch.sources.patches import COMMIT_MARK, FilePatch, PatchLimits, parse_patches, section_path, unquote_c

# Re-exported: callers and tests import these from here.
__all__ = [
    "COMMIT_MARK",
    "LAST_STAMP",
    "CommitObject",
    "FilePatch",
    "Ident",
    "LogRecord",
    "PatchLimits",
    "RawEntry",
    "clean_text",
    "decode_message",
    "nul_tokens",
    "parse_batch",
    "parse_commit_object",
    "parse_ident",
    "parse_log",
    "parse_patches",
    "section_path",
    "unquote_c",
]

_CHUNK = 1 << 16


@dataclass(slots=True)
class RawEntry:
    """One file of a commit from ``--raw`` (and ``--numstat`` when requested). Paths are raw bytes."""

    status: str
    old_mode: str
    new_mode: str
    old_oid: str
    new_oid: str
    path: bytes
    old_path: bytes | None = None
    similarity: int | None = None
    additions: int = 0
    deletions: int = 0
    binary: bool = False


@dataclass(slots=True)
class LogRecord:
    """One commit: the header fields (as bytes, in the requested order) and its raw entries."""

    fields: list[bytes]
    entries: list[RawEntry] = field(default_factory=list)
    numstat: list[tuple[int, int, bool, bytes]] = field(default_factory=list)

    @property
    def sha(self) -> str:
        return self.fields[0].decode("ascii")


def nul_tokens(stream: IO[bytes], chunk_size: int = _CHUNK) -> Iterator[bytes]:
    """Split a binary stream on NUL bytes, reading it in chunks."""
    rest = b""
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        parts = (rest + chunk).split(b"\0") if rest else chunk.split(b"\0")
        rest = parts.pop()
        yield from parts
    if rest:
        yield rest


def parse_log(tokens: Iterable[bytes], header_fields: int) -> Iterator[LogRecord]:
    """Records from a ``-z --raw [--numstat]`` token stream whose format has ``header_fields`` fields
    (separated by ``%x00``, the first being ``%x1e%H``)."""
    it = iter(tokens)
    record: LogRecord | None = None
    for token in it:
        if token.startswith(COMMIT_MARK):
            if record is not None:
                yield _finish(record)
            record = LogRecord(fields=_header(token, it, header_fields))
            continue
        if record is None:
            raise _unexpected(token)
        body = token.lstrip(b"\n")
        if body.startswith(b":"):
            record.entries.append(_raw_entry(body, it))
        elif body:
            record.numstat.append(_numstat_entry(body, it))
    if record is not None:
        yield _finish(record)


def _header(first: bytes, it: Iterator[bytes], count: int) -> list[bytes]:
    fields = [first[1:]]
    for _ in range(count - 1):
        token = next(it, None)
        if token is None:
            raise _unexpected(first)
        fields.append(token)
    if not is_hex(fields[0]):
        raise _unexpected(first)
    return fields


def _raw_entry(token: bytes, it: Iterator[bytes]) -> RawEntry:
    try:
        old_mode, new_mode, old_oid, new_oid, status = token[1:].decode("ascii").split(" ")
    except (UnicodeDecodeError, ValueError):
        raise _unexpected(token) from None
    letter, score = status[:1], status[1:]
    path = next(it, b"")
    old_path = None
    if letter in ("R", "C"):
        old_path, path = path, next(it, b"")
    return RawEntry(
        status=letter,
        old_mode=old_mode,
        new_mode=new_mode,
        old_oid=old_oid,
        new_oid=new_oid,
        path=path,
        old_path=old_path,
        similarity=int(score) if score.isdigit() else None,
    )


def _numstat_entry(token: bytes, it: Iterator[bytes]) -> tuple[int, int, bool, bytes]:
    parts = token.split(b"\t", 2)
    if len(parts) != 3:
        raise _unexpected(token)
    added, deleted, path = parts
    if not path:  # a rename or copy: old and new path follow as their own tokens
        next(it, b"")
        path = next(it, b"")
    if added == b"-" or deleted == b"-":
        return 0, 0, True, path
    try:
        return int(added), int(deleted), False, path
    except ValueError:
        raise _unexpected(token) from None


def _finish(record: LogRecord) -> LogRecord:
    """Attach numstat counts to raw entries (same order; by path if the counts ever disagree)."""
    if not record.numstat:
        return record
    if len(record.numstat) == len(record.entries):
        stats: list[tuple[int, int, bool, bytes] | None] = list(record.numstat)
    else:
        by_path = {stat[3]: stat for stat in record.numstat}
        stats = [by_path.get(entry.path) for entry in record.entries]
    for entry, stat in zip(record.entries, stats, strict=True):
        if stat is not None:
            entry.additions, entry.deletions, entry.binary = stat[0], stat[1], stat[2]
    record.numstat = []
    return record


def _unexpected(token: bytes) -> SourceError:
    return SourceError(
        f"unexpected git log output near {token[:60]!r}",
        hint="This is a bug in commitwatch; please report it with your git version (git --version).",
    )
