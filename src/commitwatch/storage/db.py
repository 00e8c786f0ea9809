"""The SQLite store: one connection, short transactions, plain SQL with parameters.

    with Store.open(db_path(flag, os.environ)) as store:
        repo_id = store.repo_id(ref)
        store.save_commits(repo_id, commits)
        cached = store.get_entries(repo_id, shas, key)          # sha -> StoredAnalysis (LLM work only)
        run_id = store.start_run(repo_id, branch, window, fingerprint)
        ...  store.save_entry(repo_id, entry, key, usage)        # committed at once, from on_entry
        store.save_report(run_id, report)
        store.finish_run(run_id, "ok", counts=..., usage=..., reported=shas, head_sha=head)

Durability: WAL with ``synchronous=NORMAL``: every committed transaction survives the process's death
(``kill -9``, a crash), and the file stays consistent through a power loss, which may lose the last few
transactions (a rerun analyses those commits again). ``FULL`` would fsync on every analysis, while the
analysis stage waits on that write from its event loop. Every write is its own ``BEGIN IMMEDIATE``
transaction (writers queue on ``busy_timeout`` instead of failing half-way). The connection may be used
from several threads (the analysis stage calls back from its event loop thread); a lock serialises them.

Errors: a file that is not SQLite, is damaged, belongs to another program, was written by a newer
commitwatch, or cannot be read or written raises ``StoreError`` with a hint. The file is never deleted,
replaced or "repaired".

Cache policy: ``get_entries`` returns only analyses made by the LLM (``analyzer="llm"``) unless asked for
more. ``rules`` and ``rules-fallback`` entries are stored (the record of the run) but not reused: the
rules cost nothing and may improve between versions, and a fallback is retried with the LLM on the next
run. A stored LLM analysis is never overwritten by a rules result for the same key.

Two runs at once: before analysing, a run ``claim_many``s the commits the cache lacks, analyses those it
won, and ``wait_for_entry``s the others (None: the other run let go without an LLM analysis, so claim
again and analyse). A claim ends with ``save_entry`` of that commit, with ``finish_run``, or when its
lease (``ttl_s``) runs out, so a killed run holds nothing for long.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import zlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import platformdirs

from ..errors import CommitwatchError, ExitCode, UsageError
from ..models import (
    Analysis,
    AnalyzerKind,
    ChangeType,
    Commit,
    CommitEntry,
    FileChange,
    Importance,
    Person,
    RepoRef,
    ReportData,
    Triage,
    Usage,
    Window,
)
from . import codec, migrations

DB_ENV = "COMMITWATCH_DB"
DB_HINT = "Move the file away (a new database is then created) or pass --db / set COMMITWATCH_DB to another file."
BUSY_TIMEOUT_S = 30.0
CLAIM_TTL_S = 600.0
STALE_RUN = timedelta(hours=6)  # a run still "running" after this long is shown as interrupted
SQLITE_MAGIC = b"SQLite format 3\x00"
CHUNK = 500  # parameters per IN (...) query

RunStatus = Literal["ok", "degraded", "failed"]
FINAL_STATUSES: tuple[str, ...] = ("ok", "degraded", "failed")
SUCCESS_STATUSES: tuple[str, ...] = ("ok", "degraded")  # a report was written
REUSED: tuple[AnalyzerKind, ...] = ("llm",)  # what get_entries returns by default (see the module docstring)


class StoreError(CommitwatchError):
    """The database cannot be used: not SQLite, damaged, newer than this code, locked or unreadable."""

    exit_code = ExitCode.USAGE


def default_db_path() -> Path:
    """``<user data dir>/commitwatch.db`` (platformdirs)."""
    return Path(platformdirs.user_data_dir("commitwatch")) / "commitwatch.db"


def db_path(explicit: Path | str | None = None, environ: Mapping[str, str] | None = None) -> Path:
    """The database to use: ``--db`` > ``$COMMITWATCH_DB`` > ``default_db_path()``."""
    if explicit:
        return Path(explicit).expanduser()
    env = os.environ if environ is None else environ
    if env.get(DB_ENV):
        return Path(env[DB_ENV]).expanduser()
    return default_db_path()


@dataclass(frozen=True, slots=True)
class AnalysisKey:
    """What produced an analysis. Rules entries use ``model="rules"``."""

    model: str
    prompt_version: str
    language: str
    schema_hash: str

    def params(self) -> tuple[str, str, str, str]:
        return (self.model, self.prompt_version, self.language, self.schema_hash)


_KEY_MATCH = "model = ? AND prompt_version = ? AND language = ? AND schema_hash = ?"


@dataclass(frozen=True, slots=True)
class StoredAnalysis:
    """A stored per-commit result: everything of a ``CommitEntry`` except the commit and its triage,
    which the pipeline has from git."""

    sha: str
    analyzer: AnalyzerKind
    fallback_reason: str | None
    change_type: ChangeType
    importance: Importance
    analysis: Analysis | None
    coverage: float | None
    files_left_out: tuple[str, ...]
    usage: Usage | None
    created_at: datetime

    def entry(self, commit: Commit, triage: Triage) -> CommitEntry:
        return CommitEntry(
            commit=commit,
            triage=triage,
            change_type=self.change_type,
            importance=self.importance,
            analyzer=self.analyzer,
            fallback_reason=self.fallback_reason,
            analysis=self.analysis,
            coverage=self.coverage,
            files_left_out=self.files_left_out,
        )


@dataclass(frozen=True, slots=True)
class RunRow:
    id: int
    repo_id: int
    repo: str  # the repository's display name
    branch: str
    window: Window
    settings: str
    status: str  # running | ok | degraded | failed | interrupted (running, but its process is gone)
    started_at: datetime
    finished_at: datetime | None
    head_sha: str | None
    commits: int
    counts: dict[str, int]  # analyzer -> commits
    usage: Usage
    cost: float | None
    warnings: tuple[str, ...]

    @property
    def window_end(self) -> datetime:
        return self.window.end


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    target: str
    report_key: str
    status: str
    content_hash: str | None
    detail: str | None
    created_at: datetime


def repo_key(ref: RepoRef) -> str:
    """The stable identity of a repository: its URL when remote, its absolute path when local."""
    if ref.kind == "remote":
        return "remote:" + _text(ref.url or ref.spec)
    return "local:" + _text(os.path.abspath(ref.path or ref.spec))


def report_key(report: ReportData) -> str:
    """Identity of a report for deliveries: repository, branch, window and language."""
    window = report.window
    return "|".join(
        (repo_key(report.repo), report.branch, _utc(window.start), _utc(window.end), window.tz, report.language)
    )


# --- helpers -----------------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(moment: datetime) -> str:
    """A sortable UTC text for an aware datetime (fixed width, microseconds)."""
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _text(value: str) -> str:
    """``value`` storable as UTF-8: undecodable file-name bytes (lone surrogates) become ``\\xNN``."""
    try:
        value.encode("utf-8")
        return value
    except UnicodeEncodeError:
        try:
            raw = value.encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            raw = value.encode("utf-8", "surrogatepass")
        return raw.decode("utf-8", "backslashreplace")


def _json(value: Any) -> str:
    """Compact JSON text; escaped to ASCII only when it holds lone surrogates (SQLite stores UTF-8)."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    return text


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), CHUNK):
        yield items[i : i + CHUNK]


