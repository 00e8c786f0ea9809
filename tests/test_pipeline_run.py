"""`commitwatch run` over many repositories with one shared analysis pool, against the fake
OpenAI-compatible server over real HTTP, real git repositories and a real SQLite file: one pool for all,
highlights as soon as a repository is done, a failing repository beside working ones, kill -9 and
resume, and the negotiated structured-output mode remembered across restarts."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from commitwatch.storage import Store
from tests.cli import run_cli
from tests.fakes.openai_server import FakeOpenAI
from tests.gitrepo import GitRepo
from tests.test_pipeline_llm import _stored

_SHA = re.compile(r"^sha: ([0-9a-f]{40})$", re.M)
DAY = "2026-02-07"


def make_repo(root: Path, name: str, commits: int) -> GitRepo:
    repo = GitRepo.create(root / name)
    for i in range(commits):
        repo.write(f"src/{name}/mod{i % 4}.py", f"def f{i}():\n    return {i}\n" * (i % 3 + 1))
        repo.commit(f"feat({name}): change {i}", committed=f"{DAY}T{8 + i // 6:02d}:{(i * 7) % 60:02d}:00+08:00")
    return repo


def write_config(tmp_path: Path, server: FakeOpenAI, repos: list[Path | str], **llm: object) -> Path:
    lines = [f'output_dir = "{tmp_path / "out"}"', f'cache_dir = "{tmp_path / "cache"}"', 'formats = ["json"]',
             'language = "en"']
    for repo in repos:
        lines += ["[[repos]]", f"repo = {json.dumps(str(repo))}"]
    settings = {"base_url": server.base_url, "model": "fake-model", "retry_backoff": 0.05, "max_retry_wait": 2}
    settings.update(llm)
    lines.append("[llm]")
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    config = tmp_path / "cw.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config


def report_of(tmp_path: Path, name: str) -> dict:
    return json.loads((tmp_path / "out" / "2026" / name / f"{DAY}.json").read_text(encoding="utf-8"))


def analysed_shas(server: FakeOpenAI, start: int = 0) -> list[str]:
    return [m.group(1) for r in server.analysis_requests()[start:] if (m := _SHA.search(r.user))]


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("COMMITWATCH_LLM_API_KEY", "sk-test")
    monkeypatch.setenv("COMMITWATCH_DB", str(tmp_path / "store.db"))
    for name in ("COMMITWATCH_CONFIG", "COMMITWATCH_LLM_BASE_URL", "COMMITWATCH_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_one_pool_for_every_repository_and_highlights_as_soon_as_each_is_done(env, server):
    small = make_repo(env, "small", 2)
    big = make_repo(env, "big", 14)
    other = make_repo(env, "other", 6)
    server.latency = 0.1
    config = write_config(env, server, [big.path, small.path, other.path], concurrency=3)
    result = run_cli("run", "--config", str(config), "--date", DAY)

    assert server.max_active <= 3  # one concurrency limit for the whole run, not one per repository
    assert len(server.requests) == 2 + 14 + 6 + 3  # every commit once, one highlights request per repository
    for name, count in (("small", 2), ("big", 14), ("other", 6)):
        data = report_of(env, name)
        assert [c["analyzer"] for c in data["commits"]] == ["llm"] * count
        assert data["highlights"] and data["usage"]["requests"] == count + 1
    # the small repository's highlights left while the big one's commits were still being sent
    small_shas = {c["sha"] for c in report_of(env, "small")["commits"]}
    highlights = [r.index for r in server.requests if r.is_highlights and any(s[:7] in r.user for s in small_shas)]
    big_shas = {c["sha"] for c in report_of(env, "big")["commits"]}
    last_big = max(r.index for r in server.analysis_requests() if _SHA.search(r.user).group(1) in big_shas)
    assert highlights and highlights[0] < last_big
    # the summary table names every repository, and the run's totals
    assert all(name in result.stderr for name in ("small", "big", "other"))
    assert "run: LLM requests 25" in result.stderr


def test_a_failing_repository_leaves_the_others_written_and_exits_non_zero(env, server):
    first = make_repo(env, "first", 3)
    second = make_repo(env, "second", 4)
    not_git = env / "plain-dir"
    not_git.mkdir()
    (not_git / "file.txt").write_text("not a repository\n")
    config = write_config(env, server, [first.path, not_git, env / "missing", second.path])
    result = run_cli("run", "--config", str(config), "--date", DAY, expect=3)

    assert len(report_of(env, "first")["commits"]) == 3
    assert len(report_of(env, "second")["commits"]) == 4
    errors = [line for line in result.stderr.splitlines() if line.startswith("commitwatch: error:")]
    assert len(errors) == 2 and any("plain-dir" in e for e in errors) and any("missing" in e for e in errors)
    assert "2 of 4 repositories failed" in result.stderr
    assert len(server.requests) == 3 + 4 + 2  # the failures cost no request
    with Store.open(env / "store.db") as store:
        statuses = sorted((row.repo, row.status) for row in store.history(None, 10))
    assert statuses == [("first", "ok"), ("second", "ok")]


def test_a_failing_repository_is_still_reported_failed_without_an_llm(env, server):
    good = make_repo(env, "good", 2)
    config = write_config(env, server, [env / "missing", good.path])
    result = run_cli("run", "--config", str(config), "--date", DAY, "--no-llm", expect=3)
    assert len(report_of(env, "good")["commits"]) == 2
    assert "failed" in result.stderr and server.requests == []


@pytest.mark.timeout(180)
def test_kill_9_mid_multi_repository_run_then_rerun_asks_only_for_what_was_unfinished(env, server):
    small = make_repo(env, "small", 2)
    big = make_repo(env, "big", 15)
    other = make_repo(env, "other", 15)
    server.latency = 0.3
    config = write_config(env, server, [small.path, big.path, other.path], concurrency=2)
    db = env / "store.db"
    log = open(env / "killed.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "-m", "commitwatch", "--quiet", "run", "--config", str(config), "--date", DAY],
        env={**os.environ}, stdout=log, stderr=subprocess.STDOUT,
    )
    small_report = env / "out" / "2026" / "small" / f"{DAY}.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not (small_report.exists() and db.exists() and len(_stored(db)) >= 8):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    log.close()
    done_before_kill = _stored(db)
    written = {name for name in ("small", "big", "other") if (env / "out" / "2026" / name / f"{DAY}.json").exists()}
    assert "small" in written, (env / "killed.log").read_text()
    assert written != {"small", "big", "other"}, "the kill must land mid-run"
    assert 8 <= len(done_before_kill) < 32, "the kill must land mid-run"
    asked_before, requests_before = len(server.analysis_requests()), len(server.requests)

    server.latency = 0.0
    run_cli("run", "--config", str(config), "--date", DAY)
    rerun = analysed_shas(server, asked_before)
    every = {c["sha"] for name in ("small", "big", "other") for c in report_of(env, name)["commits"]}
    assert set(rerun).isdisjoint(done_before_kill)
    assert sorted(rerun) == sorted(every - done_before_kill)  # each unfinished commit asked exactly once
    # a repository whose report was written before the kill costs nothing, not even its highlights
    highlights = [r for r in server.requests[requests_before:] if r.is_highlights]
    assert len(highlights) == 3 - len(written)
    for name in written:
        shas = {c["sha"][:7] for c in report_of(env, name)["commits"]}
        assert not any(s in r.user for r in highlights for s in shas)
    for name in ("small", "big", "other"):
        assert {c["analyzer"] for c in report_of(env, name)["commits"]} == {"llm"}


def test_the_negotiated_mode_survives_a_restart_and_can_be_forgotten(env, server):
    repo = make_repo(env, "proj", 3)
    server.accepts = {"json_object+schema", "json_object", "prompt"}  # refuses json_schema
    config = write_config(env, server, [repo.path])
    run_cli("run", "--config", str(config), "--date", DAY)
    first = [r.response_format for r in server.requests]
    assert "json_schema" in first and first[-1] == "json_object+schema"

    # a new process on the same store: no refused request, no extra round
    env_vars = {**os.environ}
    subprocess.run([sys.executable, "-m", "commitwatch", "--quiet", "run", "--config", str(config), "--date", DAY,
                    "--lang", "zh-CN"], env=env_vars, check=True, capture_output=True)
    second = [r.response_format for r in server.requests[len(first):]]
    assert len(second) == 4 and set(second) == {"json_object+schema"}
    with Store.open(env / "store.db") as store:
        assert store.llm_mode(server.base_url, "fake-model") == "json_object+schema"
        assert store.forget_llm_mode(server.base_url + "/", "fake-model") == 1
        assert store.llm_mode(server.base_url, "fake-model") is None

    # forgotten (the server changed): the next run negotiates from the strongest mode again
    server.accepts = {"json_schema", "json_object+schema", "json_object", "prompt"}
    run_cli("run", "--config", str(config), "--date", DAY, "--lang", "en", "--no-llm")  # no LLM: nothing learnt
    repo.write("src/new.py", "x = 1\n")
    repo.commit("feat: one more", committed=f"{DAY}T20:00:00+08:00")
    before = len(server.requests)
    run_cli("run", "--config", str(config), "--date", DAY)
    assert {r.response_format for r in server.requests[before:]} == {"json_schema"}


def test_only_the_first_repository_is_collected_while_the_llm_stack_imports() -> None:
    """``RunState.collect_turn``: the first ``head_start`` repositories go at once; the others wait for the
    import (it holds the interpreter lock as collecting does), and nobody waits once it is done or failed."""
    import asyncio

    from commitwatch.runstate import RunState

    async def scenario() -> list[str]:
        state = RunState(None, None, None, None, None, None, None, asyncio.Semaphore(4))  # type: ignore[arg-type]
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        state.client_code = asyncio.ensure_future(gate)
        state.head_start = 1
        order: list[str] = []

        async def repository(name: str) -> None:
            await state.collect_turn()
            order.append(name)

        tasks = [asyncio.ensure_future(repository(name)) for name in ("first", "second", "third")]
        await asyncio.sleep(0.05)
        order.append("imported")
        gate.set_exception(ImportError("no openai"))  # a failed import is the first request's to report
        await asyncio.gather(*tasks)
        await state.collect_turn()  # after the import: no wait
        assert isinstance(gate.exception(), ImportError)
        return order

    assert asyncio.run(scenario()) == ["first", "imported", "second", "third"]
