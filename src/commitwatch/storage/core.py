"""The store's core: opening the file, its one connection and lock, transactions, repositories.

Durability: WAL with ``synchronous=NORMAL``: every committed transaction survives the process's death
(``kill -9``, a crash), and the file stays consistent through a power loss, which may lose the last few
transactions (a rerun analyses those commits again). ``FULL`` would fsync on every analysis, while the
analysis stage waits on that write from its event loop. Every write is its own ``BEGIN IMMEDIATE``
transaction (writers queue on ``busy_timeout`` instead of failing half-way). The connection may be used
from several threads (the analysis stage calls back from its event loop thread); a lock serialises them.

Errors: a file that is not SQLite, is damaged, belongs to another program, was written by a newer
commitwatch, or cannot be read or written raises ``StoreError`` with a hint. The file is never deleted,
replaced or "repaired".

The concerns built on this core live beside it: ``analyses`` (commits, analyses, claims), ``runs`` (runs
and report snapshots), ``deliveries`` (deliveries and caches); ``store.Store`` joins them.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple, TypeVar
from zoneinfo import ZoneInfo

import platformdirs

from ..errors import CommitwatchError, ExitCode, UsageError
from ..models import RepoRef, Window
from . import migrations

DB_ENV = "COMMITWATCH_DB"
DB_HINT = "Move the file away (a new database is then created) or pass --db / set COMMITWATCH_DB to another file."
BUSY_TIMEOUT_S = 30.0
SQLITE_MAGIC = b"SQLite format 3\x00"
CHUNK = 500  # parameters per IN (...) query


class StoreError(CommitwatchError):
    """The database cannot be used: not SQLite, damaged, newer than this code, locked or unreadable."""

    exit_code = ExitCode.USAGE


class StoreWriteError(StoreError):
    """The database could not be written: the disk is full or failing (exit 6, an output error)."""

    exit_code = ExitCode.OUTPUT


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


class KnownRepo(NamedTuple):
    """A stored repository as ``history --repo`` matches it."""

    id: int
    key: str
    name: str
    spec: str | None
    url: str | None
    path: str | None
    github: str | None


def repo_key(ref: RepoRef) -> str:
    """The stable identity of a repository: its URL when remote, its absolute path when local."""
    if ref.kind == "remote":
        return "remote:" + _text(ref.url or ref.spec)
    return "local:" + _text(os.path.abspath(ref.path or ref.spec))


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
    if name.startswith(("SQLITE_FULL", "SQLITE_IOERR")) or "disk is full" in text or "disk I/O error" in text:
        return StoreWriteError(
            f"cannot write the database {path}: no space left or an I/O error ({text})",
            hint="Free some disk space (or check the disk) and rerun: every analysis finished before is kept.",
        )
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


# --- the core ------------------------------------------------------------------------------------------

_S = TypeVar("_S", bound="StoreCore")


class StoreCore:
    """The connection, its lock and transactions, and the repositories every other table refers to."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self._conn = conn
        self.path = path
        self._lock = threading.RLock()

    # --- opening ------------------------------------------------------------------------------------
    @classmethod
    def open(cls: type[_S], path: Path | str, *, timeout: float = BUSY_TIMEOUT_S, migrate_to: int | None = None) -> _S:
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

    def __enter__(self: _S) -> _S:
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

    def reclaim(self) -> None:
        """Best effort after a write failed for lack of space: fold the write-ahead log into the database
        and truncate it, which frees the log's space (so a small write such as marking the run failed can
        still succeed)."""
        with self._lock, contextlib.suppress(sqlite3.Error):
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

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

    def known_repos(self) -> list[KnownRepo]:
        """Every repository the store knows, in the order they were first seen."""
        with self._read() as conn:
            rows = conn.execute("SELECT id, key, name, spec, url, path, github FROM repos ORDER BY id").fetchall()
        return [KnownRepo(*row) for row in rows]

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