def _zone(name: str) -> timezone | ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        return timezone.utc


def _window(start: str, end: str, tz: str, day: str | None) -> Window:
    zone = _zone(tz)
    return Window(
        start=datetime.fromisoformat(start).astimezone(zone),
        end=datetime.fromisoformat(end).astimezone(zone),
        tz=tz,
        day=date.fromisoformat(day) if day else None,
    )


def _gone(pid: int | None, host: str | None) -> bool:
    """Whether the process of a run on this machine has died (a run on another host is never judged)."""
    return pid is not None and host == socket.gethostname() and not _process_alive(pid)


def _drop_orphan_claims(conn: sqlite3.Connection) -> None:
    """Release the claims of runs whose process died (kill -9, a crash): their work is free to take at
    once, instead of after the claim's time to live."""
    holders = conn.execute(
        "SELECT DISTINCT runs.id, runs.pid, runs.host FROM claims JOIN runs ON runs.id = claims.run_id"
    ).fetchall()
    for run_id, pid, host in holders:
        if _gone(pid, host):
            conn.execute("DELETE FROM claims WHERE run_id = ?", (run_id,))


def _process_alive(pid: int) -> bool:
    if os.name != "posix":  # os.kill(pid, 0) would terminate the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except OSError:
        return False
    return True


