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

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from ..config import NotifySettings, NotifyTarget, Settings
from ..errors import ConfigError
from ..models import Importance, ReportData
from ..redact import redact_text, remember_secret
from .message import Digest, DigestOptions, Flavour, build_digest
from .split import Unit, measure, split_message

if TYPE_CHECKING:
    import requests

    from ..storage import Store

Progress = Callable[[str], None]

# Per service: the unit it counts, the limit per message format, and whether the limit is on the whole
# JSON request body (True) or on the message content (False). docs/notifications.md gives the sources.
LIMITS: dict[str, tuple[Unit, dict[str, int], bool]] = {
    "dingtalk": ("bytes", {"markdown": 20_000, "text": 20_000}, True),
    "wecombot": ("bytes", {"markdown": 4_096, "text": 2_048}, False),
    "feishu": ("bytes", {"markdown": 20_000, "text": 20_000}, True),
    "lark": ("bytes", {"markdown": 20_000, "text": 20_000}, True),
    "slack": ("chars", {"markdown": 12_000, "text": 12_000}, False),
    "tgram": ("utf16", {"markdown": 4_096, "text": 4_096}, False),
}
RETRY_DAYS = timedelta(days=7)  # how far back `run` retries reports that never reached a target
# Messages a robot may post per minute (DingTalk mutes a robot for 10 minutes past 20; WeCom refuses
# with errcode 45009). A digest of more parts than this is paced: one part every 60/N seconds.
PER_MINUTE = {"dingtalk": 20, "wecombot": 20}
SLACK_SECTION_CHARS = 3_000  # one section block's text
SLACK_MAX_BLOCKS = 50
NATIVE = ("dingtalk", "wecombot", "feishu", "lark", "slack")
DEFAULT_ENDPOINTS = {
    "dingtalk": "https://oapi.dingtalk.com/robot/send",
    "wecombot": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send",
    "feishu": "https://open.feishu.cn/open-apis/bot/v2/hook",
    "lark": "https://open.larksuite.com/open-apis/bot/v2/hook",
    "slack": "https://hooks.slack.com/services",
}
_HOST_SHOWN = frozenset({"json", "jsons", "xml", "xmls", "form", "forms", "mailto", "mailtos", "ntfy", "ntfys"})


@dataclass(frozen=True)
class Target:
    url: str  # secret: never printed, logged or stored
    id: str  # redacted name: scheme, maybe host, and a hash of the URL
    options: NotifyTarget


@dataclass
class NotifyOutcome:
    sent: list[str] = field(default_factory=list)  # target ids that got a message
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (target id, why)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (target id, redacted reason)


# --- targets -------------------------------------------------------------------------------------------


def target_id(url: str) -> str:
    """A name for a target that is safe to print and store: ``json://hooks.example.com#1a2b3c4d5e6f``,
    ``dingtalk#9f8e7d6c5b4a``. The host shows only for schemes whose host is not a credential."""
    scheme, _, rest = url.partition("://")
    scheme = scheme.lower()
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    if scheme in _HOST_SHOWN and rest:
        netloc = urllib.parse.urlsplit("x://" + rest).netloc.rpartition("@")[2]
        if netloc:
            return f"{scheme}://{netloc}#{digest}"
    return f"{scheme or 'url'}#{digest}"


def resolve_targets(notify: NotifySettings, environ: Mapping[str, str]) -> list[Target]:
    """Every configured target with its URL (``url_env`` read now), simple ``urls`` first. Each URL's
    credentials are registered with ``commitwatch.redact``, so no output anywhere can show them."""
    targets = _targets(notify, environ)
    for target in targets:
        for secret in url_secrets(target.url):
            remember_secret(secret)
    return targets


def _targets(notify: NotifySettings, environ: Mapping[str, str]) -> list[Target]:
    targets: list[Target] = []
    for url in notify.urls:
        options = NotifyTarget(url=url)
        targets.append(Target(url, target_id(url), options))
    for index, options in enumerate(notify.targets):
        found = options.url
        if options.url_env:
            found = environ.get(options.url_env, "").strip()
            if not found:
                raise ConfigError(
                    f"notify.targets[{index}]: environment variable {options.url_env} is not set",
                    hint=f"Set {options.url_env} to the apprise URL, or remove the target.",
                )
        assert found is not None
        targets.append(Target(found, target_id(found), options))
    return targets


def redact(text: str, secrets: Sequence[str]) -> str:
    """``text`` with every secret (and its URL-quoted forms) replaced by ``***``."""
    out = text
    for secret in sorted(set(secrets), key=len, reverse=True):
        for form in {secret, urllib.parse.quote(secret, safe=""), urllib.parse.unquote(secret)}:
            if len(form) >= 4:
                out = out.replace(form, "***")
    return out


