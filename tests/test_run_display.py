"""What `commitwatch run` prints (plain lines off a terminal, nothing with --quiet, one summary table,
control characters escaped) and what it imports (``openai`` only when a request is due)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from commitwatch.display import LiveProgress, LogProgress, print_summary, progress_for
from commitwatch.progress import RunProgress
from tests import test_pipeline_run as shared
from tests.cli import run_cli
from tests.test_pipeline_run import DAY, make_repo, write_config

ROOT = Path(__file__).resolve().parents[1]
env, server = shared.env, shared.server  # the same fixtures


def test_plain_lines_then_one_summary_table_off_a_terminal(env, server):
    first, second = make_repo(env, "alpha", 3), make_repo(env, "beta", 2)
    config = write_config(env, server, [first.path, second.path])
    result = run_cli("run", "--config", str(config), "--date", DAY)
    lines = result.stderr.splitlines()
    assert "alpha: collected 3 commits on main" in lines and "beta: collected 2 commits on main" in lines
    assert "alpha: 0 analyses from the store, 3 to analyse with fake-model" in lines
    assert any(line.startswith("wrote ") and line.endswith("alpha/2026-02-07.json") for line in lines)
    header = next(i for i, line in enumerate(lines) if line.split()[:3] == ["repository", "commits", "high"])
    assert header > max(i for i, line in enumerate(lines) if line.startswith("wrote "))  # the table comes last
    rows = [line.split() for line in lines[header + 1 : header + 3]]
    assert [row[0] for row in rows] == ["alpha", "beta"] and [row[1] for row in rows] == ["3", "2"]
    assert "run: LLM requests 7" in result.stderr
    assert "\x1b" not in result.stderr  # not a terminal: no colours, no cursor movement


def test_quiet_prints_nothing(env, server):
    repo = make_repo(env, "alpha", 2)
    config = write_config(env, server, [repo.path])
    result = run_cli("--quiet", "run", "--config", str(config), "--date", DAY)
    assert result.stderr == "" and result.stdout == ""


def test_names_from_the_repository_never_reach_the_terminal_as_control_codes(env, server):
    evil = make_repo(env, "evil\x1b[2J\x07name", 2)
    config = write_config(env, server, [evil.path])
    result = run_cli("run", "--config", str(config), "--date", DAY, "--no-llm")
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "evil\\x1b[2J\\x07name" in result.stderr
    # the same on a terminal, through the live display and the summary
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    live = progress_for(console, quiet=False)
    assert isinstance(live, LiveProgress)
    live.started(["evil\x1b[2Jname"])
    live.collected("evil\x1b[2Jname", 2, "ma\x1bin")
    live.failed("evil\x1b[2Jname", "boom \x1b]0;title\x07")
    live.finished()
    assert "\x1b[2J" not in out.getvalue() and "\x1b]0;" not in out.getvalue()


def test_the_watcher_matches_the_output(env):
    assert type(progress_for(Console(file=io.StringIO()), quiet=True)) is RunProgress
    assert isinstance(progress_for(Console(file=io.StringIO()), quiet=False), LogProgress)
    assert isinstance(progress_for(Console(file=io.StringIO(), force_terminal=True), quiet=False), LiveProgress)
    print_summary  # noqa: B018 - imported: the summary is exercised through the CLI above


def _imports_openai(config: Path, *args: str) -> tuple[int, bool]:
    code = ("import sys; from commitwatch.cli import main; rc = main(sys.argv[1:]); "
            "print('openai' in sys.modules); sys.exit(rc)")
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ})
    return proc.returncode, proc.stdout.strip().splitlines()[-1] == "True"


def test_openai_is_imported_only_when_a_request_is_due(env, server):
    repo = make_repo(env, "alpha", 2)
    config = write_config(env, server, [repo.path])
    assert _imports_openai(config, "--help") == (0, False)
    assert _imports_openai(config, "run", "--config", str(config), "--date", DAY, "--no-llm") == (0, False)
    assert _imports_openai(config, "run", "--config", str(config), "--date", DAY) == (0, True)
    asked = len(server.requests)
    assert _imports_openai(config, "run", "--config", str(config), "--date", DAY) == (0, False)  # all cached
    assert len(server.requests) == asked
    data = json.loads((env / "out/2026/alpha/2026-02-07.json").read_text())
    assert data["usage"]["requests"] == 0 and {c["analyzer"] for c in data["commits"]} == {"llm"}
