"""Parse ``git log -z --raw --numstat`` and ``git log -p`` output, streaming.

Metadata output (``-z``), per commit::

    \\x1e<sha>\\0<parents>\\0<field>\\0...\\0<message>\\0          header (fields as requested)
    \\n:<mode> <mode> <oid> <oid> <STATUS>\\0<path>\\0[<new path>\\0]   one raw entry per file
    <add>\\t<del>\\t<path>\\0  or  <add>\\t<del>\\t\\0<old>\\0<new>\\0    one numstat entry per file

Tokens are NUL-separated. A path token is never inspected: each raw or numstat entry says how many
path tokens follow it, so any byte in a file name (newline, tab, \\x1e ...) parses.

Patch output (``--format=%x1e%H -p``) is read line by line: a line starting with ``\\x1e`` opens a commit,
a line starting with ``diff --git `` opens a file. Inside a patch every content line starts with
``' '``, ``+``, ``-`` or ``\\``, so neither marker can appear in file content. Lines starting with ``+`` or
``-`` after a file's first ``@@`` are its added and removed lines: the counts ``--numstat`` reports.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import IO

from commitwatch.errors import SourceError

COMMIT_MARK = b"\x1e"
_DIFF = b"diff --git "
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
    if not _is_hex(fields[0]):
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


def _is_hex(value: bytes) -> bool:
    return len(value) in (40, 64) and all(c in b"0123456789abcdef" for c in value)


def _unexpected(token: bytes) -> SourceError:
    return SourceError(
        f"unexpected git log output near {token[:60]!r}",
        hint="This is a bug in commitwatch; please report it with your git version (git --version).",
    )


# --- patches ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PatchLimits:
    """Caps on the patch text kept per file and per commit (bytes). Anything beyond is dropped and the
    patch ends with a visible ``\\ commitwatch: patch truncated, K of N bytes shown`` line. Line counts
    stay exact: they are counted over the whole patch as it streams by."""

    per_file: int = 1 << 20
    per_commit: int = 8 << 20


@dataclass(frozen=True, slots=True)
class FilePatch:
    """One ``diff --git`` section: its header line, its (capped) text, and its exact line counts."""

    header: bytes
    text: str | None
    additions: int
    deletions: int
    binary: bool


class _Section:
    """The patch of one file while it streams by: counted in full, kept up to ``allowance`` bytes."""

    __slots__ = ("additions", "allowance", "binary", "buffer", "deletions", "header", "in_hunk", "total")

    def __init__(self, header: bytes, allowance: int) -> None:
        self.header = header
        self.allowance = allowance
        self.buffer = bytearray()
        self.total = 0
        self.additions = 0
        self.deletions = 0
        self.binary = False
        self.in_hunk = False
        self.add(header)

    def add(self, line: bytes) -> None:
        self.total += len(line)
        if self.in_hunk:
            first = line[0]
            if first == 43:  # "+"
                self.additions += 1
            elif first == 45:  # "-"
                self.deletions += 1
        elif line.startswith(b"@@ "):
            self.in_hunk = True
        elif line.startswith(b"Binary files "):
            self.binary = True
        room = self.allowance - len(self.buffer)
        if room > 0:
            self.buffer += line if len(line) <= room else line[:room]

    def finish(self, keep_text: bool) -> FilePatch:
        text = self._text() if keep_text else None
        self.buffer = bytearray()  # free it now: only one file's bytes are held at a time
        return FilePatch(self.header, text, self.additions, self.deletions, self.binary)

    def _text(self) -> str:
        body = self.buffer.decode("utf-8", "replace")
        kept = len(self.buffer)
        if self.total > kept:
            if body and not body.endswith("\n"):
                body += "\n"
            body += f"\\ commitwatch: patch truncated, {kept} of {self.total} bytes shown\n"
        return body


def parse_patches(
    stream: IO[bytes], limits: PatchLimits, counts_only: Container[str] = ()
) -> Iterator[tuple[str, list[FilePatch]]]:
    """``(sha, [FilePatch, ...])`` per commit of a ``--format=%x1e%H -p`` stream, read line by line.

    Commits in ``counts_only`` (merges) get line counts but no text.
    """
    sha = ""
    files: list[FilePatch] = []
    left = limits.per_commit
    keep = True
    current: _Section | None = None
    for line in stream:
        if line.startswith(COMMIT_MARK):
            if current is not None:
                files.append(current.finish(keep))
            if sha:
                yield sha, files
            sha, files, left, current = line[1:].strip().decode("ascii"), [], limits.per_commit, None
            keep = sha not in counts_only
        elif line.startswith(_DIFF):
            if current is not None:
                left -= len(current.buffer)
                files.append(current.finish(keep))
            current = _Section(line, max(0, min(limits.per_file, left)) if keep else 0)
        elif current is not None:
            current.add(line)
    if current is not None:
        files.append(current.finish(keep))
    if sha:
        yield sha, files


def section_path(header: bytes) -> bytes | None:
    """The new path named by a ``diff --git a/<old> b/<new>`` line (C-quoted or plain), if unambiguous."""
    rest = header[len(_DIFF) :].rstrip(b"\n")
    if rest.endswith(b'"'):
        start = _quoted_start(rest)
        if start is None:
            return None
        new = unquote_c(rest[start:])
        return new[2:] if new.startswith(b"b/") else None
    # plain: "a/<p> b/<p>" with the same path on both sides (renames are always matched by order)
    half = (len(rest) - 1) // 2
    old, new = rest[:half], rest[half + 1 :]
    if old.startswith(b"a/") and new.startswith(b"b/") and old[2:] == new[2:]:
        return new[2:]
    return None


def _quoted_start(rest: bytes) -> int | None:
    i = len(rest) - 2
    while i >= 0:
        if rest[i : i + 1] == b'"' and (i == 0 or rest[i - 1 : i] == b" "):
            backslashes = 0
            j = i - 1
            while j >= 0 and rest[j : j + 1] == b"\\":
                backslashes += 1
                j -= 1
            if backslashes % 2 == 0:
                return i
        i -= 1
    return None


_ESCAPES = {ord("n"): 10, ord("t"): 9, ord('"'): 34, ord("\\"): 92, ord("a"): 7, ord("b"): 8,
            ord("f"): 12, ord("r"): 13, ord("v"): 11}  # fmt: skip


def unquote_c(quoted: bytes) -> bytes:
    """Undo git's C-style path quoting: ``"a\\tb\\303\\251"`` → ``b'a\\tb\\xc3\\xa9'``."""
    body = quoted[1:-1] if quoted.startswith(b'"') and quoted.endswith(b'"') else quoted
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != 92 or i + 1 >= len(body):
            out.append(c)
            i += 1
            continue
        nxt = body[i + 1]
        octal = body[i + 1 : i + 4]
        if len(octal) == 3 and all(48 <= b <= 55 for b in octal):
            out.append(int(octal, 8) & 0xFF)
            i += 4
        else:
            out.append(_ESCAPES.get(nxt, nxt))
            i += 2
    return bytes(out)


