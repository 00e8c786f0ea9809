"""The LLM client against the fake OpenAI-compatible server, through the real SDK and real HTTP:
retries, Retry-After, no retries for client errors, structured-output negotiation, circuit breaker."""

from __future__ import annotations

import asyncio
import time
from email.utils import formatdate

import pytest

from commitwatch.analysis.llm import (
    ContextLengthExceeded,
    LLMClient,
    LLMFailure,
    Mode,
    parse_context_numbers,
    parse_retry_after,
)
from commitwatch.config import LLMSettings
from tests.fakes.openai_server import FakeOpenAI, Reply

SCHEMA = {"type": "object", "properties": {"ok": {"type": "boolean"}}}


def make_settings(server: FakeOpenAI, **overrides) -> LLMSettings:
    values = {"base_url": server.base_url, "model": "fake-model", "retry_backoff": 0.01, "timeout": 5.0}
    values.update(overrides)
    return LLMSettings(**values)


def ask(client: LLMClient, prompt: str = "hello"):
    def build(mode: Mode):
        return [{"role": "system", "content": f"answer as JSON ({mode.value})"}, {"role": "user", "content": prompt}]

    return client.complete(build, schema=SCHEMA, schema_name="test", model="fake-model")


def call(settings: LLMSettings, times: int = 1, *, modes=None):
    """Make ``times`` sequential requests with one client; returns (replies or failures, client)."""

    async def main():
        client = LLMClient(settings, "test-key", modes=modes)
        results = []
        try:
            for _ in range(times):
                try:
                    results.append(await ask(client))
                except LLMFailure as e:
                    results.append(e)
        finally:
            await client.aclose()
        return results, client

    return asyncio.run(main())


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


def test_a_plain_request_carries_the_key_model_and_schema(server):
    (reply,), client = call(make_settings(server, temperature=0.3, max_output_tokens=512))
    assert reply.content.startswith("{") and reply.prompt_tokens > 0 and reply.mode is Mode.JSON_SCHEMA
    (request,) = server.requests
    assert request.headers["authorization"] == "Bearer test-key"
    assert request.body["model"] == "fake-model"
    assert request.body["temperature"] == 0.3 and request.body["max_tokens"] == 512
    assert request.body["response_format"]["json_schema"]["schema"] == SCHEMA
    assert client.attempts == 1


def test_429_is_retried_after_the_retry_after_seconds(server):
    server.script(Reply.error(429, "Rate limit reached", headers={"Retry-After": "1"}), Reply.ok())
    started = time.monotonic()
    (reply,), client = call(make_settings(server))
    assert isinstance(reply.content, str)
    assert len(server.requests) == 2 and client.attempts == 2
    assert server.requests[1].received - server.requests[0].received >= 0.95
    assert time.monotonic() - started < 4


def test_retry_after_ms_and_http_dates_are_understood():
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({"retry-after": "90"}) == 90.0  # beyond the SDK's own cap: honoured as is
    now = time.time()
    assert parse_retry_after({"retry-after": formatdate(now + 30, usegmt=True)}, now=now) == pytest.approx(30, abs=1)
    assert parse_retry_after({"retry-after": "soon"}) is None
    assert parse_retry_after({"retry-after": "nan"}) is None and parse_retry_after({"retry-after": "inf"}) is None
    assert parse_retry_after({}) is None


def test_5xx_and_timeouts_are_retried_with_backoff(server):
    server.script(
        Reply.error(500, "boom", type="server_error"),
        Reply.error(503, "overloaded", type="server_error"),
        Reply.hang(1.5),  # longer than the 0.5 s timeout
        Reply.ok(),
    )
    (reply,), client = call(make_settings(server, timeout=0.5))
    assert reply.content
    assert client.attempts == 4 and len(server.requests) == 4


def test_the_sdk_never_retries_on_its_own(server):
    server.script(Reply.error(429, "slow down", headers={"Retry-After": "0"}), Reply.ok())
    (failure,), _ = call(make_settings(server, max_retries=0))
    assert isinstance(failure, LLMFailure) and failure.kind == "rate_limited"
    assert len(server.requests) == 1


def test_retries_stop_after_max_retries(server):
    server.script(*[Reply.error(502, "bad gateway", type="server_error")] * 10)
    (failure,), _ = call(make_settings(server, max_retries=2))
    assert failure.kind == "unavailable" and failure.attempts == 3
    assert len(server.requests) == 3


def test_a_retry_after_longer_than_the_configured_maximum_gives_up_at_once(server):
    server.script(Reply.error(429, "come back in an hour", headers={"Retry-After": "3600"}), Reply.ok())
    started = time.monotonic()
    (failure,), _ = call(make_settings(server, max_retry_wait=30))
    assert failure.kind == "retry_after_too_long" and "3600" in failure.detail
    assert len(server.requests) == 1 and time.monotonic() - started < 2


@pytest.mark.parametrize(
    ("status", "kind"),
    [(400, "rejected"), (401, "auth"), (403, "auth"), (404, "not_found"), (422, "rejected"), (402, "quota")],
)
def test_client_errors_are_never_retried(server, status, kind):
    server.script(Reply.error(status, "no", type="invalid_request_error"), Reply.ok())
    (failure,), client = call(make_settings(server))
    assert isinstance(failure, LLMFailure) and failure.kind == kind and failure.status == status
    assert len(server.requests) == 1 and client.attempts == 1


