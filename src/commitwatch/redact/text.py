"""Secret redaction of text: the pattern table, ``redact`` and the secrets registered at run time
(``remember_secret``), and ``safe_url`` for configuration URLs. ``commitwatch.redact`` explains the
choices; ``redact.objects`` applies this to commits, pull requests and reports."""

from __future__ import annotations

import base64
import binascii
import math
import re
import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    pass

MARKER = "[REDACTED:{kind}]"
_MARKER_PREFIX = "[REDACTED:"

# (kind, pattern, substrings one of which every match contains). Order matters: private key blocks
# first (they contain base64 that other rules could partly match), then token formats.
_Rule = tuple[str, "re.Pattern[str]", tuple[str, ...]]
_TOKEN_RULES: tuple[_Rule, ...] = (
    (
        "private-key",
        re.compile(
            r"-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----"
            r"(?:.*?-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----|.*\Z)",
            re.DOTALL,
        ),
        ("PRIVATE KEY",),
    ),
    ("github-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,}"), ("github_pat_",)),
    ("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"), ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    (
        "gitlab-token",
        re.compile(r"\b(?:glpat|gldt|glrt|glptt|glsoat|glcbt|gloas|glft|glimt|glagent)-[A-Za-z0-9_-]{20,}"),
        ("gl",),
    ),
    ("gitlab-token", re.compile(r"\bGR1348941[A-Za-z0-9_-]{20,}"), ("GR1348941",)),
    (
        "aws-access-key",
        re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"),
        ("AKIA", "ASIA", "ABIA", "ACCA", "AGPA", "AIDA", "AROA", "ANPA", "ANVA", "AIPA"),
    ),
    ("gcp-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"), ("AIza",)),
    ("stripe-key", re.compile(r"\b(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{10,}"), ("k_live_", "k_test_", "k_prod_")),
    ("sendgrid-key", re.compile(r"\bSG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}"), ("SG.",)),
    ("openai-key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-|ant-|or-)?[A-Za-z0-9_-]{20,}"), ("sk-",)),
    ("nvidia-key", re.compile(r"\bnvapi-[A-Za-z0-9_-]{30,}"), ("nvapi-",)),
    ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"), ("hf_",)),
    ("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), ("npm_",)),
    ("pypi-token", re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{50,}"), ("pypi-",)),
    (
        "slack-webhook",
        re.compile(r"https://hooks\.slack(?:-gov)?\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"),
        ("hooks.slack",),
    ),
    ("slack-token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}"), ("xox",)),
    ("jwt", re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.(?:[A-Za-z0-9_-]{10,}={0,2})?"), ("eyJ",)),
    ("telegram-token", re.compile(r"\b[0-9]{8,10}:AA[A-Za-z0-9_-]{33}\b"), (":AA",)),
    ("bearer-token", re.compile(r"(?<=[Bb]earer )(?!\[REDACTED:)[A-Za-z0-9._~+/=-]{20,}"), ("earer ",)),
)

# Credentials in a URL: scheme://user:password@host (the user stays, the password goes).
_URL_CREDENTIALS = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s/@:'\"<>]*:)(?P<pw>[^\s/@'\"<>]+)(?=@)"
)
# An Authorization header's value, whatever its scheme.
_AUTHORIZATION = re.compile(
    r"(?P<head>\b(?:authorization|proxy-authorization)[\"']?\s*[:=]\s*[\"']?(?:basic|token|digest|bearer)?\s*)"
    r"(?P<value>(?!\[REDACTED:|(?:basic|token|digest|bearer)\b)[A-Za-z0-9._~+/=-]{6,})",
    re.IGNORECASE,
)
_BASIC = re.compile(r"(?<=\b[Bb]asic )(?P<value>(?!\[REDACTED:)[A-Za-z0-9+/]{12,}={0,2})(?=$|[\s\"'`,;)\]}\\])")
# A bare AWS secret access key: 40 characters of base64 (never plain hex: git SHAs are 40 hex digits).
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=_-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])")
# Lines of key material (base64, 40+ characters) as they sit in a file or a diff: a PEM body whose
# BEGIN line is not in the text (a hunk that starts inside the key, a key split over two commits).
_KEY_LINE = re.compile(r"^(?P<lead>[+\- ]?[ \t]*[\"']?)(?P<b64>[A-Za-z0-9+/]{40,}={0,2})(?P<tail>[\"',;\\n]*)$",
                       re.MULTILINE)