# --- raw commit objects (``cat-file --batch``) --------------------------------------------------------

#: The first timestamp no window can hold (year 10000).
LAST_STAMP = 253402300800
_OFFSET = re.compile(rb"[+-][0-9]{4}")


@dataclass(frozen=True, slots=True)
class Ident:
    """An author or committer line as read from the object. ``when`` is None when the date cannot be
    read; ``notes`` say what was odd (an ident without ``<>``, an impossible offset ...)."""

    name: str
    email: str
    when: datetime | None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CommitObject:
    """The parts of a raw commit object commitwatch shows, decoded without trusting any of them."""

    parents: tuple[str, ...]
    author: Ident
    committer: Ident
    message: str
    notes: tuple[str, ...] = ()


def parse_commit_object(raw: bytes) -> CommitObject:
    """Read a commit object as ``git cat-file commit`` prints it. Never raises: whatever cannot be
    read becomes a note (``Ident.when`` None for an unreadable date, the raw text for a broken ident)."""
    head, _, body = raw.partition(b"\n\n")
    headers: dict[bytes, list[bytes]] = {}
    last: bytes | None = None
    for line in head.split(b"\n"):
        if line.startswith(b" ") and last is not None:  # continuation (gpgsig, mergetag)
            continue
        key, _, value = line.partition(b" ")
        headers.setdefault(key, []).append(value)
        last = key
    parents = tuple(p.decode("ascii", "replace") for p in headers.get(b"parent", []) if _is_hex(p))
    encoding = _first(headers, b"encoding")
    message, notes = decode_message(body, encoding)
    codec = _codec(encoding)
    return CommitObject(
        parents=parents,
        author=parse_ident(_first(headers, b"author"), "author", codec),
        committer=parse_ident(_first(headers, b"committer"), "committer", codec),
        message=message,
        notes=notes,
    )


def _first(headers: dict[bytes, list[bytes]], key: bytes) -> bytes | None:
    values = headers.get(key)
    return values[0] if values else None