def test_quota_429_is_not_retried_and_counts_towards_the_breaker(server):
    server.script(Reply.error(429, "You exceeded your current quota", type="insufficient_quota",
                              code="insufficient_quota", headers={"Retry-After": "0"}))
    (failure,), client = call(make_settings(server))
    assert failure.kind == "quota" and len(server.requests) == 1
    assert client.breaker.failures == 1


def test_circuit_breaker_opens_after_repeated_refusals_and_stops_calling(server):
    server.script(*[Reply.error(403, "Forbidden", type="permission_denied")] * 10)
    results, client = call(make_settings(server, circuit_breaker_threshold=3), times=8)
    assert [r.kind for r in results] == ["auth"] * 3 + ["circuit_open"] * 5
    assert len(server.requests) == 3
    assert client.breaker.open and "403" in client.breaker.tripped_by.detail


def test_a_success_resets_the_breaker_count(server):
    server.script(Reply.error(401, "bad key", type="auth"), Reply.ok(), Reply.error(401, "bad key", type="auth"),
                  Reply.ok())
    results, client = call(make_settings(server, circuit_breaker_threshold=2), times=4)
    assert [getattr(r, "kind", "ok") for r in results] == ["auth", "ok", "auth", "ok"]
    assert not client.breaker.open


@pytest.mark.parametrize("style", ["openai", "vllm", "deepseek"])
def test_context_length_errors_are_recognised_with_their_numbers(style):
    with FakeOpenAI(context_limit=70, context_style=style) as server:
        (failure,), _ = call(make_settings(server, max_output_tokens=64))
    assert isinstance(failure, ContextLengthExceeded)
    assert failure.limit == 70 and failure.requested and failure.requested > 70
    assert len(server.requests) == 1


def test_context_numbers_from_other_servers():
    assert parse_context_numbers("Requested tokens (5000) exceed context window of 4096") == (4096, 5000)
    assert parse_context_numbers(
        "The prompt (total length 40000) is too long to fit into the model (context length 32768)"
    ) == (32768, 40000)
    assert parse_context_numbers("something else") == (None, None)


def test_auto_mode_falls_back_to_json_object_and_remembers_it():
    with FakeOpenAI(accepts=("json_object+schema", "json_object", "prompt")) as server:
        modes: dict = {}
        results, _ = call(make_settings(server), times=3, modes=modes)
        base_url = server.base_url
    assert all(r.mode is Mode.JSON_OBJECT_SCHEMA for r in results)
    assert [r.response_format for r in server.requests] == ["json_schema"] + ["json_object+schema"] * 3
    assert modes == {base_url: Mode.JSON_OBJECT_SCHEMA}
    assert '"schema"' not in server.requests[0].system  # the schema goes in the prompt only where needed


def test_llama_cpp_style_500_refusal_also_negotiates():
    with FakeOpenAI(accepts=("json_object+schema", "json_object", "prompt"), refusal_status=500) as server:
        (reply,), client = call(make_settings(server))
    assert reply.mode is Mode.JSON_OBJECT_SCHEMA and client.attempts == 2  # a refusal is not retried as a 5xx


def test_a_server_without_any_response_format_gets_prompt_only_json():
    with FakeOpenAI(accepts=("prompt",), refusal_status=422) as server:
        results, _ = call(make_settings(server), times=2)
    assert all(r.mode is Mode.PROMPT for r in results)
    assert [r.response_format for r in server.requests] == [
        "json_schema", "json_object+schema", "json_object", "prompt", "prompt"]
    assert "response_format" not in server.requests[-1].body


def test_a_forced_mode_is_not_negotiated():
    with FakeOpenAI(accepts=("json_object", "prompt")) as server:
        (failure,), _ = call(make_settings(server, structured_output="json_schema"))
        assert failure.kind == "rejected" and len(server.requests) == 1
        (reply,), _ = call(make_settings(server, structured_output="json_object"))
        assert reply.mode is Mode.JSON_OBJECT


def test_an_unreadable_response_body_is_retried(server):
    server.script(Reply.raw(200, b"<html>proxy error</html>"), Reply.ok())
    (reply,), client = call(make_settings(server))
    assert reply.content and client.attempts == 2


def test_requests_per_minute_spaces_requests(server):
    (_, _, _), _ = call(make_settings(server, requests_per_minute=300), times=3)  # one every 0.2 s
    # request k starts no earlier than 0.2 s x k after the first: measured at the server, which may see
    # the first one late by a scheduling delay (bounded here by 0.1 s), never the later ones early
    first = server.requests[0].received
    assert len(server.requests) == 3
    assert all(r.received - first >= 0.2 * k - 0.1 for k, r in enumerate(server.requests))
    assert server.requests[-1].received - first >= 0.3


def test_concurrency_is_bounded():
    with FakeOpenAI(latency=0.2) as server:

        async def main():
            client = LLMClient(make_settings(server, concurrency=3), "k")
            try:
                return await asyncio.gather(*(ask(client, f"q{i}") for i in range(9)))
            finally:
                await client.aclose()

        started = time.monotonic()
        replies = asyncio.run(main())
        elapsed = time.monotonic() - started
    assert len(replies) == 9
    assert server.max_active == 3
    assert 0.55 <= elapsed < 2.0  # three rounds of 0.2 s
