"""`commitwatch history --repo R` finds the runs of R however it was given."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from commitwatch.models import Usage
from commitwatch.sources import resolve_repo
from commitwatch.storage import Store
from commitwatch.window import day_window
from tests.cli import run_cli
from tests.gitrepo import GitRepo


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"COMMITWATCH_CACHE_DIR": str(tmp_path / "cache"), "COMMITWATCH_DB": str(tmp_path / "store.db")}


def runs_of(result_stdout: str, name: str) -> list[str]:
    return [line for line in result_stdout.splitlines() if f" {name} " in f" {line} "]


def make_repo(path: Path) -> GitRepo:
    repo = GitRepo.create(path)
    repo.write("a.txt", "1\n")
    repo.commit("feat: a", committed="2026-02-07T10:00:00+08:00")
    return repo


def test_a_local_repository_however_it_is_written(
    tmp_path: Path, env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    make_repo(tmp_path / "work" / "proj")
    make_repo(tmp_path / "other" / "proj")  # same name, another repository
    (tmp_path / "link").symlink_to(tmp_path / "work")
    monkeypatch.chdir(tmp_path / "work")
    out = str(tmp_path / "out")
    run_cli("report", "--repo", "./proj", "--date", "2026-02-07", "--no-llm", "--output-dir", out, env=env)
    run_cli("report", "--repo", "proj/", "--date", "2026-02-08", "--no-llm", "--output-dir", out, env=env)
    run_cli("report", "--repo", str(tmp_path / "other" / "proj"), "--date", "2026-02-07", "--no-llm",
            "--output-dir", out, env=env)  # fmt: skip
    monkeypatch.chdir(tmp_path)  # another directory than the runs' one
    for given in ("work/proj", "work/proj/", "./work/proj", str(tmp_path / "work" / "proj"),
                  str(tmp_path / "work" / "proj") + "/", "link/proj", "work/proj/.git", "work/../work/proj"):
        result = run_cli("history", "--repo", given, env=env)
        assert len(runs_of(result.stdout, "proj")) == 2, given  # both runs, and not the other proj's
    os.chdir(tmp_path / "work" / "proj")
    assert len(runs_of(run_cli("history", "--repo", ".", env=env).stdout, "proj")) == 2
    # by the name the report shows: both repositories called proj
    monkeypatch.chdir(tmp_path / "out")
    assert len(runs_of(run_cli("history", "--repo", "proj", env=env).stdout, "proj")) == 3


def test_a_remote_by_shorthand_or_any_url(tmp_path: Path, env: dict[str, str]) -> None:
    with Store.open(tmp_path / "store.db") as store:  # a run of a GitHub mirror, without the network
        repo_id = store.repo_id(resolve_repo("ai-dynamo/dynamo"))
        run_id = store.start_run(repo_id, "main", day_window(date(2026, 2, 7), "Asia/Shanghai"), "{}")
        store.finish_run(run_id, "ok", counts={"rules": 31}, usage=Usage(), head_sha=None)
        other = store.repo_id(resolve_repo("https://gitlab.example.com/ai-dynamo/dynamo.git"))
        store.finish_run(store.start_run(other, "main", day_window(date(2026, 2, 7), "UTC"), "{}"), "ok",
                         counts={}, usage=Usage(), head_sha=None)  # fmt: skip
    for given in ("ai-dynamo/dynamo", "ai-dynamo/dynamo/", "AI-Dynamo/Dynamo", "https://github.com/ai-dynamo/dynamo",
                  "https://github.com/ai-dynamo/dynamo.git", "https://github.com/ai-dynamo/dynamo/",
                  "git@github.com:ai-dynamo/dynamo.git", "ssh://git@github.com/ai-dynamo/dynamo"):  # fmt: skip
        lines = runs_of(run_cli("history", "--repo", given, env=env).stdout, "ai-dynamo/dynamo")
        assert len(lines) == 1 and "2026-02-07" in lines[0], given  # not the GitLab one
    gitlab = runs_of(run_cli("history", "--repo", "gitlab.example.com/ai-dynamo/dynamo", env=env).stdout,
                     "ai-dynamo/dynamo")  # fmt: skip
    assert gitlab == []  # a host without a scheme is no URL: not a match, says so


def test_no_match_says_so_and_lists_the_known_repositories(tmp_path: Path, env: dict[str, str]) -> None:
    make_repo(tmp_path / "proj")
    run_cli("report", "--repo", str(tmp_path / "proj"), "--date", "2026-02-07", "--no-llm", "--output-dir",
            str(tmp_path / "out"), env=env)  # fmt: skip
    result = run_cli("history", "--repo", "someone/else", env=env)
    assert result.stdout == ""
    assert "no runs match --repo someone/else; known repositories: proj" in result.stderr
    assert str(tmp_path / "proj") in result.stderr  # the spec it was given as