def url_secrets(url: str) -> list[str]:
    """The pieces of an apprise URL that may be credentials: all but the scheme, local hosts and
    short numbers (ports)."""
    _, _, rest = url.partition("://")
    pieces = [p for p in re.split(r"[/:@?&=#,;+]", rest) if p]
    safe = {"localhost", "127.0.0.1", "format", "markdown", "text", "verify", "yes", "no"}
    return [url, *(p for p in pieces if p.lower() not in safe and not (p.isdigit() and len(p) <= 5) and len(p) >= 4)]


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
    digest. With ``retry_failed`` (``run`` sets it), earlier reports whose delivery to a target failed in
    the last ``RETRY_DAYS`` days are sent again, one digest per window. Never raises for a delivery
    failure: it is recorded and returned."""
    from ..storage import report_key

    say = progress or (lambda _message: None)
    outcome = NotifyOutcome()
    targets = resolve_targets(settings.notify, os.environ if environ is None else environ)
    if not targets:
        return outcome
    earlier = store.failed_deliveries((now or datetime.now(timezone.utc)) - RETRY_DAYS) if retry_failed else []
    with _Senders(settings.notify) as senders:
        chosen_senders = [senders.get(target) for target in targets]  # every URL checked before any post
        for target, sender in zip(targets, chosen_senders, strict=True):
            options = target.options
            chosen = [r for r in reports if _wanted(options.repos, r)]
            failures = [f for f in failed if not options.repos or f[0] in options.repos]
            todo = chosen if force else [r for r in chosen if not store.was_delivered(target.id, report_key(r))]
            batches = [(todo, failures)] if todo else []
            current = {report_key(r) for r in chosen}
            keys = [key for t, key in earlier if t == target.id and key not in current]
            batches += [(group, []) for group in _by_window(store, keys, options.repos)]
            if not batches:
                why = "already sent" if chosen else "no report for this target"
                outcome.skipped.append((target.id, why))
                say(f"notify {target.id}: {why}")
            for batch, batch_failures in batches:
                _deliver(settings, store, sender, target, batch, batch_failures, outcome,
                         force=force, run_id=run_id, sleep=sleep, say=say)
    return outcome


def _deliver(
    settings: Settings,
    store: Store,
    sender: _Sender,
    target: Target,
    reports: Sequence[ReportData],
    failures: Sequence[tuple[str, str]],
    outcome: NotifyOutcome,
    *,
    force: bool,
    run_id: int | None,
    sleep: Callable[[float], None],
    say: Progress,
) -> None:
    """One digest over ``reports`` (one window) to one target, recorded for each report."""
    from ..storage import report_key

    options = target.options
    digest = build_digest(reports, _digest_options(settings, options, reports), failed=failures)
    if options.importance is not None and digest.listed == 0:
        outcome.skipped.append((target.id, "no commit of the selected importance"))
        say(f"notify {target.id}: no commit of the selected importance")
        return
    keys = sorted(report_key(r) for r in reports)
    ok, detail = _send_digest(store, sender, target, digest, keys, force=force, run_id=run_id,
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
    sender: _Sender,
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
        if attempt < settings.retries:
            sleep(min(max(retry_after, settings.retry_backoff * 2**attempt), settings.max_retry_wait))
    return False, detail


# --- senders -------------------------------------------------------------------------------------------

SendResult = tuple[bool, str | None, float | None]  # ok, detail, retry after (None: do not retry)


class _Sender:
    """Sends the parts of a digest to one target."""

    service: str
    unit: Unit = "chars"

    def __init__(self, target: Target, timeout: float) -> None:
        self.target = target
        self.timeout = timeout

    def limit(self, fmt: str) -> int:
        return LIMITS[self.service][1][fmt]

    def flavour(self, fmt: str) -> Flavour:
        return "markdown" if fmt == "markdown" else "text"

    def envelope(self, fmt: str, title: str) -> bytes:
        """The JSON body with an empty content (for services whose limit counts the whole body)."""
        return b""

    def parts(self, digest: Digest, fmt: str) -> list[str]:
        text = digest.render(self.flavour(fmt))
        limit = self.limit(fmt)
        if not LIMITS.get(self.service, ("chars", {}, False))[2]:
            return split_message(text, limit, self.unit)
        # the limit is on the body: leave room for the envelope (and the longest title), then check
        # each part's real body and shrink until every one fits
        budget = limit - len(self.envelope(fmt, f"{digest.title} (999/999)"))
        for _ in range(8):
            parts = split_message(text, budget, self.unit)
            sizes = [len(self.body(fmt, digest.title, part)) for part in parts]
            if max(sizes) <= limit:
                return parts
            budget -= max(sizes) - limit + 64
        raise AssertionError("cannot fit the digest into the service's limit")  # pragma: no cover

    def body(self, fmt: str, title: str, part: str) -> bytes:
        return b""

    def send(self, title: str, part: str) -> SendResult:
        raise NotImplementedError

    def close(self) -> None:
        pass


class _HTTPSender(_Sender):
    """Our own sender for webhook services whose apprise plugin cannot be pointed elsewhere."""

    def __init__(self, target: Target, timeout: float, plugin: Any, session: requests.Session) -> None:
        super().__init__(target, timeout)
        self.plugin = plugin
        self.session = session
        self.fmt = target.options.format
        self.endpoint = (target.options.api_url or DEFAULT_ENDPOINTS[self.service]).rstrip("/")

    def envelope(self, fmt: str, title: str) -> bytes:
        return self.body(fmt, title, "")

    def body(self, fmt: str, title: str, part: str) -> bytes:
        return json.dumps(self.payload(fmt, title, part), ensure_ascii=False).encode("utf-8")

    def payload(self, fmt: str, title: str, part: str) -> dict[str, Any]:
        raise NotImplementedError

    def url_and_params(self) -> tuple[str, dict[str, str]]:
        raise NotImplementedError

    def accepted(self, answer: Any) -> str | None:
        """None when the answer body says the message was taken; else the service's error."""
        if isinstance(answer, dict):
            code = answer.get("errcode", answer.get("code", answer.get("StatusCode", 0)))
            if code not in (0, "0", None):
                return f"refused: code {code}: {str(answer.get('errmsg') or answer.get('msg') or '')[:200]}"
        return None

    def send(self, title: str, part: str) -> SendResult:
        import requests

        url, params = self.url_and_params()
        try:
            response = self.session.post(
                url, params=params, data=self.body(self.fmt, title, part), timeout=self.timeout,
                headers={"Content-Type": "application/json; charset=utf-8"},
            )
        except requests.RequestException as e:
            return False, f"{type(e).__name__}: {e}", 0.0
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            return False, f"HTTP {response.status_code}", retry_after
        if response.status_code >= 300:
            return False, f"HTTP {response.status_code}", None
        try:
            answer = response.json()
        except ValueError:
            answer = response.text.strip()
        refused = self.accepted(answer)
        return (False, refused, None) if refused else (True, None, None)


