"""Pull request context from the GitHub API, against the fake GitHub server over real HTTP."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from commitwatch.config import GitHubSettings
from commitwatch.errors import GitHubError, RateLimited
from commitwatch.sources.github import GitHubClient, graphql_url, pull_requests
from commitwatch.storage import Store
from commitwatch.storage.github import GitHubCache
from tests.fakes.github_server import FakeGitHub, Scripted

REPO = "acme/engine"
TOKEN = "ghp_secretsecretsecret0123456789"


def shas(n: int) -> list[str]:
    return [hashlib.sha1(f"c{i}".encode()).hexdigest() for i in range(n)]


@pytest.fixture
def gh() -> FakeGitHub:
    with FakeGitHub(token=TOKEN) as server:
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "cw.db") as s:
        yield s


def client_for(gh: FakeGitHub, store: Store | None = None, token: str | None = TOKEN, **settings: object
               ) -> tuple[GitHubClient, GitHubCache | None, list[float]]:
    slept: list[float] = []
    cfg = GitHubSettings(api_url=gh.api_url, **settings)  # type: ignore[arg-type]
    cache = GitHubCache(store, cfg.api_url) if store is not None else None
    return GitHubClient(cfg, token, cache=cache, sleep=slept.append), cache, slept


def populate(gh: FakeGitHub, commits: list[str]) -> None:
    for i, sha in enumerate(commits):
        if i % 3 == 2:
            gh.add_commit(REPO, sha)  # pushed directly: no pull request
        else:
            gh.add_pull(REPO, sha, number=100 + i, title=f"PR title {i}", body=f"why {i}", labels=["bug", "kernel"])


def test_31_commits_take_one_graphql_request_and_a_rerun_takes_none(gh: FakeGitHub, store: Store) -> None:
    commits = shas(31)
    populate(gh, commits)
    client, cache, _ = client_for(gh, store)
    context = pull_requests(client, REPO, commits, branch="main", cache=cache)
    assert context.problem is None and context.missing == 0
    assert [r.path for r in gh.pull_requests_made()] == ["/graphql"]
    assert context.requests == 1
    pr = context.pulls[commits[0]]
    assert pr is not None and pr.number == 100 and pr.title == "PR title 0" and pr.labels == ("bug", "kernel")
    assert pr.url == f"https://github.com/{REPO}/pull/100" and pr.body == "why 0" and pr.author == "octocat"
    assert context.pulls[commits[2]] is None  # no pull request: known, not missing
    # the token travels in the Authorization header only
    sent = gh.requests[0]
    assert sent.headers["authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in sent.path and TOKEN not in str(sent.body)

    again, cache2, _ = client_for(gh, store)
    rerun = pull_requests(again, REPO, commits, branch="main", cache=cache2)
    assert rerun.requests == 0 and len(gh.pull_requests_made()) == 1
    assert rerun.pulls == context.pulls
    assert TOKEN.encode() not in (store.path.read_bytes())


def test_more_than_100_commits_are_batched(gh: FakeGitHub, store: Store) -> None:
    commits = shas(150)
    populate(gh, commits)
    client, cache, _ = client_for(gh, store)
    context = pull_requests(client, REPO, commits, cache=cache)
    assert len(gh.pull_requests_made()) == 2 and context.missing == 0
    assert len(context.pulls) == 150


def test_graphql_failing_falls_back_to_rest_with_etags(gh: FakeGitHub, store: Store) -> None:
    commits = shas(4)
    populate(gh, commits)
    gh.fail_graphql = True
    client, cache, _slept = client_for(gh, store)
    context = pull_requests(client, REPO, commits, branch="main", cache=cache)
    assert context.problem is None and context.fallback is not None
    rest = [r for r in gh.requests if r.path.endswith("/pulls")]
    assert len(rest) == 4
    pr = context.pulls[commits[1]]
    assert pr is not None and pr.number == 101 and pr.labels == ("bug", "kernel")
    assert context.pulls[commits[2]] is None
    # the ETags are in the store: a conditional request gets 304 and the cached answer
    assert cache is not None and cache.etag(f"{gh.api_url}/repos/{REPO}/commits/{commits[0]}/pulls") is not None
    answer = client.get(f"repos/{REPO}/commits/{commits[0]}/pulls")
    assert answer.status == 304 and answer.cached and answer.data[0]["number"] == 100
    assert gh.requests[-1].headers.get("if-none-match")


def test_commits_github_does_not_know_are_not_stored(gh: FakeGitHub, store: Store) -> None:
    commits = shas(3)
    gh.add_pull(REPO, commits[0], 7, "known")
    client, cache, _ = client_for(gh, store)
    context = pull_requests(client, REPO, commits, cache=cache)
    assert context.unknown == {commits[1], commits[2]} and context.missing == 0
    assert cache is not None and set(cache.pulls(REPO, commits)) == {commits[0]}


def test_no_token_no_identity_and_bad_token(gh: FakeGitHub, store: Store) -> None:
    commits = shas(2)
    populate(gh, commits)
    client, cache, _ = client_for(gh, store, token=None)
    assert pull_requests(client, REPO, commits, cache=cache).problem == "no_token"
    assert pull_requests(client, None, commits, cache=cache).problem == "no_identity"
    assert pull_requests(client, "not a repo", commits, cache=cache).problem == "no_identity"
    assert gh.requests == []
    bad, cache, _ = client_for(gh, store, token="wrong")
    context = pull_requests(bad, REPO, commits, cache=cache)
    assert context.problem == "failed" and "401" in context.detail and "$GITHUB_TOKEN" in context.detail
    assert context.missing == 2


def test_primary_rate_limit_waits_until_reset_within_max_wait(gh: FakeGitHub, store: Store) -> None:
    gh.rate_limit, gh.reset_in = 2, 1.0
    commits = shas(3)
    populate(gh, commits)
    gh.fail_graphql = True  # REST: one request per commit, the third is over the limit
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    cfg = GitHubSettings(api_url=gh.api_url, max_wait=5)
    client = GitHubClient(cfg, TOKEN, cache=GitHubCache(store, cfg.api_url), sleep=sleep)
    context = pull_requests(client, REPO, commits, cache=GitHubCache(store, cfg.api_url))
    assert context.problem is None and context.missing == 0
    assert slept[:2] == [1.0, 2.0]  # the 502s of GraphQL, retried twice
    assert len(slept) == 3 and 0 < slept[2] <= 2.5  # then one wait for the reset


def test_rate_limit_beyond_max_wait_skips_with_the_reason(gh: FakeGitHub, store: Store) -> None:
    gh.rate_limit, gh.reset_in = 0, 3600
    commits = shas(3)
    populate(gh, commits)
    client, cache, slept = client_for(gh, store, max_wait=30)
    context = pull_requests(client, REPO, commits, cache=cache)
    assert context.problem == "rate_limited" and context.missing == 3
    assert "max_wait" in context.detail and slept == []
    assert cache is not None and cache.pulls(REPO, commits) == {}  # nothing stored: the next run asks again


def test_secondary_limit_honours_retry_after_then_succeeds(gh: FakeGitHub, store: Store) -> None:
    commits = shas(2)
    populate(gh, commits)
    gh.script(Scripted.secondary(retry_after=2), Scripted.secondary(retry_after=None, status=429))
    client, cache, slept = client_for(gh, store, max_wait=200)
    context = pull_requests(client, REPO, commits, cache=cache)
    assert context.problem is None and context.missing == 0
    assert slept == [2.0, 60.0]  # Retry-After, then GitHub's "wait at least a minute"


def test_graphql_rate_limited_error_waits(gh: FakeGitHub, store: Store) -> None:
    commits = shas(2)
    populate(gh, commits)
    gh.script(Scripted(200, {"errors": [{"type": "RATE_LIMITED", "message": "API rate limit exceeded"}]},
                       {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()) + 3)}))
    client, cache, slept = client_for(gh, store, max_wait=10)
    context = pull_requests(client, REPO, commits, cache=cache)
    assert context.problem is None and len(slept) == 1 and 1 <= slept[0] <= 5


def test_clear_errors_name_the_token_and_scope(gh: FakeGitHub) -> None:
    client, _, _ = client_for(gh, None)
    gh.script(Scripted.error(403, "Resource not accessible by personal access token",
                             {"X-Accepted-GitHub-Permissions": "contents=write"}))
    gh.add_repo(REPO)
    with pytest.raises(GitHubError) as info:
        client.request("PUT", f"repos/{REPO}/contents/x.md", json_body={}, what=f"writing x.md to {REPO}")
    assert "403" in info.value.message and "contents=write" in info.value.message
    assert "$GITHUB_TOKEN" in info.value.message and "Contents: write" in (info.value.hint or "")
    with pytest.raises(GitHubError) as info:
        client.get("repos/nobody/nothing")
    assert "404" in info.value.message and "private repository" in (info.value.hint or "")
    assert not isinstance(info.value, RateLimited)


def test_enterprise_paths(tmp_path: Path) -> None:
    assert graphql_url("https://ghe.example.com/api/v3") == "https://ghe.example.com/api/graphql"
    assert graphql_url("https://api.github.com") == "https://api.github.com/graphql"
    with FakeGitHub(token=TOKEN, prefix="/api/v3") as gh, Store.open(tmp_path / "cw.db") as store:
        commits = shas(2)
        populate(gh, commits)
        client, cache, _ = client_for(gh, store)
        context = pull_requests(client, REPO, commits, cache=cache)
        assert context.problem is None and context.pulls[commits[0]] is not None
        assert gh.requests[0].path == "/api/graphql"


def test_unreachable_api_is_a_failure_not_a_crash(store: Store) -> None:
    cfg = GitHubSettings(api_url="http://127.0.0.1:9", timeout=2)
    client = GitHubClient(cfg, TOKEN, cache=GitHubCache(store, cfg.api_url))
    context = pull_requests(client, REPO, shas(2), cache=GitHubCache(store, cfg.api_url))
    assert context.problem == "failed" and "cannot reach GitHub" in context.detail


def test_the_run_lookup_says_why_context_is_missing_once_per_report(gh: FakeGitHub, store: Store) -> None:
    from commitwatch.sources.github import PullLookup

    commits = shas(2)
    populate(gh, commits)
    settings = GitHubSettings(api_url=gh.api_url)
    lookup = PullLookup(settings, store, {})
    assert lookup.enrich(None, "gitlab.com/g/p", "main", commits, "en").note == (
        'No pull request context: gitlab.com/g/p has no GitHub identity (set github = "owner/name" on its '
        "[[repos]] entry, or --github-repo).")
    assert lookup.enrich(None, "engine", "main", commits, "en", remote=False).note is None
    assert lookup.enrich(REPO, REPO, "main", commits, "zh-CN").note == "无拉取请求信息：未设置 $GITHUB_TOKEN。"
    with_token = PullLookup(settings, store, {"GITHUB_TOKEN": TOKEN})
    found = with_token.enrich(REPO, REPO, "main", commits, "en")
    with_token.close()
    assert found.note is None and found.pulls[commits[0]] is not None
    gh.rate_limit = 0
    other = shas(5)[2:]
    for sha in other:
        gh.add_commit(REPO, sha)
    limited = PullLookup(GitHubSettings(api_url=gh.api_url, max_wait=0), store, {"GITHUB_TOKEN": TOKEN})
    note = limited.enrich(REPO, REPO, "main", other, "en").note
    limited.close()
    assert note is not None and note.startswith("No pull request context for 3 commits: GitHub's rate limit")


def test_the_end_of_a_run_prunes_cached_answers_older_than_30_days(gh: FakeGitHub, tmp_path: Path) -> None:
    import sqlite3
    from datetime import datetime, timedelta, timezone

    from commitwatch.sources.github import PullLookup

    db = tmp_path / "prune.db"
    commits = shas(3)
    populate(gh, commits)
    gh.fail_graphql = True  # REST: one conditional GET, one cached answer per commit
    settings = GitHubSettings(api_url=gh.api_url)
    with Store.open(db) as store:
        old_url = f"{gh.api_url}/repos/{REPO}/commits/{'0' * 40}/pulls"
        store.save_http_etag(old_url, '"old"', b"[]")
        store.save_http_etag(f"{gh.api_url}/repos/{REPO}/commits/{'1' * 40}/pulls", '"recent"', b"[]")
    forty_days_ago = (datetime.now(timezone.utc) - timedelta(days=40)).isoformat(timespec="seconds")
    with sqlite3.connect(db) as conn:  # as a run 40 days ago left it, in the format the store writes
        conn.execute("UPDATE http_cache SET stored_at = ? WHERE url = ?", (forty_days_ago, old_url))
    with Store.open(db) as store:
        lookup = PullLookup(settings, store, {"GITHUB_TOKEN": TOKEN})
        assert lookup.enrich(REPO, REPO, "main", commits, "en").note is None
        assert store.http_etag(old_url) is not None  # not during the run
        lookup.close()
    with sqlite3.connect(db) as conn:
        etags = sorted(row[0] for row in conn.execute("SELECT etag FROM http_cache"))
    assert '"old"' not in etags and '"recent"' in etags and len(etags) == 1 + len(commits)
    with Store.open(db) as store:  # the bound is the store's: 30 days by default, any other on request
        assert store.prune_http_cache(now=datetime.now(timezone.utc) + timedelta(days=31)) == 1 + len(commits)
