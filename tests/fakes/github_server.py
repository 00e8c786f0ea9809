"""A fake GitHub API for tests: real HTTP on 127.0.0.1, GitHub's endpoints, headers and error bodies.

    with FakeGitHub(token="t0k") as gh:               # ThreadingHTTPServer on port 0 in a thread
        gh.add_pull("acme/engine", sha, number=12, title="...", labels=["bug"])
        settings = GitHubSettings(api_url=gh.api_url)
        ...
        gh.requests                                    # every request, in order (method, path, body)

What it speaks (paths as on api.github.com; ``/api/v3`` and ``/api/graphql`` as on Enterprise):

- ``POST /graphql``: the ``associatedPullRequests`` query of ``sources.github`` (aliases ``c0…`` bound to
  the variables ``$c0…``), ``rateLimit``; a token is required (401 without one).
- ``GET /repos/{o}/{r}/commits/{sha}/pulls``: REST pull requests of a commit (422 for an unknown sha).
- ``GET|PUT /repos/{o}/{r}/contents/{path}``: files on branches, with git blob SHAs; a PUT over an existing
  file needs its ``sha`` (422 without, 409 for a stale one); ``commits`` records each write.
- ``GET|POST /repos/{o}/{r}/issues``, ``PATCH /repos/{o}/{r}/issues/{n}``, ``GET|POST …/issues/{n}/comments``,
  ``PATCH|DELETE /repos/{o}/{r}/issues/comments/{id}``: bodies over 65,536 characters are refused (422).
- ``GET /rate_limit`` (free), ``GET /user``, ``GET /repos/{o}/{r}`` (with ``permissions``).

Every GET answer carries an ``ETag``; ``If-None-Match`` with the current one gets ``304`` and does not count
against the limit. ``rate_limit`` requests per window are allowed (``x-ratelimit-*`` headers on every
answer); past it the answer is GitHub's 403 "API rate limit exceeded". ``script(...)`` queues answers that
come before everything else (secondary limits: ``Scripted.secondary(retry_after=1)``); ``fail_graphql``
answers every GraphQL request with a 502.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.fakes.httpbase import LocalServer

BODY_LIMIT = 65_536


@dataclass
class Scripted:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    only: str | None = None  # a path regex this answer is for; None: the next request

    @classmethod
    def secondary(cls, retry_after: int | None = 1, *, status: int = 403, only: str | None = None) -> Scripted:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = {"message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}
        return cls(status, body, headers, only)

    @classmethod
    def error(cls, status: int, message: str, headers: dict[str, str] | None = None, only: str | None = None
              ) -> Scripted:
        return cls(status, {"message": message, "documentation_url": "https://docs.github.com/rest"},
                   dict(headers or {}), only)


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int = 0

    @property
    def is_graphql(self) -> bool:
        return self.path.endswith("/graphql")

    @property
    def is_pulls(self) -> bool:
        return self.is_graphql or self.path.endswith("/pulls")


@dataclass
class Pull:
    number: int
    title: str
    body: str = ""
    labels: tuple[str, ...] = ()
    author: str = "octocat"
    state: str = "MERGED"
    base: str = "main"
    merge_sha: str | None = None


@dataclass
class Issue:
    number: int
    title: str
    body: str
    labels: list[str]
    state: str = "open"
    comments: list[int] = field(default_factory=list)


def blob_sha(content: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


class FakeGitHub(LocalServer):
    methods = ("GET", "POST", "PUT", "PATCH", "DELETE")
    thread_name = "fake-github"

    def __init__(self, *, token: str | None = "test-token", rate_limit: int = 5000, reset_in: float = 3600,
                 scopes: str = "repo", prefix: str = "") -> None:
        super().__init__()
        self.token = token
        self.rate_limit = rate_limit
        self.reset_in = reset_in
        self.scopes = scopes
        self.prefix = prefix  # "/api/v3" to look like GitHub Enterprise
        self.fail_graphql = False
        self.pulls: dict[str, dict[str, list[Pull]]] = {}  # "o/r" -> sha -> pulls
        self.known_shas: dict[str, set[str]] = {}  # commits the repo has (with or without pulls)
        self.repos: set[str] = set()
        self.files: dict[tuple[str, str, str], bytes] = {}  # (repo, branch, path) -> content
        self.commits: list[dict[str, Any]] = []  # contents API writes: repo, branch, path, message, created
        self.issues: dict[str, dict[int, Issue]] = {}
        self.comments: dict[int, tuple[str, int, str]] = {}  # id -> (repo, issue, body)
        self.requests: list[Recorded] = []
        self.used = 0
        self.window_start = time.time()
        self._queue: deque[Scripted] = deque()
        self._next_comment = 1000

    # --- setup ----------------------------------------------------------------------------------------
    def add_repo(self, repo: str) -> None:
        self.repos.add(repo.lower())

    def add_commit(self, repo: str, sha: str) -> None:
        self.add_repo(repo)
        self.known_shas.setdefault(repo.lower(), set()).add(sha)

    def add_pull(self, repo: str, sha: str, number: int, title: str, body: str = "",
                 labels: tuple[str, ...] | list[str] = (), **kwargs: Any) -> None:
        self.add_commit(repo, sha)
        self.pulls.setdefault(repo.lower(), {}).setdefault(sha, []).append(
            Pull(number, title, body, tuple(labels), **kwargs))

    def script(self, *answers: Scripted) -> None:
        with self._lock:
            self._queue.extend(answers)

    def pull_requests_made(self) -> list[Recorded]:
        return [r for r in self.requests if r.is_pulls]

    def file(self, repo: str, path: str, branch: str = "main") -> str | None:
        content = self.files.get((repo.lower(), branch, path))
        return None if content is None else content.decode("utf-8")

    @property
    def root(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return self.root + self.prefix

    # --- dispatch -------------------------------------------------------------------------------------
    def handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        raw = handler.rfile.read(length) if length else b""
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        parts = urlsplit(handler.path)
        path = unquote(parts.path)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        record = Recorded(method, path, parse_qs(parts.query), headers, body)
        with self._lock:
            self.requests.append(record)
            status, payload, extra = self._answer(record)
            record.status = status
            limit_headers = self._limit_headers()
        data = b"" if payload is None else json.dumps(payload).encode()
        out = {"Content-Type": "application/json; charset=utf-8", "X-GitHub-Request-Id": f"FAKE:{len(self.requests)}",
               "X-GitHub-Api-Version-Selected": "2022-11-28", **limit_headers, **extra}
        if self.token and headers.get("authorization") == f"Bearer {self.token}":
            out["X-OAuth-Scopes"] = self.scopes
        try:
            handler.send_response(status)
            for name, value in out.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if data and method != "HEAD":
                handler.wfile.write(data)
            handler.wfile.flush()
        except OSError:
            pass

    def _limit_headers(self) -> dict[str, str]:
        return {
            "x-ratelimit-limit": str(self.rate_limit),
            "x-ratelimit-remaining": str(max(self.rate_limit - self.used, 0)),
            "x-ratelimit-used": str(self.used),
            "x-ratelimit-reset": str(int(self.window_start + self.reset_in)),
            "x-ratelimit-resource": "core",
        }

    def _answer(self, r: Recorded) -> tuple[int, Any, dict[str, str]]:
        auth = r.headers.get("authorization")
        if auth is not None and auth != f"Bearer {self.token}":
            return 401, {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"}, {}
        path = r.path
        if self.prefix:
            if path == "/api/graphql":
                path = "/graphql"
            elif path.startswith(self.prefix + "/"):
                path = path[len(self.prefix):]
            else:
                return 404, {"message": "Not Found"}, {}
        if time.time() >= self.window_start + self.reset_in:  # a new rate-limit window
            self.window_start, self.used = time.time(), 0
        for i, scripted in enumerate(self._queue):
            if scripted.only is None or re.search(scripted.only, path):
                del self._queue[i]
                return scripted.status, scripted.body, scripted.headers
        if path == "/rate_limit":
            core = {"limit": self.rate_limit, "remaining": max(self.rate_limit - self.used, 0),
                    "reset": int(self.window_start + self.reset_in), "used": self.used}
            return 200, {"resources": {"core": core}, "rate": core}, {}
        if self.used >= self.rate_limit:
            return 403, {"message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for "
                         "help, please include the request ID.",
                         "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"}, {}
        status, payload, extra = self._route(r, path, auth is not None)
        if method_is_get(r) and status == 200:
            etag = '"' + hashlib.sha1(json.dumps(payload, sort_keys=True).encode()).hexdigest() + '"'
            extra = {**extra, "ETag": etag}
            if r.headers.get("if-none-match") == etag:
                return 304, None, extra  # conditional: free
        self.used += 1
        return status, payload, extra

    def _route(self, r: Recorded, path: str, authed: bool) -> tuple[int, Any, dict[str, str]]:
        if path == "/graphql" and r.method == "POST":
            return self._graphql(r, authed)
        if path == "/user" and r.method == "GET":
            if not authed:
                return 401, {"message": "Requires authentication"}, {}
            return 200, {"login": "reporter", "id": 1}, {}
        m = re.fullmatch(r"/repos/([^/]+)/([^/]+)(/.*)?", path)
        if not m:
            return 404, {"message": "Not Found"}, {}
        repo = f"{m.group(1)}/{m.group(2)}".lower()
        rest = m.group(3) or ""
        if repo not in self.repos:
            return 404, {"message": "Not Found"}, {}
        if rest == "" and r.method == "GET":
            return 200, {"full_name": repo, "default_branch": "main", "private": False,
                         "permissions": {"admin": False, "push": authed, "pull": True}}, {}
        m2 = re.fullmatch(r"/commits/([0-9a-f]{40})/pulls", rest)
        if m2 and r.method == "GET":
            sha = m2.group(1)
            if sha not in self.known_shas.get(repo, set()):
                return 422, {"message": f"No commit found for SHA: {sha}"}, {}
            return 200, [self._rest_pull(repo, p) for p in self.pulls.get(repo, {}).get(sha, [])], {}
        if rest.startswith("/contents/"):
            if not authed and r.method != "GET":
                return 401, {"message": "Requires authentication"}, {}
            return self._contents(r, repo, rest[len("/contents/"):])
        if rest.startswith("/issues"):
            if not authed and r.method != "GET":
                return 401, {"message": "Requires authentication"}, {}
            return self._issues(r, repo, rest)
        return 404, {"message": "Not Found"}, {}

    # --- GraphQL --------------------------------------------------------------------------------------
    def _graphql(self, r: Recorded, authed: bool) -> tuple[int, Any, dict[str, str]]:
        if not authed:
            return 401, {"message": "This endpoint requires you to be authenticated."}, {}
        if self.fail_graphql:
            return 502, {"message": "Server Error"}, {}
        body = r.body if isinstance(r.body, dict) else {}
        query = str(body.get("query", ""))
        variables = body.get("variables") or {}
        if "associatedPullRequests" not in query:
            return 200, {"errors": [{"message": "unsupported query in the fake"}]}, {}
        owner, name = variables.get("owner"), variables.get("name")
        repo = f"{owner}/{name}".lower()
        if repo not in self.repos:
            return 200, {"data": {"repository": None}, "errors": [
                {"type": "NOT_FOUND", "path": ["repository"],
                 "message": f"Could not resolve to a Repository with the name '{owner}/{name}'."}]}, {}
        aliases = re.findall(r"(c\d+): object\(oid: \$(c\d+)\)", query)
        if len(aliases) > 100:
            return 200, {"errors": [{"message": "too many nodes"}]}, {}
        data: dict[str, Any] = {}
        for alias, var in aliases:
            sha = variables.get(var)
            if sha not in self.known_shas.get(repo, set()):
                data[alias] = None
                continue
            data[alias] = {"associatedPullRequests": {"nodes": [
                self._graphql_pull(repo, p) for p in self.pulls.get(repo, {}).get(sha, [])]}}
        return 200, {"data": {"rateLimit": {"cost": 1, "remaining": self.rate_limit - self.used - 1,
                                            "resetAt": "2030-01-01T00:00:00Z"}, "repository": data}}, {}

    def _graphql_pull(self, repo: str, p: Pull) -> dict[str, Any]:
        return {"number": p.number, "title": p.title, "body": p.body, "url": f"https://github.com/{repo}/pull/{p.number}",
                "state": p.state, "baseRefName": p.base, "mergeCommit": {"oid": p.merge_sha} if p.merge_sha else None,
                "author": {"login": p.author}, "labels": {"nodes": [{"name": x} for x in p.labels]}}

    def _rest_pull(self, repo: str, p: Pull) -> dict[str, Any]:
        return {"number": p.number, "title": p.title, "body": p.body,
                "html_url": f"https://github.com/{repo}/pull/{p.number}",
                "state": "closed" if p.state == "MERGED" else p.state.lower(),
                "merged_at": "2026-02-07T03:00:00Z" if p.state == "MERGED" else None,
                "base": {"ref": p.base}, "merge_commit_sha": p.merge_sha, "user": {"login": p.author},
                "labels": [{"name": x} for x in p.labels]}

    # --- contents -------------------------------------------------------------------------------------
    def _contents(self, r: Recorded, repo: str, path: str) -> tuple[int, Any, dict[str, str]]:
        if r.method == "GET":
            branch = (r.query.get("ref") or ["main"])[0]
            content = self.files.get((repo, branch, path))
            if content is None:
                return 404, {"message": "Not Found"}, {}
            return 200, {"type": "file", "path": path, "sha": blob_sha(content), "size": len(content),
                         "encoding": "base64", "content": base64.encodebytes(content).decode()}, {}
        if r.method != "PUT":
            return 404, {"message": "Not Found"}, {}
        body = r.body if isinstance(r.body, dict) else {}
        branch = body.get("branch") or "main"
        if "message" not in body or "content" not in body:
            return 422, {"message": "Invalid request.\n\n\"message\", \"content\" weren't supplied."}, {}
        existing = self.files.get((repo, branch, path))
        if existing is not None:
            if "sha" not in body:
                return 422, {"message": "Invalid request.\n\n\"sha\" wasn't supplied."}, {}
            if body["sha"] != blob_sha(existing):
                return 409, {"message": f"{path} does not match {body['sha']}"}, {}
        content = base64.b64decode(body["content"])
        self.files[(repo, branch, path)] = content
        self.commits.append({"repo": repo, "branch": branch, "path": path, "message": body["message"],
                             "created": existing is None})
        return (201 if existing is None else 200), {"content": {"path": path, "sha": blob_sha(content)},
                                                    "commit": {"sha": hashlib.sha1(content).hexdigest()}}, {}

    # --- issues ---------------------------------------------------------------------------------------
    def _issue_json(self, repo: str, issue: Issue) -> dict[str, Any]:
        return {"number": issue.number, "title": issue.title, "body": issue.body, "state": issue.state,
                "labels": [{"name": x} for x in issue.labels], "comments": len(issue.comments),
                "html_url": f"https://github.com/{repo}/issues/{issue.number}", "user": {"login": "reporter"}}

    def _issues(self, r: Recorded, repo: str, rest: str) -> tuple[int, Any, dict[str, str]]:
        issues = self.issues.setdefault(repo, {})
        body = r.body if isinstance(r.body, dict) else {}
        if len(str(body.get("body", ""))) > BODY_LIMIT:
            return 422, {"message": "Validation Failed", "errors": [
                {"resource": "Issue", "code": "custom", "field": "body",
                 "message": f"body is too long (maximum is {BODY_LIMIT} characters)"}]}, {}
        if rest == "/issues":
            if r.method == "POST":
                number = max([*issues, *self._pull_numbers(repo)], default=0) + 1
                issue = Issue(number, str(body.get("title", "")), str(body.get("body", "")),
                              [str(x) for x in body.get("labels", [])])
                issues[number] = issue
                return 201, self._issue_json(repo, issue), {}
            state = (r.query.get("state") or ["open"])[0]
            labels = [x for x in (r.query.get("labels") or [""])[0].split(",") if x]
            per_page = int((r.query.get("per_page") or ["30"])[0])
            page = int((r.query.get("page") or ["1"])[0])
            chosen = [i for i in sorted(issues.values(), key=lambda i: -i.number)
                      if (state == "all" or i.state == state) and all(x in i.labels for x in labels)]
            return 200, [self._issue_json(repo, i) for i in chosen[(page - 1) * per_page: page * per_page]], {}
        m = re.fullmatch(r"/issues/(\d+)", rest)
        if m:
            issue = issues.get(int(m.group(1)))
            if issue is None:
                return 404, {"message": "Not Found"}, {}
            if r.method == "PATCH":
                issue.title = str(body.get("title", issue.title))
                issue.body = str(body.get("body", issue.body))
                issue.state = str(body.get("state", issue.state))
                if "labels" in body:
                    issue.labels = [str(x) for x in body["labels"]]
            return 200, self._issue_json(repo, issue), {}
        m = re.fullmatch(r"/issues/(\d+)/comments", rest)
        if m:
            issue = issues.get(int(m.group(1)))
            if issue is None:
                return 404, {"message": "Not Found"}, {}
            if r.method == "POST":
                self._next_comment += 1
                self.comments[self._next_comment] = (repo, issue.number, str(body.get("body", "")))
                issue.comments.append(self._next_comment)
                return 201, self._comment_json(repo, self._next_comment), {}
            return 200, [self._comment_json(repo, c) for c in issue.comments], {}
        m = re.fullmatch(r"/issues/comments/(\d+)", rest)
        if m:
            cid = int(m.group(1))
            if cid not in self.comments or self.comments[cid][0] != repo:
                return 404, {"message": "Not Found"}, {}
            if r.method == "DELETE":
                _repo, number, _body = self.comments.pop(cid)
                issues[number].comments.remove(cid)
                return 204, None, {}
            if r.method == "PATCH":
                self.comments[cid] = (repo, self.comments[cid][1], str(body.get("body", "")))
            return 200, self._comment_json(repo, cid), {}
        return 404, {"message": "Not Found"}, {}

    def _comment_json(self, repo: str, cid: int) -> dict[str, Any]:
        _repo, number, body = self.comments[cid]
        return {"id": cid, "body": body, "html_url": f"https://github.com/{repo}/issues/{number}#issuecomment-{cid}"}

    def _pull_numbers(self, repo: str) -> list[int]:
        return [p.number for pulls in self.pulls.get(repo, {}).values() for p in pulls]


def method_is_get(r: Recorded) -> bool:
    return r.method == "GET"
