"""Senders: one per notification target, each posting the parts of a digest within its service's limits.

DingTalk, WeCom bot, Feishu, Lark and Slack webhooks are posted by our own ``HTTPSender`` subclasses
(``requests``); every other apprise URL goes through apprise (``AppriseSender``). ``notify`` says why.
A send returns ``(ok, detail, retry after)``: a retry-after of None means the failure is not worth
retrying.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ..config import NotifySettings
from ..errors import ConfigError
from ..retry import parse_retry_after
from .message import Digest, Flavour
from .split import Unit, measure, split_message
from .targets import Target

if TYPE_CHECKING:
    import requests

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

SendResult = tuple[bool, str | None, float | None]  # ok, detail, retry after (None: do not retry)


class Sender:
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


class HTTPSender(Sender):
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
            retry_after = parse_retry_after(response.headers)  # seconds or an HTTP date
            return False, f"HTTP {response.status_code}", 0.0 if retry_after is None else retry_after
        if response.status_code >= 300:
            return False, f"HTTP {response.status_code}", None
        try:
            answer = response.json()
        except ValueError:
            answer = response.text.strip()
        refused = self.accepted(answer)
        return (False, refused, None) if refused else (True, None, None)


class _DingTalk(HTTPSender):
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


class _WeComBot(HTTPSender):
    service = "wecombot"
    unit: Unit = "bytes"

    def payload(self, fmt: str, title: str, part: str) -> dict[str, Any]:
        kind = "markdown" if fmt == "markdown" else "text"
        return {"msgtype": kind, kind: {"content": part}}

    def url_and_params(self) -> tuple[str, dict[str, str]]:
        return self.endpoint, {"key": self.plugin.key}


class _Feishu(HTTPSender):
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


class _Slack(HTTPSender):
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


class AppriseSender(Sender):
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


class Senders:
    """One sender per target, one HTTP session (keep-alive) for all native senders."""

    def __init__(self, settings: NotifySettings) -> None:
        self.settings = settings
        self.session: requests.Session | None = None
        self.made: list[Sender] = []

    def __enter__(self) -> Senders:
        return self

    def __exit__(self, *exc: object) -> None:
        for sender in self.made:
            sender.close()
        if self.session is not None:
            self.session.close()

    def get(self, target: Target) -> Sender:
        plugin = instantiate(target)
        protocol = plugin.secure_protocol if isinstance(plugin.secure_protocol, str) else plugin.secure_protocol[0]
        native = {"dingtalk": _DingTalk, "wecombot": _WeComBot, "feishu": _Feishu, "lark": _Lark, "slack": _Slack}
        sender: Sender
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
            sender = AppriseSender(target, self.settings.timeout, plugin)
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
