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
  server refuses a ``response_format`` (400/422/500 naming it), and remembered per base URL (the run's
  pipeline also keeps it in the store for later runs).

Failures are read from the server's errors in ``failures``; the modes and their ``response_format`` are
in ``modes``. One client serves every repository of a run (``pool``): its ``Slots`` hand free request
slots to a repository's highlights first, then to smaller repositories.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import json
import logging
import random  # ``openai`` is imported when a client is built (it costs most of a second)
import time
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..config import LLMSettings

from ..redact import remember_secret, safe_url
from .failures import (
    ContextLengthExceeded,
    LLMFailure,
    _short,
    classify,
    parse_context_numbers,
    parse_prompt_tokens,
    parse_retry_after,
)
from .modes import LADDERS, Mode, response_format

__all__ = [  # the failures and modes live in their own modules; importing them from here still works
    "LADDERS", "CircuitBreaker", "ContextLengthExceeded", "LLMClient", "LLMFailure", "Mode", "RateLimiter",
    "Reply", "Slots", "classify", "parse_context_numbers", "parse_prompt_tokens", "parse_retry_after",
    "response_format",
]

log = logging.getLogger(__name__)


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
            held = True
            try:
                self._check_breaker()
                mode = self.mode
                messages = build(mode)
                self.attempts += 1
                if on_attempt is not None:
                    on_attempt()
                started = time.monotonic()
                try:
                    try:
                        text = await self.sdk.post(
                            "/chat/completions",
                            cast_to=str,
                            body=self._body(model, messages, max_tokens or settings.max_output_tokens, mode,
                                            schema, schema_name),
                        )
                    finally:
                        held = False
                        self._slots.release()
                    # the slot is free: let the request waiting for it leave before this reply is read
                    await asyncio.sleep(0)
                    reply = self._reply(text, model, mode)
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
                if held:
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

    def _body(self, model: str, messages: list[dict[str, str]], max_tokens: int, mode: Mode,
              schema: dict[str, Any], schema_name: str) -> dict[str, Any]:
        """The request body, sent through the SDK's own ``post`` (its auth, headers, timeouts and errors):
        serialised once, by the SDK's HTTP client. ``chat.completions.create`` would first walk every
        message and the JSON Schema key by key to transform its typed parameters (3 ms per request),
        and the ``json_object`` + schema form is not in its types anyway."""
        body: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens,
        }
        fmt = response_format(mode, schema, schema_name)
        if fmt is not None:
            body["response_format"] = fmt
        return body

    def _check_breaker(self) -> None:
        tripped = self.breaker.tripped_by
        if tripped is not None:
            raise LLMFailure("circuit_open", tripped.detail, status=tripped.status)

    def _reply(self, body: str, model: str, mode: Mode) -> Reply:
        """The reply's content and usage; any shape other than a chat completion is one failed request
        (``bad_response``), never an exception out of the client."""
        if len(body) > MAX_REPLY_CHARS:
            raise LLMFailure("bad_response", f"a reply of {len(body)} characters (more than {MAX_REPLY_CHARS})")
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
# No answer we ask for is near this (max_tokens bounds an honest server); a larger body is not read.
MAX_REPLY_CHARS = 4_000_000


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
