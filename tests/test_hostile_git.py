"""No execution of repository configuration: a repository's own .git/config, attributes and hooks never
run anything when commitwatch reads it, and a branch name never reaches git as an option."""

from __future__ import annotations

from pathlib import Path

from tests.cli import run_cli
from tests.gitrepo import GitRepo


def test_repository_config_attributes_and_hooks_never_run(tmp_path):
    marker = tmp_path / "pwned"
    repo = GitRepo.create(tmp_path / "trap")
    repo.write("README.md", "x\n")
    repo.commit("chore: initial", committed="2026-02-06T09:00:00+08:00")
    repo.write(".gitattributes", "* diff=evil filter=evil merge=evil\n")
    repo.write("src/a.py", "x = 1\n")
    repo.commit("feat: trap", committed="2026-02-07T10:00:00+08:00")
    run = f"sh -c 'echo $0 >> {marker}'"
    traps = {
        "core.fsmonitor": f"{run} fsmonitor",
        "core.pager": f"{run} pager",
        "core.hooksPath": str(tmp_path / "hooks"),
        "core.sshCommand": f"{run} ssh",
        "core.askPass": f"{run} askpass",
        "diff.external": f"{run} external",
        "diff.evil.textconv": f"{run} textconv",
        "diff.evil.command": f"{run} command",
        "filter.evil.clean": f"{run} clean",
        "filter.evil.smudge": f"{run} smudge",
        "filter.evil.process": f"{run} process",
        "credential.helper": f"!{run} credential",
        "gpg.program": f"{run} gpg",
        "log.showSignature": "true",
        "core.gitProxy": f"{run} proxy",
        "uploadpack.packObjectsHook": f"{run} packobjects",
    }
    for key, value in traps.items():
        repo.git("config", key, value)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    for name in ("post-checkout", "post-index-change", "reference-transaction", "pre-auto-gc"):
        (hooks / name).write_text(f"#!/bin/sh\necho hook {name} >> {marker}\n")
        (hooks / name).chmod(0o755)
    run_cli("report", "--repo", str(repo.path), "--date", "2026-02-07", "--no-llm",
            "--output-dir", str(tmp_path / "out"), "--db", str(tmp_path / "s.db"),
            env={"COMMITWATCH_CACHE_DIR": str(tmp_path / "cache")})
    assert not marker.exists(), marker.read_text()
    assert list((tmp_path / "out").rglob("*.md"))


def test_a_branch_name_is_never_an_option(tmp_path):
    repo = GitRepo.create(tmp_path / "r")
    repo.write("a", "1\n")
    repo.commit("chore: a", committed="2026-02-07T10:00:00+08:00")
    target = tmp_path / "written-by-git"
    result = run_cli("report", "--repo", str(repo.path), "--branch", f"--output={target}", "--date", "2026-02-07",
                     "--no-llm", "--output-dir", str(tmp_path / "out"), "--db", str(tmp_path / "s.db"), expect=2,
                     env={"COMMITWATCH_CACHE_DIR": str(tmp_path / "cache")})
    assert not Path(target).exists()
    assert "internal error" not in result.stderr
