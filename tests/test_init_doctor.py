"""`commitwatch init` and `commitwatch doctor` through the real entry point, against real git, the fake
OpenAI server and the fake GitHub server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from commitwatch.config import load_settings
from commitwatch.errors import ExitCode
from tests.cli import run_cli
from tests.fakes.github_server import FakeGitHub
from tests.fakes.openai_server import FakeOpenAI
from tests.gitrepo import GitRepo

TOKEN = "ghp_doctor_token_0123456789"


@pytest.fixture
def fresh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine with no token, no LLM settings, its own store and cache."""
    for name in ("GITHUB_TOKEN", "COMMITWATCH_LLM_API_KEY", "COMMITWATCH_LLM_BASE_URL", "COMMITWATCH_LLM_MODEL",
                 "COMMITWATCH_CONFIG", "COMMITWATCH_GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("COMMITWATCH_DB", str(tmp_path / "store.db"))
    monkeypatch.setenv("COMMITWATCH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_init_writes_a_valid_commented_config_and_refuses_to_overwrite(fresh: Path) -> None:
    run_cli("init")
    path = fresh / "commitwatch.toml"
    text = path.read_text(encoding="utf-8")
    for repo in ("ai-dynamo/dynamo", "vllm-project/vllm", "sgl-project/sglang"):
        assert f'# repo = "{repo}"' in text
    assert "# [llm]" in text and "# [publish]" in text and "# [notify]" in text
    settings = load_settings(path, environ={})
    assert settings.repos == [] and not settings.llm.configured and not settings.publish.enabled
    path.write_text(text + "# mine\n", encoding="utf-8")
    result = run_cli("init", expect=ExitCode.USAGE)
    assert "already exists" in result.stderr
    assert path.read_text(encoding="utf-8").endswith("# mine\n")


def test_init_then_doctor_on_a_fresh_machine_lists_what_to_configure(fresh: Path) -> None:
    run_cli("init")
    result = run_cli("doctor", "--config", "commitwatch.toml", expect=ExitCode.USAGE)
    lines = result.stdout
    assert "ok    git: git " in lines
    assert "FAIL  repos: no repositories configured" in lines and "[[repos]]" in lines
    assert "warn  llm: no LLM configured" in lines and "COMMITWATCH_LLM_API_KEY" in lines
    assert "warn  github: $GITHUB_TOKEN is not set" in lines and "Export GITHUB_TOKEN" in lines
    assert "ok    store:" in lines and "ok    output:" in lines
    assert "1 failed, 2 warnings" in lines


def test_the_written_config_runs_once_a_repository_is_filled_in(fresh: Path) -> None:
    repo = GitRepo.create(fresh / "src")
    repo.write("a.py", "print(1)\n")
    repo.commit("feat: first @someone", committed="2026-02-07T10:00:00+08:00")
    run_cli("init")
    config = fresh / "commitwatch.toml"
    config.write_text(config.read_text(encoding="utf-8") + f'\n[[repos]]\nrepo = "{repo.path}"\n', encoding="utf-8")
    doctor = run_cli("doctor", "--config", str(config))
    assert "0 failed" in doctor.stdout and f"ok    repo {repo.path}: local repository" in doctor.stdout
    run_cli("run", "--config", str(config), "--date", "2026-02-07")
    data = json.loads((fresh / "reports" / "2026" / "src" / "2026-02-07.json").read_text(encoding="utf-8"))
    assert data["stats"]["total"] == 1 and data["commits"][0]["pr"] is None


def test_doctor_with_everything_configured(fresh: Path) -> None:
    config = fresh / "c.toml"
    repo = GitRepo.create(fresh / "src")
    repo.write("a.py", "x\n")
    repo.commit("init", committed="2026-02-07T10:00:00+08:00")
    config.write_text(f'[[repos]]\nrepo = "{repo.path}"\ngithub = "acme/engine"\n'
                      '[publish]\ngithub_repo = "me/reports"\n', encoding="utf-8")
    with FakeOpenAI(accepts=("json_object+schema", "json_object", "prompt"), refusal_status=500) as llm, \
            FakeGitHub(token=TOKEN, scopes="public_repo") as gh:
        gh.add_repo("me/reports")
        env = {"COMMITWATCH_LLM_BASE_URL": llm.base_url, "COMMITWATCH_LLM_MODEL": "fake-model",
               "COMMITWATCH_LLM_API_KEY": "sk-test", "GITHUB_TOKEN": TOKEN,
               "COMMITWATCH_GITHUB_API_URL": gh.api_url}
        result = run_cli("doctor", "--config", str(config), env=env)
        # the json_schema refusal was an answer: one tiny request in the mode the server takes
        assert [r.response_format for r in llm.requests] == ["json_schema", "json_object+schema"]
        # the learnt mode is stored for the runs; --forget-llm-mode forgets it
        from commitwatch.storage import Store

        with Store.open(fresh / "store.db") as store:
            assert store.llm_mode(llm.base_url, "fake-model") == "json_object+schema"
        forgot = run_cli("doctor", "--config", str(config), "--forget-llm-mode", env=env)
        assert "the stored mode was forgotten" in forgot.stdout
        with Store.open(fresh / "store.db") as store:
            assert store.llm_mode(llm.base_url, "fake-model") is None
    out = result.stdout
    assert "ok    llm: fake-model at" in out and "structured output: json_object (remembered for runs" in out
    assert "ok    github: token accepted" in out and "scopes: public_repo" in out and "rate limit" in out
    assert "ok    publish: files to main of me/reports" in out and "0 failed" in out
    assert TOKEN not in out + result.stderr and "sk-test" not in out + result.stderr


def test_doctor_names_a_bad_token_and_an_unreachable_llm(fresh: Path) -> None:
    config = fresh / "c.toml"
    config.write_text('[[repos]]\nrepo = "acme/engine"\n[publish]\ngithub_repo = "me/reports"\nissue = true\n',
                      encoding="utf-8")
    with FakeGitHub(token=TOKEN) as gh:
        env = {"COMMITWATCH_LLM_BASE_URL": "http://127.0.0.1:9/v1", "COMMITWATCH_LLM_MODEL": "m",
               "COMMITWATCH_LLM_API_KEY": "sk-test", "GITHUB_TOKEN": "gho_stale_value_42",
               "COMMITWATCH_GITHUB_API_URL": gh.api_url}
        result = run_cli("doctor", "--config", str(config), env=env, expect=ExitCode.SOURCE)
    out = result.stdout
    assert "FAIL  llm: m at http://127.0.0.1:9/v1" in out
    assert "FAIL  github: GitHub rejected the token in $GITHUB_TOKEN (401" in out
    assert "FAIL  publish:" in out and "gho_stale_value_42" not in out + result.stderr


def test_doctor_reports_a_broken_config_file(fresh: Path) -> None:
    bad = fresh / "bad.toml"
    bad.write_text('[publish]\ngithub_repo = "not a repo"\n', encoding="utf-8")
    result = run_cli("doctor", "--config", str(bad), expect=ExitCode.USAGE)
    assert "FAIL  config:" in result.stdout and "publish.github_repo" in result.stdout
