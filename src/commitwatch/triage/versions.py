"""Dependency, release and version shapes in a title: "Bump X from 1.2 to 1.3", "Roll X from a to b",
"Integrate LLVM at …", "Release 2.3.0", "Update LKG"; which names are not dependencies, which ones
matter to a serving stack, toolchains, and whether a bump crosses a major version."""

from __future__ import annotations

import re

from .wordlists import WORDS as _WORDS

# "Bump X from 1.2 to 1.3", "upgrade torch to 2.6", "update bytes crate version to latest",
# "update dependency @types/node to v20", "update rust crate serde to 1.0.200", "downgrading X version".
_VERSION = r"v?\d[\w.+-]*|latest|main|master|head|nightly"
_DEP_VERBS = (
    r"bump(?:s|ed|ing)?|updat(?:e[sd]?|ing)|upgrad(?:e[sd]?|ing)|downgrad(?:e[sd]?|ing)|pin(?:s|ned)?|roll(?:s|ed|ing)?|"
    r"rais(?:e[sd]?|ing)"
)
_DEP_KINDS = r"rust crate|crate|dependency|dependencies|package|module|gem|npm package|pip package|library|lib"
# A name of up to three words ("cuDNN frontend", "Flutter Engine", "minimum Go").
_NAME_MORE = r"(?:\s+(?!(?:to|from|for|in|of|and|with|the|on|at|a|an|by)\b)[A-Za-z][\w.+-]*?){0,2}?"
DEP_RE = re.compile(
    rf"\b(?:{_DEP_VERBS})\s+(?:the\s+)?(?:(?:{_DEP_KINDS})\s+)?(?P<name>[@\w][\w@./+-]*?{_NAME_MORE})"
    rf"(?:\s+(?:{_DEP_KINDS}|version|versions|requirements?|pin))*"
    rf"(?:\s+from\s+(?P<old>{_VERSION}))?\s+to\s+(?P<new>{_VERSION})(?![\w.])",
    re.IGNORECASE,
)
DEP_NOVERSION_RE = re.compile(
    rf"\b(?:{_DEP_VERBS})\s+(?:the\s+)?(?:pinned\s+)?(?P<name>[@\w][\w@./+-]*)\s+(?:{_DEP_KINDS}|version|group|commit|pin|"
    rf"submodule|hash)\b",
    re.IGNORECASE,
)
DEP_TO_RE = re.compile(
    rf"\b(?:{_DEP_VERBS})\s+to\s+(?P<name>[A-Za-z][\w.+-]*?{_NAME_MORE})\s+(?P<new>{_VERSION})(?![\w.])", re.IGNORECASE
)
# Shapes that say "dependency" by themselves, files or not: an autoroller's "Roll X from a to b", "Integrate
# LLVM at llvm/llvm-project@<sha>", "Update dependencies from dotnet/arcade", "feat(chromium): roll to r1155"
# (the scope is the name), "Bump WebKit", "Update tree-sitter-rust" (a bare project-like name).
DEP_ROLL_RE = re.compile(
    rf"^\W*roll(?:s|ed|ing)?\s+(?:the\s+)?(?P<name>[\w@./+-]+?{_NAME_MORE})(?:\s+from\s+(?P<old>\S+))?\s+to\s+(?P<new>\S+)",
    re.IGNORECASE,
)
DEP_SCOPED_RE = re.compile(r"^\W*(?:roll|bump|updat|upgrad)\w*\s+to\s+(?P<new>v?r?\d[\w.+-]*)\s*$", re.IGNORECASE)
DEP_INTEGRATE_RE = re.compile(
    r"^\W*integrat\w*\s+(?P<name>[\w.+-]+)\s+at\s+[\w./-]*@(?P<new>[0-9a-f]{7,40})\b", re.IGNORECASE
)
DEP_FROM_RE = re.compile(
    r"^\W*(?:updat|bump|upgrad)\w*\s+(?:the\s+)?dependenc(?:y|ies)\s+from\s+(?P<name>[\w./-]+)", re.IGNORECASE
)
DEP_BARE_RE = re.compile(
    r"^\W*(?:[Bb]ump|[Uu]pdat|[Uu]pgrad)\w*\s+(?:the\s+)?"
    r"(?P<name>[A-Za-z][a-z0-9]+(?:[A-Z][a-z0-9]*)+|[a-z][a-z0-9]*(?:-[a-z0-9]+)+)\s*$"
)
_NOT_BARE_RE = re.compile(r"test|doc|readme|changelog|snapshot|golden|fixture|example|lock|config|script", re.I)
# "bump version to 0.1.9", "version bump", "release v1.2.0", "bump to v0.5.0", "Sync versions",
# "Update version numbers for 0.6.0", "Prepare for the 2.1 release", "v1.2.3": a release, not a dependency.
RELEASE_RE = re.compile(
    rf"^(?:(?:bump|updat|set|increment|sync)\w*\s+(?:the\s+|all\s+)?(?:(?:crate|package|workspace|project|release)s?\s+)?"
    rf"(?:(?:dev|development|next|patch|minor|major|nightly|snapshot)\s+)?"
    rf"versions?(?!\s+of\b)(?:\s+numbers?|\s+strings?)?"
    rf"(?:\s+(?:to|for|of|with|across)\s+(?P<v1>{_VERSION}))?"
    rf"|(?:prepare\s+(?:for\s+)?(?:the\s+)?)?release\s+(?:of\s+)?(?P<v2>{_VERSION})"
    rf"|prepare\s+(?:for\s+)?(?:the\s+)?(?P<v5>{_VERSION})\s+release"
    rf"|version\s+(?:bump(?:\s+to\s+)?)?(?P<v3>{_VERSION})?"
    rf"|bump(?:s|ed|ing)?\s+to\s+(?:version\s+)?(?P<v4>{_VERSION})"
    rf"|cut(?:ting)?\s+(?:the\s+)?(?:release\s+)?(?P<v7>v?\d[\w.+-]*)"
    rf"|(?P<v6>v?\d+\.\d+(?:\.\d+)?(?:[-.]?(?:rc|alpha|beta|post|dev|canary|a|b)\.?\d*)?)\s*$"
    rf"|(?:[A-Za-z][\w-]*\s+)?(?P<v8>v?\d+\.\d+(?:\.\d+)*(?:[-.]?(?:rc|alpha|beta|post|dev|canary|a|b)\.?\d*)?)\s*$"
    rf"|[a-z]+(?P<v9>\d+\.\d+(?:\.\d+)?)\s*$"
    rf"|release\s+version\s+(?P<v10>{_VERSION})"
    rf"|prepare\s+(?:for\s+)?(?:the\s+)?(?:release\s*:?\s+)?(?P<v11>v?\d[\w.+-]*)"
    rf"|version\s+packages\b(?P<v12>)"
    rf"|stamp(?:ed|ing)?\s+(?:version\s+|release\s+)?(?P<v13>v?\d[\w.+-]*)"
    rf"|bump(?:ed|ing)?\s+(?:the\s+)?(?:version\s+)?for\s+(?:the\s+)?(?:next\s+)?release\b(?P<v14>)"
    rf"|[-–—*]\s*(?P<v15>v?\d+\.\d+(?:\.\d+)*(?:[-.]?(?:rc|alpha|beta|post|dev|canary|a|b)\.?\d*)?)\s*$"
    rf"|prepare\s+(?:the\s+)?release\s+notes\s+(?:for\s+)?(?P<v16>{_VERSION})"
    rf"|apply\s+version\s+updates\b(?P<v17>)"
    rf"|(?:post|pre)[- ]?release\s+(?:version\s+)?bump\b(?P<v18>)"
    rf"|publish(?:es|ed|ing)?\s+(?:version\s+|release\s+)?`?(?P<v19>v?\d[\w.+-]*)`?"
    rf"|(?:updat|bump|prepar)\w*\s+(?:[\w.-]+\s+){{1,4}}?for\s+(?:the\s+)?(?P<v20>v?\d[\w.+-]*)\s+release\b"
    rf"|releas(?:e|es|ing)\s*$(?P<v21>)"
    rf")(?![\w.])",
    re.IGNORECASE,
)
# "Update LKG", "Bump last known good": the checked-in build of the project itself (TypeScript's lib/),
# rebuilt from commits reported where they were made.
LKG_RE = re.compile(r"^(?:updat\w*|bump\w*|refresh\w*|publish\w*)\s+(?:the\s+)?(?:lkg|last[ -]known[ -]good)\b", re.I)
# Names the dependency patterns must not take for a package.
NOT_DEPENDENCIES = frozenset(_WORDS["names"]["not_dependencies"])
# Dependencies whose update changes the behaviour of an ML serving stack (or any stack).
CORE_DEPENDENCIES = frozenset(_WORDS["names"]["core_dependencies"])

TOOLCHAINS = frozenset(_WORDS["names"]["toolchains"])


def dependency_named(text: str) -> tuple[str, str, str] | None:
    """(name, old, new) of a dependency update named in a title; versions may be empty."""
    for pattern in (DEP_RE, DEP_TO_RE, DEP_NOVERSION_RE):
        match = pattern.search(text)
        if match and match.group("name").lower() not in NOT_DEPENDENCIES:
            groups = match.groupdict()
            return match.group("name"), groups.get("old") or "", groups.get("new") or ""
    return None


def evident_dependency(text: str, scope: str) -> tuple[str, str, str] | None:
    """(name, old, new) of a title whose shape alone says it updates a dependency."""
    if match := DEP_ROLL_RE.match(text):
        return match.group("name"), match.group("old") or "", match.group("new")
    if scope and (match := DEP_SCOPED_RE.match(text)):
        return scope, "", match.group("new")
    if match := DEP_INTEGRATE_RE.match(text) or DEP_FROM_RE.match(text):
        return match.group("name"), "", match.groupdict().get("new") or ""
    if (match := DEP_BARE_RE.match(text)) and not _NOT_BARE_RE.search(match.group("name")):
        return match.group("name"), "", ""
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