_KEY_TAIL = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40,}={0,2}\s*$")
_KEY_HEAD = re.compile(r"^(?P<lead>[+\- ]?\s*)[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/=])")
_MIN_KEY_LINES = 2
_HEX = re.compile(r"[0-9a-f]+|[0-9A-F]+")

_SECRET_KEY = (
    r"(?:password|passwd|passphrase|pwd|secret|client_secret|secret_key|api_?key|apikey|access_?token"
    r"|auth_?token|private_?key|aws_secret_access_key|accountkey|credentials?)"
)
_ASSIGNMENT_HINT = re.compile(r"pass|pwd|secret|key|token|credential", re.IGNORECASE)
# key = "value" / key: 'value' / KEY=value (env files, URLs' query strings) / key value (CLI arguments)
_ASSIGNMENT = re.compile(
    r"(?P<key>\b[\w.-]*" + _SECRET_KEY + r"[\w-]*)"
    r"(?:(?P<sep>[\"']?\s*(?::=|=>|[:=])\s*)|(?P<space>[ \t]+))"
    r"(?:(?P<q>[\"'])(?P<qval>[^\"'\n]{4,}?)(?P=q)|(?P<val>[^\s\"',;&]{4,}))",
    re.IGNORECASE,
)
_PLACEHOLDER = re.compile(
    r"none|null|nil|true|false|undefined|required|optional|string|str|bytes|int|env|secret|password|changeme"
    r"|example|placeholder|redacted|dummy|test|your[\w-]*|x+|\*+|\.+|<[^>]*>|\[[^\]]*\]",
    re.IGNORECASE,
)
# References to a value kept elsewhere: ${VAR}, $VAR, ${{ secrets.X }}, {{ var }}, %(name)s, {name}.
_TEMPLATE = re.compile(
    r"\$\{\{[^}]*\}\}|\$\{[A-Za-z_][\w.:-]*\}|\$[A-Za-z_]\w*|\{\{[^}]*\}\}|%\([\w.]+\)[sdr]|\{[A-Za-z_][\w.]*\}"
    r"|%[A-Za-z_]\w*%"
)
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_.]*")
_ATTRIBUTE_CHAIN = re.compile(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+")
_CALL_OR_INDEX = re.compile(r"[A-Za-z_][\w.]*[(\[].*")

# Values registered at run time (the configured API key): replaced wherever they appear.
_KNOWN: set[str] = set()
_KNOWN_LOCK = threading.Lock()


def remember_secret(value: str | None) -> None:
    """Register a configuration secret (an API key) so that ``redact`` replaces it wherever it appears."""
    if value and len(value.strip()) >= 8:
        with _KNOWN_LOCK:
            _KNOWN.add(value.strip())


def known_secrets() -> int:
    """How many configuration secrets are registered: a cache of redacted text keys on it."""
    return len(_KNOWN)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    counts = Counter(value)
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in counts.values())


def _random_enough(value: str, *, min_length: int = 6) -> bool:
    """A value that reads like a credential, not a word: mixed character classes and some entropy."""
    if len(value) < min_length:
        return False
    classes = sum((any(c.islower() for c in value), any(c.isupper() for c in value[1:]),
                   any(c.isdigit() for c in value), any(not c.isalnum() and c != "_" for c in value)))
    return classes >= 2 and entropy(value) >= 2.5


