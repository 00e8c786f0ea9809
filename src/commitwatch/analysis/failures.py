"""Why a request produced no answer: ``LLMFailure`` and its kinds, read from the server's HTTP errors
(context length with its numbers, refused ``response_format``, auth, quota, rate limits, Retry-After)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from ..errors import CommitwatchError, ExitCode
from ..redact import redact_text
from ..retry import parse_retry_after
from .modes import Mode

if TYPE_CHECKING:
    import openai


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
