"""Commits, analyses and claims: the per-commit cache that makes reruns free and two runs at once safe.

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
import sqlite3
import time
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..models import (
    Analysis,
    AnalyzerKind,
    ChangeType,
    Commit,
    CommitEntry,
    FileChange,
    Importance,
    Person,
    Triage,
    Usage,
)
from . import codec
from .core import (
    StoreCore,
    _chunks,
    _gone,
    _json,
    _now,
    _text,
    _utc,
)

CLAIM_TTL_S = 600.0
REUSED: tuple[AnalyzerKind, ...] = ("llm",)  # what get_entries returns by default (see the module docstring)


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


def _drop_orphan_claims(conn: sqlite3.Connection) -> None:
    """Release the claims of runs whose process died (kill -9, a crash): their work is free to take at
    once, instead of after the claim's time to live."""
    holders = conn.execute(
        "SELECT DISTINCT runs.id, runs.pid, runs.host FROM claims JOIN runs ON runs.id = claims.run_id"
    ).fetchall()
    for run_id, pid, host in holders:
        if _gone(pid, host):
            conn.execute("DELETE FROM claims WHERE run_id = ?", (run_id,))


class CommitStore(StoreCore):
    """Commits (metadata and file stats), their analyses, and claims on commits being analysed."""

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

