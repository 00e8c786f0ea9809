"""Atom feeds: one per repository and feed.xml for all, one entry per report, valid, with stable ids."""

from __future__ import annotations

import random
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import feedparser
import pytest

from commitwatch.demo import build_demo_repo
from commitwatch.models import RepoRef
from commitwatch.render.atom import feed_entry, render_feed, stable_id
from commitwatch.site import build_site
from commitwatch.storage import Store
from tests.cli import run_cli
from tests.htmlcheck import HOSTILE, parse
from tests.reportdata import llm_report, translator
from tests.sitedata import FIRST_DAY, day_report, fill_store, repos

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as s:
        yield s


def read(path: Path) -> feedparser.FeedParserDict:
    feed = feedparser.parse(path.read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_one_feed_per_repository_and_one_for_all(store: Store, tmp_path: Path) -> None:
    saved = fill_store(store, days=15, repos_count=3, language="en")
    out = tmp_path / "site"
    build_site(store, out, language="en")
    everything = read(out / "feed.xml")
    assert len(everything.entries) == len(saved)
    assert len({e.id for e in everything.entries}) == len(saved)
    for ref in repos(3):
        path = out / "repos" / ref.slug / "feed.xml"
        feed = read(path)
        mine = [r for r in saved if r.repo.slug == ref.slug]
        assert len(feed.entries) == len(mine) and feed.feed.title == f"commitwatch: {ref.name}"
        newest = max(mine, key=lambda r: r.generated_at)
        first = feed.entries[0]  # newest first
        assert first.title == f"{ref.name} · Daily update report ({newest.window.day})"
        assert (path.parent / first.link).resolve() == (out / f"{newest.window.day.year}" / ref.slug  # type: ignore[union-attr]
                                                       / f"{newest.window.day}.html").resolve()
        assert f"{newest.stats.total} commits on this day" in first.summary
        assert first.updated_parsed is not None
        assert {e.id for e in feed.entries} <= {e.id for e in everything.entries}


def test_ids_are_stable_across_rebuilds_and_reruns(store: Store, tmp_path: Path) -> None:
    fill_store(store, days=3, repos_count=1, language="en")
    build_site(store, tmp_path / "a", language="en")
    ids = [e.id for e in read(tmp_path / "a" / "feed.xml").entries]
    ref = repos(1)[0]
    store.save_report(None, day_report(ref, FIRST_DAY, random.Random(42), language="en"))  # a rerun of day 1
    build_site(store, tmp_path / "b", language="en")
    again = [e.id for e in read(tmp_path / "b" / "feed.xml").entries]
    assert sorted(again) == sorted(ids)
    report = llm_report("en")
    assert feed_entry(report, None).id == feed_entry(llm_report("en"), "x").id
    assert feed_entry(report, None).id.startswith("urn:uuid:")
    other = llm_report("en")
    other.branch = "release"
    assert feed_entry(other, None).id != feed_entry(report, None).id


def test_hostile_text_stays_text(tmp_path: Path) -> None:
    report = llm_report("en")
    report.highlights = [*HOSTILE, "bell \x07 nul \x00 end"]
    report.warnings = list(HOSTILE)
    report.repo = RepoRef(spec="/x", kind="local", name="<script>alert(1)</script>\x1b[31m", slug="x", path="/x")
    xml = render_feed(stable_id("t"), "<b>feed</b> \x0c", [feed_entry(report, "a.html", translator=translator("en"))],
                      self_href="feed.xml")
    ET.fromstring(xml.encode())  # well-formed XML, control characters and all
    path = tmp_path / "feed.xml"
    path.write_text(xml, encoding="utf-8")
    feed = read(path)
    assert feed.feed.title.startswith("<b>feed</b>")  # type="text": shown as typed, never markup
    entry = feed.entries[0]
    assert entry.title.startswith("<script>alert(1)</script>")
    raw = ET.fromstring(xml.encode()).find(f"{ATOM}entry/{ATOM}content")
    assert raw is not None and raw.get("type") == "html"
    assert parse(raw.text or "").dangers() == []  # the HTML a reader would display
    assert set(parse(raw.text or "").tags) <= {"p", "ul", "li"}


def test_format_atom_refreshes_the_feeds_from_report_render_and_week(tmp_path: Path) -> None:
    repo = build_demo_repo(tmp_path / "cache")
    out = tmp_path / "out"
    env = {"COMMITWATCH_DB": str(tmp_path / "store.db")}
    base = ["--repo", str(repo), "--output-dir", str(out), "--no-llm"]
    result = run_cli("report", *base, "--date", "2026-02-07", "--format", "md,atom", env=env)
    assert "feed.xml" in result.stderr and (out / "feed.xml").is_file()
    feed = read(out / "repos" / "dynamo-sample" / "feed.xml")
    assert [e.link for e in feed.entries] == ["../../2026/dynamo-sample/2026-02-07.md"]  # no page: the Markdown
    assert not (out / "2026/dynamo-sample/2026-02-07.atom").exists()
    run_cli("report", *base, "--date", "2026-02-06", "--format", "html,atom", env=env)
    links = sorted(e.link for e in read(out / "feed.xml").entries)
    assert links == ["2026/dynamo-sample/2026-02-06.html", "2026/dynamo-sample/2026-02-07.md"]
    run_cli("render", "--repo", str(repo), "--date", "2026-02-07", "--format", "html,atom", "--output-dir", str(out),
            env=env)
    links = sorted(e.link for e in read(out / "feed.xml").entries)
    assert links == ["2026/dynamo-sample/2026-02-06.html", "2026/dynamo-sample/2026-02-07.html"]
    week = run_cli("report", "--repo", str(repo), "--week", "2026-W06", "--format", "json,atom", "--output-dir",
                   str(out), env=env)
    assert "2026-W06.json" in week.stderr
    assert len(read(out / "feed.xml").entries) == 2  # a digest is not a stored report: no entry of its own


def test_feed_without_reports_is_valid(store: Store, tmp_path: Path) -> None:
    build_site(store, tmp_path / "site", language="en")
    assert read(tmp_path / "site" / "feed.xml").entries == []


def test_feeds_keep_the_newest_reports(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import commitwatch.site as site

    monkeypatch.setattr(site, "FEED_LIMIT", 3)
    saved = fill_store(store, days=10, repos_count=2, language="en")
    site.write_feeds(store, tmp_path, language="en")
    for ref in repos(2):
        feed = read(tmp_path / "repos" / ref.slug / "feed.xml")
        newest = sorted((r for r in saved if r.repo.slug == ref.slug), key=lambda r: r.window.start)[-3:]
        assert [e.title for e in feed.entries] == [f"{ref.name} · Daily update report ({r.window.day})"
                                                   for r in reversed(newest)]
        assert all(not e.get("links") for e in feed.entries), feed.entries[0].get("links")  # no file: no link
    assert len(read(tmp_path / "feed.xml").entries) == 3


def test_run_writes_the_feeds_once_with_every_repository(tmp_path: Path) -> None:
    from tests.gitrepo import GitRepo

    demo = build_demo_repo(tmp_path / "cache")
    other = GitRepo.create(tmp_path / "other")
    other.write("a.py", "x = 1\n")
    other.commit("feat: a (#1)", committed="2026-02-07T09:00:00+08:00")
    config = tmp_path / "cw.toml"
    config.write_text(f'formats = ["html", "atom"]\noutput_dir = "{tmp_path / "out"}"\n'
                      f'[[repos]]\nrepo = "{demo}"\n[[repos]]\nrepo = "{other.path}"\n', encoding="utf-8")
    run_cli("run", "--config", str(config), "--date", "2026-02-07", "--no-llm",
            env={"COMMITWATCH_DB": str(tmp_path / "store.db")})
    feed = read(tmp_path / "out" / "feed.xml")
    assert sorted(e.link for e in feed.entries) == ["2026/dynamo-sample/2026-02-07.html", "2026/other/2026-02-07.html"]
    assert read(tmp_path / "out" / "repos" / "other" / "feed.xml").entries[0].title.startswith("other · ")
