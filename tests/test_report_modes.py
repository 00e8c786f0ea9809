"""Report files and folders get the user's umask, like any file a program writes."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.gitrepo import GitRepo


@pytest.fixture
def umask() -> Iterator[None]:
    saved = os.umask(0o022)
    os.umask(saved)
    yield
    os.umask(saved)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
@pytest.mark.parametrize(("mask", "file_mode", "dir_mode"), [(0o022, 0o644, 0o755), (0o027, 0o640, 0o750)])
def test_reports_are_written_with_the_umask(
    tmp_path: Path, umask: None, mask: int, file_mode: int, dir_mode: int
) -> None:
    repo = GitRepo.create(tmp_path / "proj")
    repo.write("a.py", "x = 1\n")
    repo.commit("feat: a", committed="2026-02-07T10:00:00+08:00")
    env = {"COMMITWATCH_CACHE_DIR": str(tmp_path / "cache"), "COMMITWATCH_DB": str(tmp_path / "store.db")}
    out = tmp_path / "out"
    os.umask(mask)
    for _ in range(2):  # a fresh file, then one that replaces it
        run_cli("report", "--repo", str(repo.path), "--date", "2026-02-07", "--tz", "Asia/Shanghai", "--no-llm",
                "--output-dir", str(out), env=env)  # fmt: skip
    files = sorted((out / "2026" / "proj").iterdir())
    assert [f.name for f in files] == ["2026-02-07.json", "2026-02-07.md"]  # no temporary left behind
    assert {mode(f) for f in files} == {file_mode}
    assert {mode(d) for d in (out, out / "2026", out / "2026" / "proj")} == {dir_mode}
    # the store is not a report: a private one stays private, with its journal files
    store = tmp_path / "store.db"
    store.chmod(0o600)
    run_cli("report", "--repo", str(repo.path), "--date", "2026-02-08", "--tz", "Asia/Shanghai", "--no-llm",
            "--output-dir", str(out), env=env)  # fmt: skip
    assert {mode(p) for p in tmp_path.glob("store.db*")} == {0o600}
