"""The pipeline over the store, with real git and a real SQLite file: since-last-run windows, runs,
report snapshots. (LLM caching, kill -9 and concurrent runs are in test_pipeline_llm.py.)"""

from __future__ import annotations

from datetime import datetime

import pytest

from commitwatch.config import RepoConfig, load_settings
from commitwatch.pipeline import ReportRequest, run_report
from commitwatch.storage import Store
from commitwatch.window import day_window
from tests.gitrepo import GitRepo


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)


@pytest.fixture
def env(tmp_path):
    repo = GitRepo.create(tmp_path / "proj")
    settings = load_settings(environ={}, overrides={
        "output_dir": tmp_path / "out", "cache_dir": tmp_path / "cache", "formats": ["json"],
        "timezone": "Asia/Shanghai",
    })
    with Store.open(tmp_path / "store.db") as store:
        yield repo, settings, store


def since_last_run(settings, store, repo, now: str):
    request = ReportRequest(RepoConfig(repo=str(repo.path)), since_last_run=True, use_llm=False)
    return run_report(settings, request, store, now=at(now))


def subjects(result) -> list[str]:
    return [entry.commit.subject for entry in result.report.entries]


def test_consecutive_runs_report_every_commit_once(env):
    repo, settings, store = env
    repo.write("a.py", "1\n")
    repo.commit("feat: one", committed="2026-02-07T10:00:00+08:00")
    first = since_last_run(settings, store, repo, "2026-02-08T09:00:00+08:00")
    assert subjects(first) == ["feat: one"]
    assert first.report.window.start == at("2026-02-07T00:00:00+08:00")  # first run: from yesterday

    repo.write("a.py", "2\n")
    repo.commit("fix: two", committed="2026-02-08T12:00:00+08:00")
    repo.write("b.py", "old\n")
    # arrives now, but its committer date is older than the last run (a push of an old commit)
    repo.commit("feat: dated long ago", committed="2026-01-01T00:00:00+08:00")
    repo.write("a.py", "3\n")
    repo.commit("docs: three", committed="2026-02-08T20:00:00+08:00")
    second = since_last_run(settings, store, repo, "2026-02-09T09:00:00+08:00")
    assert subjects(second) == ["docs: three", "fix: two", "feat: dated long ago"]
    assert second.report.window.start == at("2026-02-08T09:00:00+08:00")

    third = since_last_run(settings, store, repo, "2026-02-10T09:00:00+08:00")
    assert subjects(third) == []
    runs = store.history(None, 10)
    assert [r.commits for r in runs] == [0, 3, 1]
    assert all(r.status == "ok" for r in runs)


def test_merged_branch_with_old_commits_is_reported(env):
    repo, settings, store = env
    repo.write("a.py", "1\n")
    repo.commit("feat: base", committed="2026-02-07T10:00:00+08:00")
    since_last_run(settings, store, repo, "2026-02-08T09:00:00+08:00")
    repo.git("checkout", "-q", "-b", "topic", "HEAD")
    repo.write("t.py", "t\n")
    repo.commit("feat: topic work from last month", committed="2026-01-15T10:00:00+08:00")
    repo.git("checkout", "-q", "main")
    repo.write("m.py", "m\n")
    repo.commit("fix: on main", committed="2026-02-08T10:00:00+08:00")
    repo.merge("topic", "Merge branch 'topic'", committed="2026-02-08T11:00:00+08:00")
    result = since_last_run(settings, store, repo, "2026-02-09T09:00:00+08:00")
    assert subjects(result) == ["Merge branch 'topic'", "fix: on main", "feat: topic work from last month"]


def test_day_reports_do_not_consume_since_last_run(env):
    """A backfill of an old day must not move the since-last-run start backwards or forwards."""
    repo, settings, store = env
    repo.write("a.py", "1\n")
    repo.commit("feat: one", committed="2026-02-07T10:00:00+08:00")
    since_last_run(settings, store, repo, "2026-02-08T09:00:00+08:00")
    request = ReportRequest(RepoConfig(repo=str(repo.path)), window=day_window(at("2026-02-01").date(),
                            "Asia/Shanghai"), use_llm=False)
    run_report(settings, request, store)
    repo.write("a.py", "2\n")
    repo.commit("fix: two", committed="2026-02-08T12:00:00+08:00")
    assert subjects(since_last_run(settings, store, repo, "2026-02-09T09:00:00+08:00")) == ["fix: two"]


def test_every_run_stores_a_snapshot_that_renders_identically(env):
    from commitwatch.render.json import render_json
    from commitwatch.render.markdown import render_markdown

    repo, settings, store = env
    repo.write("src/a.py", "1\n")
    repo.commit("feat: one | two <b>", committed="2026-02-07T10:00:00+08:00")
    window = day_window(at("2026-02-07").date(), "Asia/Shanghai")
    result = run_report(settings, ReportRequest(RepoConfig(repo=str(repo.path)), window=window, use_llm=False), store)
    stored = store.load_report(result.report.repo, language="zh-CN", day=window.day)
    assert stored is not None
    assert render_markdown(stored) == render_markdown(result.report)
    assert render_json(stored) == render_json(result.report)


def test_failed_run_is_recorded_as_failed(env, tmp_path):
    repo, settings, store = env
    repo.write("a.py", "1\n")
    repo.commit("feat: one", committed="2026-02-07T10:00:00+08:00")
    (tmp_path / "out").write_text("a file where the output folder should be")
    window = day_window(at("2026-02-07").date(), "Asia/Shanghai")
    with pytest.raises(Exception, match="cannot write"):
        run_report(settings, ReportRequest(RepoConfig(repo=str(repo.path)), window=window, use_llm=False), store)
    assert store.history(None, 1)[0].status == "failed"
