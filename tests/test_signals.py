"""Signals on real patch shapes: each test commits a before and an after to a real git repository, reads the
commit back through the git source (real ``git log -p`` output, real hunk headers) and checks the facts."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path

from commitwatch.models import (
    Commit,
    DependencyChange,
    Importance,
    InterfaceChange,
    PerformanceClaim,
    Window,
)
from commitwatch.signals import extract, revert_pairs
from commitwatch.signals.advisories import advisories
from commitwatch.signals.performance import performance_claims
from commitwatch.signals.reverts import reverted_sha
from commitwatch.sources import open_repository, resolve_repo
from commitwatch.triage import triage
from tests.gitrepo import GitRepo

EVER = Window(datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc), "UTC")


def change(tmp_path: Path, before: dict[str, str], after: dict[str, str], message: str = "Change things") -> Commit:
    """The commit that turns ``before`` into ``after`` (files missing from ``after`` are deleted)."""
    repo = GitRepo.create(tmp_path / "repo")
    for path, text in before.items():
        repo.write(path, text)
    repo.commit("Before", committed="2026-02-07T09:00:00+00:00")
    for path in before:
        if path not in after:
            repo.remove(path)
    for path, text in after.items():
        repo.write(path, text)
    repo.commit(message, committed="2026-02-07T10:00:00+00:00")
    commits = open_repository(resolve_repo(str(repo.path)), tmp_path / "cache").collect(None, EVER)
    return commits[0]


def changes_of(commit: Commit, kind: str) -> list[InterfaceChange]:
    return [c for c in extract(commit).interfaces if c.kind == kind]


PARSER = """import argparse


def build_parser():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="llama")
{extra}    parser.add_argument("--port", type=int, default=8000)
    return parser
"""


def test_argparse_flag_removed(tmp_path: Path) -> None:
    before = PARSER.format(extra='    parser.add_argument("--disable-log-requests", action="store_true")\n')
    commit = change(tmp_path, {"vllm/cli_args.py": before}, {"vllm/cli_args.py": PARSER.format(extra="")})
    assert changes_of(commit, "cli_flag") == [
        InterfaceChange("cli_flag", "--disable-log-requests", "removed", "vllm/cli_args.py")
    ]
    result = triage(commit)  # "Change things" says nothing; the diff says a flag is gone
    assert result.breaking
    assert result.floor is Importance.HIGH and result.importance is Importance.HIGH
    assert result.floor_reason is not None and result.floor_reason.arg_dict()["name"] == "--disable-log-requests"


def test_argparse_default_changed(tmp_path: Path) -> None:
    commit = change(
        tmp_path,
        {"app/cli.py": PARSER.format(extra="")},
        {"app/cli.py": PARSER.format(extra="").replace("default=8000", "default=9000")},
    )
    assert changes_of(commit, "cli_flag") == [
        InterfaceChange("cli_flag", "--port", "default_changed", "app/cli.py", None, "8000", "9000")
    ]
    assert triage(commit).floor is Importance.MEDIUM


TYPER = """import typer

app = typer.Typer()


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", "{flag}", help="Address to bind"),
    port: int = typer.Option(8000, "--port"),
) -> None:
    print(host, port)
"""


def test_typer_option_renamed(tmp_path: Path) -> None:
    commit = change(
        tmp_path,
        {"tool/cli.py": TYPER.format(flag="--host")},
        {"tool/cli.py": TYPER.format(flag="--bind-address")},
        "refactor: tidy the serve command",
    )
    assert changes_of(commit, "cli_flag") == [
        InterfaceChange("cli_flag", "--host", "renamed", "tool/cli.py", new_name="--bind-address")
    ]
    result = triage(commit)
    assert result.change_type.value == "feature" and result.breaking  # never a refactor


CLAP = """use clap::Parser;

#[derive(Parser, Debug)]
pub struct Args {{
    /// Number of worker threads
    #[arg(long, default_value_t = {workers})]
    pub workers: usize,

    #[arg(long = "cache-dir")]
    pub cache: Option<String>,
}}
"""


def test_clap_arg_default_changed(tmp_path: Path) -> None:
    commit = change(
        tmp_path, {"src/args.rs": CLAP.format(workers=4)}, {"src/args.rs": CLAP.format(workers=8)}, "Tune workers"
    )
    assert changes_of(commit, "cli_flag") == [
        InterfaceChange("cli_flag", "--workers", "default_changed", "src/args.rs", None, "4", "8")
    ]


ENVS = """import os

