"""Invisible and bidirectional characters: the one policy for reports, prompts and terminals.

Characters that change how text reads without being seen — Unicode tag characters (U+E0000–U+E007F,
which some models read as ASCII: a hidden instruction), zero-width spaces and joiners, word joiners,
the byte-order mark, invisible math operators, Hangul fillers, left-to-right/right-to-left marks and
the bidirectional embedding, override and isolate controls ("Trojan Source") — are

- made visible in reports and prompts (``reveal``): each run becomes ``<U+202E>`` or, for a run,
  ``<U+E0049 +31 invisible>``, so a reader and the model see that something was hidden, and where;
- escaped on terminals (``\\u202e``), together with control characters (see ``commitwatch.term``).

One exception keeps real text intact: a zero-width joiner or non-joiner between two non-ASCII
characters (emoji sequences such as 👨‍👩‍👧, Persian and Indic scripts) stays as it is.
"""

from __future__ import annotations

import re

_RANGES = (
    (0x00AD, 0x00AD),  # soft hyphen
    (0x034F, 0x034F),  # combining grapheme joiner
    (0x061C, 0x061C),  # arabic letter mark
    (0x115F, 0x1160),  # hangul fillers
    (0x17B4, 0x17B5),  # khmer invisible vowels
    (0x180B, 0x180F),  # mongolian variation selectors and vowel separator
    (0x200B, 0x200F),  # zero-width space, ZWNJ, ZWJ, LRM, RLM
    (0x202A, 0x202E),  # bidi embeddings and overrides
    (0x2060, 0x2064),  # word joiner, invisible operators
    (0x2066, 0x2069),  # bidi isolates
    (0x206A, 0x206F),  # deprecated format characters
    (0x3164, 0x3164),  # hangul filler
    (0xFE00, 0xFE0E),  # variation selectors 1-15 (VS16, U+FE0F, makes emoji and stays)
    (0xFEFF, 0xFEFF),  # byte-order mark / zero-width no-break space
    (0xFFA0, 0xFFA0),  # halfwidth hangul filler
    (0xFFF9, 0xFFFB),  # interlinear annotation
    (0x1D173, 0x1D17A),  # musical invisible formatting
    (0xE0000, 0xE007F),  # tag characters
    (0xE0100, 0xE01EF),  # variation selectors supplement
)
_CLASS = "".join(f"\\U{a:08x}-\\U{b:08x}" if a != b else f"\\U{a:08x}" for a, b in _RANGES)
_RUN = re.compile(f"[{_CLASS}]+")
_JOINERS = frozenset("\u200c\u200d")


def is_invisible(ch: str) -> bool:
    code = ord(ch)
    return any(a <= code <= b for a, b in _RANGES)


def _kept_joiner(text: str, start: int, end: int) -> bool:
    """A lone ZWJ/ZWNJ between two non-ASCII characters (emoji, scripts that need it)."""
    if end - start != 1 or text[start] not in _JOINERS:
        return False
    before = text[start - 1] if start > 0 else ""
    after = text[end] if end < len(text) else ""
    return bool(before) and bool(after) and not before.isascii() and not after.isascii() \
        and not is_invisible(before) and not is_invisible(after)


def has_invisible(text: str) -> bool:
    return _RUN.search(text) is not None


def reveal(text: str) -> str:
    """Each run of invisible characters as a visible ``<U+XXXX>`` note (kept joiners stay)."""
    if not text or _RUN.search(text) is None:
        return text

    def note(match: re.Match[str]) -> str:
        run = match.group(0)
        if _kept_joiner(text, match.start(), match.end()):
            return run
        first = f"<U+{ord(run[0]):04X}"
        return f"{first}>" if len(run) == 1 else f"{first} +{len(run) - 1} invisible>"

    return _RUN.sub(note, text)


def remove(text: str) -> str:
    """``text`` without invisible characters (kept joiners stay)."""
    if not text or _RUN.search(text) is None:
        return text
    return _RUN.sub(lambda m: m.group(0) if _kept_joiner(text, m.start(), m.end()) else "", text)


__all__ = ["has_invisible", "is_invisible", "remove", "reveal"]
