"""Opening the store: a new database, an old one migrated, migration bookkeeping, the documented schema."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from commitwatch import storage
from commitwatch.storage import Store, StoreError, db_path, default_db_path
from commitwatch.storage import migrations as mig
from tests.reportdata import DYNAMO, llm_report


def test_migration_numbers_are_unique_consecutive_and_named() -> None:
    numbers = [m.number for m in mig.MIGRATIONS]
    assert len(numbers) == len(set(numbers)), "two migrations share a number"
    assert sorted(numbers) == list(range(1, len(numbers) + 1)), "migration numbers must run 1, 2, 3 ... without gaps"
    assert numbers == sorted(numbers), "migrations are listed oldest first"
    for m in mig.MIGRATIONS:
        assert re.fullmatch(rf"m{m.number:03d}_[a-z0-9_]+", m.name)
    assert len({m.name for m in mig.MIGRATIONS}) == len(numbers)


def test_a_new_database_gets_every_migration_wal_and_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "commitwatch.db"
    with Store.open(path) as store:
        assert store.schema_version() == mig.latest()
    conn = sqlite3.connect(path)
    recorded = conn.execute("SELECT number, name FROM migrations ORDER BY number").fetchall()
    assert recorded == [(m.number, m.name) for m in mig.MIGRATIONS]
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_reopening_applies_nothing_twice(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    Store.open(path).close()
    Store.open(path).close()
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT count(*) FROM migrations").fetchone()[0] == len(mig.MIGRATIONS)


def _documented_schema() -> dict[str, list[str]]:
    """The table list in ``commitwatch.storage``'s docstring."""
    doc = storage.__doc__ or ""
    block = doc.split("Schema", 1)[1].split("Keys:", 1)[0]
    tables: dict[str, list[str]] = {}
    current = ""
    for line in block.splitlines():
        match = re.match(r"    (\w+)\s{2,}(.*)", line)
        if match:
            current = match.group(1)
            tables[current] = []
            rest = match.group(2)
        elif line.startswith("        ") and current:
            rest = line
        else:
            continue
        tables[current] += [c.strip() for c in rest.split(",") if c.strip()]
    return tables


def test_the_documented_schema_is_the_real_one(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    real = {name: [r[1] for r in conn.execute(f"PRAGMA table_info({name})")] for name in names}
    assert _documented_schema() == real


def test_a_database_of_the_first_migration_is_migrated_with_its_data(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    report = llm_report("en")
    commits = [e.commit for e in report.entries]
    with Store.open(path, migrate_to=1) as old:  # what the first released schema wrote
        assert old.schema_version() == 1
        repo_id = old.repo_id(DYNAMO)
        old.save_commits(repo_id, commits)
    tables = {r[0] for r in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "analyses" not in tables and "commits" in tables

    with Store.open(path) as store:
        assert store.schema_version() == mig.latest()
        assert store.repo_id(DYNAMO) == repo_id
        loaded = store.load_commits(repo_id, [c.sha for c in commits])
        assert loaded == {c.sha: c for c in commits}
        # and the new tables work
        run_id = store.start_run(repo_id, "main", report.window, "fp")
        store.save_report(run_id, report)
        assert store.load_report(repo_id, language="en", day=report.window.day) == report


def test_a_failing_migration_leaves_neither_its_tables_nor_its_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "c.db"
    Store.open(path).close()

    def m999_broken(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE half_done (x INTEGER)")
        raise sqlite3.OperationalError("boom")

    released = mig.latest()
    monkeypatch.setattr(mig, "MIGRATIONS", [*mig.MIGRATIONS, mig.Migration(released + 1, "m999_broken", m999_broken)])
    with pytest.raises(StoreError, match="boom"):
        Store.open(path)
    conn = sqlite3.connect(path)
    assert conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'half_done'").fetchone() is None
    assert conn.execute("SELECT max(number) FROM migrations").fetchone()[0] == released


def test_a_database_from_a_newer_commitwatch_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO migrations VALUES (?, 'm999_future_things', '2030-01-01T00:00:00+00:00')",
                     (mig.latest() + 1,))
    conn.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer commitwatch") as info:
        Store.open(path)
    assert "Upgrade commitwatch" in (info.value.hint or "")
    assert path.read_bytes() == before


def test_a_renamed_migration_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    Store.open(path).close()
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("UPDATE migrations SET name = 'm001_something_else' WHERE number = 1")
    conn.close()
    with pytest.raises(StoreError, match="unknown schema"):
        Store.open(path)


def test_db_path_prefers_the_flag_then_the_environment_then_the_data_dir(tmp_path: Path) -> None:
    assert db_path(tmp_path / "a.db", {"COMMITWATCH_DB": str(tmp_path / "b.db")}) == tmp_path / "a.db"
    assert db_path(None, {"COMMITWATCH_DB": str(tmp_path / "b.db")}) == tmp_path / "b.db"
    assert db_path(None, {}) == default_db_path()
    assert default_db_path().name == "commitwatch.db"
    assert "commitwatch" in default_db_path().parent.as_posix()