class _DingTalk(_HTTPSender):
    service = "dingtalk"
    unit: Unit = "bytes"

    def payload(self, fmt: str, title: str, part: str) -> dict[str, Any]:
        if fmt == "markdown":
            return {"msgtype": "markdown", "markdown": {"title": title, "text": part}}
        return {"msgtype": "text", "text": {"content": part}}

    def url_and_params(self) -> tuple[str, dict[str, str]]:
        params = {"access_token": self.plugin.token}
        if self.plugin.secret:  # the "sign" security setting: HMAC-SHA256 of "timestamp\nsecret"
            timestamp = str(round(time.time() * 1000))
            mac = hmac.new(self.plugin.secret.encode(), f"{timestamp}\n{self.plugin.secret}".encode(), hashlib.sha256)
            params |= {"timestamp": timestamp, "sign": base64.b64encode(mac.digest()).decode()}
        return self.endpoint, params


class _WeComBot(_HTTPSender):
    service = "wecombot"
    unit: Unit = "bytes"

    def payload(self, fmt: str, title: str, part: str) -> dict[str, Any]:
        kind = "markdown" if fmt == "markdown" else "text"
        return {"msgtype": kind, kind: {"content": part}}

    def url_and_params(self) -> tuple[str, dict[str, str]]:
        return self.endpoint, {"key": self.plugin.key}


class _Feishu(_HTTPSender):
    service = "feishu"
    unit: Unit = "bytes"

    def payload(self, fmt: str, title: str, part: str) -> dict[str, Any]:
        if fmt == "markdown":  # Feishu renders Markdown only inside an interactive card
            return {
                "msg_type": "interactive",
                "card": {
                    "config": {"wide_screen_mode": True},
                    "header": {"title": {"tag": "plain_text", "content": title}, "template": "blue"},
                    "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": part}}],
                },
            }
        return {"msg_type": "text", "content": {"text": part}}

    def url_and_params(self) -> tuple[str, dict[str, str]]:
        return f"{self.endpoint}/{self.plugin.token}", {}


class _Lark(_Feishu):
    service = "lark"