def _strip_unbalanced(value: str) -> str:
    """``abc)`` -> ``abc``: a closing bracket of the surrounding code, not of the value."""
    while value and value[-1] in ")]}":
        opener = {")": "(", "]": "[", "}": "{"}[value[-1]]
        if value.count(opener) >= value.count(value[-1]):
            break
        value = value[:-1]
    return value


def _looks_like_secret(value: str, *, quoted: bool, spaced: bool) -> bool:
    """False for placeholders, template references and code (``get_password()``, ``self.secret``)."""
    value = value.strip()
    if not value or value.startswith(_MARKER_PREFIX) or _PLACEHOLDER.fullmatch(value):
        return False
    if value.startswith(("$(", "`")) or _TEMPLATE.fullmatch(value) or _TEMPLATE.sub("", value).strip(" -_/:.") == "":
        return False  # only references to values kept elsewhere
    if spaced:  # "password is required", "--token TOKEN": a value must look random to count
        return _random_enough(value) and not _CALL_OR_INDEX.fullmatch(value)
    if quoted:
        return True
    if _CALL_OR_INDEX.fullmatch(value) or _ATTRIBUTE_CHAIN.fullmatch(value):
        return False
    # Unquoted: an identifier is code; keep it unless it is long enough to be a key.
    return not (_IDENTIFIER.fullmatch(value) and len(value) < 16)


@dataclass
class Redaction:
    """The redacted text and what was removed, by kind."""

    text: str
    found: Counter[str] = field(default_factory=Counter)

    @property
    def count(self) -> int:
        return sum(self.found.values())


def _marker(kind: str) -> str:
    return MARKER.format(kind=kind)


def _key_blocks(text: str, found: Counter[str]) -> str:
    """Key material without its BEGIN line: ``_MIN_KEY_LINES`` or more consecutive lines that are base64
    (40+ characters; a diff prefix, indentation and quotes allowed), plus the line before and after when
    it ends or starts with such a run (a hunk or a message that cuts into the key)."""
    lines = text.split("\n")
    out = list(lines)
    run: list[int] = []

    def flush(end: int) -> None:
        if len(run) >= _MIN_KEY_LINES and entropy("".join(lines[i] for i in run)) >= 4.5:
            found["private-key"] += 1
            for i in run:
                m = _KEY_LINE.match(lines[i])
                assert m is not None
                out[i] = m.group("lead") + _marker("private-key") + m.group("tail")
            first, last = run[0] - 1, end
            if first >= 0:
                out[first] = _KEY_TAIL.sub(lambda m: _marker("private-key"), out[first])
            if last < len(lines):
                out[last] = _KEY_HEAD.sub(lambda m: m.group("lead") + _marker("private-key"), out[last])
        run.clear()

    for i, line in enumerate(lines):
        m = _KEY_LINE.match(line) if len(line) >= 40 else None
        if m is not None and not m.group("b64").isdigit():
            run.append(i)
        else:
            flush(i)
    flush(len(lines))
    return "\n".join(out)



def _basic_credentials(value: str) -> bool:
    """Whether ``value`` is what HTTP Basic sends (RFC 7617): base64 of printable ``user:password``."""
    try:
        decoded = base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
    except (binascii.Error, ValueError):
        return False
    return b":" in decoded and decoded.isascii() and all(32 <= byte < 127 for byte in decoded)


