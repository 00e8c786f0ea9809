"""Dependency versions read from manifests and lockfiles: each name's old -> new version.

Manifests: ``pyproject.toml``, ``requirements*.txt``/``constraints*.txt``, ``setup.cfg``, ``Cargo.toml``,
``go.mod``, ``package.json``. Lockfiles: ``Cargo.lock`` and ``uv.lock`` (``name = …`` then
``version = …`` blocks), ``poetry.lock``/``pdm.lock`` (the same shape), ``go.sum`` (only when no
``go.mod`` changed). A name whose version appears on a removed line and another on an added line of the
same file is an update; only on added lines, an addition; only on removed lines, a removal. ``major``
marks a bump that may break: a new major version, or a new minor of a 0.x version.
"""

from __future__ import annotations

import re

from commitwatch.models import Commit, DependencyChange
from commitwatch.signals.patches import hunks, patched_files
from commitwatch.triage.titles import is_major_bump

MAX_CHANGES = 60

_VERSION = r"v?\d[\w.+-]*"
_PEP508_RE = re.compile(
    r"""^\s*["']?(?P<name>[A-Za-z0-9][\w.-]*)(?:\[[^\]]*\])?\s*(?:==|>=|~=|<=|>|<|!=|===)\s*(?P<version>[\w.*+-]+)"""
)
_TOML_DEP_RE = re.compile(
    r"""^\s*(?P<name>[A-Za-z0-9][\w.-]*)\s*=\s*(?:["'](?P<plain>[\^~=<>]*\s*\d[^"']*)["']"""
    r"""|\{[^}]*\bversion\s*=\s*["'](?P<table>[\^~=<>]*\s*\d[^"']*)["'])"""
)
_LOCK_NAME_RE = re.compile(r'^\s*name\s*=\s*"(?P<name>[^"]+)"')
_LOCK_VERSION_RE = re.compile(r'^\s*version\s*=\s*"(?P<version>[^"]+)"')
_GO_MOD_RE = re.compile(rf"^\s*(?:require\s+)?(?P<name>[\w.-]+\.[\w./-]+)\s+(?P<version>{_VERSION})(?:\s+//.*)?$")
_GO_SUM_RE = re.compile(rf"^(?P<name>[\w.-]+\.[\w./-]+)\s+(?P<version>{_VERSION}?)(?:/go\.mod)?\s+h1:")
_PACKAGE_JSON_RE = re.compile(r'^\s*"(?P<name>@?[\w./-]+)"\s*:\s*"(?P<version>[\^~>=<]*\s*\d[^"]*)"')

_NOT_NAMES = frozenset({"version", "name", "edition", "rust-version", "requires-python", "python", "node",
                        "engines", "license", "description", "resolution-markers", "revision"})  # fmt: skip
_LOCKS = ("cargo.lock", "uv.lock", "poetry.lock", "pdm.lock")


def _kind(path: str) -> str | None:
    name = path.rsplit("/", 1)[-1].lower()
    if name in _LOCKS:
        return "lock"
    if name in ("pyproject.toml", "setup.cfg", "pipfile"):
        return "pep508"
    if name.endswith((".txt", ".in")) and (
        name.startswith(("requirements", "constraints")) or "/requirements/" in f"/{path}"
    ):
        return "pep508"
    if name == "cargo.toml":
        return "cargo"
    if name == "go.mod":
        return "gomod"
    if name == "go.sum":
        return "gosum"
    if name == "package.json":
        return "npm"
    return None


def _versions(patch: str, kind: str) -> tuple[dict[str, str], dict[str, str]]:
    """(name -> version on removed lines, name -> version on added lines) in one file."""
    old: dict[str, str] = {}
    new: dict[str, str] = {}
    for hunk in hunks(patch):
        name: str | None = None  # lockfiles: the package whose block we are in
        for line in hunk.lines:
            sign, text = line[:1], line[1:]
            if kind == "lock":
                if match := _LOCK_NAME_RE.match(text):
                    name = match.group("name")
                    continue
                if name and sign in "-+" and (match := _LOCK_VERSION_RE.match(text)):
                    (old if sign == "-" else new).setdefault(name, match.group("version"))
                continue
            if sign not in "-+":
                continue
            found: tuple[str, str] | None = None
            if kind == "pep508" and (m := _PEP508_RE.match(text)):
                found = (m.group("name"), m.group("version"))
            elif kind == "cargo" and (m := _TOML_DEP_RE.match(text)):
                found = (m.group("name"), (m.group("plain") or m.group("table") or "").strip())
            elif (kind == "gomod" and (m := _GO_MOD_RE.match(text))) or (
                kind == "gosum" and (m := _GO_SUM_RE.match(text))
            ):
                found = (m.group("name"), m.group("version"))
            elif kind == "npm" and (m := _PACKAGE_JSON_RE.match(text)):
                found = (m.group("name"), m.group("version").strip())
            if found is not None and found[0].lower() not in _NOT_NAMES:
                (old if sign == "-" else new).setdefault(found[0], found[1])
    return old, new


def _bare(version: str) -> str:
    return re.sub(r"^[\^~=<>!\s]+", "", version)


def dependency_changes(commit: Commit) -> tuple[DependencyChange, ...]:
    """Every dependency whose version the commit's manifests and lockfiles change, once per name and
    versions (the first file that shows it), manifests before lockfiles."""
    files = [(change, _kind(change.path)) for change in patched_files(commit)]
    has_go_mod = any(kind == "gomod" for _, kind in files)
    files.sort(key=lambda item: item[1] == "lock")
    seen: set[tuple[str, str | None, str | None]] = set()
    found: list[DependencyChange] = []
    for change, kind in files:
        if kind is None or (kind == "gosum" and has_go_mod):
            continue
        assert change.patch is not None
        old, new = _versions(change.patch, kind)
        for name in [*old, *(n for n in new if n not in old)]:
            before, after = old.get(name), new.get(name)
            if before == after:
                continue
            key = (name.lower(), before and _bare(before), after and _bare(after))
            if key in seen:
                continue
            seen.add(key)
            major = before is not None and after is not None and is_major_bump(_bare(before), _bare(after))
            found.append(DependencyChange(name, before, after, change.path, major))
    return tuple(found[:MAX_CHANGES])
