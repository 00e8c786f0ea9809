"""The pull request behind each commit, from the GitHub API (the client is ``sources.githubapi``).

    client = GitHubClient.from_settings(settings.github, os.environ, cache=GitHubCache(store, api))
    context = pull_requests(client, "ai-dynamo/dynamo", shas, branch="main", cache=cache)
    context.pulls[sha]          # PullRequest | None

Pull requests are resolved with GraphQL (``associatedPullRequests`` for up to 100 commits per query)
and, when GraphQL fails, with REST ``GET /repos/{owner}/{name}/commits/{sha}/pulls``. Every answer is
stored (``storage.github``), so a rerun asks for nothing it already knows. ``PullLookup`` is the
pipeline's enrich stage: one client for every repository of a run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..config import GitHubSettings
from ..errors import GitHubError, RateLimited
from ..models import PullRequest
from ..redact import redact_pull
from .githubapi import Answer, GitHubClient, Limits, github_token, graphql_url

if TYPE_CHECKING:
    from ..storage.github import GitHubCache

# Re-exported: the client's names, as callers and tests import them from here.
__all__ = [
    "Answer",
    "Enrichment",
    "GitHubClient",
    "Limits",
    "PullContext",
    "PullLookup",
    "github_token",
    "graphql_url",
    "pull_requests",
    "pulls_query",
]

BATCH = 100  # commits per GraphQL query (GitHub's node limit per connection is 100)
MAX_BODY = 8_000  # characters of a PR description kept (the prompt trims further)
MAX_LABELS = 20
_SHA = re.compile(r"[0-9a-f]{40}")
_OWNER_NAME = re.compile(r"[A-Za-z0-9-]{1,39}/[A-Za-z0-9._-]{1,100}")


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
