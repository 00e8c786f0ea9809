"""The store: a SQLite database of repositories, commits, analyses, runs, report snapshots and deliveries.

It makes reruns free (an analysis is committed the moment it finishes and reused by key), crashes
harmless (nothing done is lost; an interrupted run shows as such), ``--since-last-run`` exact (the SHAs
each run reported are kept), ``render`` offline (lossless snapshots of each ``ReportData``) and weekly
digests cheap (built from the snapshots). See ``store`` for the API (one ``Store`` over modules split
by concern: ``core``, ``analyses``, ``runs``, ``deliveries``, ``caches``), ``migrations`` for the schema's history
and ``codec`` for the snapshot format.

Schema (``tests/test_storage_migrations.py`` checks this list against a new database)::

    migrations     number, name, applied_at
    repos          id, key, kind, name, slug, spec, url, path, github, created_at
    commits        repo_id, sha, parents, author_name, author_email, authored_at, committer_name,
                   committer_email, committed_at, committed_utc, subject, body, additions, deletions,
                   stored_at
    commit_files   repo_id, sha, position, path, status, additions, deletions, old_path, binary,
                   similarity
    analyses       id, repo_id, sha, model, prompt_version, language, schema_hash, analyzer,
                   fallback_reason, change_type, importance, analysis, coverage, files_left_out,
                   requests, prompt_tokens, completion_tokens, run_id, created_at
    claims         repo_id, sha, model, prompt_version, language, schema_hash, run_id, expires_at
    runs           id, repo_id, branch, window_start, window_end, window_tz, window_day, settings,
                   status, pid, host, started_at, finished_at, head_sha, commits, counts, requests,
                   prompt_tokens, completion_tokens, cost, warnings
    run_commits    run_id, sha
    reports        id, repo_id, run_id, branch, window_start, window_end, window_tz, window_day,
                   language, created_at, data
    deliveries     id, target, report_key, content_hash, status, detail, run_id, created_at
    llm_modes      base_url, model, mode, updated_at
    pull_requests  api, github, sha, number, title, body, url, labels, author, fetched_at
    http_cache     url, etag, body, stored_at

Keys: ``repos.key`` is unique ("remote:<url>" or "local:<absolute path>"); ``commits`` by (repo_id, sha);
``analyses`` and ``claims`` by (repo_id, sha, model, prompt_version, language, schema_hash); ``reports``
by (repo_id, branch, window_start, window_end, window_tz, language). Times are ISO 8601 text: UTC for
the columns queries compare, the original offset for commit times; ``claims.expires_at`` is Unix time.
``reports.data`` is the ``codec`` snapshot as zlib-compressed JSON (snapshots repeat the analyses, so
they are the bulk of the file).
"""

from __future__ import annotations

from .analyses import CLAIM_TTL_S, AnalysisKey, StoredAnalysis
from .codec import report_from_data, report_to_data
from .core import DB_ENV, StoreError, StoreWriteError, db_path, default_db_path, repo_key
from .deliveries import DeliveryRow
from .runs import ReportRow, RunRow, RunStatus, report_key
from .store import Store

__all__ = [
    "CLAIM_TTL_S",
    "DB_ENV",
    "AnalysisKey",
    "DeliveryRow",
    "ReportRow",
    "RunRow",
    "RunStatus",
    "Store",
    "StoreError",
    "StoreWriteError",
    "StoredAnalysis",
    "db_path",
    "default_db_path",
    "repo_key",
    "report_from_data",
    "report_key",
    "report_to_data",
]
