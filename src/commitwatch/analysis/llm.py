"""The one OpenAI-compatible client: structured-output negotiation, retries, rate limit, circuit breaker.

Built on the official SDK's ``AsyncOpenAI`` with the SDK's own retries off (``max_retries=0``): every
retry decision is made here, so that

- timeouts, connection errors, 408, 429 and 5xx are retried with exponential backoff, honouring
  ``Retry-After`` / ``retry-after-ms`` up to ``llm.max_retry_wait`` (a longer wait gives up at once);
- 400, 401, 403, 404 and 422 are never retried; a context-length 400 is raised as
  ``ContextLengthExceeded`` for the caller to shrink the prompt once;
- 401, 403, 404 and quota errors (402, ``insufficient_quota``) count towards a circuit breaker that,
  once open, stops every further call to the provider for the rest of the run;
- in ``auto`` mode the strongest structured-output mode the server accepts is found by falling back
  ``json_schema`` → ``json_object`` (with the schema) → ``json_object`` → prompt-only JSON whenever the
  server refuses a ``response_format`` (400/422/500 naming it), and remembered per base URL.
"""

from __future__ import annotations

import asyncio
import email.utils
import heapq
import itertools
import json
import logging
import random
import re
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported when a client is built (``import openai`` costs most of a second)
    import openai

    from ..config import LLMSettings

from ..errors import CommitwatchError, ExitCode
from ..redact import redact_text, remember_secret, safe_url

log = logging.getLogger(__name__)


class Mode(str, Enum):
    """Structured-output modes, strongest first."""

    JSON_SCHEMA = "json_schema"
    JSON_OBJECT_SCHEMA = "json_object+schema"  # {"type": "json_object", "schema": ...} (llama.cpp, vLLM)
    JSON_OBJECT = "json_object"
    PROMPT = "prompt"

    @property
    def schema_in_prompt(self) -> bool:
        return self is not Mode.JSON_SCHEMA

    @property
    def public(self) -> str:
        """The name users configure (``llm.structured_output``)."""
        return "json_object" if self is Mode.JSON_OBJECT_SCHEMA else self.value


LADDERS: dict[str, tuple[Mode, ...]] = {
    "auto": (Mode.JSON_SCHEMA, Mode.JSON_OBJECT_SCHEMA, Mode.JSON_OBJECT, Mode.PROMPT),
    "json_schema": (Mode.JSON_SCHEMA,),
    "json_object": (Mode.JSON_OBJECT_SCHEMA, Mode.JSON_OBJECT),
    "prompt": (Mode.PROMPT,),
}


class LLMFailure(CommitwatchError):
    """A request that did not produce an answer. Always caught inside ``analysis``: the commit falls back
    to the rules analyzer and the run is marked degraded.

    ``kind``: auth, quota, not_found (these trip the breaker), rejected, context_length, timeout,
    connection, rate_limited, retry_after_too_long, unavailable, bad_response, circuit_open,
    response_format, invalid_output, language.
    """

    exit_code = ExitCode.DEGRADED
    # Failures that say the provider will not answer this run. "connection" counts only once a request
    # has used up its retries (an unreachable or wrong base URL), never per attempt.
    BREAKER_KINDS = frozenset({"auth", "quota", "not_found", "connection"})

    def __init__(
        self,
        kind: str,
        detail: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        attempts: int = 1,
    ) -> None:
        detail = redact_text(detail)  # a server's message can echo a key or a URL's credentials
        super().__init__(f"{kind}: {detail}")
        self.kind = kind
        self.detail = detail
        self.status = status
        self.retry_after = retry_after
        self.attempts = attempts

    @property
    def retryable(self) -> bool:
        return self.kind in ("timeout", "connection", "rate_limited", "unavailable", "bad_response")


class ContextLengthExceeded(LLMFailure):
    """The server says the prompt is longer than the model's context. ``limit``/``requested`` are the
    numbers from its message when it gives them; ``prompt_tokens`` is its count of the messages alone
    (for calibration) when it can be told; ``messages`` is what was sent."""

    def __init__(
        self,
        detail: str,
        *,
        status: int,
        limit: int | None,
        requested: int | None,
        prompt_tokens: int | None = None,
    ) -> None:
        super().__init__("context_length", detail, status=status)
        self.limit = limit
        self.requested = requested
        self.prompt_tokens = prompt_tokens
        self.messages: list[dict[str, str]] = []


@dataclass
class Reply:
    content: str
    finish_reason: str | None
    prompt_tokens: int
    completion_tokens: int
    model: str
    mode: Mode
    usage_reported: bool = True

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


