"""Turn a ``--repo`` value into a ``RepoRef``: a local path, a git URL, or GitHub shorthand ``owner/name``."""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

from commitwatch.errors import SourceError, UsageError
from commitwatch.models import RepoRef
from commitwatch.sources.runner import Git

_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_SCP = re.compile(r"^(?P<user>[^@/:\s]+)@(?P<host>[^/:\s]+):(?P<path>.+)$")
_SHORTHAND = re.compile(r"^(?P<owner>[A-Za-z0-9_.-]+)/(?P<name>[A-Za-z0-9_.-]+)$")
_LOCAL_PREFIXES = ("/", "./", "../", "~", ".")
_GITHUB_HOSTS = ("github.com", "www.github.com")
# Names Windows refuses for files, whatever the extension.
_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))})

_FORMS_HINT = (
    "--repo takes a local path (./dir, /abs/dir), a git URL (https://host/owner/name.git, "
    "git@host:owner/name.git) or GitHub shorthand owner/name."
)


def resolve_repo(spec: str, github: str | None = None, *, origin: bool = True) -> RepoRef:
    """Resolve a ``--repo`` value.

    An existing path, or one that looks like a path (``/``, ``./``, ``~``, ``.``), is a local repository
    read in place; a URL (``https://``, ``ssh://``, ``git://``, ``file://``, ``user@host:path``) is a
    remote mirrored under the cache; ``owner/name`` is ``https://github.com/owner/name.git`` unless a
    directory of that name exists. ``github`` ("owner/name") overrides the detected GitHub identity.
    Raises ``SourceError`` for a local-looking path that does not exist. ``origin=False`` leaves a local
    repository's GitHub identity (its ``origin`` remote, one git process) unread: for its name and key.
    """
    spec = spec.strip()
    if not spec:
        raise UsageError("--repo is empty", hint=_FORMS_HINT)
    if github is not None:
        _check_github(github)
    if _URL.match(spec) or (_SCP.match(spec) and not Path(spec).exists()):
        return _remote(spec, spec, github)
    path = Path(spec).expanduser()
    if path.exists():
        return _local(spec, path, github, origin)
    if spec.startswith(_LOCAL_PREFIXES):
        raise SourceError(f"no such path: {spec}", hint="Check the path of the local repository.")
    match = _SHORTHAND.match(spec)
    if match:
        name = _strip_git(match["name"])
        return _remote(spec, f"https://github.com/{match['owner']}/{name}.git", github)
    raise SourceError(f"no such path: {spec}", hint=_FORMS_HINT)


