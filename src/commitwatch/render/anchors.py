"""GitHub heading anchors, computed the way github-slugger (what GitHub's renderer follows) does.

A heading's anchor comes from its *rendered* text, not from its Markdown source: give ``slugify`` the
plain text a reader sees (``escape.unescape`` of an escaped heading, or the text before escaping).

``slugify(text)``:

1. lowercase (full Unicode case mapping, like JavaScript's ``toLowerCase``);
2. keep letters, marks, decimal and letter numbers, connector punctuation (``_`` and kin), ``-`` and
   the ASCII space; drop everything else: other punctuation (``.``, ``(``, ``：``, ``（）``, ``–``),
   symbols (emoji, ``+``, ``|``, ``$``), other numbers (``²``, ``①``), every other separator (tab,
   no-break space, ideographic space), controls and format characters. The one exception is the
   symbols Unicode counts as alphabetic (circled and squared Latin letters such as Ⓐ, 🄰, 🅐, 🅰),
   which stay;
3. each ASCII space becomes ``-``. Nothing is trimmed or collapsed: ``"a - b"`` → ``"a---b"``,
   ``" a"`` → ``"-a"``.

``Slugger`` makes anchors unique within one document, in document order: the second ``foo`` is
``foo-1``, the third ``foo-2``; a generated suffix skips anchors already taken, so ``foo-1``, ``foo``,
``foo`` gives ``foo-1``, ``foo``, ``foo-2``. Feed it *every* heading of the document, in order, or
the counts drift from GitHub's.
"""

from __future__ import annotations

import unicodedata

_KEEP_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "Pc"})
# Symbols (category So) with the Unicode property Alphabetic: circled Latin letters and the squared,
# negative circled and negative squared Latin capitals. github-slugger keeps them.
_ALPHABETIC_SYMBOLS = ((0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189))


def _kept(ch: str) -> bool:
    if ch == "-" or unicodedata.category(ch) in _KEEP_CATEGORIES:
        return True
    code = ord(ch)
    return any(low <= code <= high for low, high in _ALPHABETIC_SYMBOLS)


def slugify(text: str) -> str:
    """The anchor GitHub gives a heading whose rendered text is ``text`` (before de-duplication)."""
    return "".join("-" if ch == " " else ch for ch in text.lower() if ch == " " or _kept(ch))


class Slugger:
    """Unique anchors for the headings of one document, given in document order."""

    def __init__(self) -> None:
        self._taken: dict[str, int] = {}

    def slug(self, text: str) -> str:
        """The anchor of the next heading, whose rendered text is ``text``."""
        base = slugify(text)
        candidate = base
        while candidate in self._taken:
            self._taken[base] += 1
            candidate = f"{base}-{self._taken[base]}"
        self._taken[candidate] = 0
        return candidate

    def reset(self) -> None:
        """Forget every anchor (start a new document)."""
        self._taken.clear()
