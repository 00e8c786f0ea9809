"""The GitHub Actions workflow example and the composite action: their structure, and the action's own
run script executed by bash against a real repository and the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.gitrepo import GitRepo

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / "examples" / "github-actions" / "daily-report.yml"
ACTION = ROOT / "action.yml"


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_workflow_is_scheduled_cached_and_least_privileged() -> None:
    flow = load(WORKFLOW)
    triggers = flow.get("on", flow.get(True))  # YAML 1.1 reads a bare `on` as true
    assert "schedule" in triggers and "workflow_dispatch" in triggers
    assert flow["permissions"] == {"contents": "write", "issues": "write", "pull-requests": "read"}
    steps = flow["jobs"]["report"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert "actions/cache/restore@v4" in uses and "actions/cache/save@v4" in uses
    save = next(s for s in steps if s.get("uses") == "actions/cache/save@v4")
    assert save["if"] == "always()"
    text = WORKFLOW.read_text(encoding="utf-8")
    assert "secrets.COMMITWATCH_LLM_API_KEY" in text and "GITHUB_TOKEN: ${{ github.token }}" in text
    # inputs reach scripts through env, never pasted into them
    assert all("${{" not in str(s.get("run", "")) for s in steps)


def test_action_inputs_and_steps() -> None:
    action = load(ACTION)
    assert set(action["inputs"]) >= {"config", "window"}
    assert action["runs"]["using"] == "composite"
    steps = action["runs"]["steps"]
    assert all("${{" not in str(s.get("run", "")) for s in steps)
    assert [s.get("uses") for s in steps if s.get("uses", "").startswith("actions/cache")] == [
        "actions/cache/restore@v4", "actions/cache/save@v4"]


def _run_script() -> str:
    steps = load(ACTION)["runs"]["steps"]
    return str(next(s for s in steps if s.get("id") == "run")["run"])


@pytest.mark.parametrize(("window", "expected"), [
    ("2026-02-07", "2026-02-07"),
    ("2026-02-07T00:00..2026-02-07T12:00", "2026-02-07T0000--2026-02-07T1200"),
])
def test_action_run_script_runs_commitwatch(tmp_path: Path, window: str, expected: str) -> None:
    repo = GitRepo.create(tmp_path / "src")
    repo.write("a.py", "print(1)\n")
    repo.commit("feat: a", committed="2026-02-07T10:00:00+08:00")
    config = tmp_path / "commitwatch.toml"
    config.write_text(f'output_dir = "{tmp_path / "reports"}"\n[[repos]]\nrepo = "{repo.path}"\n', encoding="utf-8")
    output = tmp_path / "github_output"
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(tmp_path),
        "GITHUB_OUTPUT": str(output),
        "CW_CONFIG": str(config),
        "CW_WINDOW": window,
        "CW_ALLOW_DEGRADED": "false",
        "CW_STATE": str(tmp_path / "state"),
    }
    done = subprocess.run(["bash", "-e", "-c", _run_script()], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert output.read_text(encoding="utf-8").strip() == "exit-code=0"
    data = json.loads((tmp_path / "reports" / "2026" / "src" / f"{expected}.json").read_text(encoding="utf-8"))
    assert data["stats"]["total"] == 1
    assert (tmp_path / "state" / "commitwatch.db").exists()  # the store lives where the cache saves it