def _describe(path: Path, error: sqlite3.Error) -> StoreError:
    """A ``StoreError`` that says what is wrong with the database at ``path``."""
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in text or "malformed" in text:
        return StoreError(f"the database {path} is damaged or not a SQLite database ({text})", hint=DB_HINT)
    if name.startswith("SQLITE_BUSY") or "locked" in text:
        return StoreError(
            f"the database {path} stayed locked by another process ({text})",
            hint="Another commitwatch run (or a program holding the file open) is writing; retry when it ends.",
        )
    if name.startswith("SQLITE_READONLY") or "readonly" in text:
        return StoreError(
            f"the database {path} is read-only ({text})",
            hint="Check the permissions of the file and its directory, or pass --db with a writable file.",
        )
    if name.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        return StoreError(
            f"cannot open the database {path} ({text})",
            hint="Check that the directory exists and is writable, or pass --db with another file.",
        )
    if name.startswith("SQLITE_FULL") or "disk is full" in text:
        return StoreError(f"no space left for the database {path} ({text})", hint="Free some disk space.")
    return StoreError(f"database error in {path}: {text}", hint=DB_HINT)


def _check_file(path: Path) -> None:
    """Refuse, before SQLite touches it, a path that cannot be our database."""
    if path.is_dir():
        raise StoreError(f"the database path {path} is a directory", hint="Pass --db with a file name.")
    if not path.exists():
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(len(SQLITE_MAGIC))
    except OSError as e:
        raise StoreError(
            f"cannot read the database {path}: {e.strerror or e}",
            hint="Check the file's permissions, or pass --db / set COMMITWATCH_DB to another file.",
        ) from e
    if head and head != SQLITE_MAGIC:  # an empty file is an empty database
        raise StoreError(f"{path} is not a SQLite database (it does not start with the SQLite header)", hint=DB_HINT)


# --- the store ---------------------------------------------------------------------------------------


