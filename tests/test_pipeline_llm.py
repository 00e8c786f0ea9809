"""`commitwatch report` with an LLM (the fake OpenAI-compatible server over real HTTP) and the store:
cached reruns, resuming after kill -9, concurrent runs, degraded exits."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from commitwatch.demo import build_demo_repo
from tests.cli import run_cli
from tests.fakes.openai_server import FakeOpenAI, Reply

_SHA = re.compile(r"^sha: ([0-9a-f]{40})$", re.M)


@pytest.fixture(scope="module")
def demo_repo(tmp_path_factory) -> Path:
    return build_demo_repo(tmp_path_factory.mktemp("demo-cache"))


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def setup(tmp_path, server, monkeypatch):
    config = tmp_path / "cw.toml"
    config.write_text(
        f'output_dir = "{tmp_path / "out"}"\ncache_dir = "{tmp_path / "cache"}"\n'
        f'[llm]\nbase_url = "{server.base_url}"\nmodel = "fake-model"\nretry_backoff = 0.05\nmax_retry_wait = 2\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("COMMITWATCH_LLM_API_KEY", "sk-test")
    monkeypatch.setenv("COMMITWATCH_DB", str(tmp_path / "store.db"))
    for name in ("COMMITWATCH_CONFIG", "COMMITWATCH_LLM_BASE_URL", "COMMITWATCH_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return config


def analysed_shas(server: FakeOpenAI) -> list[str]:
    return [m.group(1) for r in server.analysis_requests() if (m := _SHA.search(r.user))]


def report_json(tmp_path: Path, lang_suffix: str = "") -> dict:
    return json.loads((tmp_path / "out/2026/dynamo-sample/2026-02-07.json").read_text(encoding="utf-8"))


def report(config: Path, repo: Path, *extra: str, expect: int = 0):
    return run_cli("report", "--config", str(config), "--repo", str(repo), "--date", "2026-02-07", *extra,
                   expect=expect)


def test_llm_report_then_cached_rerun_makes_no_request(setup, server, demo_repo, tmp_path):
    result = report(setup, demo_repo)
    data = report_json(tmp_path)
    assert data["analyzer"] == {"kind": "llm", "model": "fake-model"}
    assert [c["analyzer"] for c in data["commits"]] == ["llm"] * 31
    assert data["usage"]["requests"] == 32  # 31 commits + the highlights
    assert len(server.requests) == 32
    assert sorted(analysed_shas(server)) == sorted(c["sha"] for c in data["commits"])
    assert "LLM requests 32" in result.stderr
    md = (tmp_path / "out/2026/dynamo-sample/2026-02-07.md").read_text(encoding="utf-8")

    rerun = report(setup, demo_repo)
    assert len(server.requests) == 32  # nothing new was asked
    assert "31 analyses from the store, 0 to analyse" in rerun.stderr
    again = report_json(tmp_path)
    assert again["commits"] == data["commits"] and again["highlights"] == data["highlights"]
    assert again["usage"]["requests"] == 0
    strip = re.compile(r"^.*(生成时间|LLM).*$", re.M)  # the footer: when, and this run's usage
    new_md = (tmp_path / "out/2026/dynamo-sample/2026-02-07.md").read_text(encoding="utf-8")
    assert strip.sub("", new_md).rstrip() == strip.sub("", md).rstrip()


def test_changing_language_or_model_reanalyses_only_that(setup, server, demo_repo):
    report(setup, demo_repo)
    report(setup, demo_repo, "--lang", "en")
    assert len(server.requests) == 64  # a new language is a new analysis
    report(setup, demo_repo)
    assert len(server.requests) == 64  # zh-CN is still cached
    run_cli("report", "--config", str(setup), "--repo", str(demo_repo), "--date", "2026-02-07",
            env={"COMMITWATCH_LLM_MODEL": "fake-model-2"})
    assert len(server.requests) == 96
    assert {r.model for r in server.requests[64:]} == {"fake-model-2"}


def test_every_request_forbidden_degrades_with_exit_4(setup, server, demo_repo, tmp_path):
    server.responder = lambda request: Reply.error(403, "Forbidden", type="permission_denied")
    result = report(setup, demo_repo, expect=4)
    assert len(server.requests) <= 12  # the circuit breaker stops calling: not one request per commit
    data = report_json(tmp_path)
    assert [c["analyzer"] for c in data["commits"]] == ["rules-fallback"] * 31
    assert all(c["fallback_reason"] for c in data["commits"])
    assert data["warnings"]
    md = (tmp_path / "out/2026/dynamo-sample/2026-02-07.md").read_text(encoding="utf-8")
    assert data["warnings"][0][:20] in md.replace("\\", "")[:3000]  # the warning sits at the top
    assert "degraded" in result.stderr and "--allow-degraded" in result.stderr
    # a fallback is not cached as final: the next run asks the LLM again, and succeeds
    server.responder = None
    report(setup, demo_repo, "--allow-degraded")
    assert [c["analyzer"] for c in report_json(tmp_path)["commits"]] == ["llm"] * 31


def test_allow_degraded_exits_zero(setup, server, demo_repo):
    server.responder = lambda request: Reply.error(401, "bad key", type="invalid_request_error", code="invalid_api_key")
    report(setup, demo_repo, "--allow-degraded", expect=0)


def test_missing_api_key_is_a_config_error(setup, demo_repo, monkeypatch):
    monkeypatch.delenv("COMMITWATCH_LLM_API_KEY")
    result = report(setup, demo_repo, expect=2)
    assert "COMMITWATCH_LLM_API_KEY" in result.stderr and "--no-llm" in result.stderr


def test_no_llm_flag_uses_rules(setup, server, demo_repo, tmp_path):
    report(setup, demo_repo, "--no-llm")
    assert server.requests == []
    assert report_json(tmp_path)["analyzer"] == {"kind": "rules", "model": None}


def _spawn(config: Path, repo: Path, tmp_path: Path, name: str) -> subprocess.Popen:
    env = {**os.environ, "COMMITWATCH_LLM_API_KEY": "sk-test", "COMMITWATCH_DB": str(tmp_path / "store.db")}
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "commitwatch", "report", "--config", str(config), "--repo", str(repo),
         "--date", "2026-02-07", "--allow-degraded"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )


def _stored(db: Path) -> set[str]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {row[0] for row in conn.execute("SELECT sha FROM analyses WHERE analyzer = 'llm'")}
    except sqlite3.OperationalError:  # the run has not created its tables yet
        return set()
    finally:
        conn.close()


@pytest.mark.timeout(120)
def test_kill_9_mid_run_then_rerun_asks_only_for_unfinished_commits(setup, server, demo_repo, tmp_path):
    server.latency = 0.3
    process = _spawn(setup, demo_repo, tmp_path, "killed")
    db = tmp_path / "store.db"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if db.exists() and len(_stored(db)) >= 10:
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before_kill = _stored(db)
    assert 10 <= len(done_before_kill) < 31, "the kill must land mid-run"
    asked_before = len(analysed_shas(server))

    server.latency = 0.0
    report(setup, demo_repo)
    rerun_shas = analysed_shas(server)[asked_before:]
    assert set(rerun_shas).isdisjoint(done_before_kill)
    data = report_json(tmp_path)
    assert set(rerun_shas) == {c["sha"] for c in data["commits"]} - done_before_kill
    assert [c["analyzer"] for c in data["commits"]] == ["llm"] * 31
    history = run_cli("history").stdout
    assert "interrupted" in history or "running" in history


@pytest.mark.timeout(120)
def test_two_runs_at_once_analyse_each_commit_once(setup, server, demo_repo, tmp_path):
    server.latency = 0.2
    first = _spawn(setup, demo_repo, tmp_path, "first")
    second = _spawn(setup, demo_repo, tmp_path, "second")
    assert first.wait(timeout=100) == 0, (tmp_path / "first.log").read_text()
    assert second.wait(timeout=100) == 0, (tmp_path / "second.log").read_text()
    counts = Counter(analysed_shas(server))
    assert len(counts) == 31
    assert set(counts.values()) == {1}, counts
    assert [c["analyzer"] for c in report_json(tmp_path)["commits"]] == ["llm"] * 31
    conn = sqlite3.connect(tmp_path / "store.db")
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_weekly_digest_makes_one_request_over_stored_results(setup, server, demo_repo, tmp_path):
    report(setup, demo_repo)
    asked = len(server.requests)
    run_cli("report", "--config", str(setup), "--repo", str(demo_repo), "--week", "2026-W06")
    assert len(server.requests) == asked + 1
    assert server.requests[-1].is_highlights and "diff --git" not in server.requests[-1].user
    data = json.loads((tmp_path / "out/2026/dynamo-sample/2026-W06.json").read_text(encoding="utf-8"))
    assert data["analyzer"]["kind"] == "llm" and data["usage"]["requests"] == 1
    assert len(data["commits"]) == 31
    assert any("核心行为" in line for line in data["highlights"])  # the fake model's themes
    run_cli("report", "--config", str(setup), "--repo", str(demo_repo), "--week", "2026-W06", "--no-llm")
    assert len(server.requests) == asked + 1
