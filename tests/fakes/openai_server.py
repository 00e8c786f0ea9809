"""A fake OpenAI-compatible server for tests: real HTTP on 127.0.0.1, scripted replies, recorded requests.

    with FakeOpenAI() as server:                      # ThreadingHTTPServer on port 0 in a thread
        server.script(Reply.error(429, "slow down", headers={"Retry-After": "1"}), Reply.ok())
        settings = LLMSettings(base_url=server.base_url, model="fake-model", ...)
        ...
        server.requests[0].user                       # what the client sent

How a request is answered, first match wins:

1. a path other than ``/v1/chat/completions`` → 404;
2. a ``response_format`` type the server does not ``accept`` → a refusal naming response_format
   (``refusal_status``: 400 like vLLM, 500 like llama-cpp-python);
3. more prompt tokens than ``context_limit`` → the OpenAI ``context_length_exceeded`` 400
   (``context_style="vllm"`` or ``"deepseek"`` for those servers' messages);
4. the next scripted reply (``script``), then ``responder`` if set, then ``chaos`` (random 429/500/
   malformed answers), then a valid answer built from the prompt (an analysis or highlights, in
   Chinese when the system prompt is Chinese, naming a path from the commit's file list).

Every reply leaves ``latency`` seconds (per request, concurrently) plus the reply's own ``delay`` after
its request arrived.
Prompt tokens are counted as ``ceil(characters * tokens_per_char)``; that count is in ``usage``.
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fakes.httpbase import LocalServer

_CJK = re.compile(r"[\u4e00-\u9fff]")
_PRIOR = re.compile(r"change_type=(\w+)\S*?\s*importance=(\w+)")
_FILE_LINE = re.compile(r"^[AMDRCT] (?:\S+ -> )?(\S+) \(")
_SHA_ITEM = re.compile(r'"sha": "([0-9a-f]{4,40})"')


@dataclass
class Reply:
    """One scripted answer."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content: str | None = None  # for 200 answers built from text: filled into a chat completion
    finish_reason: str = "stop"

    @classmethod
    def text(cls, content: str, *, finish_reason: str = "stop", delay: float = 0.0) -> Reply:
        """A 200 chat completion whose message content is ``content``."""
        return cls(content=content, finish_reason=finish_reason, delay=delay)

    @classmethod
    def json(cls, obj: Any, **kwargs: Any) -> Reply:
        return cls.text(json.dumps(obj, ensure_ascii=False), **kwargs)

    @classmethod
    def ok(cls, **kwargs: Any) -> Reply:
        """A valid answer for whatever was asked (the default answer)."""
        return cls(status=0, delay=kwargs.get("delay", 0.0))

    @classmethod
    def error(
        cls,
        status: int,
        message: str,
        *,
        type: str | None = None,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> Reply:
        body = {"error": {"message": message, "type": type or "invalid_request_error", "param": None, "code": code}}
        return cls(status=status, body=json.dumps(body).encode(), headers=dict(headers or {}), delay=delay)

    @classmethod
    def raw(cls, status: int, body: bytes, headers: dict[str, str] | None = None) -> Reply:
        return cls(status=status, body=body, headers=dict(headers or {}))

    @classmethod
    def hang(cls, seconds: float) -> Reply:
        """Answer only after ``seconds`` (longer than the client's timeout: a timeout)."""
        return cls(status=0, delay=seconds)


@dataclass
class Recorded:
    """One request as the server received it."""

    index: int
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received: float
    status: int = 0
    replied: float = 0.0  # when the answer was sent (time.monotonic)

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages") or [])

    @property
    def system(self) -> str:
        return "\n".join(m.get("content") or "" for m in self.messages if m.get("role") == "system")

    @property
    def user(self) -> str:
        """The first user message (the commit data); follow-ups are in ``messages``."""
        return next((m.get("content") or "" for m in self.messages if m.get("role") == "user"), "")

    @property
    def text(self) -> str:
        return "\n".join(m.get("content") or "" for m in self.messages)

    @property
    def response_format(self) -> str:
        fmt = self.body.get("response_format")
        if not fmt:
            return "prompt"
        kind = str(fmt.get("type"))
        if kind == "json_object" and "schema" in fmt:
            return "json_object+schema"
        return kind

    @property
    def is_highlights(self) -> bool:
        return "<commits-data" in self.user

    @property
    def is_followup(self) -> bool:
        return len(self.messages) > 2

    @property
    def model(self) -> str:
        return str(self.body.get("model"))


def count_tokens(text: str, tokens_per_char: float) -> int:
    return math.ceil(len(text) * tokens_per_char)


def default_answer(request: Recorded, *, chinese: bool | None = None) -> dict[str, Any]:
    """A valid answer to ``request``: highlights naming the first commits listed, or an analysis that
    keeps the prior's type and importance and names the directory of the first listed file. In Chinese
    when the system prompt is Chinese, unless ``chinese`` says otherwise."""
    if chinese is None:
        chinese = bool(_CJK.search(request.system))
    if request.is_highlights:
        shas = _SHA_ITEM.findall(request.user)[:3]
        text = "这项变更值得关注，因为它修改了核心行为。" if chinese else "This matters: it alters core behaviour."
        return {"highlights": [{"sha": sha, "text": text} for sha in shas]}
    prior = _PRIOR.search(request.user)
    change_type, importance = (prior.group(1), prior.group(2)) if prior else ("other", "medium")
    area = "."
    in_files = False
    for line in request.user.splitlines():
        if line.startswith("## Files"):
            in_files = True
            continue
        if in_files:
            match = _FILE_LINE.match(line)
            if match:
                path = match.group(1)
                area = path.rsplit("/", 1)[0] if "/" in path else path
                break
    if chinese:
        words = {
            "reason": "该提交修改了运行时的核心逻辑。",
            "summary": ["调整了请求处理流程。", "补充了相应的测试。"],
            "detail": "该目录下的模块行为发生变化。",
            "risk": ("兼容性风险", "旧配置可能需要迁移。"),
            "rec": ("运维人员", "升级前请检查配置。"),
            "conclusion": "这是一次值得关注的改动。",
        }
    else:
        words = {
            "reason": "The commit changes core runtime logic.",
            "summary": ["Reworks how requests are handled.", "Adds the matching tests."],
            "detail": "Modules under this directory behave differently.",
            "risk": ("Compatibility", "Old configuration may need migrating."),
            "rec": ("Operators", "Check the configuration before upgrading."),
            "conclusion": "A change worth watching.",
        }
    return {
        "change_type": change_type,
        "importance": importance,
        "importance_reason": words["reason"],
        "summary": words["summary"],
        "impact": [{"area": area, "detail": words["detail"]}],
        "insights": {"architecture": [words["detail"]], "performance": [], "security": [], "compatibility": []},
        "risks": [{"title": words["risk"][0], "detail": words["risk"][1], "severity": "medium"}],
        "recommendations": [{"audience": words["rec"][0], "text": words["rec"][1]}],
        "conclusion": words["conclusion"],
    }


class FakeOpenAI(LocalServer):
    """The fake server. Configure it with the constructor or attributes; all are read per request."""

    thread_name = "fake-openai"

    def __init__(
        self,
        *,
        latency: float = 0.0,
        accepts: Iterable[str] = ("json_schema", "json_object+schema", "json_object", "prompt"),
        refusal_status: int = 400,
        context_limit: int | None = None,
        context_style: str = "openai",
        tokens_per_char: float = 0.25,
        responder: Callable[[Recorded], Reply | None] | None = None,
    ) -> None:
        super().__init__()
        self.latency = latency
        self.accepts = set(accepts)
        self.refusal_status = refusal_status
        self.context_limit = context_limit
        self.context_style = context_style
        self.tokens_per_char = tokens_per_char
        self.responder = responder
        self.requests: list[Recorded] = []
        self._queue: deque[Reply] = deque()
        self._chaos: tuple[float, float, float, str] | None = None
        self._rng = random.Random(0)
        self.active = 0
        self.max_active = 0

    # --- serving ---
    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        if method == "POST":
            self._handle(handler)
        elif handler.path.split("?")[0].rstrip("/").endswith("/_stats"):
            with self._lock:
                stats = {"requests": len(self.requests), "max_active": self.max_active, "connections": self.connections}
                if "timeline" in handler.path:  # (received, replied, highlights?) per request, monotonic
                    stats["timeline"] = [(r.received, r.replied, r.is_highlights) for r in self.requests]
            self._send(handler, Reply.raw(200, json.dumps(stats).encode()))
        else:
            self._send(handler, Reply.raw(200, b'{"object":"list","data":[{"id":"fake-model","object":"model"}]}'))

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self.port}/v1"

    # --- behaviour ---
    def script(self, *replies: Reply) -> None:
        """Answer the next requests with these replies, in order (after the refusal/context checks)."""
        with self._lock:
            self._queue.extend(replies)

    def chaos(self, *, rate_429: float = 0.0, rate_500: float = 0.0, rate_malformed: float = 0.0,
              retry_after: str = "1", seed: int = 0) -> None:
        """Answer at random: 429 (with Retry-After), 500, or a malformed/truncated JSON answer."""
        self._chaos = (rate_429, rate_500, rate_malformed, retry_after)
        self._rng = random.Random(seed)

    def analysis_requests(self) -> list[Recorded]:
        return [r for r in self.requests if not r.is_highlights]

    # --- internals ---
    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        with self._lock:
            request = Recorded(
                index=len(self.requests),
                path=handler.path,
                headers={k.lower(): v for k, v in handler.headers.items()},
                body=body,
                received=time.monotonic(),
            )
            self.requests.append(request)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            reply = self._decide(request)
            request.status = reply.status or 200
            answer = self._materialise(reply, request)
            # The latency counts from the request's arrival and includes building the answer, as a real
            # server's would: eight answers due at once leave together, not one after another.
            remaining = request.received + self.latency + reply.delay - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)
            self._send(handler, answer)
            request.replied = time.monotonic()
        finally:
            with self._lock:
                self.active -= 1

    def _decide(self, request: Recorded) -> Reply:
        if not request.path.rstrip("/").endswith("/chat/completions"):
            return Reply.error(404, f"Not found: {request.path}", type="not_found")
        kind = request.response_format
        if kind not in self.accepts:
            if self.refusal_status == 500:
                message = (
                    "1 validation error:\n  {'type': 'literal_error', 'loc': ('body', 'response_format', 'type'), "
                    f"'msg': \"Input should be 'text' or 'json_object'\", 'input': '{kind}'}}"
                )
                return Reply.error(500, message, type="internal_server_error")
            return Reply.error(self.refusal_status, f"response_format type {kind!r} is not supported by this server")
        if self.context_limit is not None:
            tokens = count_tokens(request.text, self.tokens_per_char)
            wanted = int(request.body.get("max_tokens") or 0)
            if tokens + wanted > self.context_limit:
                return self._context_error(tokens, wanted)
        with self._lock:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            reply = self.responder(request)
            if reply is not None:
                return reply
        if self._chaos is not None:
            rate_429, rate_500, rate_malformed, retry_after = self._chaos
            with self._lock:
                roll = self._rng.random()
            if roll < rate_429:
                return Reply.error(429, "Rate limit reached, slow down", type="rate_limit_error",
                                   headers={"Retry-After": retry_after})
            if roll < rate_429 + rate_500:
                return Reply.error(500, "The server had an error while processing your request", type="server_error")
            if roll < rate_429 + rate_500 + rate_malformed:
                good = json.dumps(default_answer(request), ensure_ascii=False)
                return Reply.text(good[: len(good) // 2], finish_reason="length")
        return Reply.ok()

    def _context_error(self, tokens: int, wanted: int) -> Reply:
        limit = self.context_limit
        if self.context_style == "vllm" and limit is not None and tokens > limit:  # vLLM: prompt alone too long
            message = (
                f"The prompt (total length {tokens}) is too long to fit into the model (context length {limit}). "
                "Make sure that `max_model_len` is no smaller than the number of text tokens."
            )
            return Reply.error(400, message, type="BadRequestError", code="400")
        if self.context_style in ("deepseek", "vllm"):
            message = (
                f"This model's maximum context length is {limit} tokens. However, you requested {tokens + wanted} "
                f"tokens ({tokens} in the messages, {wanted} in the completion). Please reduce the length of the "
                "messages or completion."
            )
            return Reply.error(400, message, type="invalid_request_error", code="invalid_request_error")
        if limit is not None and tokens > limit:
            message = (
                f"This model's maximum context length is {limit} tokens. However, your messages resulted in "
                f"{tokens} tokens. Please reduce the length of the messages."
            )
        else:
            message = (
                f"This model's maximum context length is {limit} tokens. However, you requested {tokens + wanted} "
                f"tokens ({tokens} in the messages, {wanted} in the completion). Please reduce the length of the "
                "messages or completion."
            )
        return Reply.error(400, message, type="invalid_request_error", code="context_length_exceeded")

    def _materialise(self, reply: Reply, request: Recorded) -> Reply:
        if reply.status == 0 or reply.content is not None:
            content = reply.content
            if content is None:
                content = json.dumps(default_answer(request), ensure_ascii=False)
            completion = {
                "id": f"chatcmpl-{request.index}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": request.model,
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content},
                     "finish_reason": reply.finish_reason}
                ],
                "usage": {
                    "prompt_tokens": count_tokens(request.text, self.tokens_per_char),
                    "completion_tokens": count_tokens(content, 0.25),
                    "total_tokens": count_tokens(request.text, self.tokens_per_char) + count_tokens(content, 0.25),
                },
            }
            return Reply(status=200, body=json.dumps(completion, ensure_ascii=False).encode())
        return reply

    def _send(self, handler: BaseHTTPRequestHandler, reply: Reply) -> None:
        try:
            handler.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(reply.body)))
            handler.end_headers()
            handler.wfile.write(reply.body)
            handler.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client gave up (a timeout test)


def main(argv: list[str] | None = None) -> None:
    """Serve the fake in its own process (benchmarks: no GIL shared with the client under test).
    Prints the base URL on the first line of stdout, then serves until stdin is closed."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description="fake OpenAI-compatible server on 127.0.0.1")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before every answer")
    args = parser.parse_args(argv)
    with FakeOpenAI(latency=args.latency) as server:
        print(server.base_url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
