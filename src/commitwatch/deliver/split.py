"""Split a message into numbered parts that each fit a service's size limit.

Services count differently: WeCom bots and DingTalk count UTF-8 **bytes** of the content, Telegram
counts UTF-16 code units ("characters after entities parsing"), Slack and most others count
characters. ``measure(text, unit)`` counts the way a service does; ``split_message`` cuts so that every
part, its "(i/n)" label included, measures at most ``limit``.

Where a cut may fall, best first:

1. between paragraphs (blank lines), keeping a fenced code block whole when it fits;
2. between lines (a heading, a list item, a table row stays whole);
3. at whitespace inside a line that is longer than a part;
4. as a last resort inside a word that alone is longer than a part (CJK text has no spaces),
   between grapheme clusters.

Never inside a multi-byte character (the splitter works on ``str``, so every part encodes to valid
UTF-8), a grapheme cluster (an emoji with its modifiers, a letter with its combining marks), a
backslash escape, an HTML entity, or an inline construct: a Markdown link or image, an autolink or a
Slack ``<url|text>`` link, a bare URL, a code span, ``**bold**``, or an inline HTML element such as
WeCom's ``<font color="info">…</font>``. A construct longer than a whole part (only a pathological
input has one) is the one exception: it is cut between grapheme clusters, as rule 4, and a grapheme
cluster larger than a part between its code points.
A fenced code block that has to be cut is closed at the end of a part and reopened in the next.

Cutting drops only the whitespace at the cut: joining the parts (labels removed) gives back the text
with every non-whitespace character in place.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import Literal

Unit = Literal["bytes", "chars", "utf16"]

# Inline constructs that must stay in one part. Order matters: longer constructs first.
_CONSTRUCT = re.compile(
    r"""
      <(?P<tag>[A-Za-z][A-Za-z0-9]*)\b[^<>\n]*>[^\n]*?</(?P=tag)>   # inline HTML element
    | !?\[(?:\\.|[^\\\]\n])*\]\((?:\\.|[^\\()\n\s]|\([^()\n\s]*\))*(?:\s+"[^"\n]*")?\)  # link, image
    | <[^<>\n]+>                                                    # autolink, Slack link, tag
    | (?P<fence>`+)[^\n]*?(?P=fence)                                # code span
    | \*\*[^\n]*?\*\*                                               # bold
    | __[^\n]*?__
    | (?:https?|ftp)://[^\s<>]+                                     # bare URL
    """,
    re.VERBOSE,
)
_SPACE = re.compile(r"\s+")
# Units inside a word that a hard cut keeps whole: a backslash escape, an HTML entity.
_UNIT = re.compile(r"\\[^\s]|&#?[A-Za-z0-9]{1,32};")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def measure(text: str, unit: Unit) -> int:
    """The size of ``text`` as a service counts it."""
    if unit == "bytes":
        return len(text.encode("utf-8"))
    if unit == "utf16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


def label(index: int, total: int) -> str:
    """The part number put on the first line of each part when there are several."""
    return f"({index}/{total})"


def split_message(text: str, limit: int, unit: Unit = "chars", *, number: bool = True) -> list[str]:
    """``text`` in parts of at most ``limit`` (``measure``d in ``unit``), numbered "(i/n)" when there
    are several and ``number`` is set. Text that fits is returned as one part, unchanged."""
    if limit < 16:
        raise ValueError("a part limit below 16 leaves no room for text")
    text = text.strip("\n")
    if measure(text, unit) <= limit:
        return [text]
    digits = 1
    while True:
        reserve = measure(label(10**digits - 1, 10**digits - 1) + "\n", unit) if number else 0
        parts = _pack(text, limit - reserve, unit)
        if not number:
            return parts
        if len(str(len(parts))) <= digits:
            total = len(parts)
            return [f"{label(i, total)}\n{part}" for i, part in enumerate(parts, 1)]
        digits += 1


# --- packing ------------------------------------------------------------------------------------------


class _Packer:
    """Greedy packing with running sizes (sizes add up in every unit, so nothing is measured twice)."""

    def __init__(self, budget: int, unit: Unit) -> None:
        self.budget = budget
        self.unit = unit
        self.parts: list[str] = []
        self.pieces: list[str] = []
        self.size = 0

    def fits(self, sep: str, piece: str) -> bool:
        extra = measure(piece, self.unit) + (measure(sep, self.unit) if self.pieces else 0)
        return self.size + extra <= self.budget

    def add(self, sep: str, piece: str) -> None:
        if self.pieces:
            self.pieces.append(sep)
            self.size += measure(sep, self.unit)
        self.pieces.append(piece)
        self.size += measure(piece, self.unit)

    def offer(self, sep: str, piece: str) -> bool:
        """Add ``piece`` to the current part if it fits there; else, if it fits a fresh part, start one
        with it. False when it is larger than a whole part."""
        if self.fits(sep, piece):
            self.add(sep, piece)
            return True
        if measure(piece, self.unit) <= self.budget:
            self.flush()
            self.add(sep, piece)
            return True
        return False

    def flush(self) -> None:
        text = "".join(self.pieces).strip()
        if text:
            self.parts.append(text)
        self.pieces, self.size = [], 0


def _pack(text: str, budget: int, unit: Unit) -> list[str]:
    packer = _Packer(budget, unit)
    for sep, block in _blocks(text):
        if packer.offer(sep, block):
            continue
        lines = block.split("\n")
        fence = _FENCE.match(lines[0])
        if fence and len(lines) > 1:
            _pack_fenced(packer, sep, lines, fence.group(1))
            continue
        for line in lines:
            if not packer.offer(sep, line):
                _pack_line(packer, sep, line)
            sep = "\n"
    packer.flush()
    return packer.parts


def _blocks(text: str) -> Iterator[tuple[str, str]]:
    """(separator before, block): paragraphs, each fenced code block as a block of its own (blank
    lines and all). Runs of blank lines between paragraphs become one."""
    block: list[str] = []
    sep = "\n\n"
    fence: str | None = None
    for line in text.split("\n"):
        if fence is not None:
            block.append(line)
            stripped = line.strip()
            if stripped.startswith(fence) and set(stripped) == {fence[0]}:
                yield sep, "\n".join(block)
                block, sep, fence = [], "\n", None
            continue
        opened = _FENCE.match(line)
        if opened:
            if block:
                yield sep, "\n".join(block)
                sep = "\n"
            block, fence = [line], opened.group(1)
        elif not line.strip():
            if block:
                yield sep, "\n".join(block)
            block, sep = [], "\n\n"
        else:
            block.append(line)
    if block:
        yield sep, "\n".join(block)


def _pack_fenced(packer: _Packer, sep: str, lines: list[str], fence: str) -> None:
    """A code block longer than what is left: cut between its lines, closing the fence at the end of a
    part and reopening it (with its info string) at the start of the next."""
    opener, closer = lines[0], fence
    closes = lines[-1].strip().startswith(fence)
    body = lines[1:-1] if closes else lines[1:]
    reserve = measure("\n" + closer, packer.unit)
    packer.budget -= reserve
    try:
        if not packer.offer(sep, opener):
            _pack_line(packer, sep, opener)
        for line in body:
            if packer.fits("\n", line):
                packer.add("\n", line)
                continue
            packer.budget += reserve
            packer.add("\n", closer)
            packer.budget -= reserve
            packer.flush()
            packer.add("\n", opener)
            if packer.fits("\n", line):
                packer.add("\n", line)
            else:  # a code line longer than a part is cut like any text
                _pack_line(packer, "\n", line)
    finally:
        packer.budget += reserve
    packer.add("\n", closer)


def _pack_line(packer: _Packer, sep: str, line: str) -> None:
    """A line longer than a part: cut at whitespace between words and constructs."""
    first = True
    for token in _tokens(line):
        joiner = sep if first else ""
        first = False
        if token.isspace():
            if packer.fits(joiner, token):
                packer.add(joiner, token)
            else:
                packer.flush()  # a cut at whitespace drops the whitespace
            continue
        if not packer.offer(joiner, token):
            _pack_word(packer, joiner, token)


def _pack_word(packer: _Packer, sep: str, word: str) -> None:
    """A word (or construct) longer than a part: cut between grapheme clusters; a cluster that alone is
    larger than a part (a letter with a pile of combining marks) between its code points, since the
    limit is the service's and a part over it is lost."""
    first = True
    for cluster in _clusters(word):
        pieces = list(cluster) if measure(cluster, packer.unit) > packer.budget else [cluster]
        for piece in pieces:
            joiner = sep if first else ""
            first = False
            if not packer.fits(joiner, piece):
                packer.flush()
            packer.add(joiner, piece)


def _tokens(line: str) -> Iterator[str]:
    """Whitespace runs, words, and inline constructs (each whole) of one line."""
    pos = 0
    for match in _CONSTRUCT.finditer(line):
        yield from _words(line[pos : match.start()])
        yield match.group(0)
        pos = match.end()
    yield from _words(line[pos:])


def _words(text: str) -> Iterator[str]:
    pos = 0
    for match in _SPACE.finditer(text):
        if match.start() > pos:
            yield text[pos : match.start()]
        yield match.group(0)
        pos = match.end()
    if pos < len(text):
        yield text[pos:]


def _clusters(word: str) -> Iterator[str]:
    """Grapheme clusters, approximately (combining marks, ZWJ sequences, variation selectors, emoji
    modifiers, regional-indicator pairs), with backslash escapes and HTML entities kept whole."""
    i = 0
    n = len(word)
    while i < n:
        unit = _UNIT.match(word, i)
        end = unit.end() if unit else i + 1
        while end < n and _extends(word, end):
            end += 2 if word[end] == "\u200d" and end + 1 < n else 1
        if end == i + 1 and _regional(word[i]) and end < n and _regional(word[end]):
            end += 1
        yield word[i:end]
        i = end


def _extends(word: str, i: int) -> bool:
    ch = word[i]
    code = ord(ch)
    return (
        unicodedata.combining(ch) != 0
        or unicodedata.category(ch) in ("Mn", "Me", "Mc")
        or ch == "\u200d"
        or 0xFE00 <= code <= 0xFE0F
        or 0x1F3FB <= code <= 0x1F3FF
        or 0xE0020 <= code <= 0xE007F
    )


def _regional(ch: str) -> bool:
    return 0x1F1E6 <= ord(ch) <= 0x1F1FF