def slugify(name: str) -> str:
    """A file-name-safe version of ``name``: ``ai-dynamo/dynamo`` → ``ai-dynamo-dynamo``.

    Only ``[A-Za-z0-9._-]``, at most 80 characters. Accents are folded (``café`` → ``cafe``); when other
    characters are lost (``工具``) a short hash of the name keeps different names apart.
    """
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"-{2,}", "-", re.sub(r"[^A-Za-z0-9._-]+", "-", folded)).strip("-.")
    lossy = any(ord(c) > 127 for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    if lossy or not slug or slug.split(".")[0].upper() in _RESERVED:
        suffix = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        slug = f"{slug[:71].rstrip('-.') or 'repo'}-{suffix}"
    return slug[:80].rstrip("-.")


def url_digest(url: str, length: int = 10) -> str:
    """A short stable hash of a URL (distinguishes mirrors whose slugs collide)."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:length]


def url_scheme(url: str) -> str:
    """The transport git would use for ``url``: ``https``, ``ssh``, ``git``, ``file`` ..."""
    if _URL.match(url):
        return url.split("://", 1)[0].lower()
    return "ssh" if _SCP.match(url) else "file"


def name_from_url(url: str) -> tuple[str | None, str]:
    """The host and the ``owner/name`` (the last two path segments, without ``.git``) of a git URL."""
    scp = _SCP.match(url) if not _URL.match(url) else None
    if scp:
        host, path = scp["host"], scp["path"]
    else:
        parts = urlsplit(url)
        host, path = parts.hostname, parts.path
    segments = [s for s in path.replace("\\", "/").split("/") if s and s not in (".", "..")]
    if segments:
        segments[-1] = _strip_git(segments[-1])
    segments = [s for s in segments if s]
    return host, "/".join(segments[-2:]) or (host or "repo")


def _remote(spec: str, url: str, github: str | None) -> RepoRef:
    host, name = name_from_url(url)
    if github is None and host and host.lower() in _GITHUB_HOSTS and _SHORTHAND.match(name):
        github = name
    return RepoRef(spec=spec, kind="remote", name=name, slug=slugify(name), url=url, github=github)


def _local(spec: str, path: Path, github: str | None, origin: bool = True) -> RepoRef:
    path = path.resolve()
    name = path.parent.name if path.name == ".git" else _strip_git(path.name) or path.name
    if github is None and origin:
        github = _github_from_origin(path)
    return RepoRef(spec=spec, kind="local", name=name, slug=slugify(name), path=str(path), github=github)


def _github_from_origin(path: Path) -> str | None:
    """``owner/name`` when the repository's ``origin`` remote points at github.com, else None."""
    if not path.is_dir():
        return None
    try:
        out = Git(cwd=path, extra_env={"GIT_CEILING_DIRECTORIES": str(path.parent)}).run(
            "config", "--get", "remote.origin.url"
        )
    except SourceError:
        return None
    url = out.decode("utf-8", "replace").strip()
    if not url:
        return None
    host, name = name_from_url(url)
    if host and host.lower() in _GITHUB_HOSTS and _SHORTHAND.match(name):
        return name
    return None


def _check_github(github: str) -> None:
    if not _SHORTHAND.match(github):
        raise UsageError(f"invalid GitHub repository {github!r}", hint="Write it as owner/name.")


def _strip_git(name: str) -> str:
    return name[:-4] if name.endswith(".git") else name


# --- matching a repository however it was given ----------------------------------------------------------


def repo_identities(
    spec: str | None, *, url: str | None = None, path: str | None = None, github: str | None = None
) -> set[str]:
    """Comparable identities of a repository: ``path:<real absolute path>`` for a local one (relative or
    absolute, with or without a trailing slash, through symlinks), ``url:<host>/<owner>/<name>`` for a
    remote (any scheme, ``git@host:`` form, ``.git`` or not, any case of the host), and
    ``github:<owner>/<name>`` for GitHub (shorthand, URL, or the identity a local clone has)."""
    found: set[str] = set()
    for value in (spec, url):
        if value:
            found |= _identities(value.strip())
    if path:
        found.add("path:" + _real(path))
    if github:
        found.add("github:" + github.lower())
    return found


def _identities(value: str) -> set[str]:
    if not value:
        return set()
    if _URL.match(value) or (_SCP.match(value) and not Path(value).exists()):
        host, name = name_from_url(value)
        if url_scheme(value) == "file":
            return {"path:" + _real(urlsplit(value).path)}
        found = {f"url:{(host or '').lower()}/{name.lower()}"}
        if host and host.lower() in _GITHUB_HOSTS:
            found.add("github:" + name.lower())
        return found
    path = Path(value).expanduser()
    if path.exists() or value.startswith(_LOCAL_PREFIXES):
        return {"path:" + _real(str(path))}
    match = _SHORTHAND.match(value.rstrip("/"))
    if match:
        owner, name = match["owner"].lower(), _strip_git(match["name"]).lower()
        return {f"github:{owner}/{name}", f"url:github.com/{owner}/{name}"}
    return {"path:" + _real(str(path))}


def _real(path: str) -> str:
    real = os.path.realpath(os.path.expanduser(path))
    return real[: -len("/.git")] if real.endswith("/.git") else real


class StoredRepo(Protocol):
    """A repository as the store knows it (``storage.KnownRepo``)."""

    @property
    def id(self) -> int: ...
    @property
    def key(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def spec(self) -> str | None: ...
    @property
    def url(self) -> str | None: ...
    @property
    def path(self) -> str | None: ...
    @property
    def github(self) -> str | None: ...


def match_repos(given: str, repos: Iterable[StoredRepo]) -> list[int]:
    """Ids of the stored repositories that ``given`` names, however it was written: a relative or
    absolute path (trailing slash or not), a URL in any form, GitHub ``owner/name``, or, when nothing
    else matches, the name reports show. A stored local ``spec`` is not used: it was relative to the
    directory of that run."""
    wanted = _identities(given.strip())
    repos = list(repos)
    found = []
    for repo in repos:
        local = repo.key.startswith("local:")
        known = repo_identities(None if local else repo.spec, url=repo.url, path=repo.path, github=repo.github)
        known |= {"path:" + _real(repo.key[len("local:") :])} if local else _identities(repo.key[len("remote:") :])
        if wanted & known:
            found.append(repo.id)
    return found or [repo.id for repo in repos if repo.name == given.strip().rstrip("/")]