environment_variables = {{
    "VLLM_HOST_IP": lambda: os.getenv("VLLM_HOST_IP", ""),
    "{name}": lambda: bool(int(os.getenv("{name}", "1"))),
    "VLLM_PORT": lambda: int(os.getenv("VLLM_PORT", "0")),
}}
"""


def test_env_var_renamed_in_an_envs_registry(tmp_path: Path) -> None:
    commit = change(
        tmp_path,
        {"vllm/envs.py": ENVS.format(name="VLLM_USE_V1")},
        {"vllm/envs.py": ENVS.format(name="VLLM_ENABLE_V1_ENGINE")},
    )
    assert changes_of(commit, "env_var") == [
        InterfaceChange("env_var", "VLLM_USE_V1", "renamed", "vllm/envs.py", new_name="VLLM_ENABLE_V1_ENGINE")
    ]
    assert triage(commit).breaking


MODULE = '''"""Helpers."""


def public_helper(x):
    return x + 1


{extra}def other(y):
    return y * 2


def _private(z):
    return z
'''


def test_removed_public_function(tmp_path: Path) -> None:
    extra = "def load_checkpoint(path, strict=True):\n    with open(path) as fh:\n        return fh.read()\n\n\n"
    commit = change(tmp_path, {"pkg/io.py": MODULE.format(extra=extra)}, {"pkg/io.py": MODULE.format(extra="")})
    assert changes_of(commit, "symbol") == [InterfaceChange("symbol", "load_checkpoint", "removed", "pkg/io.py")]
    # a private helper, a test module, or a function moved to another module is not an interface change
    moved = change(
        tmp_path / "moved",
        {"pkg/io.py": MODULE.format(extra=extra), "pkg/files.py": '"""Files."""\n'},
        {"pkg/io.py": MODULE.format(extra=""), "pkg/files.py": '"""Files."""\n\n\n' + extra},
    )
    assert changes_of(moved, "symbol") == []
    private = change(
        tmp_path / "private",
        {"tests/test_io.py": MODULE.format(extra=extra)},
        {"tests/test_io.py": MODULE.format(extra="")},
    )
    assert changes_of(private, "symbol") == []


def test_dataclass_server_args_field_removed(tmp_path: Path) -> None:
    fields = "    model_path: str = ''\n    enable_dp_attention: bool = False\n    tp_size: int = 1\n"
    source = "from dataclasses import dataclass\n\n\n@dataclass\nclass ServerArgs:\n{}"
    commit = change(
        tmp_path,
        {"python/sglang/srt/server_args.py": source.format(fields)},
        {
            "python/sglang/srt/server_args.py": source.format(
                fields.replace("    enable_dp_attention: bool = False\n", "")
            )
        },
    )
    assert changes_of(commit, "cli_flag") == [
        InterfaceChange("cli_flag", "--enable-dp-attention", "removed", "python/sglang/srt/server_args.py")
    ]


def test_go_flags_env_and_routes(tmp_path: Path) -> None:
    before = (
        'package main\n\nimport (\n\t"flag"\n\t"net/http"\n\t"os"\n)\n\n'
        'var listen = flag.String("listen", ":9090", "address")\n\n'
        "func main() {\n"
        '\ttoken := os.Getenv("APP_TOKEN")\n'
        '\thttp.HandleFunc("/api/v1/admin", admin)\n'
        '\thttp.HandleFunc("/healthz", health)\n'
        "\t_ = token\n}\n"
    )
    after = before.replace('":9090"', '":8080"').replace('\thttp.HandleFunc("/api/v1/admin", admin)\n', "")
    after = after.replace("APP_TOKEN", "APP_API_TOKEN")
    commit = change(tmp_path, {"cmd/server/main.go": before}, {"cmd/server/main.go": after})
    found = {(c.kind, c.name, c.change, c.new_name, c.new_default) for c in extract(commit).interfaces}
    assert ("cli_flag", "--listen", "default_changed", None, '":8080"') in found
    assert ("env_var", "APP_TOKEN", "renamed", "APP_API_TOKEN", None) in found
    assert ("http_route", "/api/v1/admin", "removed", None, None) in found


CARGO_LOCK = """# This file is automatically @generated by Cargo.
version = 4

[[package]]
name = "bytes"
version = "{bytes}"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{checksum}"

[[package]]
name = "tokio"
version = "{tokio}"
source = "registry+https://github.com/rust-lang/crates.io-index"
"""

UV_LOCK = """version = 1
requires-python = ">=3.10"

[[package]]
name = "httpx"
version = "{httpx}"
source = {{ registry = "https://pypi.org/simple" }}