class Store:
    """The commitwatch database. Open with ``Store.open(path)``; close with ``close()`` or ``with``."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()

    # --- opening ------------------------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | str, *, timeout: float = BUSY_TIMEOUT_S, migrate_to: int | None = None) -> Store:
        """Open (or create) the database at ``path`` and apply pending migrations.

        ``migrate_to`` stops after that migration number (for tests and tooling only).
        """
        path = Path(path).expanduser()
        _check_file(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StoreError(
                f"cannot create the directory for the database {path}: {e.strerror or e}",
                hint="Pass --db with a path in a writable directory.",
            ) from e
        try:
            conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as e:
            raise _describe(path, e) from e
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            # Reading the schema parses the file: a damaged one fails here, before anything is written.
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if tables and "migrations" not in tables:
                raise StoreError(
                    f"{path} is a SQLite database of another program (tables: {', '.join(sorted(tables)[:5])})",
                    hint=DB_HINT,
                )
            migrations.check(conn)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            migrations.apply(conn, migrate_to)
        except migrations.SchemaTooNew as e:
            conn.close()
            raise StoreError(
                f"the database {path} was written by a newer commitwatch (it has {e})",
                hint="Upgrade commitwatch, or pass --db / set COMMITWATCH_DB to another file.",
            ) from e
        except migrations.SchemaMismatch as e:
            conn.close()
            raise StoreError(f"the database {path} has an unknown schema: {e}", hint=DB_HINT) from e
        except sqlite3.Error as e:
            conn.close()
            raise _describe(path, e) from e
        except BaseException:
            conn.close()
            raise
        return cls(conn, path)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._conn
            except sqlite3.Error as e:
                raise _describe(self.path, e) from e

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: committed when the block ends, rolled back on error."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as e:
                raise _describe(self.path, e) from e

    def schema_version(self) -> int:
        """The number of the last applied migration."""
        with self._read() as conn:
            return max(migrations.applied(conn), default=0)

    # --- repositories -------------------------------------------------------------------------------
    def repo_id(self, ref: RepoRef) -> int:
        """The id of ``ref``'s repository, created on first use; name, slug and links follow ``ref``."""
        key = repo_key(ref)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO repos (key, kind, name, slug, spec, url, path, github, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET name = excluded.name, slug = excluded.slug,"
                " spec = excluded.spec, url = excluded.url, path = excluded.path, github = excluded.github",
                (
                    key,
                    ref.kind,
                    _text(ref.name),
                    ref.slug,
                    _text(ref.spec),
                    ref.url,
                    _text(ref.path) if ref.path else None,
                    ref.github,
                    _utc(_now()),
                ),
            )
            return int(conn.execute("SELECT id FROM repos WHERE key = ?", (key,)).fetchone()[0])

    def find_repo(self, repo: int | RepoRef | str) -> int | None:
        """An existing repository's id, without creating one. A string matches the stored key, ``--repo``
        spec, URL, path or display name; ``UsageError`` when a name matches several repositories."""
        if isinstance(repo, int):
            return repo
        with self._read() as conn:
            if isinstance(repo, RepoRef):
                row = conn.execute("SELECT id FROM repos WHERE key = ?", (repo_key(repo),)).fetchone()
                return int(row[0]) if row else None
            rows = conn.execute(
                "SELECT id, key FROM repos WHERE key = ? OR spec = ? OR url = ? OR path = ? OR name = ? ORDER BY id",
                (repo, repo, repo, repo, repo),
            ).fetchall()
        if len(rows) > 1:
            raise UsageError(
                f"{repo!r} matches several repositories: {', '.join(key for _, key in rows)}",
                hint="Pass the repository's URL or full path instead of its name.",
            )
        return int(rows[0][0]) if rows else None

    # --- commits ------------------------------------------------------------------------------------
    def save_commits(self, repo_id: int, commits: Sequence[Commit]) -> None:
        """Store commit metadata and per-file stats (never patches). A SHA already stored is left as is."""
        with self._write() as conn:
            for commit in commits:
                _insert_commit(conn, repo_id, commit)

    def load_commits(self, repo_id: int, shas: Iterable[str]) -> dict[str, Commit]:
        """Stored commits by SHA (without patches); unknown SHAs are left out."""
        wanted = list(dict.fromkeys(shas))
        out: dict[str, Commit] = {}
        with self._read() as conn:
            for part in _chunks(wanted):
                marks = ",".join("?" * len(part))
                files: dict[str, list[FileChange]] = {}
                for row in conn.execute(
                    "SELECT sha, path, status, additions, deletions, old_path, binary, similarity FROM commit_files"
                    f" WHERE repo_id = ? AND sha IN ({marks}) ORDER BY sha, position",
                    (repo_id, *part),
                ):
                    files.setdefault(row[0], []).append(FileChange(row[1], row[2], row[3], row[4], row[5],
                                                                   bool(row[6]), row[7]))
                for row in conn.execute(
                    "SELECT sha, parents, author_name, author_email, authored_at, committer_name, committer_email,"
                    f" committed_at, subject, body FROM commits WHERE repo_id = ? AND sha IN ({marks})",
                    (repo_id, *part),
                ):
                    out[row[0]] = Commit(
                        sha=row[0],
                        parents=tuple(row[1].split()),
                        author=Person(row[2], row[3]),
                        authored_at=datetime.fromisoformat(row[4]),
                        committer=Person(row[5], row[6]),
                        committed_at=datetime.fromisoformat(row[7]),
                        subject=row[8],
                        body=row[9],
                        files=tuple(files.get(row[0], ())),
                    )
        return out

    # --- analyses -----------------------------------------------------------------------------------
    def save_entry(
        self,
        repo_id: int,
        entry: CommitEntry,
        key: AnalysisKey,
        usage: Usage | None = None,
        *,
        run_id: int | None = None,
    ) -> None:
        """Store one commit's result at once (its own transaction) and release any claim on it.

        Saving again with the same key replaces the row, except that an LLM analysis is never replaced
        by a rules result. ``usage=None`` keeps the usage already stored.
        """
        with self._write() as conn:
            _insert_commit(conn, repo_id, entry.commit)
            conn.execute(
                "INSERT INTO analyses (repo_id, sha, model, prompt_version, language, schema_hash, analyzer,"
                " fallback_reason, change_type, importance, analysis, coverage, files_left_out, requests,"
                " prompt_tokens, completion_tokens, run_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (repo_id, sha, model, prompt_version, language, schema_hash) DO UPDATE SET"
                " analyzer = excluded.analyzer, fallback_reason = excluded.fallback_reason,"
                " change_type = excluded.change_type, importance = excluded.importance,"
                " analysis = excluded.analysis, coverage = excluded.coverage,"
                " files_left_out = excluded.files_left_out,"
                " requests = COALESCE(excluded.requests, analyses.requests),"
                " prompt_tokens = COALESCE(excluded.prompt_tokens, analyses.prompt_tokens),"
                " completion_tokens = COALESCE(excluded.completion_tokens, analyses.completion_tokens),"
                " run_id = COALESCE(excluded.run_id, analyses.run_id), created_at = excluded.created_at"
                " WHERE excluded.analyzer = 'llm' OR analyses.analyzer != 'llm'",
                (
                    repo_id,
                    entry.commit.sha,
                    *key.params(),
                    entry.analyzer,
                    _text(entry.fallback_reason) if entry.fallback_reason is not None else None,
                    entry.change_type.value,
                    entry.importance.value,
                    _json(codec.analysis_to_data(entry.analysis)) if entry.analysis is not None else None,
                    entry.coverage,
                    _json(list(entry.files_left_out)),
                    usage.requests if usage else None,
                    usage.prompt_tokens if usage else None,
                    usage.completion_tokens if usage else None,
                    run_id,
                    _utc(_now()),
                ),
            )
            conn.execute(f"DELETE FROM claims WHERE repo_id = ? AND sha = ? AND {_KEY_MATCH}",
                         (repo_id, entry.commit.sha, *key.params()))

    def get_entries(
        self,
        repo_id: int,
        shas: Iterable[str],
        key: AnalysisKey,
        *,
        include: Collection[AnalyzerKind] = REUSED,
    ) -> dict[str, StoredAnalysis]:
        """Stored results for ``shas`` under ``key``, by SHA. By default only LLM analyses (see the
        module docstring); pass ``include=("llm", "rules", "rules-fallback")`` for every stored row."""
        wanted = list(dict.fromkeys(shas))
        kinds = tuple(include)
        if not wanted or not kinds:
            return {}
        out: dict[str, StoredAnalysis] = {}
        with self._read() as conn:
            for part in _chunks(wanted):
                rows = conn.execute(
                    "SELECT sha, analyzer, fallback_reason, change_type, importance, analysis, coverage,"
                    " files_left_out, requests, prompt_tokens, completion_tokens, created_at FROM analyses"
                    f" WHERE repo_id = ? AND {_KEY_MATCH} AND sha IN ({','.join('?' * len(part))})"
                    f" AND analyzer IN ({','.join('?' * len(kinds))})",
                    (repo_id, *key.params(), *part, *kinds),
                ).fetchall()
                for row in rows:
                    out[row[0]] = _stored_analysis(row)
        return out

    # --- claims (two runs at once never analyse the same commit twice) -------------------------------
    def claim(self, repo_id: int, sha: str, key: AnalysisKey, run_id: int, ttl_s: float = CLAIM_TTL_S) -> bool:
        """True when this run now holds the commit (it must analyse it and ``save_entry``); False when an
        LLM analysis exists already or another run's unexpired claim holds it (see ``wait_for_entry``)."""
        return sha in self.claim_many(repo_id, [sha], key, run_id, ttl_s)

    def claim_many(
        self, repo_id: int, shas: Iterable[str], key: AnalysisKey, run_id: int, ttl_s: float = CLAIM_TTL_S
    ) -> set[str]:
        """``claim`` for many commits in one transaction; returns the SHAs this run now holds. Claiming
        again with the same ``run_id`` renews the lease."""
        won: set[str] = set()
        now = time.time()
        with self._write() as conn:
            _drop_orphan_claims(conn)
            for sha in dict.fromkeys(shas):
                done = conn.execute(
                    f"SELECT 1 FROM analyses WHERE repo_id = ? AND sha = ? AND {_KEY_MATCH} AND analyzer = 'llm'",
                    (repo_id, sha, *key.params()),
                ).fetchone()
                if done:
                    continue
                cursor = conn.execute(
                    "INSERT INTO claims (repo_id, sha, model, prompt_version, language, schema_hash, run_id,"
                    " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT (repo_id, sha, model, prompt_version, language, schema_hash) DO UPDATE SET"
                    " run_id = excluded.run_id, expires_at = excluded.expires_at"
                    " WHERE claims.expires_at <= ? OR claims.run_id = excluded.run_id",
                    (repo_id, sha, *key.params(), run_id, now + ttl_s, now),
                )
                if cursor.rowcount == 1:
                    won.add(sha)
        return won

    def release_claims(self, run_id: int) -> None:
        """Drop every claim ``run_id`` still holds (``finish_run`` does it too)."""
        with self._write() as conn:
            conn.execute("DELETE FROM claims WHERE run_id = ?", (run_id,))

    def wait_for_entry(
        self, repo_id: int, sha: str, key: AnalysisKey, timeout: float, *, poll: float = 0.2
    ) -> StoredAnalysis | None:
        """Wait until another run's LLM analysis of ``sha`` is stored and return it. None when the other
        run let go without one (its claim was released or expired) or ``timeout`` seconds passed: then
        analyse it yourself (``claim`` it first)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.get_entries(repo_id, [sha], key).get(sha)
            if found is not None:
                return found
            with self._read() as conn:
                holder = conn.execute(
                    "SELECT runs.pid, runs.host FROM claims LEFT JOIN runs ON runs.id = claims.run_id"
                    f" WHERE claims.repo_id = ? AND claims.sha = ? AND {_KEY_MATCH}"
                    " AND claims.expires_at > ?",
                    (repo_id, sha, *key.params(), time.time()),
                ).fetchone()
            held = holder is not None and not _gone(holder[0], holder[1])
            if not held or time.monotonic() >= deadline:
                # one last look: the analysis may have landed together with the release
                return self.get_entries(repo_id, [sha], key).get(sha)
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    # --- runs ---------------------------------------------------------------------------------------
    def start_run(self, repo_id: int, branch: str, window: Window, settings_fingerprint: str) -> int:
        """Record a run as ``running`` and return its id."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO runs (repo_id, branch, window_start, window_end, window_tz, window_day, settings,"
                " status, pid, host, started_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                (
                    repo_id,
                    branch,
                    _utc(window.start),
                    _utc(window.end),
                    window.tz,
                    window.day.isoformat() if window.day else None,
                    settings_fingerprint,
                    os.getpid(),
                    socket.gethostname(),
                    _utc(_now()),
                ),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(
        self,
        run_id: int,
        status: RunStatus,
        *,
        counts: Mapping[str, int],
        usage: Usage,
        cost: float | None = None,
        warnings: Sequence[str] = (),
        head_sha: str | None = None,
        reported: Iterable[str] = (),
    ) -> None:
        """Close a run: its status, commits per analyzer, usage and cost, warnings, the branch head it
        read, and the SHAs its report showed (``reported_shas`` reads them), all in one transaction."""
        if status not in FINAL_STATUSES:
            raise ValueError(f"run status must be one of {FINAL_STATUSES}, not {status!r}")
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE runs SET status = ?, finished_at = ?, head_sha = ?, commits = ?, counts = ?, requests = ?,"
                " prompt_tokens = ?, completion_tokens = ?, cost = ?, warnings = ? WHERE id = ?",
                (
                    status,
                    _utc(_now()),
                    head_sha,
                    sum(counts.values()),
                    _json(dict(sorted(counts.items()))),
                    usage.requests,
                    usage.prompt_tokens,
                    usage.completion_tokens,
                    cost,
                    _json(list(warnings)),
                    run_id,
                ),
            )
            if cursor.rowcount != 1:
                raise StoreError(f"no run {run_id} in {self.path}", hint="Start the run with start_run first.")
            conn.executemany(
                "INSERT OR IGNORE INTO run_commits (run_id, sha) VALUES (?, ?)",
                [(run_id, sha) for sha in dict.fromkeys(reported)],
            )
            conn.execute("DELETE FROM claims WHERE run_id = ?", (run_id,))

    def history(self, repo: int | RepoRef | str | None = None, limit: int = 20) -> list[RunRow]:
        """The latest runs, newest first; ``repo`` as for ``find_repo`` (a name may match several)."""
        where = ""
        params: tuple[Any, ...] = ()
        if isinstance(repo, int):
            where, params = "WHERE runs.repo_id = ?", (repo,)
        elif isinstance(repo, RepoRef):
            where, params = "WHERE repos.key = ?", (repo_key(repo),)
        elif repo is not None:
            where = "WHERE ? IN (repos.key, repos.spec, repos.url, repos.path, repos.name)"
            params = (repo,)
        with self._read() as conn:
            rows = conn.execute(f"{_RUN_SELECT} {where} ORDER BY runs.id DESC LIMIT ?", (*params, limit)).fetchall()
        return [_run_row(row) for row in rows]

    def last_successful_run(self, repo_id: int, branch: str) -> RunRow | None:
        """The ``ok`` or ``degraded`` run of this repository and branch whose window ends last."""
        with self._read() as conn:
            row = conn.execute(
                f"{_RUN_SELECT} WHERE runs.repo_id = ? AND runs.branch = ? AND runs.status IN ('ok', 'degraded')"
                " ORDER BY runs.window_end DESC, runs.id DESC LIMIT 1",
                (repo_id, branch),
            ).fetchone()
        return _run_row(row) if row else None

    def reported_shas(self, repo_id: int, branch: str, among: Iterable[str] | None = None) -> set[str]:
        """SHAs that successful runs of this repository and branch have reported; with ``among``, only
        those of these candidates."""
        sql = (
            "SELECT DISTINCT rc.sha FROM run_commits rc JOIN runs r ON r.id = rc.run_id"
            " WHERE r.repo_id = ? AND r.branch = ? AND r.status IN ('ok', 'degraded')"
        )
        out: set[str] = set()
        with self._read() as conn:
            if among is None:
                return {row[0] for row in conn.execute(sql, (repo_id, branch))}
            for part in _chunks(list(dict.fromkeys(among))):
                rows = conn.execute(f"{sql} AND rc.sha IN ({','.join('?' * len(part))})", (repo_id, branch, *part))
                out.update(row[0] for row in rows)
        return out

    # --- report snapshots ---------------------------------------------------------------------------
    def save_report(self, run_id: int | None, report: ReportData) -> int:
        """Store a snapshot of ``report`` (replacing the one of the same repository, branch, window and
        language). Returns the report's row id."""
        repo_id = self.repo_id(report.repo)
        window = report.window
        data = zlib.compress(_json(codec.report_to_data(report)).encode("utf-8"), 6)
        with self._write() as conn:
            conn.execute(
                "INSERT INTO reports (repo_id, run_id, branch, window_start, window_end, window_tz, window_day,"
                " language, created_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (repo_id, branch, window_start, window_end, window_tz, language) DO UPDATE SET"
                " run_id = excluded.run_id, window_day = excluded.window_day, created_at = excluded.created_at,"
                " data = excluded.data",
                (
                    repo_id,
                    run_id,
                    report.branch,
                    _utc(window.start),
                    _utc(window.end),
                    window.tz,
                    window.day.isoformat() if window.day else None,
                    report.language,
                    _utc(_now()),
                    data,
                ),
            )
            row = conn.execute(
                "SELECT id FROM reports WHERE repo_id = ? AND branch = ? AND window_start = ? AND window_end = ?"
                " AND window_tz = ? AND language = ?",
                (repo_id, report.branch, _utc(window.start), _utc(window.end), window.tz, report.language),
            ).fetchone()
            return int(row[0])

    def load_report(
        self,
        repo: int | RepoRef | str,
        *,
        language: str,
        day: date | None = None,
        window: Window | None = None,
        branch: str | None = None,
        tz: str | None = None,
    ) -> ReportData | None:
        """The stored report of a calendar ``day`` (optionally in ``tz``) or of exactly ``window``, or None.
        When several match (branches, time zones), the most recently stored one."""
        if (day is None) == (window is None):
            raise ValueError("give exactly one of day or window")
        repo_id = self.find_repo(repo)
        if repo_id is None:
            return None
        sql = "SELECT data FROM reports WHERE repo_id = ? AND language = ?"
        params: list[Any] = [repo_id, language]
        if day is not None:
            sql += " AND window_day = ?"
            params.append(day.isoformat())
            if tz is not None:
                sql += " AND window_tz = ?"
                params.append(tz)
        else:
            assert window is not None
            sql += " AND window_start = ? AND window_end = ? AND window_tz = ?"
            params += [_utc(window.start), _utc(window.end), window.tz]
        if branch is not None:
            sql += " AND branch = ?"
            params.append(branch)
        with self._read() as conn:
            row = conn.execute(sql + " ORDER BY created_at DESC, id DESC LIMIT 1", params).fetchone()
        return self._decode(row[0]) if row else None

    def load_reports(
        self,
        repo: int | RepoRef | str,
        start: datetime,
        end: datetime,
        *,
        language: str,
        branch: str | None = None,
    ) -> list[ReportData]:
        """Every stored report whose window overlaps ``[start, end)``, oldest window first."""
        repo_id = self.find_repo(repo)
        if repo_id is None:
            return []
        sql = "SELECT data FROM reports WHERE repo_id = ? AND language = ? AND window_start < ? AND window_end > ?"
        params: list[Any] = [repo_id, language, _utc(end), _utc(start)]
        if branch is not None:
            sql += " AND branch = ?"
            params.append(branch)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY window_start, window_end, created_at, id", params).fetchall()
        return [self._decode(row[0]) for row in rows]

    def _decode(self, data: bytes | str) -> ReportData:
        try:
            text = zlib.decompress(data) if isinstance(data, bytes) else data
            return codec.report_from_data(json.loads(text))
        except (ValueError, zlib.error, codec.CodecError) as e:
            raise StoreError(f"a stored report in {self.path} cannot be read: {e}", hint=DB_HINT) from e

    # --- deliveries ---------------------------------------------------------------------------------
    def record_delivery(
        self,
        target: str,
        report_key: str,
        status: Literal["ok", "failed"] = "ok",
        *,
        content_hash: str | None = None,
        detail: str | None = None,
        run_id: int | None = None,
    ) -> None:
        """Record one attempt to deliver a report (``storage.report_key(report)``) to ``target``."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO deliveries (target, report_key, content_hash, status, detail, run_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (target, report_key, content_hash, status, _text(detail) if detail else detail, run_id, _utc(_now())),
            )

    def was_delivered(self, target: str, report_key: str, content_hash: str | None = None) -> bool:
        """True when a delivery of this report to ``target`` succeeded (with this content, if given)."""
        sql = "SELECT 1 FROM deliveries WHERE target = ? AND report_key = ? AND status = 'ok'"
        params: tuple[Any, ...] = (target, report_key)
        if content_hash is not None:
            sql += " AND content_hash = ?"
            params += (content_hash,)
        with self._read() as conn:
            return conn.execute(sql + " LIMIT 1", params).fetchone() is not None

    def deliveries(self, report_key: str) -> list[DeliveryRow]:
        """Every recorded attempt for one report, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT target, report_key, status, content_hash, detail, created_at FROM deliveries"
                " WHERE report_key = ? ORDER BY id",
                (report_key,),
            ).fetchall()
        return [DeliveryRow(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5])) for r in rows]


