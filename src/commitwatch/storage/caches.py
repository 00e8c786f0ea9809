"""Small caches of what a run learnt and the next one should not learn again."""

from __future__ import annotations

from datetime import datetime, timedelta

from .core import StoreCore, _now, _text, _utc

#: How long a GitHub answer's ETag and body (``http_cache``) are kept after they were stored.
HTTP_CACHE_DAYS = 30


class CacheStore(StoreCore):
    """The structured-output mode each server and model accepted (``llm_modes``), and the bound on the
    GitHub answers kept for conditional requests (``http_cache``)."""

    def llm_mode(self, base_url: str, model: str) -> str | None:
        """The mode a past run negotiated with this server (base URL without a trailing slash) and model."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT mode FROM llm_modes WHERE base_url = ? AND model = ?", (_text(base_url), _text(model))
            ).fetchone()
        return str(row[0]) if row else None

    def remember_llm_mode(self, base_url: str, model: str, mode: str) -> None:
        """Record the mode this server and model answered in, for the next runs to start with."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO llm_modes (base_url, model, mode, updated_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (base_url, model) DO UPDATE SET mode = excluded.mode, updated_at = excluded.updated_at",
                (_text(base_url), _text(model), mode, _utc(_now())),
            )

    def forget_llm_mode(self, base_url: str | None = None, model: str | None = None) -> int:
        """Forget the negotiated mode (the server changed): of this base URL and model, of every model of
        a base URL (``model=None``), or everything (no arguments). Returns how many were forgotten; the
        next run negotiates again from the strongest mode."""
        sql, params = "DELETE FROM llm_modes", []
        if base_url is not None:
            sql += " WHERE base_url = ?"
            params.append(_text(base_url.rstrip("/")))
            if model is not None:
                sql += " AND model = ?"
                params.append(_text(model))
        with self._write() as conn:
            return conn.execute(sql, params).rowcount

    def llm_modes(self) -> list[tuple[str, str, str]]:
        """Every remembered (base_url, model, mode), for ``doctor``-style listings."""
        with self._read() as conn:
            rows = conn.execute("SELECT base_url, model, mode FROM llm_modes ORDER BY base_url, model").fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def prune_http_cache(self, now: datetime | None = None, days: int = HTTP_CACHE_DAYS) -> int:
        """Drop the GitHub answers (``http_cache``) stored more than ``days`` days before ``now``; returns
        how many. Their URLs are asked again without an ETag (one full answer, stored afresh), so the
        table holds only what recent runs asked for. A date SQLite cannot read is kept."""
        cutoff = _utc((now or _now()) - timedelta(days=days))
        with self._write() as conn:
            return conn.execute("DELETE FROM http_cache WHERE julianday(stored_at) < julianday(?)", (cutoff,)).rowcount