[[package]]
name = "pydantic"
version = "{pydantic}"
source = {{ registry = "https://pypi.org/simple" }}
"""


def test_cargo_lock_and_uv_lock_bumps(tmp_path: Path) -> None:
    commit = change(
        tmp_path,
        {
            "Cargo.lock": CARGO_LOCK.format(bytes="1.10.0", checksum="a" * 64, tokio="1.44.1"),
            "uv.lock": UV_LOCK.format(httpx="0.27.2", pydantic="1.10.17"),
            "Cargo.toml": '[dependencies]\nbytes = "1.10"\ntokio = { version = "1.44.1", features = ["full"] }\n',
        },
        {
            "Cargo.lock": CARGO_LOCK.format(bytes="1.10.1", checksum="b" * 64, tokio="1.44.1"),
            "uv.lock": UV_LOCK.format(httpx="0.28.1", pydantic="2.9.2"),
            "Cargo.toml": '[dependencies]\nbytes = "1.10"\ntokio = { version = "1.44.2", features = ["full"] }\n',
        },
        "Update dependencies",
    )
    assert set(extract(commit).dependencies) == {
        DependencyChange("tokio", "1.44.1", "1.44.2", "Cargo.toml", major=False),
        DependencyChange("bytes", "1.10.0", "1.10.1", "Cargo.lock", major=False),
        DependencyChange("httpx", "0.27.2", "0.28.1", "uv.lock", major=True),  # a 0.x minor may break
        DependencyChange("pydantic", "1.10.17", "2.9.2", "uv.lock", major=True),
    }


PACKAGE_JSON = (
    '{{\n  "name": "ui",\n  "version": "{version}",\n  "dependencies": {{\n    "react": "{react}"\n  }}\n}}\n'
)


def test_requirements_go_mod_and_package_json(tmp_path: Path) -> None:
    commit = change(
        tmp_path,
        {
            "requirements/cuda.txt": "torch==2.7.1\nxformers==0.0.30\n",
            "go.mod": "module x\n\ngo 1.24\n\nrequire (\n\tgolang.org/x/net v0.36.0\n)\n",
            "web/package.json": PACKAGE_JSON.format(version="1.0.0", react="^18.3.1"),
        },
        {
            "requirements/cuda.txt": "torch==2.8.0\nxformers==0.0.30\n",
            "go.mod": "module x\n\ngo 1.24\n\nrequire (\n\tgolang.org/x/net v0.38.0\n)\n",
            "web/package.json": PACKAGE_JSON.format(version="1.0.1", react="^19.0.0"),
        },
    )
    found = {(d.name, d.old, d.new, d.major) for d in extract(commit).dependencies}
    assert found == {
        ("torch", "2.7.1", "2.8.0", False),
        ("golang.org/x/net", "v0.36.0", "v0.38.0", True),
        ("react", "^18.3.1", "^19.0.0", True),
    }


def test_revert_pair(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    repo.write("src/sched.py", "MODE = 'sync'\n")
    repo.commit("Base", committed="2026-02-07T08:00:00+00:00")
    repo.write("src/sched.py", "MODE = 'async'\n")
    original = repo.commit("[Core] Use async scheduling by default", committed="2026-02-07T09:00:00+00:00")
    when = "2026-02-07T11:00:00+00:00"
    names = {"GIT_AUTHOR_NAME": "Ada", "GIT_AUTHOR_EMAIL": "ada@example.com", "GIT_COMMITTER_NAME": "Ada",
             "GIT_COMMITTER_EMAIL": "ada@example.com", "GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}  # fmt: skip
    repo.git("revert", "--no-edit", "HEAD", env=names)
    revert = repo.head()
    commits = open_repository(resolve_repo(str(repo.path)), tmp_path / "cache").collect(None, EVER)
    by_sha = {c.sha: c for c in commits}
    assert extract(by_sha[revert]).reverts == original
    targets = [reverted_sha(c) for c in commits]
    assert revert_pairs(commits, targets) == {revert: original}
    # an abbreviated sha pairs too; a revert of something outside the window does not
    short = [original[:10] if t else None for t in targets]
    assert revert_pairs(commits, short) == {revert: original}
    assert revert_pairs([by_sha[revert]], [original]) == {}


def test_performance_claims_from_message_and_pr_body() -> None:
    claims = performance_claims(
        "Avoids two allocations per step. On H100 with Llama-3-8B, TPOT drops from 7.9 ms to 7.4 ms (-6%) at batch 64.",
        "## Benchmark\n\n- M2 Ultra, Llama-3-8B Q4_K_M: tg128 78.1 -> 84.6 t/s (+8%)\n- see the table",
    )
    assert claims == (
        PerformanceClaim("tpot", "7.9 ms to 7.4 ms (-6%)", "H100, Llama-3-8B"),
        PerformanceClaim("tg128", "78.1 -> 84.6 t/s (+8%)", "M2 Ultra, Llama-3-8B"),
    )
    assert performance_claims("Decode throughput +8% for DeepSeek-V3 on 8xH200.") == (
        PerformanceClaim("decode throughput", "+8%", "DeepSeek-V3, 8xH200"),
    )
    assert performance_claims("Refactor the scheduler; no functional change. See #1234.") == ()


def test_advisories_with_and_without_context() -> None:
    assert advisories("Bump h2 (RUSTSEC-2024-0332)", "Fixes GHSA-8R5V-VM4M-4G25 and cve-2025-1234.") == (
        "RUSTSEC-2024-0332",
        "GHSA-8r5v-vm4m-4g25",
        "CVE-2025-1234",
    )
    assert advisories("Update the cve-bin-tool config", "see docs/CVE-2025-1234x") == ()


def test_a_one_megabyte_commit_stays_cheap(tmp_path: Path) -> None:
    lines = "".join(f'    parser.add_argument("--opt-{i}", default={i})\n' for i in range(12_000))
    big = "import argparse\n\n\ndef build(parser):\n" + lines
    commit = change(tmp_path, {"pkg/cli.py": big}, {"pkg/cli.py": big.replace("default=", "default=1")})
    assert sum(len(f.patch or "") for f in commit.files) > 800_000
    started = time.perf_counter()
    signals = extract(commit)
    elapsed = time.perf_counter() - started
    assert elapsed < 3.0, elapsed  # bounded reading (machine shared by several agents: generous bound)
    assert 0 < len(signals.interfaces) <= 40


# --- signals reach the model as facts, and the floor holds against it -------------------------------


def test_signals_are_facts_inside_the_data_block_and_the_model_cannot_lower_the_floor(tmp_path: Path) -> None:
    from dataclasses import replace

    from commitwatch.analysis import analyze_commits
    from commitwatch.analysis.prompt import Prompts
    from commitwatch.config import LLMSettings
    from tests.fakes import REPO
    from tests.fakes.openai_server import FakeOpenAI, Reply, default_answer

    before = PARSER.format(extra='    parser.add_argument("--disable-log-requests", action="store_true")\n')
    commit = change(tmp_path, {"vllm/cli_args.py": before}, {"vllm/cli_args.py": PARSER.format(extra="")})
    result = triage(commit)
    user = Prompts("en").analysis_user("org/repo", result, "## Commit\nsubject: x")
    opening = user.index("<commit-data id=")
    facts = user.index("## Facts (computed from the diff and message")
    assert opening < facts < user.index("</commit-data id=")
    assert "- cli_flag --disable-log-requests removed (vllm/cli_args.py)" in user
    assert "- importance is at least high" in user

    with FakeOpenAI() as server:  # the model answers "low"; a removed flag keeps the entry high
        server.responder = lambda r: None if r.is_highlights else Reply.json(dict(default_answer(r), importance="low"))
        settings = LLMSettings(base_url=server.base_url, model="fake-model", retry_backoff=0.01, timeout=5.0)
        outcome = analyze_commits([(commit, result)], REPO, "en", settings, environ={"COMMITWATCH_LLM_API_KEY": "k"})
    entry = outcome.entries[0]
    assert entry.analyzer == "llm" and entry.analysis is not None and entry.analysis.importance is Importance.LOW
    assert entry.importance is Importance.HIGH
    # without the floor the model's answer stands
    with FakeOpenAI() as server:
        server.responder = lambda r: None if r.is_highlights else Reply.json(dict(default_answer(r), importance="low"))
        settings = LLMSettings(base_url=server.base_url, model="fake-model", retry_backoff=0.01, timeout=5.0)
        plain = replace(result, floor=None, floor_reason=None, breaking=False)  # a breaking marker is a floor too
        outcome = analyze_commits([(commit, plain)], REPO, "en", settings, environ={"COMMITWATCH_LLM_API_KEY": "k"})
    assert outcome.entries[0].importance is Importance.LOW


def test_signals_and_the_floor_survive_the_store_codec(tmp_path: Path) -> None:
    from commitwatch.storage.codec import triage_from_data, triage_to_data

    before = PARSER.format(extra='    parser.add_argument("--disable-log-requests", action="store_true")\n')
    commit = change(tmp_path, {"vllm/cli_args.py": before}, {"vllm/cli_args.py": PARSER.format(extra="")})
    result = triage(commit)
    assert result.signals.interfaces and result.floor is Importance.HIGH
    assert triage_from_data(triage_to_data(result)) == result
    old = {k: v for k, v in triage_to_data(result).items() if k not in ("signals", "floor", "floor_reason")}
    assert triage_from_data(old).signals.empty and triage_from_data(old).floor is None  # a snapshot from before
