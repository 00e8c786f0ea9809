"""Managed mirrors against a real server: ``git daemon`` on 127.0.0.1, serving repositories over git://."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from commitwatch.errors import SourceError
from commitwatch.sources import Repository, mirror_path, open_repository, resolve_repo
from commitwatch.sources.runner import Git
from tests.gitrepo import GitRepo, git_env
from tests.test_git_source import EVER, build_zoo, day

PROTOCOLS = ("git",)
ZOO_DAY = day(2026, 2, 7, "Asia/Shanghai")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Daemon:
    """A ``git daemon`` serving every repository under ``base`` (upload-pack only)."""

    base: Path
    port: int
    log: Path

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.port}/{name}"

    def serve(self, name: str) -> GitRepo:
        """A new upstream repository, served as ``url(name)``, that accepts filters and wants by id."""
        repo = GitRepo.create(self.base / name)
        repo.git("config", "uploadpack.allowFilter", "true")
        repo.git("config", "uploadpack.allowAnySHA1InWant", "true")
        return repo

    def requests(self) -> int:
        """How many upload-pack requests (clone, fetch, ls-remote) the server has answered."""
        time.sleep(0.05)
        return self.log.read_text(errors="replace").count("Request upload-pack")


@pytest.fixture
def daemon(tmp_path: Path) -> Iterator[Daemon]:
    base = tmp_path / "served"
    base.mkdir()
    port = free_port()
    log = tmp_path / "daemon.log"
    with open(log, "wb") as sink:
        proc = subprocess.Popen(
            [
                "git", "daemon", "--reuseaddr", f"--base-path={base}", "--export-all",
                "--enable=upload-pack", f"--port={port}", "--listen=127.0.0.1", "--verbose",
            ],
            stdout=sink, stderr=sink, env=git_env(),
        )  # fmt: skip
    try:
        _wait_for_port(port, proc)
        yield Daemon(base, port, log)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("git daemon exited")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("git daemon did not start")


def serve_zoo(daemon: Daemon, name: str = "zoo") -> GitRepo:
    repo = build_zoo(daemon.base / name)
    repo.git("config", "uploadpack.allowFilter", "true")
    repo.git("config", "uploadpack.allowAnySHA1InWant", "true")
    repo.git("tag", "v1.0")
    return repo


def open_mirror(daemon: Daemon, cache: Path, name: str = "zoo") -> Repository:
    return open_repository(resolve_repo(daemon.url(name)), cache, PROTOCOLS)


def mirror_git(repo: Repository, *args: str) -> str:
    out = subprocess.run(
        ["git", *args], cwd=repo.git_dir, env=git_env(), capture_output=True, check=True
    )  # fmt: skip
    return out.stdout.decode()


def blobs_in(repo: Repository) -> int:
    listing = mirror_git(repo, "cat-file", "--batch-all-objects", "--batch-check=%(objecttype)")
    return listing.split().count("blob")


# --- clone and fetch ----------------------------------------------------------------------------------


def test_first_open_makes_a_bare_blobless_mirror(daemon: Daemon, tmp_path: Path) -> None:
    serve_zoo(daemon)
    repo = open_mirror(daemon, tmp_path / "cache")
    assert repo.mirror
    assert repo.git_dir == mirror_path(tmp_path / "cache", daemon.url("zoo"))
    assert repo.git_dir.parent == tmp_path / "cache" / "mirrors"
    assert mirror_git(repo, "rev-parse", "--is-bare-repository").strip() == "true"
    assert mirror_git(repo, "config", "remote.origin.partialclonefilter").strip() == "blob:none"
    assert blobs_in(repo) == 0
    refs = mirror_git(repo, "for-each-ref", "--format=%(refname)").split()
    assert refs == ["refs/heads/main", "refs/heads/side"]  # branches only, no tags


def test_mirror_reads_exactly_what_the_local_repository_reads(daemon: Daemon, tmp_path: Path) -> None:
    upstream = serve_zoo(daemon)
    local = open_repository(resolve_repo(str(upstream.path)), tmp_path / "cache").collect(None, ZOO_DAY)
    mirrored = open_mirror(daemon, tmp_path / "cache").collect(None, ZOO_DAY)
    assert len(mirrored) == 11
    assert mirrored == local  # every field, including patches


def test_blobs_are_fetched_in_one_batch_and_never_lazily(daemon: Daemon, tmp_path: Path) -> None:
    serve_zoo(daemon)
    repo = open_mirror(daemon, tmp_path / "cache")
    after_open = daemon.requests()
    assert after_open == 1  # the clone

    commits = repo.collect(None, ZOO_DAY)  # the reads run with GIT_NO_LAZY_FETCH=1
    assert any(f.patch for c in commits for f in c.files)
    assert daemon.requests() == after_open + 1
    assert blobs_in(repo) > 0

    again = repo.collect(None, ZOO_DAY)
    assert again == commits
    assert daemon.requests() == after_open + 1  # everything is local now


def test_lazy_fetching_is_really_disabled_for_reads(daemon: Daemon, tmp_path: Path) -> None:
    # Control for the test above: without the prefetch, a patch read in the mirror fails instead of
    # quietly fetching blob by blob.
    serve_zoo(daemon)
    repo = open_mirror(daemon, tmp_path / "cache")
    failed = subprocess.run(
        ["git", "log", "-p", "-1", "HEAD~1"],
        cwd=repo.git_dir, env=git_env({"GIT_NO_LAZY_FETCH": "1"}), capture_output=True,
    )  # fmt: skip
    assert failed.returncode != 0
    assert b"lazy fetching disabled" in failed.stderr


def test_collect_without_patches_prefetches_for_line_counts(daemon: Daemon, tmp_path: Path) -> None:
    serve_zoo(daemon)
    repo = open_mirror(daemon, tmp_path / "cache")
    before = daemon.requests()
    commits = repo.collect(None, ZOO_DAY, patches=False)
    assert sum(c.additions for c in commits) > 0
    assert daemon.requests() == before + 1


def test_reopening_fetches_new_commits_incrementally(daemon: Daemon, tmp_path: Path) -> None:
    upstream = serve_zoo(daemon)
    first = open_mirror(daemon, tmp_path / "cache")
    sentinel = first.git_dir / "commitwatch-sentinel"
    sentinel.write_text("still the same mirror")
    assert first.collect(None, day(2026, 2, 8, "Asia/Shanghai")) == []

    upstream.write("new.txt", "new\n")
    sha = upstream.commit("feat: next day", committed="2026-02-08T09:00:00+08:00")
    before = daemon.requests()
    again = open_mirror(daemon, tmp_path / "cache")
    assert daemon.requests() == before + 2  # one fetch, one default-branch lookup
    assert [c.sha for c in again.collect(None, day(2026, 2, 8, "Asia/Shanghai"))] == [sha]
    assert sentinel.exists()  # fetched into, not cloned again


def graph_commits(repo: Repository) -> int:
    """How many commits the mirror's commit-graph files hold (the last OIDF fanout entry of each)."""
    info = repo.git_dir / "objects" / "info"
    files = [info / "commit-graph", *sorted((info / "commit-graphs").glob("*.graph"))]
    total = 0
    for path in (f for f in files if f.is_file()):
        data = path.read_bytes()
        assert data[:4] == b"CGPH"
        for i in range(data[6]):  # the chunk table: 4-byte id, 8-byte offset
            entry = data[8 + 12 * i : 20 + 12 * i]
            if entry[:4] == b"OIDF":
                offset = int.from_bytes(entry[4:], "big")
                total += int.from_bytes(data[offset + 255 * 4 : offset + 256 * 4], "big")
    return total


