"""A damaged, foreign or unreadable database gives a clear StoreError and is never replaced."""

from __future__ import annotations

import os
import random
import sqlite3
from pathlib import Path

import pytest

from commitwatch.errors import CommitwatchError, ExitCode
from commitwatch.storage import Store, StoreError
from tests.reportdata import DYNAMO, commit, f, llm_report


def _real_database(path: Path) -> None:
    """A database with enough rows to span many pages."""
    with Store.open(path) as store:
        repo_id = store.repo_id(DYNAMO)
        commits = [
            commit(f"c{i}", f"feat: change {i} " + "x" * 200, "2026-02-07T10:00:00+08:00",
                   files=tuple(f(f"src/mod{i}/file{j}.py", j + 1) for j in range(20)))
            for i in range(60)
        ]
        store.save_commits(repo_id, commits)
        report = llm_report("en")
        store.save_report(store.start_run(repo_id, "main", report.window, "fp"), report)


def _refused(path: Path, match: str) -> StoreError:
    before = path.read_bytes()
    with pytest.raises(StoreError, match=match) as info, Store.open(path, timeout=1) as store:
        store.history()  # if opening got through, using it must fail the same way
    assert path.read_bytes() == before, "the database file was modified"
    assert "--db" in (info.value.hint or "")
    return info.value


def test_random_bytes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.write_bytes(random.Random(7).randbytes(64 * 1024))
    error = _refused(path, "not a SQLite database")
    assert isinstance(error, CommitwatchError) and error.exit_code == ExitCode.USAGE


def test_a_text_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.write_text('timezone = "Asia/Shanghai"\n', encoding="utf-8")
    _refused(path, "not a SQLite database")


def test_a_truncated_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    _real_database(path)
    data = path.read_bytes()
    assert len(data) > 16 * 4096
    path.write_bytes(data[: len(data) // 2])
    _refused(path, "damaged")


def test_a_database_cut_inside_the_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    _real_database(path)
    path.write_bytes(path.read_bytes()[:10])
    _refused(path, "not a SQLite database")


def test_garbage_after_the_first_page_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    _real_database(path)
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page:] = random.Random(3).randbytes(len(data) - page)
    path.write_bytes(bytes(data))
    _refused(path, "damaged")


def test_another_programs_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.execute("INSERT INTO notes (text) VALUES ('keep me')")
    conn.close()
    _refused(path, "another program")


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="directory"):
        Store.open(tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions and a non-root user")
def test_an_unreadable_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    _real_database(path)
    path.chmod(0)
    try:
        with pytest.raises(StoreError, match="cannot read"):
            Store.open(path)
    finally:
        path.chmod(0o600)


def test_a_database_locked_by_another_writer_gives_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    _real_database(path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with Store.open(path, timeout=0.2) as store, pytest.raises(StoreError, match="locked") as info:
            store.repo_id(DYNAMO)
        assert "retry" in (info.value.hint or "")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_an_empty_file_becomes_a_new_database(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    path.touch()
    with Store.open(path) as store:
        assert store.history() == []
    assert path.read_bytes().startswith(b"SQLite format 3\x00")
