"""Notifications: the digest to every configured apprise URL, split to the service's limits, sent once.

    outcome = notify_reports(settings, store, reports, failed=[...], force=False, run_id=run_id)
    outcome.failed   # [(target id, redacted detail)]: a delivery failed after its retries

Targets are apprise URLs (``[notify] urls``, ``[[notify.targets]]``, ``COMMITWATCH_NOTIFY_URLS``).
apprise parses and validates every URL. Sending:

- DingTalk, WeCom bot, Feishu, Lark and Slack webhooks are posted by our own small sender (``requests``,
  the library apprise itself uses) with the payload the service documents, because their apprise
  plugins have a fixed host (so they cannot be pointed at a relay or a local test server: ``api_url``
  can), count characters where these services count bytes, send WeCom only as text, and take an HTTP
  200 whose body says ``errcode: 310000`` for success. Ours checks the body's error code.
- Every other URL (Telegram, e-mail, ``json://``/``jsons://`` webhooks, Discord, ...) goes through
  apprise, each part within the plugin's ``body_maxlen`` (Telegram: 4,096 UTF-16 units).

Split: ``split.split_message`` by the unit the service counts (``LIMITS``; the figures and their
sources are in docs/notifications.md); for services whose limit is on the request body, the JSON
envelope is counted too.

Sent once: each report is recorded as delivered to a target (``storage.report_key``) once every part
reached it; a rerun sends nothing already delivered unless ``force``. Each part is recorded too, so a
retry after a failure in part 3 of 5 sends parts 3 to 5 only (when the digest is unchanged).
Never losing a report: delivery runs after the reports are written and stored; a failure is retried
with exponential backoff (``retries``, ``retry_backoff``), recorded as ``failed`` with its reason, and
reported; the next run retries it.

Secrets: an apprise URL carries its credentials. Targets are named by ``target_id`` (scheme, host for
plain webhooks and mail, and a hash of the URL); every detail recorded or printed passes ``redact``.
apprise's own log (which names tokens) is captured and redacted, never printed.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from ..config import NotifySettings, NotifyTarget, Settings
from ..models import Importance, ReportData
from ..redact import redact_text
from .message import Digest, DigestOptions, build_digest
from .senders import LIMITS, PER_MINUTE, Sender, Senders, instantiate
from .targets import Target, redact, resolve_targets, target_id, url_secrets

if TYPE_CHECKING:
    from ..storage import Store

# Re-exported: callers and tests import these from here.
__all__ = [
    "LIMITS",
    "NotifyOutcome",
    "Target",
    "instantiate",
    "notify_reports",
    "redact",
    "resolve_targets",
    "target_id",
    "url_secrets",
]

Progress = Callable[[str], None]

RETRY_DAYS = timedelta(days=7)  # how far back `run` retries reports that never reached a target


@dataclass
class NotifyOutcome:
    sent: list[str] = field(default_factory=list)  # target ids that got a message
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (target id, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (target id, redacted reason)


# --- delivery ------------------------------------------------------------------------------------------


def notify_reports(
    settings: Settings,
    store: Store,
    reports: Sequence[ReportData],
    *,
    failed: Sequence[tuple[str, str]] = (),
    force: bool = False,
    retry_failed: bool = False,
    run_id: int | None = None,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now: datetime | None = None,
) -> NotifyOutcome:
    """Send the digest of ``reports`` to every target that has not had them yet (all of them with
    ``force``); ``failed`` are (repository, error) of repositories without a report, stated in the
    digest (redacted). A target none of whose repositories has a report, because every one failed, gets a
    digest that says so, one per call (never skipped as "already sent"): a failed run is never silent.
    With ``retry_failed`` (``run`` sets it), earlier reports whose delivery to a target failed in
    the last ``RETRY_DAYS`` days are sent again, one digest per window. Never raises for a delivery
    failure: it is recorded and returned."""
    from ..storage import report_key

    say = progress or (lambda _message: None)
    outcome = NotifyOutcome()
    targets = resolve_targets(settings.notify, os.environ if environ is None else environ)
    if not targets:
        return outcome
    now = now or datetime.now(timezone.utc)
    earlier = store.failed_deliveries(now - RETRY_DAYS) if retry_failed else []
    failed = [(name, redact_text(error)) for name, error in failed]
    with Senders(settings.notify) as senders:
        chosen_senders = [senders.get(target) for target in targets]  # every URL checked before any post
        for target, sender in zip(targets, chosen_senders, strict=True):
            options = target.options
            chosen = [r for r in reports if _wanted(options.repos, r)]
            failures = [f for f in failed if not options.repos or f[0] in options.repos]
            todo = chosen if force else [r for r in chosen if not store.was_delivered(target.id, report_key(r))]
            batches = [(todo, failures)] if todo else []
            if failures and not chosen:  # every repository of this target failed: the digest says so
                batches.append(([], failures))
            current = {report_key(r) for r in chosen}
            keys = [key for t, key in earlier if t == target.id and key not in current]
            batches += [(group, []) for group in _by_window(store, keys, options.repos)]
            if not batches:
                why = "already sent" if chosen else "no report for this target"
                outcome.skipped.append((target.id, why))
                say(f"notify {target.id}: {why}")
            for batch, batch_failures in batches:
                _deliver(settings, store, sender, target, batch, batch_failures, outcome,
                         force=force, run_id=run_id, sleep=sleep, say=say, now=now)
    return outcome


def _deliver(
    settings: Settings,
    store: Store,
    sender: Sender,
    target: Target,
    reports: Sequence[ReportData],
    failures: Sequence[tuple[str, str]],
    outcome: NotifyOutcome,
    *,
    force: bool,
    run_id: int | None,
    sleep: Callable[[float], None],
    say: Progress,
    now: datetime,
) -> None:
    """One digest over ``reports`` (one window) to one target, recorded for each report; with no report,
    the digest of ``failures`` alone (its parts keyed by ``now``, so each failed run gets its own)."""
    from ..storage import report_key

    options = target.options
    digest = build_digest(reports, _digest_options(settings, options, reports), failed=failures)
    if options.importance is not None and digest.listed == 0 and not failures:
        outcome.skipped.append((target.id, "no commit of the selected importance"))
        say(f"notify {target.id}: no commit of the selected importance")
        return
    keys = sorted(report_key(r) for r in reports)
    ok, detail = _send_digest(store, sender, target, digest, keys or [f"failed-run:{now.isoformat()}"],
                              force=force, run_id=run_id,
                              settings=settings.notify, sleep=sleep)
    for key in keys:
        store.record_delivery(target.id, key, "ok" if ok else "failed", detail=detail, run_id=run_id)
    if ok:
        outcome.sent.append(target.id)
        say(f"notify {target.id}: sent")
    else:
        outcome.failed.append((target.id, detail or "failed"))


def _by_window(store: Store, keys: Sequence[str], repos: Sequence[str]) -> list[list[ReportData]]:
    """The stored reports of ``keys`` (those still stored and wanted), grouped by window, oldest first."""
    groups: dict[tuple[datetime, datetime, str], list[ReportData]] = {}
    for key in keys:
        report = store.load_report_by_key(key)
        if report is not None and _wanted(repos, report):
            window = report.window
            groups.setdefault((window.start, window.end, window.tz), []).append(report)
    return list(groups.values())


def _wanted(repos: Sequence[str], report: ReportData) -> bool:
    if not repos:
        return True
    ref = report.repo
    return any(name in repos for name in (ref.name, ref.spec, ref.github, ref.url, ref.path) if name)


def _digest_options(settings: Settings, options: NotifyTarget, reports: Sequence[ReportData]) -> DigestOptions:
    levels = options.importance if options.importance is not None else ["high"]
    return DigestOptions(
        language=options.language or (reports[0].language if reports else settings.language),
        max_items=options.max_items,
        importance=tuple(Importance(level) for level in levels),
        report_base_url=options.report_base_url or settings.notify.report_base_url,
        report_format=options.report_format,
    )


def _send_digest(
    store: Store,
    sender: Sender,
    target: Target,
    digest: Digest,
    keys: Sequence[str],
    *,
    force: bool,
    run_id: int | None,
    settings: NotifySettings,
    sleep: Callable[[float], None],
) -> tuple[bool, str | None]:
    parts = sender.parts(digest, target.options.format)
    batch = hashlib.sha256("\n".join([target.id, *keys]).encode("utf-8")).hexdigest()[:16]
    per_minute = PER_MINUTE.get(sender.service)
    pace = 60.0 / per_minute if per_minute and len(parts) > per_minute else 0.0
    posted = 0
    for index, part in enumerate(parts, 1):
        part_key = f"digest:{batch}#{index}/{len(parts)}"
        content_hash = hashlib.sha256(part.encode("utf-8")).hexdigest()
        if not force and store.was_delivered(target.id, part_key, content_hash):
            continue  # sent by an earlier attempt that failed on a later part
        if pace and posted:
            sleep(pace)
        posted += 1
        title = digest.title if len(parts) == 1 else f"{digest.title} ({index}/{len(parts)})"
        ok, detail = _with_retries(lambda: sender.send(title, part), settings, sleep)  # noqa: B023
        detail = redact_text(redact(detail, url_secrets(target.url))) if detail else detail
        store.record_delivery(target.id, part_key, "ok" if ok else "failed", content_hash=content_hash,
                              detail=detail, run_id=run_id)
        if not ok:
            return False, f"part {index}/{len(parts)}: {detail}"
    return True, None


def _with_retries(
    send: Callable[[], tuple[bool, str | None, float | None]],
    settings: NotifySettings,
    sleep: Callable[[float], None],
) -> tuple[bool, str | None]:
    detail: str | None = None
    for attempt in range(settings.retries + 1):
        ok, detail, retry_after = send()
        if ok:
            return True, None
        if retry_after is None:  # not worth retrying (400, 401, 403, 404, a refused payload)
            break
        if retry_after > settings.max_retry_wait:  # posting sooner would be refused again (or mute a robot)
            detail = f"{detail}; the receiver asks to wait {retry_after:.0f} s, more than max_retry_wait"
            break
        if attempt < settings.retries:
            sleep(min(max(retry_after, settings.retry_backoff * 2**attempt), settings.max_retry_wait))
    return False, detail