def test_mirrors_keep_a_commit_graph_of_every_commit(daemon: Daemon, tmp_path: Path) -> None:
    upstream = serve_zoo(daemon)
    count = len(upstream.git("rev-list", "--all").split())
    repo = open_mirror(daemon, tmp_path / "cache")
    assert graph_commits(repo) == count  # written after the clone

    upstream.write("new.txt", "new\n")
    upstream.commit("feat: next day", committed="2026-02-08T09:00:00+08:00")
    again = open_mirror(daemon, tmp_path / "cache")
    assert graph_commits(again) == count + 1  # the fetch added the new commit
    mirror_git(again, "commit-graph", "verify")


def test_deleted_and_rewritten_branches_follow_the_remote(daemon: Daemon, tmp_path: Path) -> None:
    upstream = serve_zoo(daemon)
    open_mirror(daemon, tmp_path / "cache")
    upstream.git("branch", "-D", "side")
    upstream.git("reset", "-q", "--hard", "HEAD~1")  # main no longer has the merge
    repo = open_mirror(daemon, tmp_path / "cache")
    with pytest.raises(SourceError, match="unknown branch 'side'"):
        repo.resolve_branch("side")
    subjects = [c.subject for c in repo.collect(None, ZOO_DAY, patches=False)]
    assert "Merge branch 'side'" not in subjects and "feat: main work" in subjects


def test_default_branch_is_the_remote_head(daemon: Daemon, tmp_path: Path) -> None:
    upstream = daemon.serve("proj")
    upstream.write("a", "1\n")
    upstream.commit("on main", committed="2026-02-07T10:00:00+08:00")
    upstream.git("checkout", "-q", "-b", "trunk")
    upstream.write("a", "2\n")
    trunk_sha = upstream.commit("on trunk", committed="2026-02-07T11:00:00+08:00")

    repo = open_mirror(daemon, tmp_path / "cache", "proj")
    assert repo.resolve_branch(None) == "trunk"
    assert repo.collect(None, ZOO_DAY)[0].sha == trunk_sha

    upstream.git("checkout", "-q", "main")  # the remote's HEAD moves back to main
    repo = open_mirror(daemon, tmp_path / "cache", "proj")
    assert repo.resolve_branch(None) == "main"
    assert [c.subject for c in repo.collect(None, ZOO_DAY)] == ["on main"]


