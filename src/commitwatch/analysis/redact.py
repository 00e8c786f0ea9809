"""Secret redaction: applied to every piece of commit text before any byte leaves the machine.

Each secret is replaced with a marker that names what was removed (``[REDACTED:github-token]``), so the
model and the reader still see that something was there. Assignments keep their key name
(``password = "[REDACTED:password]"``). The patterns favour recall on well-known token formats and
precision on ``password=``-style assignments (calls, variables and placeholders are left alone).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

MARKER = "[REDACTED:{kind}]"

# (kind, pattern). Order matters: private key blocks first (they contain base64 that other rules could
# partly match), then token formats, then generic assignments.
_TOKEN_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private-key",
        re.compile(
            r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:.*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
            re.DOTALL,
        ),
    ),
    ("github-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}")),
    ("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b")),
    ("aws-access-key", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b")),
    ("openai-key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-|ant-)?[A-Za-z0-9_-]{20,}")),
    ("slack-webhook", re.compile(r"https://hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+")),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("bearer-token", re.compile(r"(?<=[Bb]earer )[A-Za-z0-9._~+/=-]{20,}")),
)

# Substrings every match of a kind contains (case as in the pattern).
_HINTS: dict[str, tuple[str, ...]] = {
    "private-key": ("PRIVATE KEY",),
    "github-token": ("github_pat_", "ghp_", "gho_", "ghu_", "ghs_", "ghr_"),
    "aws-access-key": ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"),
    "openai-key": ("sk-",),
    "slack-webhook": ("hooks.slack",),
    "slack-token": ("xox",),
    "bearer-token": ("earer ",),
}
_ASSIGNMENT_HINT = re.compile(r"pass|pwd|secret|key|token", re.IGNORECASE)

_SECRET_KEY = (
    r"(?:password|passwd|passphrase|pwd|secret|client_secret|secret_key|api_?key|apikey|access_?token"
    r"|auth_?token|private_?key|aws_secret_access_key)"
)
# key = "value" / key: 'value' / KEY=value (env files, URLs' query strings)
_ASSIGNMENT = re.compile(
    r"(?P<key>\b[\w.-]*" + _SECRET_KEY + r"[\w-]*)"
    r"(?P<sep>[\"']?\s*(?::=|=>|[:=])\s*)"
    r"(?:(?P<q>[\"'])(?P<qval>[^\"'\n]{4,}?)(?P=q)|(?P<val>[^\s\"',;&)}\]]{4,}))",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"none|null|nil|true|false|undefined|required|optional|string|str|env|secret|password|changeme"
    r"|example|placeholder|your[\w-]*|x+|\*+|\.+|<[^>]*>",
    re.IGNORECASE,
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_.]*")


def _looks_like_secret(value: str, quoted: bool) -> bool:
    """False for placeholders, templating and code (``get_password()``, ``self.secret``, ``api_key``)."""
    value = value.strip()
    if value.startswith("[REDACTED:") or _PLACEHOLDER.fullmatch(value):
        return False
    if any(ch in value for ch in "${}%()"):
        return False
    if quoted:
        return True
    # Unquoted: an identifier or attribute access is code; keep it unless it is long enough to be a key.
    return not (_IDENTIFIER.fullmatch(value) and len(value) < 16)


@dataclass
class Redaction:
    """The redacted text and what was removed, by kind."""

    text: str
    found: Counter[str] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return sum(self.found.values())


def redact(text: str) -> Redaction:
    """Replace secrets in ``text`` with ``[REDACTED:<kind>]`` markers."""
    found: Counter[str] = Counter()
    if not text:
        return Redaction(text, found)

    for kind, pattern in _TOKEN_PATTERNS:
        if not any(hint in text for hint in _HINTS[kind]):
            continue  # a cheap substring test skips the regular expression for most text

        def _token(match: re.Match[str], kind: str = kind) -> str:
            found[kind] += 1
            return MARKER.format(kind=kind)

        text = pattern.sub(_token, text)

    def _assignment(match: re.Match[str]) -> str:
        quoted = match.group("qval")
        value = quoted if quoted is not None else match.group("val")
        if not _looks_like_secret(value, quoted is not None):
            return match.group(0)
        kind = _assignment_kind(match.group("key"))
        found[kind] += 1
        marker = MARKER.format(kind=kind)
        if quoted is not None:
            q = match.group("q")
            return f"{match.group('key')}{match.group('sep')}{q}{marker}{q}"
        return f"{match.group('key')}{match.group('sep')}{marker}"

    if _ASSIGNMENT_HINT.search(text):
        text = _ASSIGNMENT.sub(_assignment, text)
    return Redaction(text, found)


def _assignment_kind(key: str) -> str:
    lowered = key.lower()
    if "pass" in lowered or "pwd" in lowered:
        return "password"
    if "key" in lowered:
        return "api-key"
    if "token" in lowered:
        return "token"
    return "secret"
