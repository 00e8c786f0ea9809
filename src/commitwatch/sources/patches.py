"""Parse ``git log -p`` output, streaming: per commit, per file, with exact line counts.

Patch output (``--format=%x1e%H -p``) is read line by line: a line starting with ``\\x1e`` opens a commit,
a line starting with ``diff --git `` opens a file. Inside a patch every content line starts with
``' '``, ``+``, ``-`` or ``\\``, so neither marker can appear in file content. Lines starting with ``+`` or
``-`` after a file's first ``@@`` are its added and removed lines: the counts ``--numstat`` reports.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass
from typing import IO

COMMIT_MARK = b"\x1e"
_DIFF = b"diff --git "


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
