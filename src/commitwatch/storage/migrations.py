"""Append-only schema migrations, recorded in the ``migrations`` table.

Each migration is a function ``mNNN_<what_it_does>(conn)`` that only runs ``conn.execute`` statements
(never ``executescript``, which would commit half-way). ``apply`` runs every pending migration in its own
``BEGIN IMMEDIATE`` transaction together with its row in ``migrations``, so a crash leaves each migration
either fully applied and recorded or not at all, and two processes opening a new database at once cannot
both apply the same one.

Rules: never edit or renumber a migration that has been released; add a new one at the end instead.
Numbers are unique and consecutive from 1 (``tests/test_storage_migrations.py`` checks it).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    apply: Callable[[sqlite3.Connection], None]


_NAME = re.compile(r"m(\d{3})_[a-z0-9_]+")
MIGRATIONS: list[Migration] = []


def migration(function: Callable[[sqlite3.Connection], None]) -> Callable[[sqlite3.Connection], None]:
    """Register ``function`` (named ``mNNN_...``) as the migration number NNN."""
    match = _NAME.fullmatch(function.__name__)
    if match is None:
        raise ValueError(f"migration {function.__name__!r} is not named mNNN_what_it_does")
    MIGRATIONS.append(Migration(int(match.group(1)), function.__name__, function))
    return function


def _run(conn: sqlite3.Connection, *statements: str) -> None:
    for statement in statements:
        conn.execute(statement)


# --- the migrations, oldest first ------------------------------------------------------------------


@migration
def m001_create_repos_and_commits(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE repos (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,          -- "remote:<url>" or "local:<absolute path>"
            kind TEXT NOT NULL,                -- local | remote
            name TEXT NOT NULL,                -- what reports show: "ai-dynamo/dynamo"
            slug TEXT NOT NULL,
            spec TEXT NOT NULL,                -- --repo as last given
            url TEXT,
            path TEXT,
            github TEXT,
            created_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX repos_name ON repos (name)",
        """
        CREATE TABLE commits (
            repo_id INTEGER NOT NULL REFERENCES repos (id),
            sha TEXT NOT NULL,
            parents TEXT NOT NULL,             -- space separated
            author_name TEXT NOT NULL,
            author_email TEXT NOT NULL,
            authored_at TEXT NOT NULL,         -- ISO 8601 with the author's offset
            committer_name TEXT NOT NULL,
            committer_email TEXT NOT NULL,
            committed_at TEXT NOT NULL,        -- ISO 8601 with the committer's offset
            committed_utc TEXT NOT NULL,       -- the same instant in UTC, sortable
            subject TEXT NOT NULL,
            body TEXT NOT NULL,
            additions INTEGER NOT NULL,
            deletions INTEGER NOT NULL,
            stored_at TEXT NOT NULL,
            PRIMARY KEY (repo_id, sha)
        )
        """,
        "CREATE INDEX commits_time ON commits (repo_id, committed_utc)",
        """
        CREATE TABLE commit_files (
            repo_id INTEGER NOT NULL,
            sha TEXT NOT NULL,
            position INTEGER NOT NULL,         -- order in Commit.files
            path TEXT NOT NULL,
            status TEXT NOT NULL,
            additions INTEGER NOT NULL,
            deletions INTEGER NOT NULL,
            old_path TEXT,
            binary INTEGER NOT NULL,
            similarity INTEGER,
            PRIMARY KEY (repo_id, sha, position),
            FOREIGN KEY (repo_id, sha) REFERENCES commits (repo_id, sha) ON DELETE CASCADE
        )
        """,
    )


@migration
def m002_create_analyses_and_claims(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE analyses (
            id INTEGER PRIMARY KEY,
            repo_id INTEGER NOT NULL,
            sha TEXT NOT NULL,
            model TEXT NOT NULL,               -- "rules" for the rules analyzer
            prompt_version TEXT NOT NULL,
            language TEXT NOT NULL,
            schema_hash TEXT NOT NULL,
            analyzer TEXT NOT NULL,            -- llm | rules | rules-fallback
            fallback_reason TEXT,
            change_type TEXT NOT NULL,
            importance TEXT NOT NULL,
            analysis TEXT,                     -- Analysis as JSON, or NULL
            coverage REAL,
            files_left_out TEXT NOT NULL,      -- JSON list
            requests INTEGER,                  -- this commit's LLM usage, when known
            prompt_tokens INTEGER,
            completion_tokens INTEGER,
            run_id INTEGER,                    -- the run that produced it, when known
            created_at TEXT NOT NULL,
            UNIQUE (repo_id, sha, model, prompt_version, language, schema_hash),
            FOREIGN KEY (repo_id, sha) REFERENCES commits (repo_id, sha)
        )
        """,
        """
        CREATE TABLE claims (
            repo_id INTEGER NOT NULL REFERENCES repos (id),
            sha TEXT NOT NULL,
            model TEXT NOT NULL,
            prompt_version TEXT NOT NULL,
            language TEXT NOT NULL,
            schema_hash TEXT NOT NULL,
            run_id INTEGER NOT NULL,
            expires_at REAL NOT NULL,          -- Unix time
            PRIMARY KEY (repo_id, sha, model, prompt_version, language, schema_hash)
        )
        """,
    )