def parse_ident(value: bytes | None, role: str, codec: str | None = None) -> Ident:
    """``Name <email> <timestamp> <+HHMM>``, leniently. A line without ``<...>`` is kept whole as the
    name (the raw text git gives); a date git could not store or Python cannot show is None. Text is
    read in ``codec`` (the commit's encoding header), else as UTF-8, else as Latin-1."""
    if value is None:
        return Ident("", "", None, (f"the commit has no {role} line",))
    opening, closing = value.find(b"<"), value.rfind(b">")
    if opening == -1 or closing < opening:
        raw = _ident_text(value, codec)
        form = f"the {role} line is not of the form 'Name <email> time zone'; shown as written"
        return Ident(raw, "", None, (form,))
    name = _ident_text(value[:opening], codec)
    email = _ident_text(value[opening + 1 : closing], codec)
    notes: list[str] = []
    if b"\0" in value[:closing]:
        notes.append(f"the {role} name or email holds a NUL byte (shown as \ufffd)")
    when, note = _ident_date(value[closing + 1 :].split(), role)
    return Ident(name, email, when, (*notes, *([note] if note else [])))


def _ident_date(parts: list[bytes], role: str) -> tuple[datetime | None, str | None]:
    shown = clean_text(b" ".join(parts).decode("utf-8", "replace"))
    if not parts or not parts[0].isdigit():
        return None, f"the {role} date cannot be read ({shown or 'none given'!r})"
    stamp = int(parts[0])
    if stamp >= LAST_STAMP:
        return None, f"the {role} date is beyond year 9999 ({shown!r})"
    utc = datetime.fromtimestamp(stamp, timezone.utc)
    offset = parts[1] if len(parts) > 1 else b""
    if _OFFSET.fullmatch(offset):
        minutes = int(offset[1:3]) * 60 + int(offset[3:5])
        if int(offset[1:3]) < 24 and int(offset[3:5]) < 60:
            sign = -1 if offset[:1] == b"-" else 1
            return utc.astimezone(timezone(sign * timedelta(minutes=minutes))), None
    return utc, f"the {role} date has an impossible time zone offset ({shown!r}); shown in UTC"


def _ident_text(raw: bytes, codec: str | None) -> str:
    if codec is not None:
        return clean_text(raw.decode(codec, "replace")).strip()
    try:
        return clean_text(raw.decode("utf-8")).strip()
    except UnicodeDecodeError:
        return clean_text(raw.decode("latin-1")).strip()


def _codec(encoding: bytes | None) -> str | None:
    """The Python codec an ``encoding`` header names (None: no header, or one Python does not know).
    UTF-16 and UTF-32 name the message's encoding only: header lines are ASCII-compatible bytes."""
    if encoding is None:
        return None
    try:
        name = codecs.lookup(encoding.decode("ascii", "replace").strip()).name
    except LookupError:
        return None
    return None if name.startswith(("utf-16", "utf-32")) else name


def decode_message(body: bytes, encoding: bytes | None) -> tuple[str, tuple[str, ...]]:
    """A commit message as text: in the encoding its header names, else UTF-8; a UTF-16 message (a BOM,
    or NUL bytes in every other place) is read as such, anything else that is not UTF-8 as Latin-1, with
    a note. NUL bytes become U+FFFD."""
    if encoding is not None:
        name = encoding.decode("ascii", "replace").strip()
        try:
            return clean_text(body.decode(codecs.lookup(name).name, "replace")), ()
        except LookupError:
            note = f"the message names an unknown encoding {name!r}"
            text, more = decode_message(body, None)
            return text, (note, *more)
    try:
        return clean_text(body.decode("utf-8")), ()
    except UnicodeDecodeError:
        pass
    utf16 = _utf16(body)
    if utf16 is not None:
        return clean_text(body.decode(utf16, "replace")), (
            "the message is UTF-16 without an encoding header; read as UTF-16",
        )
    return clean_text(body.decode("latin-1")), (
        "the message is not UTF-8 and names no encoding; read as Latin-1",
    )


def _utf16(body: bytes) -> str | None:
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    even, odd = body[0::2], body[1::2]
    if len(body) >= 4 and len(body) % 2 == 0:
        if odd.count(0) >= len(odd) * 0.9 and even.count(0) == 0:
            return "utf-16-le"
        if even.count(0) >= len(even) * 0.9 and odd.count(0) == 0:
            return "utf-16-be"
    return None


def clean_text(text: str) -> str:
    """NUL bytes (which no report or store column should carry) as U+FFFD."""
    return text.replace("\0", "\ufffd")


def parse_batch(stream: IO[bytes]) -> Iterator[tuple[str, bytes | None]]:
    """``(sha, object content)`` from ``git cat-file --batch`` output; content None when git says the
    object is missing (or is not a commit)."""
    while True:
        header = stream.readline()
        if not header:
            return
        parts = header.split()
        sha = parts[0].decode("ascii", "replace") if parts else ""
        if len(parts) != 3 or not parts[2].isdigit():
            yield sha, None  # "<sha> missing" or "<sha> ambiguous"
            continue
        size = int(parts[2])
        content = stream.read(size)
        stream.read(1)  # the newline after the content
        yield sha, content if parts[1] == b"commit" else None
