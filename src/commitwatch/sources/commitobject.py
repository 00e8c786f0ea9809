"""Parse raw commit objects (``git cat-file --batch``) without trusting any byte of them: impossible
dates or offsets, idents without ``<>``, NUL bytes and messages in other encodings become notes."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import IO

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
    parents = tuple(p.decode("ascii", "replace") for p in headers.get(b"parent", []) if is_hex(p))
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


def is_hex(value: bytes) -> bool:
    """Whether ``value`` is a full SHA-1 or SHA-256 object id in lower-case hex."""
    return len(value) in (40, 64) and all(c in b"0123456789abcdef" for c in value)
