"""The GitHub API: a small client that is safe under rate limits, and the pull request behind each commit.

    client = GitHubClient.from_settings(settings.github, os.environ, cache=GitHubCache(store, api))
    context = pull_requests(client, "ai-dynamo/dynamo", shas, branch="main", cache=cache)
    context.pulls[sha]          # PullRequest | None

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

Pull requests are resolved with GraphQL (``associatedPullRequests`` for up to 100 commits per query)
and, when GraphQL fails, with REST ``GET /repos/{owner}/{name}/commits/{sha}/pulls``. Every answer is
stored (``storage.github``), so a rerun asks for nothing it already knows.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import GitHubSettings
from ..errors import GitHubError, RateLimited
from ..models import PullRequest
from ..redact import redact_pull
from ..retry import parse_retry_after

if TYPE_CHECKING:
    from ..storage.github import GitHubCache

BATCH = 100  # commits per GraphQL query (GitHub's node limit per connection is 100)
SECONDARY_WAIT = 60.0  # GitHub: "wait at least one minute" when a secondary limit names no time
MAX_BODY = 8_000  # characters of a PR description kept (the prompt trims further)
MAX_LABELS = 20
_SHA = re.compile(r"[0-9a-f]{40}")
_OWNER_NAME = re.compile(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}")
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


# --- pull requests -------------------------------------------------------------------------------------


@dataclass
class PullContext:
    """The pull requests of one report's commits. ``pulls`` has an entry for every commit GitHub was
    asked about (or the store knew); ``problem`` says why some or all are missing."""

    pulls: dict[str, PullRequest | None] = field(default_factory=dict)
    problem: str | None = None  # "no_identity", "no_token", "rate_limited", "failed"
    detail: str = ""
    requests: int = 0
    missing: int = 0  # commits whose pull request could not be looked up
    unknown: set[str] = field(default_factory=set)  # commits GitHub does not have
    fallback: str | None = None  # why GraphQL failed, when REST answered instead


_FRAGMENT = """fragment pr on Commit {
  associatedPullRequests(first: 5) {
    nodes { number title body url state baseRefName mergeCommit { oid } author { login }
            labels(first: LABELS) { nodes { name } } }
  }
}""".replace("LABELS", str(MAX_LABELS))


def pulls_query(count: int) -> str:
    """A GraphQL query for ``count`` commits, passed as variables ``$c0`` … ``$c{count-1}``."""
    params = ", ".join(f"$c{i}: GitObjectID!" for i in range(count))
    fields = "\n    ".join(f"c{i}: object(oid: $c{i}) {{ ...pr }}" for i in range(count))
    return (
        f"query($owner: String!, $name: String!, {params}) {{\n"
        "  rateLimit { cost remaining resetAt }\n"
        f"  repository(owner: $owner, name: $name) {{\n    {fields}\n  }}\n}}\n{_FRAGMENT}"
    )


def pull_requests(
    client: GitHubClient | None,
    github: str | None,
    shas: Iterable[str],
    *,
    branch: str | None = None,
    cache: GitHubCache | None = None,
) -> PullContext:
    """The pull request behind each of ``shas`` in the GitHub repository ``github`` ("owner/name").

    Stored answers are used first; GitHub is asked only about the rest, with GraphQL (100 per query),
    falling back to REST per commit when GraphQL fails. Never raises for GitHub trouble: the context
    says what went wrong and which commits are missing."""
    wanted = [sha for sha in dict.fromkeys(shas) if _SHA.fullmatch(sha)]
    context = PullContext()
    if not github or not _OWNER_NAME.fullmatch(github):
        context.problem, context.missing = "no_identity", len(wanted)
        return context
    if cache is not None:
        context.pulls.update(cache.pulls(github, wanted))
    todo = [sha for sha in wanted if sha not in context.pulls]
    if not todo:
        return context
    if client is None or not client.has_token:
        context.problem, context.missing = "no_token", len(todo)
        return context
    before = client.requests
    owner, name = github.split("/", 1)
    try:
        try:
            for start in range(0, len(todo), BATCH):
                chunk = todo[start : start + BATCH]
                _keep(context, cache, github, _graphql_chunk(client, owner, name, chunk, branch, context))
        except RateLimited:
            raise
        except GitHubError as e:
            if e.status == 401:
                raise
            context.fallback = e.message
            context.unknown.clear()
            for sha in [sha for sha in todo if sha not in context.pulls]:  # REST, one commit at a time
                _keep(context, cache, github, _rest_one(client, owner, name, sha, branch, context))
    except RateLimited as e:
        context.problem, context.detail = "rate_limited", e.message
    except GitHubError as e:
        context.problem, context.detail = "failed", e.message
    finally:
        context.requests = client.requests - before
    context.missing = sum(1 for sha in todo if sha not in context.pulls and sha not in context.unknown)
    return context


def _keep(
    context: PullContext, cache: GitHubCache | None, github: str, found: Mapping[str, PullRequest | None]
) -> None:
    found = {sha: redact_pull(pr) for sha, pr in found.items()}  # untrusted text: redacted once, when read
    context.pulls.update(found)
    if cache is not None and found:
        cache.save_pulls(github, found)


def _graphql_chunk(
    client: GitHubClient, owner: str, name: str, shas: list[str], branch: str | None, context: PullContext
) -> dict[str, PullRequest | None]:
    """The answers for ``shas``; commits GitHub does not know (not pushed) go to ``context.unknown``
    and are not stored, so a later run asks again."""
    variables: dict[str, Any] = {"owner": owner, "name": name}
    variables.update({f"c{i}": sha for i, sha in enumerate(shas)})
    data = client.graphql(pulls_query(len(shas)), variables)
    repository = data.get("repository")
    if not isinstance(repository, dict):
        raise GitHubError(f"GitHub GraphQL knows no repository {owner}/{name}", status=404)
    found: dict[str, PullRequest | None] = {}
    for i, sha in enumerate(shas):
        node = repository.get(f"c{i}")
        if not isinstance(node, dict):
            context.unknown.add(sha)
            continue
        nodes = ((node.get("associatedPullRequests") or {}).get("nodes")) or []
        found[sha] = _choose([_from_graphql(n) for n in nodes if isinstance(n, dict)], sha, branch)
    return found


def _rest_one(
    client: GitHubClient, owner: str, name: str, sha: str, branch: str | None, context: PullContext
) -> dict[str, PullRequest | None]:
    answer = client.request("GET", f"repos/{owner}/{name}/commits/{sha}/pulls", conditional=True,
                            what=f"the pull requests of {owner}/{name}@{sha[:7]}", ok=(422,))
    if answer.status == 422 or not isinstance(answer.data, list):  # GitHub does not know the commit
        context.unknown.add(sha)
        return {}
    return {sha: _choose([_from_rest(n) for n in answer.data if isinstance(n, dict)], sha, branch)}


_Candidate = tuple[PullRequest, bool, str | None, str | None]  # pr, merged, base branch, merge commit


def _choose(candidates: list[_Candidate | None], sha: str, branch: str | None) -> PullRequest | None:
    """The pull request that landed the commit: the one whose merge commit it is, else a merged one into
    the branch, else any merged one, else the first."""
    present = [c for c in candidates if c is not None]
    if not present:
        return None

    def rank(c: _Candidate) -> tuple[int, int, int]:
        _pr, merged, base, merge_sha = c
        return (0 if merge_sha == sha else 1, 0 if merged and branch and base == branch else 1, 0 if merged else 1)

    return min(present, key=rank)[0]


def _pull(number: Any, title: Any, url: Any, body: Any, labels: list[Any], author: Any) -> PullRequest | None:
    if not isinstance(number, int) or number <= 0:
        return None
    return PullRequest(
        number=number,
        title=str(title or ""),
        url=str(url or "") if str(url or "").startswith(("https://", "http://")) else "",
        body=str(body or "")[:MAX_BODY],
        labels=tuple(str(label) for label in labels if isinstance(label, str) and label)[:MAX_LABELS],
        author=str(author) if isinstance(author, str) else None,
    )


def _from_graphql(node: dict[str, Any]) -> _Candidate | None:
    labels = [n.get("name") for n in ((node.get("labels") or {}).get("nodes") or []) if isinstance(n, dict)]
    pr = _pull(node.get("number"), node.get("title"), node.get("url"), node.get("body"), labels,
               (node.get("author") or {}).get("login"))
    if pr is None:
        return None
    merge = (node.get("mergeCommit") or {}).get("oid")
    return pr, node.get("state") == "MERGED", node.get("baseRefName"), merge


def _from_rest(node: dict[str, Any]) -> _Candidate | None:
    labels = [n.get("name") for n in (node.get("labels") or []) if isinstance(n, dict)]
    pr = _pull(node.get("number"), node.get("title"), node.get("html_url"), node.get("body"), labels,
               (node.get("user") or {}).get("login"))
    if pr is None:
        return None
    return pr, bool(node.get("merged_at")), (node.get("base") or {}).get("ref"), node.get("merge_commit_sha")


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


# --- the pipeline's enrich stage ---------------------------------------------------------------------------


@dataclass
class Enrichment:
    pulls: dict[str, PullRequest | None]
    note: str | None  # for the report header, in the report's language: why context is missing


class PullLookup:
    """Pull request context for every repository of one run: one client (so the rate-limit budget and
    what GitHub said about the limit are shared), created on first use, requests one at a time."""

    def __init__(self, settings: GitHubSettings, store: Any, environ: Mapping[str, str]) -> None:
        import threading

        self.settings = settings
        self.store = store
        self.token = github_token(settings, environ)
        self._client: GitHubClient | None = None
        self._lock = threading.Lock()

    def _cache(self) -> GitHubCache:
        from ..storage.github import GitHubCache

        return GitHubCache(self.store, self.settings.api_url)

    def enrich(self, github: str | None, name: str, branch: str, shas: list[str], language: str,
               *, remote: bool = True) -> Enrichment:
        """The pull requests of ``shas``; never raises for GitHub trouble (the note says what happened).
        A local repository without a GitHub identity gets no note: nobody asked for its pull requests."""
        from .. import i18n

        if not shas or not self.settings.pull_requests:
            return Enrichment({}, None)
        with self._lock:
            if self._client is None and self.token is not None and github:  # no identity: nothing to ask
                self._client = GitHubClient(self.settings, self.token, cache=self._cache())
            context = pull_requests(self._client, github, shas, branch=branch, cache=self._cache())
        note = None
        if context.problem == "no_identity":
            note = i18n.label(language, "github.no_identity", repo=name) if remote else None
        elif context.problem == "no_token":
            note = i18n.label(language, "github.no_token", env=self.settings.token_env)
        elif context.problem is not None:
            tr = i18n.translator(i18n.normalize_language(language))
            note = tr.plural("github.missing", context.missing, detail=context.detail)
        return Enrichment(context.pulls, note)

    def close(self) -> None:
        """The end of the run: close the client and, when it was used, drop old cached answers."""
        if self._client is not None:
            self._client.close()
            self._client = None
            self.store.prune_http_cache()