# --- row mapping ---------------------------------------------------------------------------------------


def _insert_commit(conn: sqlite3.Connection, repo_id: int, commit: Commit) -> None:
    cursor = conn.execute(
        "INSERT INTO commits (repo_id, sha, parents, author_name, author_email, authored_at, committer_name,"
        " committer_email, committed_at, committed_utc, subject, body, additions, deletions, stored_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (repo_id, sha) DO NOTHING",
        (
            repo_id,
            commit.sha,
            " ".join(commit.parents),
            _text(commit.author.name),
            _text(commit.author.email),
            commit.authored_at.isoformat(),
            _text(commit.committer.name),
            _text(commit.committer.email),
            commit.committed_at.isoformat(),
            _utc(commit.committed_at),
            _text(commit.subject),
            _text(commit.body),
            commit.additions,
            commit.deletions,
            _utc(_now()),
        ),
    )
    if cursor.rowcount == 1:
        conn.executemany(
            "INSERT INTO commit_files (repo_id, sha, position, path, status, additions, deletions, old_path,"
            " binary, similarity) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (repo_id, commit.sha, i, _text(f.path), f.status, f.additions, f.deletions,
                 _text(f.old_path) if f.old_path is not None else None, int(f.binary), f.similarity)
                for i, f in enumerate(commit.files)
            ],
        )


