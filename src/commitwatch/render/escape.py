"""Markdown escaping for untrusted text (commit subjects, author names, paths, model output).

Every function here turns arbitrary text into Markdown that renders back to that text as plain text:
no HTML, no links or images, no emphasis, no code, no math, no headings, lists, quotes or tables, and
nothing that can end the line, table row or heading it sits in.

- ``normalize(text)``: the plain text an escaped string renders to. Control characters, line and
  paragraph separators and runs of whitespace become one space; invisible and bidirectional characters
  (tag characters, zero-width, LRM/RLM, overrides and isolates: they can hide text or make a line read
  differently from what it is) are shown as ``<U+202E>`` (docs/security.md); ends are stripped.
- ``escape_inline(text)``: backslash-escapes every ASCII character that can open markup anywhere in a
  line (``\\ ` * _ [ ] < > & # | ~ $``), ``!`` before ``[``, and at the start of the text the characters
  that could start a block there (``-``, ``+``, ``=``, ``!``, and the ``.``/``)`` of ``1.``/``1)``). Safe
  at the start of a line, after ``- `` in a list item, in a heading and in a table cell.
- ``escape_cell(text)``: the same; a table cell needs ``|`` escaped, which ``escape_inline`` always does.
- ``escape_prose(text)``: for model-written text. Like ``escape_inline``, except that balanced
  backtick code spans (```name```) stay code spans, re-fenced by ``code_span``: the text renders to
  the same characters, identifiers in monospace. Nothing else survives as markup.
- ``code_span(text)``: an inline code span whose backtick fence is longer than any run of backticks
  inside. Not for table cells (GitHub splits cells on ``|`` before it sees code spans).
- ``unescape(markdown)``: removes the backslash escapes again; ``unescape(escape_inline(t)) ==
  normalize(t)`` for every ``t``. Tests use it; the renderer uses it nowhere.
- ``link_destination(url)``: a URL made safe to put inside ``(...)`` of a link.

What Markdown escaping cannot stop: GitHub's post-render filters work on the rendered text, so a bare
URL, ``@user``, ``#123`` or an ``:emoji:`` shortcode in a commit subject may still be turned into a
link or an emoji on github.com. The visible text stays the same (a linked URL shows itself), so
nothing is hidden, but a report published as an *issue* could notify mentioned users.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from ..invisible import reveal

# ASCII characters that can open inline markup (or a block, or a table cell boundary) anywhere.
_ALWAYS = frozenset("\\`*_[]<>&#|~$")
_SPACE_RUN = re.compile(r"\s+")
_ORDERED_START = re.compile(r"[0-9]{1,9}[.)]")
# A backtick run, the shortest content, then a run of exactly the same length (CommonMark code span).
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")
ELLIPSIS = "…"


def _is_break(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F or code in (0x2028, 0x2029)


def normalize(text: str) -> str:
    """One line of plain text: controls and whitespace runs → one space, invisible and bidi characters
    shown as ``<U+XXXX>`` (``commitwatch.invisible``), stripped."""
    text = reveal(text)
    if any(_is_break(ch) for ch in text):
        text = "".join(" " if _is_break(ch) else ch for ch in text)
    return _SPACE_RUN.sub(" ", text).strip()


def _escape_normalized(text: str, *, at_start: bool) -> str:
    out: list[str] = []
    for i, ch in enumerate(text):
        if ch in _ALWAYS or (ch == "!" and text[i + 1 : i + 2] == "["):
            out.append("\\" + ch)
        else:
            out.append(ch)
    if at_start and text:
        if text[0] in "-+=!" and not out[0].startswith("\\"):
            out[0] = "\\" + text[0]
        ordered = _ORDERED_START.match(text)
        if ordered:
            end = ordered.end() - 1
            out[end] = "\\" + text[end]
    return "".join(out)


def escape_inline(text: str) -> str:
    """Escape ``text`` for any inline position, including the start of a line or list item."""
    return _escape_normalized(normalize(text), at_start=True)


def escape_prose(text: str) -> str:
    """``escape_inline``, but balanced backtick code spans stay (re-fenced) code spans."""
    text = normalize(text)
    out: list[str] = []
    pos = 0
    for match in _CODE_SPAN.finditer(text):
        content = match.group(2)
        if content.startswith(" ") and content.endswith(" ") and content.strip():
            content = content[1:-1]  # CommonMark strips one space from each side
        if not content.strip():
            continue  # an all-space span: keep it as escaped text
        out.append(_escape_normalized(text[pos : match.start()], at_start=pos == 0))
        out.append(code_span(content))
        pos = match.end()
    out.append(_escape_normalized(text[pos:], at_start=pos == 0))
    return "".join(out)


def escape_cell(text: str) -> str:
    """Escape ``text`` for a GFM table cell (``|`` included)."""
    return escape_inline(text)


def code_span(text: str) -> str:
    """``text`` as an inline code span (normalised to one line). Empty text gives an empty string."""
    text = normalize(text)
    if not text:
        return ""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    # A space on each side keeps a leading/trailing backtick off the fence; CommonMark strips exactly one
    # space from each side when both are present, so the content survives unchanged.
    if text.startswith("`") or text.endswith("`") or (text.startswith(" ") and text.endswith(" ")):
        return f"{fence} {text} {fence}"
    return f"{fence}{text}{fence}"


def unescape(markdown: str) -> str:
    """Drop backslash escapes of ASCII punctuation: the inverse of ``escape_inline`` on its output."""
    return _ESCAPED.sub(r"\1", markdown)


def shorten(text: str, limit: int) -> str:
    """``normalize(text)`` cut to at most ``limit`` characters, ending in "…" when cut."""
    text = normalize(text)
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + ELLIPSIS


def link_destination(url: str) -> str:
    """Percent-encode what could end or break a link destination (spaces, parentheses, ``<>``, controls)."""
    return quote(url, safe=":/?#[]@!$&'*+,;=%~-._")