class CircuitBreaker:
    """Opens after ``threshold`` auth, quota, not-found or unreachable failures in a row; never closes
    within a run."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self.failures = 0
        self.tripped_by: LLMFailure | None = None

    @property
    def open(self) -> bool:
        return self.tripped_by is not None

    def record(self, failure: LLMFailure) -> None:
        if failure.kind not in LLMFailure.BREAKER_KINDS:
            return
        self.failures += 1
        if self.failures >= self.threshold and self.tripped_by is None:
            self.tripped_by = failure
            log.warning("circuit breaker open after %d refusals (%s)", self.failures, failure)

    def success(self) -> None:
        if not self.open:
            self.failures = 0


class Slots:
    """A semaphore whose waiters are served by priority (lower first), then in arrival order: a
    repository's highlights request overtakes the commit requests still waiting."""

    def __init__(self, size: int) -> None:
        self.free = size
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def acquire(self, priority: int = 1) -> None:
        if self.free > 0 and not self._waiting:
            self.free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # the slot was handed over just as we were cancelled: pass it on
            raise

    def release(self) -> None:
        while self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)
                return
        self.free += 1


class RateLimiter:
    """Requests per minute as an even spacing between request starts (no bursts above the rate)."""

    def __init__(self, per_minute: int | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 60.0 / per_minute if per_minute else 0.0
        self._next = 0.0
        self._clock = clock

    async def acquire(self) -> None:
        if not self.interval:
            return
        now = self._clock()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


_CONTEXT = re.compile(
    r"context[_ ]length|maximum context|context window|context size|exceed_context_size|too long to fit"
    r"|prompt is too long|input is too long|reduce the length|maximum (?:input|prompt) length|too many tokens"
    r"|prompt too long|exceeds? (?:the )?(?:model'?s? )?(?:max(?:imum)?|context)",
    re.IGNORECASE,
)
_RESPONSE_FORMAT = re.compile(r"response_format|response format|json_schema|json_object|structured output"
                              r"|guided_json|guided decoding", re.IGNORECASE)
_QUOTA = re.compile(
    r"insufficient_quota|insufficient[ _](?:balance|credits?|funds)|exceeded your current quota|quota exceeded"
    r"|billing|out of credits",
    re.IGNORECASE,
)
_LIMIT_NUMBERS = (
    re.compile(r"maximum context length is (\d+).{0,80}?(?:resulted in|requested) (\d+)", re.I | re.S),
    re.compile(r"total length (\d+)\)? is too long to fit into the model \(context length (\d+)", re.I),
    re.compile(r"Requested tokens \((\d+)\) exceed context window of (\d+)", re.I),
    re.compile(r"(\d+) tokens? > (\d+) maximum", re.I),
)


def parse_context_numbers(text: str) -> tuple[int | None, int | None]:
    """(limit, requested) from the usual context-length messages (OpenAI, DeepSeek, vLLM, llama.cpp)."""
    for index, pattern in enumerate(_LIMIT_NUMBERS):
        match = pattern.search(text)
        if match:
            a, b = int(match.group(1)), int(match.group(2))
            return (a, b) if index == 0 else (b, a)
    return None, None


_PROMPT_COUNT = (
    re.compile(r"\((\d+) in the messages", re.I),
    re.compile(r"messages resulted in (\d+) tokens", re.I),
    re.compile(r"total length (\d+)\)? is too long", re.I),
    re.compile(r"Requested tokens \((\d+)\)", re.I),
)


def parse_prompt_tokens(text: str) -> int | None:
    """The server's count of the prompt alone, from a context-length message, when it says it."""
    for pattern in _PROMPT_COUNT:
        match = pattern.search(text)
        if match:
            return int(match.group(1))
    return None


def parse_retry_after(headers: Any, now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    if headers is None:
        return None
    value = headers.get("retry-after-ms")
    if value:
        try:
            return max(float(value) / 1000.0, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(when.timestamp() - (time.time() if now is None else now), 0.0)


def _error_text(error: openai.APIStatusError) -> str:
    body = error.body
    try:
        body_text = json.dumps(body, ensure_ascii=False) if not isinstance(body, str) else body
    except (TypeError, ValueError):
        body_text = str(body)
    return f"{error.message} {body_text}"


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def classify(error: openai.APIStatusError, mode: Mode) -> LLMFailure:
    """Turn an HTTP error from the server into an ``LLMFailure`` of the right kind."""
    status = error.status_code
    text = _error_text(error)
    body = error.body if isinstance(error.body, dict) else {}
    message = str(body["message"]) if isinstance(body.get("message"), str) else str(error.message)
    detail = f"HTTP {status}: {_short(message)}"
    retry_after = parse_retry_after(error.response.headers if error.response is not None else None)
    code = str(body.get("code") or body.get("type") or "")
    if status in (400, 413, 422) and (code == "context_length_exceeded" or _CONTEXT.search(text)):
        limit, requested = parse_context_numbers(text)
        return ContextLengthExceeded(
            detail, status=status, limit=limit, requested=requested, prompt_tokens=parse_prompt_tokens(text)
        )
    if status in (400, 422, 500) and mode is not Mode.PROMPT and _RESPONSE_FORMAT.search(text):
        return LLMFailure("response_format", detail, status=status)
    if status == 401 or status == 403:
        return LLMFailure("auth", detail, status=status)
    if status == 402 or (status == 429 and ("insufficient_quota" in code or _QUOTA.search(code + " " + message))):
        return LLMFailure("quota", detail, status=status)
    if status == 404:
        return LLMFailure("not_found", detail, status=status)
    if status == 429:
        return LLMFailure("rate_limited", detail, status=status, retry_after=retry_after)
    if status in (408, 409) or status >= 500:
        return LLMFailure("unavailable", detail, status=status, retry_after=retry_after)
    return LLMFailure("rejected", detail, status=status)


def response_format(mode: Mode, schema: dict[str, Any], name: str) -> dict[str, Any] | None:
    if mode is Mode.JSON_SCHEMA:
        return {"type": "json_schema", "json_schema": {"name": name, "schema": schema, "strict": False}}
    if mode is Mode.JSON_OBJECT_SCHEMA:
        return {"type": "json_object", "schema": schema}
    if mode is Mode.JSON_OBJECT:
        return {"type": "json_object"}
    return None


UsageHook = Callable[[Reply, list[dict[str, str]]], None]


class LLMClient:
    """One provider (base URL) for one run. Safe to share between the run's concurrent tasks."""

    def __init__(
        self,
        settings: LLMSettings,
        api_key: str,
        *,
        modes: MutableMapping[str, Mode] | None = None,
        on_reply: UsageHook | None = None,
        rng: random.Random | None = None,
    ) -> None:
        if not settings.base_url:
            raise ValueError("LLMClient needs llm.base_url")
        self.settings = settings
        self.base_url = settings.base_url.rstrip("/")
        self.display_url = safe_url(self.base_url)  # what messages and logs show: no credentials
        remember_secret(api_key)
        import openai

        self._openai = openai
        self.sdk = openai.AsyncOpenAI(
            api_key=api_key,
            base_url=self.base_url,
            timeout=settings.timeout,
            max_retries=0,  # every retry is decided here
        )
        self.ladder = LADDERS[settings.structured_output]
        self.modes: MutableMapping[str, Mode] = modes if modes is not None else {}
        self.breaker = CircuitBreaker(settings.circuit_breaker_threshold)
        self.limiter = RateLimiter(settings.requests_per_minute)
        self._slots = Slots(settings.concurrency)
        self._on_reply = on_reply
        self._rng = rng or random.Random()
        self.attempts = 0  # HTTP requests sent, including failed ones

    async def aclose(self) -> None:
        await self.sdk.close()

    @property
    def mode(self) -> Mode:
        """The strongest mode not yet refused by this base URL in this run."""
        return self.modes.get(self.base_url, self.ladder[0])

    def _downgrade(self, refused: Mode) -> Mode | None:
        """Record that ``refused`` does not work here; the next mode to try, or None if none is left."""
        position = self.ladder.index(refused)
        if position + 1 >= len(self.ladder):
            return None
        nxt = self.ladder[position + 1]
        if self.ladder.index(self.mode) < self.ladder.index(nxt):
            self.modes[self.base_url] = nxt
            log.info("%s refused response_format %s; using %s", self.display_url, refused.value, nxt.value)
        return self.mode

    async def complete(
        self,
        build: Callable[[Mode], list[dict[str, str]]],
        *,
        schema: dict[str, Any],
        schema_name: str,
        model: str,
        max_tokens: int | None = None,
        on_reply: UsageHook | None = None,
        on_attempt: Callable[[], None] | None = None,
        priority: int = 1,
    ) -> Reply:
        """Send the messages ``build(mode)`` returns, in the strongest mode the server accepts.

        ``build`` is called once a request slot is held, just before sending, so it sees the latest
        negotiated mode and token calibration. ``on_reply`` (besides the client's own) sees the reply
        and the messages sent; ``on_attempt`` each HTTP request. Lower ``priority`` waits less for a slot.
        """
        settings = self.settings
        openai = self._openai
        attempt = 0
        while True:
            self._check_breaker()
            await self.limiter.acquire()
            await self._slots.acquire(priority)
            try:
                self._check_breaker()
                mode = self.mode
                messages = build(mode)
                self.attempts += 1
                if on_attempt is not None:
                    on_attempt()
                started = time.monotonic()
                try:
                    raw = await self.sdk.chat.completions.with_raw_response.create(
                        model=model,
                        messages=messages,  # type: ignore[arg-type]
                        temperature=settings.temperature,
                        max_tokens=max_tokens or settings.max_output_tokens,
                        **self._format_args(mode, schema, schema_name),
                    )
                    reply = self._reply(raw.http_response.text, model, mode)
                except openai.APITimeoutError:
                    failure = LLMFailure("timeout", f"timeout {settings.timeout:g} s")
                except openai.APIConnectionError as e:
                    failure = LLMFailure("connection", f"{self.display_url}: {_short(str(e.__cause__ or e))}")
                except openai.APIStatusError as e:
                    failure = classify(e, mode)
                    if isinstance(failure, ContextLengthExceeded):
                        failure.messages = messages
                except LLMFailure as e:
                    failure = e
                except (openai.OpenAIError, UnicodeError) as e:  # anything else the SDK can raise on a reply
                    failure = LLMFailure("bad_response", f"{type(e).__name__}: {_short(str(e), 80)}")
                else:
                    log.debug(
                        "%s %s: %d prompt + %d completion tokens in %.2f s",
                        model, mode.value, reply.prompt_tokens, reply.completion_tokens, time.monotonic() - started,
                    )
                    self.breaker.success()
                    for hook in (self._on_reply, on_reply):
                        if hook is not None:
                            hook(reply, messages)
                    return reply
            finally:
                self._slots.release()
            if failure.kind == "response_format":
                if self._downgrade(mode) is None:
                    raise LLMFailure("rejected", failure.detail, status=failure.status) from failure
                continue  # a refusal is an answer, not a failure: try the next mode at once
            failure.attempts = attempt + 1
            log.debug("attempt %d failed: %s", attempt + 1, failure)
            if not failure.retryable or attempt >= settings.max_retries:
                self.breaker.record(failure)
                raise failure
            wait = failure.retry_after
            if wait is None:
                wait = settings.retry_backoff * (2**attempt) * (0.75 + 0.5 * self._rng.random())
                wait = min(wait, settings.max_retry_wait)
            elif wait > settings.max_retry_wait:
                raise LLMFailure(
                    "retry_after_too_long",
                    f"Retry-After {wait:g} s is longer than llm.max_retry_wait ({settings.max_retry_wait:g} s)",
                    status=failure.status,
                    attempts=attempt + 1,
                ) from failure
            attempt += 1
            await asyncio.sleep(wait)

    @staticmethod
    def _format_args(mode: Mode, schema: dict[str, Any], schema_name: str) -> dict[str, Any]:
        # Sent as extra_body: the json_object+schema form is not in the SDK's types, and the SDK's
        # parameter transform walks a JSON Schema dict key by key (milliseconds per request).
        fmt = response_format(mode, schema, schema_name)
        return {} if fmt is None else {"extra_body": {"response_format": fmt}}

    def _check_breaker(self) -> None:
        tripped = self.breaker.tripped_by
        if tripped is not None:
            raise LLMFailure("circuit_open", tripped.detail, status=tripped.status)

    def _reply(self, body: str, model: str, mode: Mode) -> Reply:
        """The reply's content and usage; any shape other than a chat completion is one failed request
        (``bad_response``), never an exception out of the client."""
        try:
            data = json.loads(body)
            choice = data["choices"][0]
            message = choice.get("message") or {}
            content = message.get("content")
            if content is None and isinstance(message.get("tool_calls"), list) and message["tool_calls"]:
                content = message["tool_calls"][0].get("function", {}).get("arguments")
        except (ValueError, KeyError, IndexError, TypeError, AttributeError, RecursionError) as e:
            raise LLMFailure("bad_response", f"unreadable response body ({_short(body, 80)!r})") from e
        if isinstance(content, list):  # content parts: [{"type": "text", "text": "..."}]
            content = "".join(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
        if content is not None and not isinstance(content, str):
            raise LLMFailure("bad_response", f"the reply's content is a {type(content).__name__}, not text")
        usage = data.get("usage")
        prompt_tokens = _token_count(usage, "prompt_tokens")
        completion_tokens = _token_count(usage, "completion_tokens")
        finish_reason = choice.get("finish_reason")
        return Reply(
            content=content or "",
            finish_reason=finish_reason if isinstance(finish_reason, str) else None,
            prompt_tokens=prompt_tokens or 0,
            completion_tokens=completion_tokens or 0,
            model=model,
            mode=mode,
            usage_reported=prompt_tokens is not None,
        )


_MAX_TOKEN_COUNT = 10**9


def _token_count(usage: Any, name: str) -> int | None:
    """A token count from ``usage``, or None when it is missing or not a plausible count (``"many"``,
    ``-3``, ``1e99``, ``true``): a malformed usage is treated as not reported, and estimated."""
    if not isinstance(usage, dict):
        return None
    value = usage.get(name)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_TOKEN_COUNT:
        return None
    return value
