"""Runs and report snapshots: what each run read and reported, and every report as rendered data."""

from __future__ import annotations

import json
import os
import socket
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from ..models import RepoRef, ReportData, Usage, Window
from . import codec
from .core import (
    DB_HINT,
    StoreCore,
    StoreError,
    _chunks,
    _json,
    _now,
    _process_alive,
    _utc,
    _window,
    repo_key,
)

STALE_RUN = timedelta(hours=6)  # a run still "running" after this long is shown as interrupted

RunStatus = Literal["ok", "degraded", "failed"]
FINAL_STATUSES: tuple[str, ...] = ("ok", "degraded", "failed")
SUCCESS_STATUSES: tuple[str, ...] = ("ok", "degraded")  # a report was written


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
class ReportRow:
    """A stored report's identity, without its data (``load_report_by_id`` reads the data)."""

    id: int
    repo_id: int
    branch: str
    window: Window
    language: str
    created_at: str  # when the snapshot was (last) stored, ISO 8601 UTC: changes whenever it is replaced


def report_key(report: ReportData) -> str:
    """Identity of a report for deliveries: repository, branch, window and language."""
    window = report.window
    return "|".join(
        (repo_key(report.repo), report.branch, _utc(window.start), _utc(window.end), window.tz, report.language)
    )


class RunStore(StoreCore):
    """Runs (window, status, counts, usage) and the report snapshots ``render`` and digests read."""

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

    def ran_before(self, repo: RepoRef, window: Window, settings_fingerprint: str) -> bool:
        """Whether a run of this repository, window and settings finished ``ok`` (every analysis by its
        analyzer, nothing to retry): a rerun then most likely finds every analysis in the store."""
        repo_id = self.find_repo(repo)
        if repo_id is None:
            return False
        with self._read() as conn:
            row = conn.execute(
                "SELECT 1 FROM runs WHERE repo_id = ? AND window_start = ? AND window_end = ? AND window_tz = ?"
                " AND settings = ? AND status = 'ok' LIMIT 1",
                (repo_id, _utc(window.start), _utc(window.end), window.tz, settings_fingerprint),
            ).fetchone()
        return row is not None

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

    def load_report_by_key(self, key: str) -> ReportData | None:
        """The stored report whose ``report_key`` is ``key``, or None (also for a key of another kind)."""
        parts = key.rsplit("|", 5)
        if len(parts) != 6:
            return None
        repo, branch, start, end, tz, language = parts
        with self._read() as conn:
            row = conn.execute(
                "SELECT r.data FROM reports r JOIN repos p ON p.id = r.repo_id WHERE p.key = ? AND r.branch = ?"
                " AND r.window_start = ? AND r.window_end = ? AND r.window_tz = ? AND r.language = ?"
                " ORDER BY r.created_at DESC, r.id DESC LIMIT 1",
                (repo, branch, start, end, tz, language),
            ).fetchone()
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

    def report_rows(self, *, language: str | None = None) -> list[ReportRow]:
        """Every stored report (optionally of one language), without data: oldest window first."""
        sql = (
            "SELECT id, repo_id, branch, window_start, window_end, window_tz, window_day, language, created_at"
            " FROM reports"
        )
        params: list[Any] = []
        if language is not None:
            sql += " WHERE language = ?"
            params.append(language)
        with self._read() as conn:
            rows = conn.execute(sql + " ORDER BY window_start, window_end, repo_id, branch, id", params).fetchall()
        return [ReportRow(r[0], r[1], r[2], _window(r[3], r[4], r[5], r[6]), r[7], r[8]) for r in rows]

    def load_report_by_id(self, report_id: int) -> ReportData | None:
        """The stored report with this row id (from ``report_rows``), or None."""
        with self._read() as conn:
            row = conn.execute("SELECT data FROM reports WHERE id = ?", (report_id,)).fetchone()
        return self._decode(row[0]) if row else None

    def _decode(self, data: bytes | str) -> ReportData:
        try:
            text = zlib.decompress(data) if isinstance(data, bytes) else data
            return codec.report_from_data(json.loads(text))
        except (ValueError, zlib.error, codec.CodecError) as e:
            raise StoreError(f"a stored report in {self.path} cannot be read: {e}", hint=DB_HINT) from e


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

