"""Publishing to GitHub (contents API files, issues) against the fake GitHub server over real HTTP."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commitwatch.config import GitHubSettings, PublishSettings
from commitwatch.deliver.github import (
    BODY_LIMIT,
    Publication,
    parse_index,
    publish,
    published_path,
    render_index,
    retry_failed,
    split_body,
)
from commitwatch.deliver.mentions import ZWSP, neutralise_mentions, quiet
from commitwatch.errors import GitHubError
from commitwatch.models import ChangeType, Importance, ReportData, Window
from commitwatch.render.markdown import render_markdown
from commitwatch.sources.github import GitHubClient
from commitwatch.storage import Store
from commitwatch.storage.github import GitHubCache
from tests import reportdata as rd
from tests.fakes.github_server import FakeGitHub, Scripted

TOKEN = "ghp_publish_token_0123456789abcdef"
TARGET = "me/reports"
MENTION = re.compile(r"(?<![A-Za-z0-9_])@[A-Za-z0-9]")  # what GitHub would turn into a notifying mention


def report(day: date = rd.DAY, *, subject: str = "fix: thanks @someone and @org/team for #12 (#77)",
           body: str = "") -> ReportData:
    c = rd.commit(f"c-{day}", subject, f"{day.isoformat()}T09:00:00+08:00", author="Ada @lovelace", body=body)
    start = datetime(day.year, day.month, day.day, tzinfo=timezone(timedelta(hours=8)))
    return ReportData(
        repo=rd.DYNAMO, branch="main", window=Window(start, start + timedelta(days=1), "Asia/Shanghai", day),
        language="en", analyzer_kind="rules", model=None,
        entries=[rd.entry(c, ChangeType.FIX, Importance.MEDIUM)], generated_at=rd.GENERATED_AT,
    )


def item(r: ReportData) -> Publication:
    return Publication(r, {"md": render_markdown(r)})


@pytest.fixture
def gh() -> FakeGitHub:
    with FakeGitHub(token=TOKEN) as server:
        server.add_repo(TARGET)
        yield server


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store.open(tmp_path / "cw.db") as s:
        yield s


def client(gh: FakeGitHub, store: Store, token: str | None = TOKEN) -> GitHubClient:
    cfg = GitHubSettings(api_url=gh.api_url)
    return GitHubClient(cfg, token, cache=GitHubCache(store, cfg.api_url), sleep=lambda _s: None)


def test_same_day_twice_creates_then_updates_one_file_and_the_index(gh: FakeGitHub, store: Store) -> None:
    settings = PublishSettings(github_repo=TARGET)
    first = publish(settings, client(gh, store), store, [item(report())])
    assert first.ok, first.failures
    path = "reports/2026/ai-dynamo-dynamo/2026-02-07.md"
    assert [(c["path"], c["created"]) for c in gh.commits] == [(path, True), ("reports/README.md", True)]
    assert gh.commits[0]["message"] == "Report: ai-dynamo/dynamo - 2026-02-07"
    text = gh.file(TARGET, path)
    assert text is not None and "someone" in text and not MENTION.search(text)
    assert "#12" in text and "[#77](https://github.com/ai-dynamo/dynamo/pull/77)" in text

    # the same bytes again: nothing is sent at all
    sent = len(gh.requests)
    again = publish(settings, client(gh, store), store, [item(report())])
    assert again.ok and [d.action for d in again.done] == ["unchanged"] and len(gh.requests) == sent

    # a changed report of the same day: one update of the same file, with the blob sha GitHub gave
    changed = dataclasses.replace(report(), generated_at=rd.GENERATED_AT + timedelta(hours=1))
    third = publish(settings, client(gh, store), store, [item(changed)])
    assert third.ok and third.done[0].action == "updated"
    assert [(c["path"], c["created"]) for c in gh.commits][2:] == [(path, False)]  # the index did not change
    assert len([p for (_r, _b, p) in gh.files if p.endswith(".md")]) == 2
    assert [d.status for d in store.deliveries(_key(changed))] == ["ok", "ok"]  # created, updated


def test_index_lists_every_published_report_newest_first(gh: FakeGitHub, store: Store) -> None:
    settings = PublishSettings(github_repo=TARGET)
    for day in (date(2026, 2, 6), date(2026, 2, 7)):
        assert publish(settings, client(gh, store), store, [item(report(day))]).ok
    index = gh.file(TARGET, "reports/README.md")
    assert index is not None
    assert index.index("(2026/ai-dynamo-dynamo/2026-02-07.md)") < index.index("(2026/ai-dynamo-dynamo/2026-02-06.md)")
    assert set(parse_index(index)) == {"reports/2026/ai-dynamo-dynamo/2026-02-06.md",
                                       "reports/2026/ai-dynamo-dynamo/2026-02-07.md"}


def test_index_escapes_names_and_survives_foreign_text() -> None:
    entries = [{"repo": "evil](http://x) <b>@team", "date": "2026-02-07", "path": "reports/a b.md"}]
    text = render_index(entries, "reports/README.md")
    heading = text.split("\n## ")[1].split("\n")[0]
    assert heading.startswith("evil\\](http://x) \\<b\\>")  # no link, no HTML: escaped
    assert not MENTION.search(text)
    assert parse_index(text) == {"reports/a b.md": entries[0]}
    assert parse_index("# someone's own README\n") == {}


def test_issue_mode_creates_then_edits_one_issue_with_no_mentions(gh: FakeGitHub, store: Store) -> None:
    settings = PublishSettings(github_repo=TARGET, issue=True)
    assert publish(settings, client(gh, store), store, [item(report())]).ok
    issues = gh.issues[TARGET]
    assert len(issues) == 1
    issue = issues[1]
    assert issue.title == "Report: ai-dynamo/dynamo - 2026-02-07" and issue.labels == ["commitwatch"]
    assert not MENTION.search(issue.body) and "someone" in issue.body
    # links to upstream pull requests would add "mentioned this" to their timelines: redirected
    assert "https://redirect.github.com/ai-dynamo/dynamo/pull/77" in issue.body
    assert "https://github.com/ai-dynamo/dynamo/pull/" not in issue.body

    changed = dataclasses.replace(report(), generated_at=rd.GENERATED_AT + timedelta(hours=1))
    out = publish(settings, client(gh, store), store, [item(changed)])
    assert out.ok and out.done[0].action == "updated" and len(gh.issues[TARGET]) == 1

    # a fresh store (another machine): the issue is found by its title, not duplicated
    other = Store.open(store.path.parent / "other.db")
    with other:
        out = publish(settings, client(gh, other), other, [item(dataclasses.replace(changed, warnings=["x"]))])
    assert out.ok and out.done[0].action == "updated" and len(gh.issues[TARGET]) == 1


def test_long_issue_bodies_are_split_into_marked_comments_edited_in_place(gh: FakeGitHub, store: Store) -> None:
    settings = PublishSettings(github_repo=TARGET, issue=True)
    long = report(body="\n".join(f"line {i} " + "x" * 200 for i in range(900)))
    long_text = render_markdown(long) + ("\n" + "y" * 150 + "\n") * 1200
    assert len(long_text) > 2 * BODY_LIMIT
    assert publish(settings, client(gh, store), store, [Publication(long, {"md": long_text})]).ok
    issue = gh.issues[TARGET][1]
    parts = [issue.body] + [gh.comments[c][2] for c in issue.comments]
    assert len(parts) >= 3 and all(len(p) <= BODY_LIMIT for p in parts)
    assert parts[0].startswith("<!-- commitwatch: part 1 of")
    # someone comments on the report; a shorter report then drops our extra parts, not theirs
    gh.comments[5000] = (TARGET, 1, "I have a question @maintainer")
    issue.comments.append(5000)
    short = dataclasses.replace(long, generated_at=rd.GENERATED_AT + timedelta(hours=2))
    assert publish(settings, client(gh, store), store, [item(short)]).ok
    assert issue.comments == [5000] and "part 1 of" not in issue.body


def test_close_previous_closes_the_earlier_days_issue(gh: FakeGitHub, store: Store) -> None:
    settings = PublishSettings(github_repo=TARGET, issue=True, close_previous=True)
    assert publish(settings, client(gh, store), store, [item(report(date(2026, 2, 6)))]).ok
    assert publish(settings, client(gh, store), store, [item(report(date(2026, 2, 7)))]).ok
    states = {i.title[-10:]: i.state for i in gh.issues[TARGET].values()}
    assert states == {"2026-02-06": "closed", "2026-02-07": "open"}


def test_a_failed_publish_is_recorded_and_retried_by_the_next_run(gh: FakeGitHub, store: Store) -> None:
    settings = PublishSettings(github_repo=TARGET)
    r = report()
    repo_id = store.repo_id(r.repo)
    run_id = store.start_run(repo_id, r.branch, r.window, "{}")
    store.save_report(run_id, r)
    gh.script(Scripted.error(500, "boom"), Scripted.error(500, "boom"), Scripted.error(500, "boom"))
    out = publish(settings, client(gh, store), store, [item(r)])
    assert not out.ok and "ai-dynamo/dynamo 2026-02-07" in out.failures[0]
    assert [d.status for d in store.deliveries(_key(r))] == ["failed"]
    assert gh.commits == []

    retried = retry_failed(settings, client(gh, store), store, lambda rep, _fmt: render_markdown(rep))
    assert retried.ok and [c["created"] for c in gh.commits] == [True, True]
    assert store.failed_report_keys("github:") == []


def test_bad_token_and_missing_repository_fail_clearly(gh: FakeGitHub, store: Store) -> None:
    out = publish(PublishSettings(github_repo=TARGET), client(gh, store, token="nope"), store, [item(report())])
    assert "401" in out.failures[0] and "$GITHUB_TOKEN" in out.failures[0]
    out = publish(PublishSettings(github_repo="me/absent"), client(gh, store), store, [item(report())])
    assert "404" in out.failures[0]


def test_path_template_placeholders_and_escapes() -> None:
    r = report()
    assert published_path(PublishSettings(path_template="{repo}/{date}.{ext}"), r, "json") == \
        "ai-dynamo/dynamo/2026-02-07.json"
    assert published_path(PublishSettings(), r, "json") == "reports/2026/ai-dynamo-dynamo/2026-02-07.json"
    for bad in ("../{date}.md", "/abs/{date}.md", "{nope}.md", "a//{date}.md"):
        with pytest.raises(GitHubError):
            published_path(PublishSettings(path_template=bad), r, "md")


@given(st.text(alphabet=st.sampled_from(list("@ab_-/.#1 \n`")), max_size=40))
def test_no_mention_survives_neutralising(text: str) -> None:
    out = neutralise_mentions(text)
    assert not MENTION.search(out)
    assert out.replace(ZWSP, "") == text


def test_emails_and_references_are_kept() -> None:
    assert neutralise_mentions("ada@example.com fixes #123") == "ada@example.com fixes #123"
    assert quiet("see https://github.com/o/r/pull/5 and https://github.com/o/r/commit/abc") == \
        "see https://redirect.github.com/o/r/pull/5 and https://github.com/o/r/commit/abc"


@given(st.text(max_size=3000), st.integers(min_value=200, max_value=1000))
def test_split_body_respects_the_limit_and_keeps_the_text(text: str, limit: int) -> None:
    parts = split_body(text, limit)
    assert all(len(p) <= limit for p in parts)
    if len(parts) == 1:
        assert parts == [text]
    else:
        joined = "".join(re.sub(r"^<!-- commitwatch: part \d+ of \d+ -->\n\n", "", p) for p in parts)
        assert joined == text


def _key(r: ReportData) -> str:
    from commitwatch.storage import report_key

    return report_key(r)
