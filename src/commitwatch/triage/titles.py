"""What a commit's title (and body, labels and author) say: Conventional Commits prefixes, bracket tags,
title words, security words and advisory ids, dependency bumps, releases, breaking markers.

The word and tag tables live in ``tables/tags.toml`` and ``tables/words.toml`` (data, like the locale
catalogs); this module compiles them once, at import.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

from commitwatch.models import ChangeType

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

T = ChangeType


@cache
def load_table(name: str) -> dict[str, Any]:
    """One of the TOML tables shipped next to this module (``tags`` or ``words``)."""
    text = resources.files("commitwatch.triage").joinpath("tables").joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


def _by_type(table: dict[str, list[str]]) -> dict[str, ChangeType]:
    """``{"fix": ["bug", "bugfix"]}`` -> ``{"bug": T.FIX, "bugfix": T.FIX}``."""
    return {name: ChangeType(kind) for kind, names in table.items() for name in names}


def _alternatives(words: Iterable[str]) -> str:
    return "|".join(words)


_TAGS = load_table("tags")
_WORDS = load_table("words")

# Conventional Commits type tokens (any case) -> change type.
CONVENTIONAL_TYPES: dict[str, ChangeType] = _by_type(_TAGS["conventional"])
# Scopes that say more than the type ("chore(deps):", "fix(ci):").
SCOPE_TYPES: dict[str, ChangeType] = _by_type(_TAGS["scopes"])


@dataclass(frozen=True, slots=True)
class TagRule:
    """What a bracket tag (or a scope) means: a change type, an importance weight, or both."""

    type: ChangeType | None = None
    weight: int = 0
    breaking: bool = False


# Bracket tags, normalised (lower case, "-"/"_" as spaces), as vLLM, SGLang and others write them.
TAG_RULES: dict[str, TagRule] = {
    name: TagRule(
        ChangeType(rule["type"]) if "type" in rule else None, rule.get("weight", 0), rule.get("breaking", False)
    )
    for rule in _TAGS["tags"]
    for name in rule["names"]
}
# Types for tags that carry none of their own: "[Misc] ..." with no other type is a chore.
TAG_DEFAULT_TYPES: dict[str, ChangeType] = {tag: ChangeType(kind) for tag, kind in _TAGS["tag_default_types"].items()}
# When several tags carry types, the more specific wins ("[Misc][Bugfix]" is a fix).
TYPE_PRIORITY: tuple[ChangeType, ...] = tuple(ChangeType(kind) for kind in _TAGS["type_priority"])

# Verbs and nouns in the title -> type, for titles without an explicit type. The leftmost word in the
# title wins ("Add fix" is a feature), except that style nouns beat verbs ("fix lint" is style).
WORD_TYPES: tuple[tuple[ChangeType, str], ...] = tuple(
    (ChangeType(row["type"]), _alternatives(row["words"])) for row in _WORDS["title_words"]
)

WORD_RE = re.compile("|".join(rf"(?P<{kind.name}>\b(?:{pattern})\b)" for kind, pattern in WORD_TYPES), re.IGNORECASE)

# "fix lint", "fix formatting": the noun says more than the verb.
STYLE_WORD_RE = re.compile(rf"(?P<STYLE>\b(?:{dict(WORD_TYPES)[T.STYLE]})\b)", re.IGNORECASE)

TAGS_RE = re.compile(r"\s*\[([^\[\]]{1,40})\]\s*")
CONVENTIONAL_RE = re.compile(r"(?P<type>[A-Za-z]+)\s*(?:\((?P<scope>[^()]{0,60})\))?\s*(?P<bang>!)?\s*:\s*")
BODY_REVERT_RE = re.compile(r"^This reverts commit [0-9a-f]{7,40}", re.MULTILINE)
PR_SUFFIX_RE = re.compile(r"\s*\(#\d+\)\s*$")

SECURITY_PATTERNS: tuple[str, ...] = tuple(_WORDS["patterns"]["security"])
SECURITY_RE = re.compile(r"\b(?:" + "|".join(SECURITY_PATTERNS) + r")\b", re.IGNORECASE)
# In a body only precise identifiers count: PR templates mention "security" in passing.
SECURITY_ID_RE = re.compile(r"\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|RUSTSEC-\d{4}-\d{4})\b", re.I)

SEVERE_RE = re.compile(rf"\b(?:{_alternatives(_WORDS['patterns']['severe'])})\b", re.IGNORECASE)
TRIVIAL_RE = re.compile(rf"\b(?:{_alternatives(_WORDS['patterns']['trivial'])})\b", re.IGNORECASE)

BREAKING_TITLE_RE = re.compile(r"(?<!non-)(?<!no )(?<!not a )(?<!without )\bbreaking[ -]changes?\b", re.I)
BREAKING_FOOTER_RE = re.compile(r"^\s*BREAKING[ -]CHANGES?\s*:\s*(?!none\b|n/?a\b|no\b)\S", re.I | re.M)
BREAKING_CHECKBOX_RE = re.compile(r"^\s*[-*]\s*\[[xX]\]\s*breaking", re.I | re.M)

# "Bump X from 1.2 to 1.3", "upgrade torch to 2.6", "update bytes crate version to latest",
# "update dependency @types/node to v20", "update rust crate serde to 1.0.200", "downgrading X version".
_VERSION = r"v?\d[\w.+-]*|latest|main|master|head|nightly"
_DEP_VERBS = r"bump(?:s|ed|ing)?|updat(?:e[sd]?|ing)|upgrad(?:e[sd]?|ing)|downgrad(?:e[sd]?|ing)|pin(?:s|ned)?"
_DEP_KINDS = r"rust crate|crate|dependency|dependencies|package|module|gem|npm package|pip package|library|lib"
DEP_RE = re.compile(
    rf"\b(?:{_DEP_VERBS})\s+(?:the\s+)?(?:(?:{_DEP_KINDS})\s+)?(?P<name>[@\w][\w@./+-]*?)"
    rf"(?:\s+(?:{_DEP_KINDS}|version|versions|requirements?|pin))*"
    rf"(?:\s+from\s+(?P<old>{_VERSION}))?\s+to\s+(?P<new>{_VERSION})(?![\w.])",
    re.IGNORECASE,
)
DEP_NOVERSION_RE = re.compile(
    rf"\b(?:{_DEP_VERBS})\s+(?:the\s+)?(?P<name>[@\w][\w@./+-]*)\s+(?:{_DEP_KINDS}|version|group)\b",
    re.IGNORECASE,
)
DEP_TO_RE = re.compile(
    rf"\b(?:{_DEP_VERBS})\s+to\s+(?P<name>[A-Za-z][\w.+-]*?)\s+(?P<new>{_VERSION})(?![\w.])", re.IGNORECASE
)
# "bump version to 0.1.9", "version bump", "release v1.2.0", "bump to v0.5.0": a release, not a dependency.
RELEASE_RE = re.compile(
    rf"^(?:bump(?:ing)?\s+(?:the\s+)?version(?:\s+(?:to|for)\s+(?P<v1>{_VERSION}))?"
    rf"|(?:prepare\s+)?release\s+(?:of\s+)?(?P<v2>{_VERSION})"
    rf"|version\s+bump(?:\s+to\s+(?P<v3>{_VERSION}))?"
    rf"|bump(?:ing)?\s+to\s+(?P<v4>{_VERSION}))(?![\w.])",
    re.IGNORECASE,
)
# Names the dependency patterns must not take for a package.
# Names the dependency patterns must not take for a package.
NOT_DEPENDENCIES = frozenset(_WORDS["names"]["not_dependencies"])
# Dependencies whose update changes the behaviour of an ML serving stack (or any stack).
CORE_DEPENDENCIES = frozenset(_WORDS["names"]["core_dependencies"])

BOT_AUTHORS: tuple[str, ...] = tuple(_WORDS["names"]["bot_authors"])
DEPENDENCY_BOTS: tuple[str, ...] = tuple(_WORDS["names"]["dependency_bots"])

# PR labels (lower case; "type: bug" and "kind/bug" are read as "bug").
LABEL_TYPES: dict[str, ChangeType] = _by_type(_TAGS["labels"]["types"])
BREAKING_LABELS = frozenset(_TAGS["labels"]["breaking"])
RAISING_LABELS = frozenset(_TAGS["labels"]["raising"])
LOWERING_LABELS = frozenset(_TAGS["labels"]["lowering"])


# --- title parsing -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Title:
    """What the subject line says, with its prefixes taken apart."""

    text: str  # the rest of the subject after tags and the Conventional Commits prefix
    tags: list[str] = field(default_factory=list)  # as written, without brackets
    prefix: str = ""  # "feat(mocker)!" as written
    conventional: ChangeType | None = None
    scope: str = ""
    bang: bool = False
    reverted: str | None = None  # the subject a revert names
    relanded: str | None = None  # the subject a reland names


REVERT_PREFIX_RE = re.compile(r"""^revert(?:s|ed)?(?=[\s:("'“!]|$)[\s:!]*(?:\([^()]*\)[\s:!]*)?""", re.I)
RELAND_PREFIX_RE = re.compile(r"""^(?:reland|reapply|re-land|re-apply)(?=[\s:"'“])[\s:]*""", re.I)
_QUOTES = "\"'“”‘’"


def normalise_tag(tag: str) -> str:
    return " ".join(tag.lower().replace("_", " ").replace("-", " ").split())


def _take_tags(text: str, tags: list[str]) -> str:
    while match := TAGS_RE.match(text):
        tags.append(match.group(1).strip())
        text = text[match.end() :]
    return text


def parse_title(subject: str, depth: int = 0) -> Title:
    text = PR_SUFFIX_RE.sub("", subject.strip())
    if depth < 3:
        for pattern, attribute in ((REVERT_PREFIX_RE, "reverted"), (RELAND_PREFIX_RE, "relanded")):
            if match := pattern.match(text):
                named = PR_SUFFIX_RE.sub("", text[match.end() :].strip(_QUOTES + " "))
                inner = parse_title(named, depth + 1)
                setattr(inner, attribute, named or text)
                return inner
    parsed = Title(text="")
    text = _take_tags(text, parsed.tags)
    match = CONVENTIONAL_RE.match(text)
    if match and match.group("type").lower() in CONVENTIONAL_TYPES:
        parsed.conventional = CONVENTIONAL_TYPES[match.group("type").lower()]
        parsed.scope = (match.group("scope") or "").strip()
        parsed.bang = bool(match.group("bang"))
        parsed.prefix = text[: match.end()].rstrip().rstrip(":").rstrip()
        text = _take_tags(text[match.end() :], parsed.tags)  # "fix: [Bugfix] ..." happens too
    parsed.text = text
    return parsed


def label_key(label: str) -> tuple[str, str]:
    full = " ".join(label.strip().lower().split())
    return full, re.split(r"[:/]\s*", full)[-1].strip()


def bot_kind(name: str, email: str) -> tuple[bool, bool]:
    """(is a bot, is a dependency bot)."""
    who = f"{name} {email}".lower()
    dependency_bot = any(bot in who for bot in DEPENDENCY_BOTS)
    return dependency_bot or "[bot]" in who or any(bot in who for bot in BOT_AUTHORS), dependency_bot


def tag_type(tags: Iterable[str]) -> tuple[ChangeType | None, str]:
    """The type the tags name (the most specific one) and the tag that named it."""
    found: dict[ChangeType, str] = {}
    for tag in tags:
        rule = TAG_RULES.get(normalise_tag(tag))
        if rule is not None and rule.type is not None:
            found.setdefault(rule.type, tag)
    for kind in TYPE_PRIORITY:
        if kind in found:
            return kind, found[kind]
    return None, ""


def dependency_named(text: str) -> tuple[str, str, str] | None:
    """(name, old, new) of a dependency update named in a title; versions may be empty."""
    for pattern in (DEP_RE, DEP_TO_RE, DEP_NOVERSION_RE):
        match = pattern.search(text)
        if match and match.group("name").lower() not in NOT_DEPENDENCIES:
            groups = match.groupdict()
            return match.group("name"), groups.get("old") or "", groups.get("new") or ""
    return None


def _version_key(version: str) -> tuple[int, int] | None:
    match = re.match(r"v?(\d+)(?:\.(\d+))?", version)
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


def is_major_bump(old: str, new: str) -> bool:
    before, after = _version_key(old), _version_key(new)
    if before is None or after is None:
        return False
    if before[0] == after[0] == 0:  # 0.x: a minor bump may break
        return after[1] > before[1]
    return after[0] > before[0]
