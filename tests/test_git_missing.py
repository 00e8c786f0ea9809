"""Repositories that lack objects: a partial clone moved offline, a mirror whose remote pruned a blob.
Every commit of the window is still reported; the ones that lack objects say so, and the run is
degraded (exit 4 unless --allow-degraded)."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import date
from pathlib import Path

from commitwatch.sources import open_repository, resolve_repo
from commitwatch.window import day_window
from tests.cli import run_cli
from tests.gitrepo import GitRepo, git_env
from tests.test_git_mirror import PROTOCOLS, Daemon, daemon, mirror_git  # noqa: F401 (the fixture)

DAY = day_window(date(2026, 2, 7), "Asia/Shanghai")


def upstream_day(path: Path) -> tuple[GitRepo, dict[str, str]]:
    """Five commits on 2026-02-07 (Shanghai): `old` edits a file that later changes again, so its blobs
    are in no later tree; the others only add files that stay."""
    repo = GitRepo.create(path)
    shas = {}
    repo.write("base.txt", "base\n")
    shas["base"] = repo.commit("chore: base", committed="2026-02-06T10:00:00+08:00")
    repo.write("churn.txt", "one\n")
    shas["add"] = repo.commit("feat: add churn", committed="2026-02-07T09:00:00+08:00")
    repo.write("churn.txt", "two\n")
    shas["old"] = repo.commit("fix: churn two", committed="2026-02-07T10:00:00+08:00")
    repo.write("keep.txt", "kept\n")
    shas["keep"] = repo.commit("feat: keep", committed="2026-02-07T11:00:00+08:00")
    repo.write("churn.txt", "three\n")
    shas["new"] = repo.commit("fix: churn three", committed="2026-02-07T12:00:00+08:00")
    return repo, shas


def blob(repo: GitRepo, rev: str, path: str) -> str:
    return repo.git("rev-parse", f"{rev}:{path}").strip()


def env_for(tmp_path: Path) -> dict[str, str]:
    return {"COMMITWATCH_CACHE_DIR": str(tmp_path / "cache"), "COMMITWATCH_DB": str(tmp_path / "store.db")}


def read_report(out: Path, slug: str) -> dict:
    data = json.loads((out / "2026" / slug / "2026-02-07.json").read_text(encoding="utf-8"))
    data["_md"] = (out / "2026" / slug / "2026-02-07.md").read_text(encoding="utf-8")
    return data


def test_partial_clone_moved_offline(tmp_path: Path) -> None:
    upstream, shas = upstream_day(tmp_path / "upstream")
    upstream.git("config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    GitRepo(tmp_path).git("clone", "-q", "--filter=blob:none", f"file://{upstream.path}", str(clone))
    shutil.move(upstream.path, tmp_path / "gone")  # the promisor remote is out of reach now
    lost = {blob(GitRepo(tmp_path / "gone"), shas["add"], "churn.txt"), blob(GitRepo(tmp_path / "gone"), shas["old"],
                                                                             "churn.txt")}  # fmt: skip

    out = tmp_path / "out"
    run_cli("report", "--repo", str(clone), "--date", "2026-02-07", "--tz", "Asia/Shanghai", "--no-llm", "--lang",
            "en", "--output-dir", str(out), expect=4, env=env_for(tmp_path))  # fmt: skip
    data = read_report(out, "clone")
    by_sha = {c["sha"]: c for c in data["commits"]}
    assert set(by_sha) == {shas["add"], shas["old"], shas["keep"], shas["new"]}  # every commit of the day
    broken = {sha for sha, c in by_sha.items() if c["missing_objects"]}
    assert broken == {shas["add"], shas["old"], shas["new"]}  # each needs a churn.txt blob the clone lacks
    for sha in broken:
        commit = by_sha[sha]
        assert set(commit["missing_objects"]) <= lost and commit["missing_objects"]
        assert any(n.startswith("the repository lacks objects of this commit: ") for n in commit["notes"])
        assert [f["path"] for f in commit["files"]] == ["churn.txt"]  # the file list comes from the trees
        assert commit["subject"] and commit["committed_at"].startswith("2026-02-07")
    keep = by_sha[shas["keep"]]
    assert keep["notes"] == [] and keep["missing_objects"] == [] and keep["additions"] == 1
    assert any("lacks objects of 3 commits" in w for w in data["warnings"])
    assert data["_md"].count("the repository lacks objects of this commit") == 3

    # the same, read directly: the complete commit still has its patch
    commits = open_repository(resolve_repo(str(clone)), tmp_path / "cache").collect(None, DAY)
    (kept,) = [c for c in commits if c.sha == shas["keep"]]
    assert kept.files[0].patch and "+kept" in kept.files[0].patch
    assert all(f.patch is None for c in commits if c.missing_objects for f in c.files)


def test_mirror_whose_remote_pruned_a_blob(daemon: Daemon, tmp_path: Path) -> None:  # noqa: F811
    upstream, shas = upstream_day(daemon.base / "day")
    upstream.git("config", "uploadpack.allowFilter", "true")
    upstream.git("config", "uploadpack.allowAnySHA1InWant", "true")
    pruned = blob(upstream, shas["add"], "churn.txt")  # "one": only `add` (new side) and `old` (old side)
    opened = open_repository(resolve_repo(daemon.url("day")), tmp_path / "cache", PROTOCOLS)  # clone first
    (upstream.path / ".git" / "objects" / pruned[:2] / pruned[2:]).unlink()  # then the remote loses it

    before = daemon.requests()
    commits = {c.sha: c for c in opened.collect(None, DAY)}
    assert set(commits) == {shas["add"], shas["old"], shas["keep"], shas["new"]}
    assert {sha for sha, c in commits.items() if c.missing_objects} == {shas["add"], shas["old"]}
    assert commits[shas["add"]].missing_objects == (pruned,)
    assert any(pruned[:12] in note for note in commits[shas["old"]].notes)
    # everything the remote still has was fetched: the other commits are complete, with patches
    for sha in (shas["keep"], shas["new"]):
        assert commits[sha].notes == () and commits[sha].files[0].patch
    assert "+three" in (commits[shas["new"]].files[0].patch or "")
    # a few requests around the lost object, not one per blob
    assert daemon.requests() - before <= 12

    # through the CLI: exit 4, and 0 with --allow-degraded
    out = tmp_path / "out"
    args = ("report", "--repo", daemon.url("day"), "--date", "2026-02-07", "--tz", "Asia/Shanghai", "--no-llm",
            "--lang", "en", "--output-dir", str(out))  # fmt: skip
    config = tmp_path / "c.toml"
    config.write_text('[git]\nallowed_protocols = ["git"]\n')
    run_cli(*args, "--config", str(config), expect=4, env=env_for(tmp_path))
    run_cli(*args, "--config", str(config), "--allow-degraded", env=env_for(tmp_path))
    data = read_report(out, "day")
    assert len(data["commits"]) == 4
    assert sum(1 for c in data["commits"] if c["missing_objects"] == [pruned]) == 2


def test_mirror_fetches_a_missing_tree(daemon: Daemon, tmp_path: Path) -> None:  # noqa: F811
    # a mirror that lost a tree (as after a damaged pack) gets it back in the batch fetch before reading
    upstream, shas = upstream_day(daemon.base / "day")
    upstream.git("config", "uploadpack.allowFilter", "true")
    upstream.git("config", "uploadpack.allowAnySHA1InWant", "true")
    opened = open_repository(resolve_repo(daemon.url("day")), tmp_path / "cache", PROTOCOLS)
    tree = upstream.git("rev-parse", f"{shas['keep']}^{{tree}}").strip()
    # rewrite the mirror's pack without that tree
    listing = mirror_git(opened, "rev-list", "--objects", "--all", "--missing=allow-promisor")
    keep = "".join(line.split()[0] + "\n" for line in listing.splitlines() if not line.startswith(tree))
    pack_dir = opened.git_dir / "objects" / "pack"
    old = list(pack_dir.glob("pack-*"))
    subprocess.run(["git", "pack-objects", "-q", str(pack_dir / "pack")], cwd=opened.git_dir, env=git_env(),
                   input=keep.encode(), check=True, capture_output=True)  # fmt: skip
    for path in old:
        if path.suffix in (".pack", ".idx", ".rev"):
            path.unlink()
    (pack_dir / next(p.stem for p in pack_dir.glob("pack-*.pack"))).with_suffix(".promisor").touch()
    commits = {c.sha: c for c in opened.collect(None, DAY)}
    assert set(commits) == {shas["add"], shas["old"], shas["keep"], shas["new"]}
    assert [c.notes for c in commits.values() if c.notes] == []  # fetched back, nothing missing


def test_an_analysis_of_a_commit_that_lacks_objects_is_not_reused(tmp_path: Path, monkeypatch) -> None:
    import re

    from tests.fakes.openai_server import FakeOpenAI

    upstream, shas = upstream_day(tmp_path / "upstream")
    upstream.git("config", "uploadpack.allowFilter", "true")
    clone = tmp_path / "clone"
    GitRepo(tmp_path).git("clone", "-q", "--filter=blob:none", f"file://{upstream.path}", str(clone))
    shutil.move(upstream.path, tmp_path / "gone")
    with FakeOpenAI() as server:
        config = tmp_path / "cw.toml"
        config.write_text(f'output_dir = "{tmp_path / "out"}"\ncache_dir = "{tmp_path / "cache"}"\n'
                          f'[llm]\nbase_url = "{server.base_url}"\nmodel = "fake-model"\n', encoding="utf-8")
        monkeypatch.setenv("COMMITWATCH_LLM_API_KEY", "sk-test")
        monkeypatch.setenv("COMMITWATCH_DB", str(tmp_path / "store.db"))
        for name in ("COMMITWATCH_CONFIG", "COMMITWATCH_LLM_BASE_URL", "COMMITWATCH_LLM_MODEL"):
            monkeypatch.delenv(name, raising=False)

        def analysed() -> list[str]:
            found = (re.search(r"^sha: ([0-9a-f]{40})$", r.user, re.M) for r in server.analysis_requests())
            return [m.group(1) for m in found if m]

        args = ("report", "--config", str(config), "--repo", str(clone), "--date", "2026-02-07", "--tz",
                "Asia/Shanghai", "--allow-degraded")  # fmt: skip
        run_cli(*args)
        first = analysed()
        assert sorted(first) == sorted([shas["add"], shas["old"], shas["keep"], shas["new"]])
        run_cli(*args)
        # the complete commit comes from the store; the three that lack objects are analysed again
        assert sorted(analysed()[len(first) :]) == sorted([shas["add"], shas["old"], shas["new"]])
