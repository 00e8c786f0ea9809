"""GitHub in the pipeline, through the real CLI: pull request context in reports (Markdown, JSON, the
prompt, triage), reruns that ask GitHub nothing, publishing after `run`, failures that never lose files.
Real git repositories, the fake GitHub server and the fake OpenAI server, over real HTTP."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from commitwatch.errors import ExitCode
from tests.cli import run_cli
from tests.fakes.github_server import FakeGitHub, Scripted
from tests.fakes.openai_server import FakeOpenAI
from tests.gitrepo import GitRepo

TOKEN = "ghp_pipeline_token_0123456789abcdef"
GH_REPO = "acme/engine"
DAY = "2026-02-07"
MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9]")


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for name in ("GITHUB_TOKEN", "COMMITWATCH_LLM_API_KEY", "COMMITWATCH_LLM_BASE_URL", "COMMITWATCH_LLM_MODEL",
                 "COMMITWATCH_CONFIG", "COMMITWATCH_GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    return {"COMMITWATCH_DB": str(tmp_path / "store.db"), "COMMITWATCH_CACHE_DIR": str(tmp_path / "cache")}


def build_repo(path: Path, count: int) -> tuple[GitRepo, list[str]]:
    """``count`` commits on the day, oldest first; returns the SHAs newest first (the report's order)."""
    repo = GitRepo.create(path)
    shas = []
    for i in range(count):
        repo.write(f"src/mod{i}.py", f"value = {i}\n")
        subject = "Update handler @someone" if i == 0 else f"change {i}"
        shas.append(repo.commit(subject, committed=f"{DAY}T{10 + i // 60:02d}:{i % 60:02d}:00+08:00"))
    return repo, shas[::-1]


def serve_pulls(gh: FakeGitHub, shas: list[str]) -> None:
    for i, sha in enumerate(shas):
        if i % 4 == 3:
            gh.add_commit(GH_REPO, sha)  # pushed directly: no pull request
        else:
            gh.add_pull(GH_REPO, sha, number=500 + i, title=f"Make the handler faster {i} cc @reviewer",
                        body=f"Because {i}. token=ghp_{'x' * 36}", labels=["bug"] if i % 2 else ["perf", "kernel"])


def config_file(tmp_path: Path, repos: list[tuple[Path | str, str | None]], extra: str = "") -> Path:
    lines = [f'output_dir = "{tmp_path / "reports"}"', 'language = "en"', 'formats = ["md", "json"]']
    for repo, github in repos:
        lines += ["[[repos]]", f'repo = "{repo}"'] + ([f'github = "{github}"'] if github else [])
    path = tmp_path / "commitwatch.toml"
    path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
    return path


def report_json(tmp_path: Path, slug: str) -> dict:
    return json.loads((tmp_path / "reports" / "2026" / slug / f"{DAY}.json").read_text(encoding="utf-8"))


def report_md(tmp_path: Path, slug: str) -> str:
    return (tmp_path / "reports" / "2026" / slug / f"{DAY}.md").read_text(encoding="utf-8")


def test_31_commits_get_pull_requests_in_one_request_and_a_rerun_asks_nothing(tmp_path: Path, env: dict) -> None:
    repo, shas = build_repo(tmp_path / "engine", 31)
    with FakeGitHub(token=TOKEN) as gh:
        serve_pulls(gh, shas)
        env |= {"GITHUB_TOKEN": TOKEN, "COMMITWATCH_GITHUB_API_URL": gh.api_url}
        run_cli("report", "--repo", str(repo.path), "--github-repo", GH_REPO, "--date", DAY, "--lang", "en",
                "--output-dir", str(tmp_path / "reports"), env=env)
        assert len(gh.pull_requests_made()) == 1 and gh.pull_requests_made()[0].is_graphql
        data = report_json(tmp_path, "engine")
        by_sha = {c["sha"]: c for c in data["commits"]}
        first = by_sha[shas[0]]
        assert first["pr"] == {"number": 500, "title": "Make the handler faster 0 cc @reviewer",
                               "url": f"https://github.com/{GH_REPO}/pull/500", "labels": ["perf", "kernel"]}
        assert by_sha[shas[3]]["pr"] is None
        assert by_sha[shas[1]]["triage"]["change_type"] == "fix"  # the "bug" label fed triage
        assert not any("pull request" in w.lower() for w in data["warnings"])
        md = report_md(tmp_path, "engine")
        assert f"([#500](https://github.com/{GH_REPO}/pull/500))" in md  # the table links the PR
        assert "🏷️ perf, kernel" in md
        assert "ghp_" not in json.dumps(data) + md  # PR text is redacted like commit text

        # a rerun (and a re-render) asks GitHub nothing
        run_cli("report", "--repo", str(repo.path), "--github-repo", GH_REPO, "--date", DAY, "--lang", "en",
                "--output-dir", str(tmp_path / "reports"), env=env)
        assert len(gh.pull_requests_made()) == 1
        assert report_json(tmp_path, "engine")["commits"][0]["pr"] == first["pr"]
    run_cli("render", "--repo", str(repo.path), "--date", DAY, "--lang", "en",
            "--output-dir", str(tmp_path / "rendered"), env=env)
    rendered = json.loads((tmp_path / "rendered" / "2026" / "engine" / f"{DAY}.json").read_text(encoding="utf-8"))
    assert rendered["commits"][0]["pr"] == first["pr"]


def test_pull_request_text_reaches_the_prompt_inside_the_data_block(tmp_path: Path, env: dict) -> None:
    repo, shas = build_repo(tmp_path / "engine", 2)
    with FakeGitHub(token=TOKEN) as gh, FakeOpenAI() as llm:
        serve_pulls(gh, shas)
        gh.fail_graphql = True  # and through the REST fallback
        env |= {"GITHUB_TOKEN": TOKEN, "COMMITWATCH_GITHUB_API_URL": gh.api_url,
                "COMMITWATCH_LLM_BASE_URL": llm.base_url, "COMMITWATCH_LLM_MODEL": "fake-model",
                "COMMITWATCH_LLM_API_KEY": "sk-test"}
        run_cli("report", "--repo", str(repo.path), "--github-repo", GH_REPO, "--date", DAY, "--lang", "en",
                "--output-dir", str(tmp_path / "reports"), env=env)
        assert len([r for r in gh.requests if r.path.endswith("/pulls")]) == 2
        prompt = next(r.user for r in llm.analysis_requests() if shas[0] in r.user)
    block = re.search(r"<commit-data[^>]*>(.*)</commit-data", prompt, re.S)
    assert block is not None and "## Pull request #500" in block.group(1)
    assert "Make the handler faster 0" in block.group(1) and "ghp_xxxx" not in prompt


def test_without_a_token_the_report_says_so_once(tmp_path: Path, env: dict) -> None:
    repo, _shas = build_repo(tmp_path / "engine", 3)
    run_cli("report", "--repo", str(repo.path), "--github-repo", GH_REPO, "--date", DAY, "--lang", "en",
            "--output-dir", str(tmp_path / "reports"), env=env)
    data = report_json(tmp_path, "engine")
    notes = [w for w in data["warnings"] if "pull request" in w.lower()]
    assert notes == ["No pull request context: $GITHUB_TOKEN is not set."]
    assert all(c["pr"] is None for c in data["commits"]) and data["stats"]["total"] == 3
    assert report_md(tmp_path, "engine").count("No pull request context") == 1


def test_exhausted_rate_limit_skips_with_one_warning_and_the_next_run_fills_in(tmp_path: Path, env: dict) -> None:
    repo, shas = build_repo(tmp_path / "engine", 3)
    with FakeGitHub(token=TOKEN, rate_limit=0, reset_in=3600) as gh:
        serve_pulls(gh, shas)
        env |= {"GITHUB_TOKEN": TOKEN, "COMMITWATCH_GITHUB_API_URL": gh.api_url}
        config = config_file(tmp_path, [(repo.path, GH_REPO)], "[github]\nmax_wait = 5\n")
        run_cli("run", "--config", str(config), "--date", DAY, env=env)
        data = report_json(tmp_path, "engine")
        [note] = [w for w in data["warnings"] if "pull request" in w.lower()]
        assert "3 commits" in note and "rate limit" in note
        gh.rate_limit = 5000
        run_cli("run", "--config", str(config), "--date", DAY, env=env)
        assert report_json(tmp_path, "engine")["commits"][0]["pr"]["number"] == 500


def test_run_publishes_files_once_then_updates_and_never_mentions(tmp_path: Path, env: dict) -> None:
    repo, shas = build_repo(tmp_path / "engine", 3)
    with FakeGitHub(token=TOKEN) as gh:
        serve_pulls(gh, shas)
        gh.add_repo("me/reports")
        env |= {"GITHUB_TOKEN": TOKEN, "COMMITWATCH_GITHUB_API_URL": gh.api_url}
        config = config_file(tmp_path, [(repo.path, GH_REPO)], '[publish]\ngithub_repo = "me/reports"\n')
        run_cli("run", "--config", str(config), "--date", DAY, env=env)
        repo.write("late.py", "x = 1\n")
        repo.commit("fix: a late one, thanks @helper", committed=f"{DAY}T23:00:00+08:00")
        run_cli("run", "--config", str(config), "--date", DAY, env=env)
        reports = [c for c in gh.commits if c["path"].endswith(f"{DAY}.md")]
        assert [c["created"] for c in reports] == [True, False]  # one create, then one update
        assert reports[0]["message"] == "Report: engine - 2026-02-07"
        text = gh.file("me/reports", f"reports/2026/engine/{DAY}.md")
        assert text is not None and "someone" in text and "helper" in text
        assert not MENTION.search(text)
        assert gh.file("me/reports", "reports/README.md") is not None
        assert len({p for (_r, _b, p) in gh.files}) == 2


def test_run_publishes_issues_once_then_edits(tmp_path: Path, env: dict) -> None:
    repo, _shas = build_repo(tmp_path / "engine", 2)
    with FakeGitHub(token=TOKEN) as gh:
        gh.add_repo("me/reports")
        env |= {"GITHUB_TOKEN": TOKEN, "COMMITWATCH_GITHUB_API_URL": gh.api_url}
        config = config_file(tmp_path, [(repo.path, GH_REPO)], '[publish]\ngithub_repo = "me/reports"\nissue = true\n')
        run_cli("run", "--config", str(config), "--date", DAY, env=env)
        first = gh.issues["me/reports"][1].body
        repo.write("late.py", "x = 1\n")
        repo.commit("fix: late, by @helper", committed=f"{DAY}T23:00:00+08:00")
        run_cli("run", "--config", str(config), "--date", DAY, env=env)
        issues = gh.issues["me/reports"]
        assert len(issues) == 1 and not MENTION.search(issues[1].body) and issues[1].body != first
        assert [r.method for r in gh.requests if "/issues" in r.path and r.method != "GET"] == ["POST", "PATCH"]


def test_a_failed_publish_keeps_the_files_exits_5_and_is_retried(tmp_path: Path, env: dict) -> None:
    repo, _shas = build_repo(tmp_path / "engine", 2)
    with FakeGitHub(token=TOKEN) as gh:
        gh.add_repo("me/reports")
        env |= {"GITHUB_TOKEN": TOKEN, "COMMITWATCH_GITHUB_API_URL": gh.api_url}
        config = config_file(tmp_path, [(repo.path, GH_REPO)], '[publish]\ngithub_repo = "me/reports"\n')
        gh.script(Scripted.error(403, "Resource not accessible by integration", only="/contents/"))
        result = run_cli("run", "--config", str(config), "--date", DAY, env=env, expect=ExitCode.DELIVERY)
        assert "publishing to github:me/reports failed" in result.stderr and "403" in result.stderr
        assert "the next run retries it (exit 5)" in result.stderr
        assert (tmp_path / "reports" / "2026" / "engine" / f"{DAY}.md").exists()
        assert gh.commits == []
        # the next run, for another day, publishes the failed report first, then its own
        run_cli("run", "--config", str(config), "--date", "2026-02-08", env=env)
        assert {c["path"] for c in gh.commits} >= {f"reports/2026/engine/{DAY}.md",
                                                   "reports/2026/engine/2026-02-08.md"}


def test_run_over_three_repositories_with_one_unreachable(tmp_path: Path, env: dict) -> None:
    one, _ = build_repo(tmp_path / "one", 2)
    two, _ = build_repo(tmp_path / "two", 1)
    with FakeGitHub(token=TOKEN) as gh:
        gh.add_repo("me/reports")
        env |= {"GITHUB_TOKEN": TOKEN, "COMMITWATCH_GITHUB_API_URL": gh.api_url}
        config = config_file(tmp_path, [(one.path, None), ("https://127.0.0.1:9/nobody/absent.git", None),
                                        (two.path, None)], '[publish]\ngithub_repo = "me/reports"\n')
        result = run_cli("run", "--config", str(config), "--date", DAY, env=env, expect=ExitCode.SOURCE)
        published = {c["path"] for c in gh.commits}
    assert report_json(tmp_path, "one")["stats"]["total"] == 2
    assert report_json(tmp_path, "two")["stats"]["total"] == 1
    assert "absent" in result.stderr and "1 of 3 repositories failed" in result.stderr
    assert {f"reports/2026/one/{DAY}.md", f"reports/2026/two/{DAY}.md"} <= published