def _stored_analysis(row: Sequence[Any]) -> StoredAnalysis:
    usage = Usage(row[8], row[9] or 0, row[10] or 0) if row[8] is not None else None
    return StoredAnalysis(
        sha=row[0],
        analyzer=row[1],
        fallback_reason=row[2],
        change_type=ChangeType(row[3]),
        importance=Importance(row[4]),
        analysis=codec.analysis_from_data(json.loads(row[5])) if row[5] is not None else None,
        coverage=row[6],
        files_left_out=tuple(json.loads(row[7])),
        usage=usage,
        created_at=datetime.fromisoformat(row[11]),
    )


_RUN_SELECT = (
    "SELECT runs.id, runs.repo_id, repos.name, runs.branch, runs.window_start, runs.window_end, runs.window_tz,"
    " runs.window_day, runs.settings, runs.status, runs.pid, runs.host, runs.started_at, runs.finished_at,"
    " runs.head_sha, runs.commits, runs.counts, runs.requests, runs.prompt_tokens, runs.completion_tokens,"
    " runs.cost, runs.warnings FROM runs JOIN repos ON repos.id = runs.repo_id"
)


def _run_row(row: Sequence[Any]) -> RunRow:
    started = datetime.fromisoformat(row[12])
    status = row[9]
    if status == "running":
        same_host = row[11] == socket.gethostname()
        alive = _process_alive(row[10]) if same_host else True
        if not alive or _now() - started > STALE_RUN:
            status = "interrupted"
    return RunRow(
        id=row[0],
        repo_id=row[1],
        repo=row[2],
        branch=row[3],
        window=_window(row[4], row[5], row[6], row[7]),
        settings=row[8],
        status=status,
        started_at=started,
        finished_at=datetime.fromisoformat(row[13]) if row[13] else None,
        head_sha=row[14],
        commits=row[15],
        counts=json.loads(row[16]),
        usage=Usage(row[17], row[18], row[19]),
        cost=row[20],
        warnings=tuple(json.loads(row[21])),
    )
