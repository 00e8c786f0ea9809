"""Text for the terminal: untrusted strings (repository names, commit subjects, paths, model output)
never reach it as control codes, and are never read as Rich markup.

``clean(text)`` shows every control character (C0 except tab and newline, DEL, C1 — so an escape
sequence arrives as the harmless text ``\\x1b[31m``), the line and paragraph separators, and the
invisible and bidirectional characters of ``commitwatch.invisible`` (tag characters, zero-width,
LRM/RLM, overrides and isolates) as ``\\xNN`` / ``\\uXXXX`` / ``\\UXXXXXXXX`` escapes; newlines and tabs
become spaces unless ``newlines``. ``plain(text)`` is a Rich ``Text`` of the cleaned string, so Rich never
interprets ``[link=…]`` or ``[bold]`` in it; ``say(console, text)`` prints one such line.

    console.print(plain(repo.name))                 # a str here would be read as Rich markup
    table.add_row(plain(row.repo), plain(row.branch))
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .invisible import is_invisible

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

# C0 controls except tab and newline, DEL, C1 controls (8-bit CSI and friends), line/paragraph
# separators; invisible and bidirectional characters are added by ``_unsafe``.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def clean(text: object, *, newlines: bool = False) -> str:
    """``text`` with control, invisible and bidirectional characters shown as escapes (``\\n`` kept when
    ``newlines``; otherwise newlines and tabs become spaces)."""
    value = str(text)
    if value.isascii() and value.isprintable():
        return value
    if not newlines:
        value = value.replace("\n", " ").replace("\t", " ")
    value = _CONTROL.sub(lambda m: _escape(m.group(0)), value)
    if value.isascii():
        return value
    return "".join(_escape(ch) if is_invisible(ch) else ch for ch in value)


def plain(text: object, style: str = "", *, newlines: bool = False) -> Text:
    """A Rich ``Text`` of ``clean(text)``: printed as it is, never parsed as markup."""
    from rich.text import Text

    return Text(clean(text, newlines=newlines), style=style)


def say(console: Console, text: object, *, style: str = "") -> None:
    """Print one untrusted line: cleaned, no markup, no highlighting, no emoji codes."""
    console.print(plain(text, style), markup=False, highlight=False, emoji=False)


__all__ = ["clean", "plain", "say"]