class _Slack(_HTTPSender):
    service = "slack"

    def flavour(self, fmt: str) -> Flavour:
        return "slack" if fmt == "markdown" else "text"

    def payload(self, fmt: str, title: str, part: str) -> dict[str, Any]:
        if fmt != "markdown":
            return {"text": part, "mrkdwn": False}
        sections = split_message(part, SLACK_SECTION_CHARS, "chars", number=False)
        blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": s}} for s in sections][:SLACK_MAX_BLOCKS]
        return {"text": title, "blocks": blocks}

    def url_and_params(self) -> tuple[str, dict[str, str]]:
        plugin = self.plugin
        return f"{self.endpoint}/{plugin.token_a}/{plugin.token_b}/{plugin.token_c}", {}

    def accepted(self, answer: Any) -> str | None:
        if isinstance(answer, str) and answer not in ("", "ok"):
            return f"refused: {answer[:200]}"
        return super().accepted(answer)


class _Apprise(_Sender):
    """Everything else, through apprise; each part within the plugin's own ``body_maxlen``."""

    def __init__(self, target: Target, timeout: float, plugin: Any) -> None:
        super().__init__(target, timeout)
        self.plugin = plugin
        self.service = str(plugin.secure_protocol if isinstance(plugin.secure_protocol, str)
                           else plugin.secure_protocol[0])
        self.unit = LIMITS[self.service][0] if self.service in LIMITS else "chars"

    def limit(self, fmt: str) -> int:
        limit = int(self.plugin.body_maxlen)
        if self.service in LIMITS:
            limit = min(limit, LIMITS[self.service][1][fmt])
        return limit

    def parts(self, digest: Digest, fmt: str) -> list[str]:
        limit = self.limit(fmt)
        if not self.plugin.title_maxlen:  # no title field: apprise puts the title on the body's first line
            limit -= measure(f"{digest.title} (999/999)\r\n", self.unit)
        return split_message(digest.render(self.flavour(fmt)), max(limit, 64), self.unit)

    def send(self, title: str, part: str) -> SendResult:
        import apprise

        body_format = apprise.NotifyFormat.MARKDOWN if self.target.options.format == "markdown" else \
            apprise.NotifyFormat.TEXT
        with _captured_apprise_log() as log:
            ok = bool(self.plugin.notify(body=part, title=title, body_format=body_format))
        if ok:
            return True, None, None
        messages = [m for m in log if m]
        return False, "; ".join(messages[-3:]) or "apprise reported a failure", 0.0


def _retry_after(value: str | None) -> float:
    try:
        return max(float(value), 0.0) if value else 0.0
    except ValueError:
        return 0.0


@contextmanager
def _captured_apprise_log() -> Iterator[list[str]]:
    """apprise's log lines during a send (for the failure detail), never printed: they name tokens."""
    records: list[str] = []

    class _Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if record.levelno >= logging.WARNING:
                records.append(record.getMessage())

    logger = logging.getLogger("apprise")
    handler = _Collect()
    saved = (logger.propagate, logger.level)
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.propagate, logger.level = saved[0], saved[1]


class _Senders:
    """One sender per target, one HTTP session (keep-alive) for all native senders."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.session: requests.Session | None = None
        self.made: list[_Sender] = []

    def __enter__(self) -> _Senders:
        return self

    def __exit__(self, *exc: object) -> None:
        for sender in self.made:
            sender.close()
        if self.session is not None:
            self.session.close()

    def get(self, target: Target) -> _Sender:
        plugin = instantiate(target)
        protocol = plugin.secure_protocol if isinstance(plugin.secure_protocol, str) else plugin.secure_protocol[0]
        native = {"dingtalk": _DingTalk, "wecombot": _WeComBot, "feishu": _Feishu, "lark": _Lark, "slack": _Slack}
        sender: _Sender
        if protocol in native and (protocol != "slack" or getattr(plugin, "mode", "hook") == "hook"):
            if self.session is None:
                import requests

                self.session = requests.Session()
            sender = native[protocol](target, self.settings.timeout, plugin, self.session)
        else:
            if target.options.api_url:
                raise ConfigError(
                    f"notify target {target.id}: api_url applies only to DingTalk, WeCom bot, Feishu, Lark "
                    "and Slack webhook URLs",
                    hint="Remove api_url from this target.",
                )
            sender = _Apprise(target, self.settings.timeout, plugin)
        self.made.append(sender)
        return sender


def instantiate(target: Target) -> Any:
    """apprise's plugin object for a target's URL; ConfigError (naming the redacted id) when apprise does
    not accept the URL."""
    import apprise

    with _captured_apprise_log():
        plugin = apprise.Apprise.instantiate(target.url)
    if plugin is None:
        raise ConfigError(
            f"notify target {target.id} is not a valid apprise URL",
            hint="Check the URL against https://appriseit.com/services/ (the scheme, tokens and options).",
        )
    return plugin
