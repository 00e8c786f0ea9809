"""Text for the terminal: untrusted strings (repository names, commit subjects, paths, model output)
never reach it as control codes. Print the result without markup interpretation (Rich ``markup=False``
or ``rich.text.Text``)."""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls (8-bit CSI and friends), and the bidirectional
# overrides and isolates that reorder what a reader sees.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: object, *, newlines: bool = False) -> str:
    """``text`` with control characters shown as ``\\xNN`` escapes (``\\n`` kept when ``newlines``)."""
    value = str(text)
    if not newlines:
        value = value.replace("\n", " ").replace("\t", " ")
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}" if ord(m.group(0)) < 0x100
                        else f"\\u{ord(m.group(0)):04x}", value)