@migration
def m003_create_runs(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY,
            repo_id INTEGER NOT NULL REFERENCES repos (id),
            branch TEXT NOT NULL,
            window_start TEXT NOT NULL,        -- UTC ISO 8601
            window_end TEXT NOT NULL,
            window_tz TEXT NOT NULL,
            window_day TEXT,                   -- YYYY-MM-DD for calendar-day windows
            settings TEXT NOT NULL,            -- fingerprint of the settings that shape the report
            status TEXT NOT NULL,              -- running | ok | degraded | failed
            pid INTEGER NOT NULL,
            host TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            head_sha TEXT,
            commits INTEGER NOT NULL DEFAULT 0,
            counts TEXT NOT NULL DEFAULT '{}', -- JSON: analyzer -> commits
            requests INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            cost REAL,
            warnings TEXT NOT NULL DEFAULT '[]' -- JSON list
        )
        """,
        "CREATE INDEX runs_repo ON runs (repo_id, branch, status, window_end)",
        """
        CREATE TABLE run_commits (
            run_id INTEGER NOT NULL REFERENCES runs (id),
            sha TEXT NOT NULL,
            PRIMARY KEY (run_id, sha)
        )
        """,
    )


@migration
def m004_create_reports(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            repo_id INTEGER NOT NULL REFERENCES repos (id),
            run_id INTEGER REFERENCES runs (id),
            branch TEXT NOT NULL,
            window_start TEXT NOT NULL,        -- UTC ISO 8601
            window_end TEXT NOT NULL,
            window_tz TEXT NOT NULL,
            window_day TEXT,
            language TEXT NOT NULL,
            created_at TEXT NOT NULL,
            data BLOB NOT NULL,                -- storage.codec snapshot of the ReportData: zlib(JSON)
            UNIQUE (repo_id, branch, window_start, window_end, window_tz, language)
        )
        """,
        "CREATE INDEX reports_day ON reports (repo_id, window_day, language)",
    )


@migration
def m005_create_deliveries(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            target TEXT NOT NULL,              -- "github:owner/name@branch:path", an apprise URL id, ...
            report_key TEXT NOT NULL,          -- storage.report_key(report)
            content_hash TEXT,                 -- of what was sent, when the caller gives it
            status TEXT NOT NULL,              -- ok | failed
            detail TEXT,
            run_id INTEGER REFERENCES runs (id),
            created_at TEXT NOT NULL
        )
        """,
        "CREATE INDEX deliveries_key ON deliveries (target, report_key, status)",
    )


@migration
def m006_create_llm_modes(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE llm_modes (
            base_url TEXT NOT NULL,            -- without a trailing slash
            model TEXT NOT NULL,
            mode TEXT NOT NULL,                -- json_schema | json_object+schema | json_object | prompt
            updated_at TEXT NOT NULL,
            PRIMARY KEY (base_url, model)
        )
        """,
    )


@migration
def m007_create_pull_requests_and_etags(conn: sqlite3.Connection) -> None:
    _run(
        conn,
        """
        CREATE TABLE pull_requests (
            api TEXT NOT NULL,                 -- GitHub API root: "https://api.github.com"
            github TEXT NOT NULL,              -- "owner/name", lower case
            sha TEXT NOT NULL,
            number INTEGER,                    -- NULL: GitHub knows no pull request for this commit
            title TEXT,
            body TEXT,
            url TEXT,
            labels TEXT NOT NULL DEFAULT '[]', -- JSON list
            author TEXT,
            fetched_at TEXT NOT NULL,
            PRIMARY KEY (api, github, sha)
        )
        """,
        """
        CREATE TABLE http_cache (
            url TEXT PRIMARY KEY,              -- the full GET URL (never a token)
            etag TEXT NOT NULL,
            body BLOB NOT NULL,                -- zlib(response body)
            stored_at TEXT NOT NULL
        )
        """,
    )


# --- applying them -------------------------------------------------------------------------------------


class SchemaTooNew(Exception):
    """The database records migrations this code does not know."""

    def __init__(self, number: int, name: str) -> None:
        super().__init__(f"migration {number} ({name})")
        self.number = number
        self.name = name


class SchemaMismatch(Exception):
    """A recorded migration has another name than the code's migration of the same number."""


def latest() -> int:
    return max(m.number for m in MIGRATIONS)


def applied(conn: sqlite3.Connection) -> dict[int, str]:
    """Recorded migrations (number -> name); empty when the table does not exist yet."""
    exists = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'").fetchone()
    if not exists:
        return {}
    return dict(conn.execute("SELECT number, name FROM migrations ORDER BY number").fetchall())


def check(conn: sqlite3.Connection) -> list[Migration]:
    """The pending migrations; raises ``SchemaTooNew`` or ``SchemaMismatch`` for a database this code
    cannot safely use."""
    known = {m.number: m for m in MIGRATIONS}
    done = applied(conn)
    for number, name in done.items():
        if number not in known:
            raise SchemaTooNew(number, name)
        if known[number].name != name:
            raise SchemaMismatch(
                f"migration {number} is recorded as {name!r}, this code calls it {known[number].name!r}"
            )
    return [m for m in sorted(MIGRATIONS, key=lambda m: m.number) if m.number not in done]


def apply(conn: sqlite3.Connection, upto: int | None = None) -> list[str]:
    """Apply the pending migrations (up to number ``upto`` included), each with its record in one
    transaction. Returns the names applied. ``conn`` must be in autocommit mode
    (``isolation_level=None``)."""
    done: list[str] = []
    for pending in check(conn):
        if upto is not None and pending.number > upto:
            break
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS migrations ("
                " number INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, applied_at TEXT NOT NULL)"
            )
            # Another process may have applied it while we waited for the write lock.
            if conn.execute("SELECT 1 FROM migrations WHERE number = ?", (pending.number,)).fetchone() is None:
                pending.apply(conn)
                conn.execute(
                    "INSERT INTO migrations (number, name, applied_at) VALUES (?, ?, ?)",
                    (pending.number, pending.name, datetime.now(timezone.utc).isoformat(timespec="seconds")),
                )
                done.append(pending.name)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return done
