"""Planted secrets never leave the machine and never land in an output; text that is not a secret never
changes. The corpus is tests/hostile.py; the run is the real CLI on a real repository against the fake
OpenAI-compatible server, which records every request body."""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commitwatch.redact import redact, redact_commit, redact_path, safe_url
from tests.cli import run_cli
from tests.fakes.openai_server import FakeOpenAI
from tests.hostile import NOT_SECRETS, SECRETS, build_hostile_repo, llm_config, secret_blob, store_text, surviving


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_every_planted_secret_kind_is_redacted(name):
    text, secret = SECRETS[name]
    result = redact(text)
    assert secret not in result.text
    assert "[REDACTED:" in result.text and result.count >= 1


def test_all_planted_secrets_together_are_redacted():
    assert surviving(redact(secret_blob()).text) == []


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_text_that_is_not_a_secret_never_changes(text):
    assert redact(text).text == text


@pytest.mark.parametrize("name", sorted(SECRETS))
def test_a_secret_in_a_diff_line_is_redacted(name):
    text, secret = SECRETS[name]
    diff = "\n".join("+" + line for line in text.split("\n"))
    assert secret not in redact(f"@@ -1,0 +1,{diff.count(chr(10)) + 1} @@\n{diff}\n").text


_SEP = st.sampled_from([" ", "\n", "\t", "; ", ", ", " (", ") ", "\n+", "\n-"])
_NOISE = st.text(alphabet=string.ascii_letters + string.digits + " .,:;-_/\n", max_size=60)


@settings(max_examples=300, deadline=None)
@given(name=st.sampled_from(sorted(SECRETS)), before=_NOISE, after=_NOISE, left=_SEP, right=_SEP)
def test_a_planted_secret_never_survives_whatever_surrounds_it(name, before, after, left, right):
    text, secret = SECRETS[name]
    assert secret not in redact(f"{before}{left}{text}{right}{after}").text


# Words only: after a secret-named key (password, token, secret) a random-looking value IS redacted.
_WORD = st.sampled_from(["fix", "the", "cache", "count", "hashing", "is", "required", "parser", "for", "keys",
                         "update", "Manager", "api", "handles", "Basic", "key"])
_HEX40 = st.text(alphabet="0123456789abcdef", min_size=40, max_size=40)
_UUID = st.uuids().map(str)
_IDENT = st.from_regex(r"[a-z_][a-z0-9_]{0,12}(\.[a-z_][a-z0-9_]{0,8}){0,2}", fullmatch=True)
_PATH = st.lists(st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True), min_size=1, max_size=4).map(
    lambda parts: "/".join(parts) + ".py")
_NUMBER = st.integers(min_value=0, max_value=10**12).map(str)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_WORD, _HEX40, _UUID, _IDENT, _PATH, _NUMBER), min_size=1, max_size=25),
       st.sampled_from([" ", "\n", ", ", " = ", ": "]))
def test_ordinary_text_hashes_uuids_and_code_never_change(tokens, sep):
    text = sep.join(tokens)
    assert redact(text).text == text


@pytest.mark.parametrize(("text", "kept"), [
    ("Basic g00000123456", True),  # found by the property above: an identifier, not base64 of user:password
    ("Basic authentication is now supported", True),
    ("the Basic SGVsbG9Xb3JsZEhlbGxv scheme", True),  # base64, but of "HelloWorldHello": no user:password
    ("log in with Basic dXNlcjpwYXNzd29yZA== from now on", False),  # "user:password"
    ("Basic YWRtaW46aHVudGVyMg", False),  # "admin:hunter2", padding dropped
])
def test_basic_credentials_are_base64_of_user_and_password(text, kept):
    assert (redact(text).text == text) is kept


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["password", "token", "secret", "api_key", "is", "required", "the", "hashing",
                                 "Manager", "expiry", "rotation", "stored", "in", "vault", "field", "name"]),
                min_size=1, max_size=20))
def test_prose_about_secrets_never_changes(words):
    text = " ".join(words)
    assert redact(text).text == text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_redaction_is_idempotent_on_any_text(text):
    once = redact(text).text
    assert redact(once).text == once


def test_a_redacted_path_keeps_its_directories():
    token = SECRETS["github-token"][1]
    result = redact_path(f"keys/{token}/config.txt")
    assert result.text == "keys/[REDACTED:github-token]/config.txt"
    assert redact_path("src/commitwatch/redact.py").text == "src/commitwatch/redact.py"


def test_safe_url_drops_credentials():
    assert safe_url("http://user:pa55@llm.internal:8000/v1") == "http://llm.internal:8000/v1"
    assert safe_url("https://api.example.com/v1?key=AIzaSyD-1234567890abcdefghijklmnopqrstu").count("AIza") == 0
    assert safe_url("https://api.example.com/v1") == "https://api.example.com/v1"


@pytest.fixture(scope="module")
def hostile_repo(tmp_path_factory) -> Path:
    return build_hostile_repo(tmp_path_factory.mktemp("hostile") / "hostile-repo").path


