"""GitHub answers kept in the store: the pull request behind each commit, and ETags of GET requests.

``GitHubStore`` (joined into ``Store``) holds the SQL; ``GitHubCache`` binds a store to one API root for
the GitHub client:

    cache = GitHubCache(store, "https://api.github.com")
    known = cache.pulls("ai-dynamo/dynamo", shas)        # sha -> PullRequest | None, only the known ones
    cache.save_pulls("ai-dynamo/dynamo", {sha: pr_or_none, ...})
    cache.etag(url) / cache.save_etag(url, etag, body)   # conditional requests

A commit GitHub knows no pull request for is stored too (``number`` NULL), so a rerun or a re-render
asks GitHub nothing. Nothing secret is stored: URLs never carry the token.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from ..models import PullRequest
from .core import CHUNK, StoreCore


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class GitHubStore(StoreCore):
    """Pull requests by commit, and the ETags of GitHub GET answers."""

    def stored_pulls(self, api: str, github: str, shas: Iterable[str]) -> dict[str, PullRequest | None]:
        """The stored answers for ``shas`` (absent: never asked; ``None``: no pull request)."""
        wanted = list(dict.fromkeys(shas))
        found: dict[str, PullRequest | None] = {}
        with self._read() as conn:
            for start in range(0, len(wanted), CHUNK):
                chunk = wanted[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                rows = conn.execute(
                    "SELECT sha, number, title, body, url, labels, author FROM pull_requests"
                    f" WHERE api = ? AND github = ? AND sha IN ({marks})",
                    (api, github.lower(), *chunk),
                ).fetchall()
                for sha, number, title, body, url, labels, author in rows:
                    found[sha] = (
                        None
                        if number is None
                        else PullRequest(number=int(number), title=title or "", url=url or "", body=body or "",
                                         labels=tuple(json.loads(labels or "[]")), author=author)
                    )
        return found

    def save_pulls(self, api: str, github: str, answers: Mapping[str, PullRequest | None]) -> None:
        rows = [
            (api, github.lower(), sha, pr.number if pr else None, pr.title if pr else None,
             pr.body if pr else None, pr.url if pr else None, json.dumps(list(pr.labels) if pr else []),
             pr.author if pr else None, _now())
            for sha, pr in answers.items()
        ]
        with self._write() as conn:
            conn.executemany(
                "INSERT OR REPLACE INTO pull_requests (api, github, sha, number, title, body, url, labels, author,"
                " fetched_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )

    def http_etag(self, url: str) -> tuple[str, bytes] | None:
        """The ETag and body of the last 200 answer to GET ``url``."""
        with self._read() as conn:
            row = conn.execute("SELECT etag, body FROM http_cache WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        try:
            return str(row[0]), zlib.decompress(row[1])
        except zlib.error:
            return None

    def save_http_etag(self, url: str, etag: str, body: bytes) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO http_cache (url, etag, body, stored_at) VALUES (?, ?, ?, ?)",
                (url, etag, zlib.compress(body), _now()),
            )


    def failed_report_keys(self, target_prefix: str) -> list[str]:
        """The report keys whose last delivery to a target starting with ``target_prefix`` failed, oldest
        first: what the next run publishes again (``Store.load_report_by_key`` gives each report)."""
        pattern = target_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        with self._read() as conn:
            rows = conn.execute(
                "SELECT target, report_key, status FROM deliveries WHERE target LIKE ? ESCAPE '\\' ORDER BY id",
                (pattern,),
            ).fetchall()
        last: dict[tuple[str, str], str] = {}
        for target, key, status in rows:
            last[(target, key)] = status
        return list(dict.fromkeys(key for (_target, key), status in last.items() if status == "failed"))


class GitHubCache:
    """One store's GitHub tables for one API root: what ``sources.github`` reads and writes."""

    def __init__(self, store: GitHubStore, api: str) -> None:
        self.store = store
        self.api = api.rstrip("/")

    def pulls(self, github: str, shas: Iterable[str]) -> dict[str, PullRequest | None]:
        return self.store.stored_pulls(self.api, github, shas)

    def save_pulls(self, github: str, answers: Mapping[str, PullRequest | None]) -> None:
        self.store.save_pulls(self.api, github, answers)

    def etag(self, url: str) -> tuple[str, bytes] | None:
        return self.store.http_etag(url)

    def save_etag(self, url: str, etag: str, body: bytes) -> None:
        self.store.save_http_etag(url, etag, body)
