"""The GitHub API client: safe under rate limits, conditional GETs answered from the store.

    client = GitHubClient.from_settings(settings.github, os.environ, cache=GitHubCache(store, api))
    answer = client.get("repos/acme/engine/commits/<sha>/pulls")    # Answer(status, headers, data, cached)

The client (``httpx2``, the maintained fork of httpx that the OpenAI SDK already brings):

- talks to ``github.api_url`` (default ``https://api.github.com``; env ``COMMITWATCH_GITHUB_API_URL``;
  GitHub Enterprise is ``https://HOST/api/v3``, GraphQL then lives at ``https://HOST/api/graphql``);
- sends the token from the environment variable named by ``github.token_env`` (default ``GITHUB_TOKEN``)
  as an ``Authorization`` header, and nowhere else: never in a URL, a message, a log line or the store;
- makes GET requests conditional: the ETag and body of each answer are kept in the store, a ``304`` is
  answered from there (and costs no rate limit);
- waits on rate limits: a primary limit (``x-ratelimit-remaining: 0`` until ``x-ratelimit-reset``), a
  secondary limit (``Retry-After``, or a 403/429 whose body says so: then at least a minute), and a
  GraphQL ``RATE_LIMITED`` error. All waits of one client together stay within ``github.max_wait``
  seconds; a wait that does not fit raises ``RateLimited`` at once;
- turns 401, 403 and 404 into ``GitHubError`` messages that name the token variable and the scope to fix.

What it is used for: pull request context (``sources.github``) and publishing (``deliver.github``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..config import GitHubSettings
from ..errors import GitHubError, RateLimited
from ..retry import parse_retry_after

if TYPE_CHECKING:
    from ..storage.github import GitHubCache

SECONDARY_WAIT = 60.0  # GitHub: "wait at least one minute" when a secondary limit names no time
USER_AGENT = "commitwatch"


def github_token(settings: GitHubSettings, environ: Mapping[str, str]) -> str | None:
    value = environ.get(settings.token_env, "").strip()
    return value or None


def graphql_url(api_url: str) -> str:
    """``https://api.github.com`` → ``…/graphql``; Enterprise ``https://HOST/api/v3`` → ``https://HOST/api/graphql``."""
    root = api_url.rstrip("/")
    if root.endswith("/api/v3"):
        return root[: -len("/v3")] + "/graphql"
    return root + "/graphql"


@dataclass
class Answer:
    status: int
    headers: Mapping[str, str]
    data: Any
    cached: bool = False  # answered from the store after a 304


@dataclass
class Limits:
    """What GitHub last said about the primary rate limit."""

    limit: int | None = None
    remaining: int | None = None
    reset: float | None = None  # Unix time
    resource: str | None = None


