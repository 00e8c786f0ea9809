"""Managed mirrors of remote repositories: bare, blob-less partial clones under the cache directory.

Layout: ``<cache_dir>/mirrors/<slug>-<hash of the URL>`` (the mirror), a ``.lock`` file next to it, and
``.tmp-*`` directories while a clone is in progress. A clone is built in a temporary directory and
renamed into place only once it is complete and marked (``commitwatch.mirror`` = URL in its config), so
an interrupted clone never looks like a mirror; a directory that is not a marked mirror is rebuilt.
Every change to a mirror (clone, fetch, blob prefetch) holds an exclusive lock on the ``.lock`` file, so
concurrent runs take turns instead of corrupting it.

Mirrors keep a commit-graph file (written after the clone, updated by every fetch): selecting a window
walks every commit of the branch, and the graph gives git their hashes and dates without reading the
commit objects.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path

from commitwatch.errors import SourceError
from commitwatch.sources.repospec import name_from_url, slugify, url_digest
from commitwatch.sources.runner import Git

#: Refs a mirror keeps: every branch of the remote, under the same names (no tags, no pull refs).
MIRROR_REFSPEC = "+refs/heads/*:refs/heads/*"
_MARK_KEY = "commitwatch.mirror"
_ZERO_OID = frozenset({"0" * 40, "0" * 64})
_GITLINK = "160000"
LOCK_TIMEOUT = 600.0


def mirror_path(cache_dir: Path, url: str) -> Path:
    """Where the mirror of ``url`` lives: ``<cache_dir>/mirrors/<owner-name>-<hash>``."""
    _host, name = name_from_url(url)
    return Path(cache_dir) / "mirrors" / f"{slugify(name)}-{url_digest(url)}"


@contextlib.contextmanager
def mirror_lock(path: Path, timeout: float = LOCK_TIMEOUT) -> Iterator[None]:
    """Hold an exclusive lock on ``<path>.lock`` (waiting up to ``timeout`` seconds)."""
    lock_file = path.with_name(path.name + ".lock")
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "a+b") as handle:
        deadline = time.monotonic() + timeout
        while not _try_lock(handle.fileno()):
            if time.monotonic() > deadline:
                raise SourceError(
                    f"the mirror {path} is locked by another commitwatch run",
                    hint=f"Wait for the other run to finish; if none is running, delete {lock_file}.",
                )
            time.sleep(0.05)
        try:
            yield
        finally:
            _unlock(handle.fileno())


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def sync_mirror(url: str, path: Path, base: Git) -> Git:
    """Create the mirror of ``url`` at ``path`` or fetch it, and record the remote's default branch.

    Returns a runner bound to the mirror. ``base`` carries the allowed protocols.
    """
    with mirror_lock(path):
        _remove_stale_temporaries(path)
        git = base.bound_to(path)
        if is_mirror(path, url, base):
            # fetch.writeCommitGraph: the fetch updates the commit-graph, so the window walk (every
            # commit of the branch) reads hashes and dates from it instead of inflating commit objects
            git.with_config("fetch.writeCommitGraph=true").run(
                "fetch", "--prune", "--no-tags", "--filter=blob:none", "--quiet", "origin"
            )
            _record_default_branch(git)
        else:
            _clone(url, path, base)  # the clone points HEAD at the remote's default branch itself
    return git


def is_mirror(path: Path, url: str, base: Git) -> bool:
    """True when ``path`` is a complete mirror of ``url`` made by commitwatch."""
    if not (path / "HEAD").is_file() or not (path / "objects").is_dir():
        return False
    try:
        marked = base.bound_to(path).run("config", "--get", _MARK_KEY)
    except SourceError:
        return False
    return marked.decode("utf-8", "replace").strip() == url


def _clone(url: str, path: Path, base: Git) -> None:
    """Clone into a temporary directory, mark it, then move it into place (replacing any leftover)."""
    temp = path.with_name(f"{path.name}.tmp-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    shutil.rmtree(temp, ignore_errors=True)
    shutil.rmtree(path, ignore_errors=True)
    runner = Git(base.allowed_protocols, cwd=path.parent, extra_env=base.extra_env, extra_config=base.extra_config)
    try:
        runner.run("clone", "--bare", "--filter=blob:none", "--no-tags", "--quiet", "--", url, str(temp))
        git = base.bound_to(temp)
        git.run("config", "remote.origin.fetch", MIRROR_REFSPEC)
        git.run("config", "remote.origin.tagOpt", "--no-tags")
        git.run("commit-graph", "write", "--reachable")
        git.run("config", _MARK_KEY, url)
        os.replace(temp, path)
    finally:
        shutil.rmtree(temp, ignore_errors=True)


def _remove_stale_temporaries(path: Path) -> None:
    """Delete clones that an earlier, interrupted run left behind (we hold the lock)."""
    for temp in path.parent.glob(f"{path.name}.tmp-*"):
        shutil.rmtree(temp, ignore_errors=True)


def _record_default_branch(git: Git) -> None:
    """Point the mirror's HEAD at the remote's default branch (``ls-remote --symref``)."""
    out = git.run("ls-remote", "--symref", "origin", "HEAD").decode("utf-8", "replace")
    for line in out.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            target = line[len("ref: ") : -len("\tHEAD")]
            if target.startswith("refs/heads/"):
                git.run("symbolic-ref", "HEAD", target)
            return


# --- blob prefetch ------------------------------------------------------------------------------------


def needed_blobs(entries: Iterable[tuple[str, str, str, str]]) -> list[str]:
    """Blob ids from ``(old_mode, new_mode, old_oid, new_oid)`` raw entries: no zero ids, no submodules."""
    wanted: dict[str, None] = {}
    for old_mode, new_mode, old_oid, new_oid in entries:
        if old_mode != _GITLINK and old_oid not in _ZERO_OID:
            wanted[old_oid] = None
        if new_mode != _GITLINK and new_oid not in _ZERO_OID:
            wanted[new_oid] = None
    return list(wanted)


def missing_objects(git: Git, oids: list[str]) -> list[str]:
    """The ids among ``oids`` that the mirror does not hold, found without fetching anything.

    ``cat-file`` would fetch each missing blob on its own (or die with lazy fetching disabled), and
    ``rev-list`` rejects a missing object named on its command line. So the ids go into a throw-away
    tree (``mktree --missing`` checks nothing) and ``rev-list --missing=print`` walks that tree,
    printing absent entries as ``?<id>``. The tree is an unreachable loose object that gc removes.
    """
    if not oids:
        return []
    git = git.with_env(GIT_NO_LAZY_FETCH="1")  # checking an id must never fetch it
    listing = "".join(f"100644 blob {oid}\t{oid}\n" for oid in oids).encode("ascii")
    tree = git.run("mktree", "--missing", input=listing).decode("ascii").strip()
    out = git.run("rev-list", "--objects", "--missing=print", "--no-walk", tree)
    return [line[1:].decode("ascii") for line in out.splitlines() if line.startswith(b"?")]


def fetch_objects(git: Git, path: Path, oids: list[str], *, known_missing: bool = False) -> int:
    """Fetch the missing ones among ``oids`` in one request. Returns how many arrived.

    ``oids`` are blob ids (checked first: only the absent ones are asked for), or, with
    ``known_missing``, ids git just failed to read (trees or blobs), asked for as they are.
    When the remote cannot give some of them (it pruned an object), the request fails as a whole; the
    ids are then split in halves and fetched again, so that every object the remote has arrives (a few
    more requests per unavailable object) and only the unavailable ones stay missing, for the reader to
    report. A failure that is not about the objects (the remote is unreachable) stops at once."""
    if not oids:
        return 0
    with mirror_lock(path):
        wanted = list(oids) if known_missing else missing_objects(git, oids)
        return _fetch_halves(git, wanted, [_FETCH_ATTEMPTS])[0]


#: Most fetch requests one ``fetch_objects`` makes while splitting around objects a remote lacks.
_FETCH_ATTEMPTS = 64


def _fetch_halves(git: Git, oids: list[str], budget: list[int]) -> tuple[int, bool]:
    """Fetch ``oids``; on a refusal, each half on its own. Returns how many arrived, and False when the
    remote is out of reach (then nothing more is tried)."""
    if not oids or budget[0] <= 0:
        return 0, True
    budget[0] -= 1
    try:
        git.with_config("fetch.negotiationAlgorithm=noop").run(
            "fetch",
            "origin",
            "--no-tags",
            "--no-write-fetch-head",
            "--recurse-submodules=no",
            "--filter=blob:none",
            "--quiet",
            "--stdin",
            input="".join(f"{oid}\n" for oid in oids).encode("ascii"),
        )
        return len(oids), True
    except SourceError as error:
        if len(oids) == 1 or not _refused(str(error)):
            return 0, _refused(str(error))
    half = len(oids) // 2
    got, reachable = _fetch_halves(git, oids[:half], budget)
    if not reachable:
        return got, False
    more, reachable = _fetch_halves(git, oids[half:], budget)
    return got + more, reachable


def _refused(message: str) -> bool:
    """Whether a fetch failed because the remote would not give an object (rather than not at all)."""
    low = message.lower()
    return any(marker in low for marker in _REFUSALS)


_REFUSALS = ("not our ref", "upload-pack", "no such object", "not found", "unadvertised")
