"""A full disk or a failing store mid-run keeps every finished analysis, marks the run failed with the
reason and says so clearly (exit 6, an output error); a full output directory is the same output error.

The disk fills for real: the CLI runs in a child process whose RLIMIT_FSIZE caps how large any file may
grow (SIGXFSZ ignored, so writes fail with EFBIG as on a full disk). No root, no mounts."""

from __future__ import annotations

import json
import os
import resource
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.openai_server import FakeOpenAI
from tests.gitrepo import GitRepo
from tests.hostile import llm_config

pytestmark = pytest.mark.skipif(not hasattr(resource, "RLIMIT_FSIZE"), reason="needs RLIMIT_FSIZE")
COMMITS = 30


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> Path:
    r = GitRepo.create(tmp_path_factory.mktemp("disk") / "full-disk")
    r.write("README.md", "x\n")
    r.commit("chore: initial", committed="2026-02-06T09:00:00+08:00")
    for i in range(COMMITS):
        r.write(f"src/mod_{i}.py", "".join(f"def f_{i}_{j}(x):\n    return x * {j}\n" for j in range(40)))
        r.commit(f"feat(mod{i}): add module {i}\n\n" + "Details of the change. " * 40,
                 committed=f"2026-02-07T10:{i:02d}:00+08:00")
    return r.path


def _cli(args: list[str], env: dict[str, str], limit: int | None = None) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run([sys.executable, "-m", "commitwatch", *args], env=env, capture_output=True, text=True,
                          timeout=300, preexec_fn=cap if limit is not None else None)


def _setup(tmp_path: Path, server: FakeOpenAI) -> tuple[list[str], dict[str, str]]:
    config = llm_config(tmp_path, server.base_url, concurrency=2)
    env = {**os.environ, "COMMITWATCH_LLM_API_KEY": "sk-test-0123456789", "COMMITWATCH_DB": str(tmp_path / "s.db")}
    return ["--config", str(config)], env


def _query(db: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def test_the_store_filling_mid_run_keeps_finished_analyses_and_marks_the_run_failed(repo, tmp_path):
    db = tmp_path / "s.db"
    with FakeOpenAI() as server:
        server.latency = 0.05
        base, env = _setup(tmp_path, server)
        report = ["report", *base, "--repo", str(repo), "--date", "2026-02-07"]
        first = _cli([*report, "--no-llm"], env)  # the store exists, with the commits
        assert first.returncode == 0, first.stderr
        limit = db.stat().st_size + 120_000  # room for a few analyses in the write-ahead log, not for 30
        full = _cli(report, env, limit=limit)
        assert full.returncode == 6, full.stderr
        assert "internal error" not in full.stderr and "Traceback" not in full.stderr
        assert "full" in full.stderr.lower() or "space" in full.stderr.lower()
        kept = {row[0] for row in _query(db, "SELECT sha FROM analyses WHERE analyzer = 'llm'")}
        assert 0 < len(kept) < COMMITS, len(kept)  # finished analyses are in the store; the disk filled mid-run
        status, warnings = _query(db, "SELECT status, warnings FROM runs ORDER BY id DESC LIMIT 1")[0]
        assert status == "failed"
        assert "full" in (warnings or "").lower() or "space" in (warnings or "").lower()
        asked = len([r for r in server.requests if not r.is_highlights])
        again = _cli(report, env)  # space again: the rerun pays only for what was not finished
        assert again.returncode == 0, again.stderr
        assert len([r for r in server.requests if not r.is_highlights]) - asked == COMMITS - len(kept)
    data = json.loads(next((tmp_path / "out").rglob("*.json")).read_text(encoding="utf-8"))
    assert [c["analyzer"] for c in data["commits"]] == ["llm"] * COMMITS


def test_a_full_output_directory_is_an_output_error_and_loses_nothing(repo, tmp_path):
    db = tmp_path / "s.db"
    with FakeOpenAI() as server:
        base, env = _setup(tmp_path, server)
        report = ["report", *base, "--repo", str(repo), "--date", "2026-02-07"]
        done = _cli(report, env)
        assert done.returncode == 0, done.stderr
        html = next((tmp_path / "out").rglob("*.html"))
        html.unlink()
        limit = 40_000  # the store's log has room for the run's few small writes; the HTML page does not fit
        assert len(done.stdout + done.stderr) >= 0
        full = _cli(report, env, limit=limit)  # every analysis from the store; writing the report fails
        assert full.returncode == 6, full.stderr
        assert "internal error" not in full.stderr and "Traceback" not in full.stderr
        assert "cannot write" in full.stderr
        assert len(server.requests) == COMMITS + 1  # nothing was asked again
    status = _query(db, "SELECT status FROM runs ORDER BY id DESC LIMIT 1")[0][0]
    assert status == "failed"
    assert len(_query(db, "SELECT sha FROM analyses WHERE analyzer = 'llm'")) == COMMITS
    assert not [p for p in (tmp_path / "out").rglob("*.tmp")]  # no half-written temp file left behind
