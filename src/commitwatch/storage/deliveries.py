"""Deliveries: where each report went, so a rerun never posts twice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from .core import (
    StoreCore,
    _now,
    _text,
    _utc,
)


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    target: str
    report_key: str
    status: str
    content_hash: str | None
    detail: str | None
    created_at: datetime


class DeliveryStore(StoreCore):
    """Where each report went, and whether it got there."""

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

    def failed_deliveries(self, since: datetime) -> list[tuple[str, str]]:
        """(target, report key) of the reports that never reached a target although an attempt was made
        since ``since``: every attempt failed. Oldest first. What the next run retries."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT target, report_key FROM deliveries GROUP BY target, report_key"
                " HAVING SUM(status = 'ok') = 0 AND MAX(created_at) >= ? ORDER BY MIN(id)",
                (_utc(since),),
            ).fetchall()
        return [(row[0], row[1]) for row in rows]

    def deliveries(self, report_key: str) -> list[DeliveryRow]:
        """Every recorded attempt for one report, oldest first."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT target, report_key, status, content_hash, detail, created_at FROM deliveries"
                " WHERE report_key = ? ORDER BY id",
                (report_key,),
            ).fetchall()
        return [DeliveryRow(r[0], r[1], r[2], r[3], r[4], datetime.fromisoformat(r[5])) for r in rows]