def redact(text: str) -> Redaction:
    """Replace secrets in ``text`` with ``[REDACTED:<kind>]`` markers."""
    found: Counter[str] = Counter()
    if not text:
        return Redaction(text, found)

    def sub(kind: str, pattern: re.Pattern[str], value: str = "") -> None:
        nonlocal text

        def one(match: re.Match[str]) -> str:
            if value:  # replace one named group, keep the rest of the match
                found[kind] += 1
                start, end = match.span(value)
                whole = match.group(0)
                offset = match.start()
                return whole[: start - offset] + _marker(kind) + whole[end - offset :]
            found[kind] += 1
            return _marker(kind)

        text = pattern.sub(one, text)

    with _KNOWN_LOCK:
        known = sorted(_KNOWN, key=len, reverse=True)
    for secret in known:
        if secret in text:
            found["configured-secret"] += text.count(secret)
            text = text.replace(secret, _marker("configured-secret"))

    for kind, pattern, hints in _TOKEN_RULES:
        if any(hint in text for hint in hints):  # a cheap substring test skips most regular expressions
            sub(kind, pattern)
    if "://" in text:

        def url_password(match: re.Match[str]) -> str:
            password = match.group("pw")
            if password.startswith(_MARKER_PREFIX) or _TEMPLATE.fullmatch(password):
                return match.group(0)
            found["url-password"] += 1
            return match.group("head") + _marker("url-password")

        text = _URL_CREDENTIALS.sub(url_password, text)
    if "uthorization" in text or "UTHORIZATION" in text:

        def authorization(match: re.Match[str]) -> str:
            value, head = match.group("value"), match.group("head")
            with_scheme = head.rstrip().lower().endswith(("basic", "token", "digest", "bearer"))
            if not (with_scheme or _random_enough(value)):
                return match.group(0)  # "authorization = hashing": a word
            found["authorization"] += 1
            return head + _marker("authorization")

        text = _AUTHORIZATION.sub(authorization, text)
    if "asic " in text:

        def basic(match: re.Match[str]) -> str:
            value = match.group("value")
            if _HEX.fullmatch(value) or not _basic_credentials(value):
                return match.group(0)  # "Basic authentication", "Basic g00000123456": not user:password
            found["basic-auth"] += 1
            return match.group(0)[: match.start("value") - match.start()] + _marker("basic-auth")

        text = _BASIC.sub(basic, text)
    if "\n" in text and len(text) > 120:
        text = _key_blocks(text, found)

    def assignment(match: re.Match[str]) -> str:
        quoted = match.group("qval")
        value = quoted if quoted is not None else _strip_unbalanced(match.group("val")).rstrip(":.")
        spaced = match.group("space") is not None
        if not _looks_like_secret(value, quoted=quoted is not None, spaced=spaced):
            return match.group(0)
        kind = _assignment_kind(match.group("key"))
        found[kind] += 1
        separator = match.group("sep") if not spaced else match.group("space")
        if quoted is not None:
            q = match.group("q")
            return f"{match.group('key')}{separator}{q}{_marker(kind)}{q}"
        rest = match.group("val")[len(value) :]
        return f"{match.group('key')}{separator}{_marker(kind)}{rest}"

    if _ASSIGNMENT_HINT.search(text):
        text = _ASSIGNMENT.sub(assignment, text)

    def aws_secret(match: re.Match[str]) -> str:
        value = match.group(0)
        if (
            any(c.isupper() for c in value)
            and any(c.islower() for c in value)
            and any(c.isdigit() for c in value)
            and entropy(value) >= 4.2
        ):
            found["aws-secret-key"] += 1
            return _marker("aws-secret-key")
        return value

    text = _AWS_SECRET.sub(aws_secret, text)
    return Redaction(text, found)


def redact_text(text: str) -> str:
    """``redact(text).text``."""
    return redact(text).text


def _assignment_kind(key: str) -> str:
    lowered = key.lower()
    if "pass" in lowered or "pwd" in lowered:
        return "password"
    if "key" in lowered:
        return "api-key"
    if "token" in lowered:
        return "token"
    return "secret"


# --- configuration secrets -----------------------------------------------------------------------------


def safe_url(url: str | None) -> str:
    """``url`` without the user and password (``http://u:p@host/v1`` -> ``http://host/v1``) and without
    secret-looking query values; what warnings, logs and the store may show of a configured endpoint."""
    if not url:
        return ""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.rpartition("@")[2] if "@" in parts.netloc else parts.netloc
        cleaned = urlunsplit((parts.scheme, netloc, parts.path, redact(parts.query).text, parts.fragment))
    except ValueError:
        cleaned = _URL_CREDENTIALS.sub(lambda m: m.group("head") + _marker("url-password"), url)
    return redact(cleaned).text