class GitHubClient:
    """One run's connection to one GitHub API root. Not thread-safe; make one per thread."""

    def __init__(
        self,
        settings: GitHubSettings,
        token: str | None,
        *,
        cache: GitHubCache | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        import httpx2

        self.settings = settings
        self.api_url = settings.api_url.rstrip("/")
        self.has_token = token is not None
        self._cache = cache
        self._sleep = sleep
        self._clock = clock
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": USER_AGENT,
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx2.Client(headers=headers, timeout=settings.timeout, follow_redirects=True)
        self._errors = (httpx2.HTTPError,)
        self.limits = Limits()
        self.requests = 0  # HTTP requests sent
        self.waited = 0.0  # seconds slept on rate limits
        self.scopes: str | None = None  # the token's classic scopes (X-OAuth-Scopes), when GitHub says

    @classmethod
    def from_settings(
        cls, settings: GitHubSettings, environ: Mapping[str, str], *, cache: GitHubCache | None = None, **kwargs: Any
    ) -> GitHubClient:
        return cls(settings, github_token(settings, environ), cache=cache, **kwargs)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- requests ---------------------------------------------------------------------------------------
    def url(self, path: str) -> str:
        return path if path.startswith(("https://", "http://")) else f"{self.api_url}/{path.lstrip('/')}"

    def get(self, path: str, *, params: Mapping[str, Any] | None = None, conditional: bool = True,
            what: str | None = None) -> Answer:
        return self.request("GET", path, params=params, conditional=conditional, what=what)

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, Any] | None = None,
        conditional: bool = False,
        what: str | None = None,
        ok: Iterable[int] = (),
    ) -> Answer:
        """Send one request; wait on rate limits; raise ``GitHubError`` for any answer other than 2xx,
        304 and the statuses in ``ok``. ``what`` names the resource in error messages."""
        import httpx2

        url = str(httpx2.URL(self.url(path), params=dict(params) if params else None))
        what = what or f"{method} {url.removeprefix(self.api_url)}"
        accepted = set(ok)
        cached = self._cache.etag(url) if (conditional and method == "GET" and self._cache is not None) else None
        server_errors = 0
        while True:
            self._wait_for_primary(what)
            headers = {"If-None-Match": cached[0]} if cached else {}
            try:
                self.requests += 1
                response = self._http.request(method, url, json=json_body, headers=headers)
            except self._errors as e:
                raise GitHubError(
                    f"cannot reach GitHub at {self.api_url}: {type(e).__name__}: {_short(str(e))}",
                    hint="Check the network, or github.api_url / COMMITWATCH_GITHUB_API_URL.",
                ) from e
            self._note_limits(response.headers)
            status = response.status_code
            if status == 304 and cached is not None:
                return Answer(304, response.headers, _loads(cached[1]), cached=True)
            if 200 <= status < 300 or status in accepted:
                data = _loads(response.content) if response.content else None
                etag = response.headers.get("etag")
                if conditional and method == "GET" and etag and status == 200 and self._cache is not None:
                    self._cache.save_etag(url, etag, response.content)
                return Answer(status, response.headers, data)
            body = _loads(response.content) if response.content else None
            if status in (403, 429):
                wait = self._rate_limit_wait(response.headers, body)
                if wait is not None:
                    self._spend(wait, what, response.headers)
                    continue
            if status >= 500 and server_errors < 2:
                server_errors += 1
                self._spend(float(server_errors), what, response.headers, server_error=True)
                continue
            raise self._error(status, response.headers, body, what)

    def graphql(self, query: str, variables: Mapping[str, Any]) -> dict[str, Any]:
        """Run a GraphQL query; ``GitHubError`` for HTTP errors and for an answer with ``errors``."""
        if not self.has_token:
            raise GitHubError(
                f"GitHub's GraphQL API needs a token: ${self.settings.token_env} is not set",
                hint=f"Set {self.settings.token_env} to a token (no scope is needed for public repositories).",
            )
        while True:
            answer = self.request("POST", graphql_url(self.api_url), json_body={"query": query,
                                  "variables": dict(variables)}, what="GraphQL query")
            data = answer.data if isinstance(answer.data, dict) else {}
            errors = data.get("errors") or []
            if any(isinstance(e, dict) and e.get("type") == "RATE_LIMITED" for e in errors):
                wait = self._primary_wait(answer.headers) or SECONDARY_WAIT
                self._spend(wait, "GraphQL query", answer.headers)
                continue
            if errors or not isinstance(data.get("data"), dict):
                message = "; ".join(str(e.get("message", e)) for e in errors if isinstance(e, dict)) or "no data"
                raise GitHubError(f"GitHub GraphQL query failed: {_short(message)}", status=answer.status)
            result: dict[str, Any] = data["data"]
            return result

    def rate_limit(self) -> Limits:
        """``GET /rate_limit`` (free: it does not count against the limit)."""
        answer = self.get("rate_limit", conditional=False)
        core = ((answer.data or {}).get("resources") or {}).get("core") or (answer.data or {}).get("rate") or {}
        return Limits(core.get("limit"), core.get("remaining"), core.get("reset"), "core")

    # --- rate limits -----------------------------------------------------------------------------------
    def _note_limits(self, headers: Mapping[str, str]) -> None:
        if "x-oauth-scopes" in headers:
            self.scopes = headers["x-oauth-scopes"]
        remaining = _int(headers.get("x-ratelimit-remaining"))
        if remaining is None:
            return
        self.limits = Limits(_int(headers.get("x-ratelimit-limit")), remaining,
                             _float(headers.get("x-ratelimit-reset")), headers.get("x-ratelimit-resource"))

    def _primary_wait(self, headers: Mapping[str, str]) -> float | None:
        if headers.get("x-ratelimit-remaining") != "0":
            return None
        reset = _float(headers.get("x-ratelimit-reset"))
        return max(reset - self._clock(), 0.0) + 1.0 if reset is not None else SECONDARY_WAIT

    def _rate_limit_wait(self, headers: Mapping[str, str], body: Any) -> float | None:
        """Seconds to wait before retrying a 403/429, or None when it is no rate limit."""
        retry_after = parse_retry_after(headers, self._clock())
        if retry_after is not None:
            return retry_after
        primary = self._primary_wait(headers)
        if primary is not None:
            return primary
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        if "rate limit" in message.lower() or "abuse" in message.lower():
            return SECONDARY_WAIT
        return None

    def _wait_for_primary(self, what: str) -> None:
        """Do not send a request GitHub has already said it will refuse."""
        limits = self.limits
        if limits.remaining == 0 and limits.reset is not None and limits.reset > self._clock():
            self._spend(limits.reset - self._clock() + 1.0, what, {})

    def _spend(self, seconds: float, what: str, headers: Mapping[str, str], server_error: bool = False) -> None:
        seconds = max(seconds, 0.0)
        budget = self.settings.max_wait - self.waited
        if seconds > budget:
            if server_error:
                raise GitHubError(f"GitHub keeps failing ({what})", hint="Try again later.")
            raise RateLimited(
                f"GitHub's rate limit needs a wait of {seconds:.0f} s for {what}, more than the "
                f"{max(budget, 0):.0f} s left of github.max_wait ({self.settings.max_wait:g} s)",
                hint="Raise github.max_wait, run later, or use a token with a higher limit.",
                status=429,
            )
        self.waited += seconds
        self._sleep(seconds)
        if not server_error:
            self.limits = Limits()  # waited until the reset: what GitHub said before no longer holds

    # --- errors ----------------------------------------------------------------------------------------
    def _error(self, status: int, headers: Mapping[str, str], body: Any, what: str) -> GitHubError:
        message = str(body.get("message", "")) if isinstance(body, dict) else ""
        said = f": {_short(message)}" if message else ""
        env = self.settings.token_env
        if status == 401:
            return GitHubError(
                f"GitHub rejected the token in ${env} (401{said})",
                hint=f"Create a new token and put it in {env}; the old one is expired, revoked or mistyped.",
                status=status,
            )
        if status == 403:
            needed = headers.get("x-accepted-oauth-scopes") or headers.get("x-accepted-github-permissions")
            have = headers.get("x-oauth-scopes")
            scope = f" (needs {needed}" + (f"; the token has: {have or 'none'})" if have is not None else ")")
            token = f"the token in ${env}" if self.has_token else f"no token (${env} is not set)"
            return GitHubError(
                f"GitHub refused {what} with {token} (403{said}){scope if needed else ''}",
                hint="Give the token access to the repository: a fine-grained token with Contents: write "
                "(files) or Issues: write (issues), or a classic token with the repo or public_repo scope.",
                status=status,
            )
        if status == 404:
            token = f"with the token in ${env}" if self.has_token else f"without a token (${env} is not set)"
            return GitHubError(
                f"GitHub found nothing at {what} {token} (404)",
                hint="Check the owner/name; a private repository needs a token that can read it.",
                status=status,
            )
        return GitHubError(f"GitHub answered {status} to {what}{said}", status=status)


# --- helpers -------------------------------------------------------------------------------------------


def _loads(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