# --- broken and concurrent mirrors --------------------------------------------------------------------


def _half_clone(path: Path, url: str) -> None:
    """What an interrupted ``git clone --bare`` leaves: a repository without refs or our marker."""
    subprocess.run(["git", "init", "-q", "--bare", str(path)], check=True, env=git_env())
    subprocess.run(["git", "-C", str(path), "remote", "add", "origin", url], check=True, env=git_env())


@pytest.mark.parametrize("damage", ["half-clone", "objects-only", "junk-file", "empty-dir"])
def test_half_created_mirror_is_rebuilt(daemon: Daemon, tmp_path: Path, damage: str) -> None:
    serve_zoo(daemon)
    cache = tmp_path / "cache"
    path = mirror_path(cache, daemon.url("zoo"))
    path.mkdir(parents=True)
    if damage == "half-clone":
        _half_clone(path, daemon.url("zoo"))
    elif damage == "objects-only":
        (path / "objects" / "pack").mkdir(parents=True)
        (path / "HEAD").write_text("ref: refs/heads/main\n")
    elif damage == "junk-file":
        (path / "junk").write_text("x")
    leftover = path.with_name(path.name + ".tmp-99999")
    leftover.mkdir()

    repo = open_mirror(daemon, cache)
    assert repo.git_dir == path
    assert len(repo.collect(None, ZOO_DAY)) == 11
    assert not leftover.exists()


def test_concurrent_opens_share_one_mirror(daemon: Daemon, tmp_path: Path) -> None:
    serve_zoo(daemon)
    cache = tmp_path / "cache"

    def run(_: int) -> list[str]:
        repo = open_mirror(daemon, cache)
        return [c.sha for c in repo.collect(None, ZOO_DAY)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(run, range(6)))
    assert all(r == results[0] for r in results) and len(results[0]) == 11
    assert [p.name for p in (cache / "mirrors").iterdir() if ".tmp-" in p.name] == []


def test_file_url_mirror_with_default_protocols(tmp_path: Path) -> None:
    upstream = build_zoo(tmp_path / "up")
    ref = resolve_repo(f"file://{upstream.path}")
    assert ref.kind == "remote"
    repo = open_repository(ref, tmp_path / "cache")  # file is allowed for file:// URLs
    assert repo.mirror and len(repo.collect(None, ZOO_DAY)) == 11


# --- errors -------------------------------------------------------------------------------------------


def test_unreachable_remote(tmp_path: Path) -> None:
    ref = resolve_repo(f"git://127.0.0.1:{free_port()}/x")
    with pytest.raises(SourceError, match="cannot reach the remote repository") as info:
        open_repository(ref, tmp_path / "cache", PROTOCOLS)
    assert info.value.hint and "network" in info.value.hint
    assert not [p for p in (tmp_path / "cache" / "mirrors").glob("x-*") if p.is_dir()]


def test_repository_missing_on_the_server(daemon: Daemon, tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="cannot read the remote repository") as info:
        open_mirror(daemon, tmp_path / "cache", "nope")
    assert info.value.hint and "URL" in info.value.hint


def test_protocol_outside_the_allow_list_is_refused_before_connecting(daemon: Daemon, tmp_path: Path) -> None:
    serve_zoo(daemon)
    ref = resolve_repo(daemon.url("zoo"))
    with pytest.raises(SourceError, match="git protocol is not allowed") as info:
        open_repository(ref, tmp_path / "cache")  # defaults: https, ssh
    assert info.value.hint and "https" in info.value.hint
    assert daemon.requests() == 0


def test_git_itself_enforces_the_allow_list(daemon: Daemon) -> None:
    # GIT_ALLOW_PROTOCOL is enforced by git, not only by our own check of the URL.
    serve_zoo(daemon)
    with pytest.raises(SourceError, match="not allowed") as info:
        Git(allowed_protocols=("https",)).run("ls-remote", daemon.url("zoo"))
    assert info.value.hint and "allowed" in info.value.hint
    assert daemon.requests() == 0
    assert Git(allowed_protocols=("git",)).run("ls-remote", daemon.url("zoo"))


def test_empty_remote_has_no_commits(daemon: Daemon, tmp_path: Path) -> None:
    daemon.serve("empty")
    with pytest.raises(SourceError, match="no commits"):
        open_mirror(daemon, tmp_path / "cache", "empty").collect(None, EVER)