def test_redact_commit_covers_message_author_paths_old_paths_and_patches(hostile_repo, tmp_path):
    from commitwatch.sources import open_repository, resolve_repo
    from commitwatch.window import day_window

    ref = resolve_repo(str(hostile_repo))
    repository = open_repository(ref, tmp_path / "cache", ("file",))
    window = day_window(__import__("datetime").date(2026, 2, 7), "Asia/Shanghai")
    commits = list(repository.read_commits(repository.select(repository.resolve_branch(None), window)))
    raw = "\n".join(_commit_text(c) for c in commits)
    assert len(surviving(raw)) >= len(SECRETS) - 1  # the corpus really plants them
    clean = "\n".join(_commit_text(redact_commit(c)[0]) for c in commits)
    assert surviving(clean) == []
    renamed = next(c for c in commits if c.subject.startswith("chore: rename"))
    change = redact_commit(renamed)[0].files[0]
    assert change.path == "keys/[REDACTED:aws-access-key].txt"
    assert change.old_path == "keys/[REDACTED:github-token].txt"


def _commit_text(commit) -> str:
    parts = [commit.subject, commit.body, commit.author.name, commit.author.email]
    for f in commit.files:
        parts += [f.path, f.old_path or "", f.patch or ""]
    return "\n".join(parts)


def test_no_planted_secret_in_any_request_report_or_store(hostile_repo, tmp_path, monkeypatch):
    out, db = tmp_path / "out", tmp_path / "store.db"
    with FakeOpenAI() as server:
        config = llm_config(tmp_path, server.base_url)
        monkeypatch.setenv("COMMITWATCH_LLM_API_KEY", "sk-test-key-0123456789")
        result = run_cli("report", "--config", str(config), "--repo", str(hostile_repo), "--date", "2026-02-07",
                         "--db", str(db), "--allow-degraded")
        requests = [json.dumps(r.body, ensure_ascii=False) for r in server.requests]
    assert len(requests) >= 30
    assert surviving("\n".join(requests)) == []
    written = {p: p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file()}
    assert {p.suffix for p in written} == {".md", ".html", ".json"}
    for path, text in written.items():
        assert surviving(text) == [], path
    assert surviving(store_text(db)) == []
    assert surviving(result.stdout + result.stderr) == []
    data = json.loads(next(t for p, t in written.items() if p.suffix == ".json"))
    assert any("[REDACTED:" in w for w in data["warnings"])  # the report says that it redacted
    assert any(f["path"] == "keys/[REDACTED:aws-access-key].txt" for c in data["commits"] for f in c["files"])


@pytest.mark.parametrize("reachable", [True, False], ids=["server-errors", "unreachable"])
def test_credentials_in_the_llm_base_url_never_reach_warnings_stderr_or_store(hostile_repo, tmp_path, reachable):
    from tests.fakes.openai_server import Reply

    out, db = tmp_path / "out", tmp_path / "store.db"
    password = "pa55-w0rd-in-url"
    api_key = "key-that-the-server-echoes-0123456789"
    with FakeOpenAI() as server:
        # a server that fails every request and echoes the key in its message, as some gateways do
        server.responder = lambda request: Reply.error(500, f"upstream failed for key {api_key}")
        port = server.base_url.split(":")[2].split("/")[0] if reachable else "9"
        base_url = f"http://alice:{password}@127.0.0.1:{port}/v1"
        config = llm_config(tmp_path, base_url, max_retries=1, timeout=5)
        result = run_cli("report", "--config", str(config), "--repo", str(hostile_repo), "--date", "2026-02-07",
                         "--db", str(db), expect=4, env={"COMMITWATCH_LLM_API_KEY": api_key})
        if reachable:
            assert server.requests  # the failures really came from the server
    outputs = [result.stderr, result.stdout, store_text(db)]
    outputs += [p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file()]
    everything = "\n".join(outputs)
    assert "fallback" in everything or "rules" in everything
    assert password not in everything
    assert api_key not in everything


def test_pull_request_text_is_redacted_when_read_from_github(tmp_path):
    import hashlib

    from commitwatch.config import GitHubSettings
    from commitwatch.sources.github import GitHubClient, pull_requests
    from commitwatch.storage import Store
    from commitwatch.storage.github import GitHubCache
    from tests.fakes.github_server import FakeGitHub

    sha = hashlib.sha1(b"pr").hexdigest()
    token = "ghp_" + "Tk7" * 12
    with FakeGitHub(token=token) as gh, Store.open(tmp_path / "cw.db") as store:
        gh.add_pull("acme/engine", sha, number=7, title="fix: rotate " + SECRETS["stripe-key"][0],
                    body=secret_blob() + "\n\u202ehidden", labels=["bug"])
        cfg = GitHubSettings(api_url=gh.api_url)
        cache = GitHubCache(store, cfg.api_url)
        context = pull_requests(GitHubClient(cfg, token, cache=cache), "acme/engine", [sha], cache=cache)
        pull = context.pulls[sha]
        assert pull is not None and pull.number == 7
        assert surviving(pull.title + "\n" + pull.body) == []
        assert "<U+202E>" in pull.body and "\u202e" not in pull.body
        stored = cache.pulls("acme/engine", [sha])[sha]
        assert stored is not None and surviving(stored.title + stored.body) == []
    assert surviving(store_text(tmp_path / "cw.db")) == []
