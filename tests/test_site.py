"""`commitwatch site`: a static site over the store, stable and fast to rebuild."""

from __future__ import annotations

import os
import random
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from commitwatch.models import RepoRef
from commitwatch.render.html import render_html
from commitwatch.site import MANIFEST, build_site
from commitwatch.storage import Store
from tests.cli import run_cli
from tests.htmlcheck import HOSTILE, parse
from tests.sitedata import FIRST_DAY, day_report, fill_store, repos


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "store.db") as s:
        yield s


def snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    return {p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.read_bytes()) for p in root.rglob("*")
            if p.is_file()}


def hrefs(page: Path) -> list[str]:
    return [v for tag, name, v in parse(page.read_text(encoding="utf-8")).attrs if name == "href"]


def test_index_repo_pages_reports_and_feeds(store: Store, tmp_path: Path) -> None:
    saved = fill_store(store, days=40, repos_count=3)
    out = tmp_path / "site"
    result = build_site(store, out, language="zh-CN")
    assert result.reports == len(saved) and result.rendered == len(saved)
    # every report page, byte for byte what `report --format html` writes
    for report in saved:
        page = out / f"{report.window.day.year}" / report.repo.slug / f"{report.window.day}.html"  # type: ignore[union-attr]
        assert page.read_text(encoding="utf-8") == render_html(report)
    index = (out / "index.html").read_text(encoding="utf-8")
    days = {r.window.day for r in saved}
    assert len(re.findall(r'<td class="t">\d{4}-\d{2}-\d{2}</td>', index)) == len(days)
    assert index.index(str(max(days))) < index.index(str(min(days)))  # newest day first
    for ref in repos(3):
        folder = out / "repos" / ref.slug
        repo_page = (folder / "index.html").read_text(encoding="utf-8")
        assert "最近 30 天" in repo_page and "最近 90 天" in repo_page and "LLM 回退" in repo_page
        assert repo_page.count("<svg") == 3  # two trends and the change types
        mine = [r for r in saved if r.repo.slug == ref.slug]
        assert repo_page.count('<tr><td class="t"><a href="../../') == len(mine)  # every report listed
        assert (folder / "feed.xml").is_file()
    assert (out / "feed.xml").is_file()


def test_every_link_resolves(store: Store, tmp_path: Path) -> None:
    fill_store(store, days=12, repos_count=3, language="en")
    out = tmp_path / "site"
    build_site(store, out, language="en")
    pages = [out / "index.html", *sorted((out / "repos").glob("*/index.html"))]
    checked = 0
    for page in pages:
        for href in hrefs(page):
            if href.startswith("https://"):
                continue
            target = (page.parent / href).resolve()
            assert target.is_file(), f"{page.relative_to(out)} links to a missing {href}"
            checked += 1
    assert checked > 12 * 3 * 2


def test_trend_counts_match_the_reports(store: Store, tmp_path: Path) -> None:
    saved = fill_store(store, days=95, repos_count=1, language="en")
    out = tmp_path / "site"
    build_site(store, out, language="en")
    page = (out / "repos" / repos(1)[0].slug / "index.html").read_text(encoding="utf-8")
    last = max(r.window.day for r in saved)  # type: ignore[type-var]
    for days in (30, 90):
        recent = [r for r in saved if (last - r.window.day).days < days]  # type: ignore[operator]
        commits = sum(r.stats.total for r in recent)
        fallbacks = sum(1 for r in recent for e in r.entries if e.analyzer == "rules-fallback")
        assert f"{commits} commits, {fallbacks} LLM fallbacks" in page
        assert f"last {days} days" in page
    newest = max(saved, key=lambda r: r.window.day)  # type: ignore[arg-type, return-value]
    s = newest.stats
    assert (f"{newest.window.day}: {s.total} commits (high {s.high}, medium {s.medium}, low {s.low})") in page


def test_rebuild_with_nothing_new_writes_nothing_and_decodes_nothing(store: Store, tmp_path: Path) -> None:
    fill_store(store, days=20, repos_count=2)
    out = tmp_path / "site"
    build_site(store, out, language="zh-CN")
    before = snapshot(out)
    again = build_site(store, out, language="zh-CN")
    assert again.written == [] and again.rendered == 0
    assert snapshot(out) == before  # no file touched, not even its mtime


def test_a_new_report_rewrites_only_what_shows_it(store: Store, tmp_path: Path) -> None:
    fill_store(store, days=10, repos_count=2)
    out = tmp_path / "site"
    build_site(store, out, language="zh-CN")
    ref = repos(2)[1]
    new_day = date(2030, 1, 1)
    store.save_report(None, day_report(ref, new_day, random.Random(1)))
    result = build_site(store, out, language="zh-CN")
    written = sorted(p.relative_to(out).as_posix() for p in result.written)
    assert written == sorted([
        f"2030/{ref.slug}/2030-01-01.html", "index.html", f"repos/{ref.slug}/index.html",
        f"repos/{ref.slug}/feed.xml", "feed.xml", MANIFEST,
    ])
    assert result.rendered == 1


def test_a_replaced_report_and_a_deleted_page_are_rebuilt(store: Store, tmp_path: Path) -> None:
    fill_store(store, days=5, repos_count=1)
    out = tmp_path / "site"
    build_site(store, out, language="zh-CN")
    ref = repos(1)[0]
    day = FIRST_DAY
    page = out / f"{day.year}" / ref.slug / f"{day}.html"
    page.unlink()
    assert page in build_site(store, out, language="zh-CN").written
    replaced = day_report(ref, day, random.Random(99))
    store.save_report(None, replaced)
    result = build_site(store, out, language="zh-CN")
    assert page in result.written and page.read_text(encoding="utf-8") == render_html(replaced)


def test_a_broken_manifest_only_costs_time(store: Store, tmp_path: Path) -> None:
    fill_store(store, days=5, repos_count=2)
    out = tmp_path / "site"
    build_site(store, out, language="zh-CN")
    (out / MANIFEST).write_text("{not json", encoding="utf-8")
    before = snapshot(out)
    result = build_site(store, out, language="zh-CN")
    assert [p.relative_to(out).as_posix() for p in result.written] == [MANIFEST]
    assert result.rendered == 10
    assert {k: v for k, v in snapshot(out).items() if k != MANIFEST} == {
        k: v for k, v in before.items() if k != MANIFEST
    }


def test_output_does_not_depend_on_when_or_where_it_is_built(store: Store, tmp_path: Path) -> None:
    fill_store(store, days=6, repos_count=3, language="en")
    build_site(store, tmp_path / "a", language="en")
    build_site(store, tmp_path / "b", language="en")
    a = {k: v[1] for k, v in snapshot(tmp_path / "a").items()}
    b = {k: v[1] for k, v in snapshot(tmp_path / "b").items()}
    assert a == b


def test_languages_are_separate_sites(store: Store, tmp_path: Path) -> None:
    fill_store(store, days=3, repos_count=1, language="en")
    out = tmp_path / "site"
    assert build_site(store, out, language="zh-CN").reports == 0
    assert "还没有按天的报告" in (out / "index.html").read_text(encoding="utf-8")
    assert build_site(store, tmp_path / "en", language="en").reports == 3


def test_same_slug_repositories_get_their_own_pages(store: Store, tmp_path: Path) -> None:
    rng = random.Random(3)
    for path in ("/a/engine", "/b/engine"):
        ref = RepoRef(spec=path, kind="local", name="engine", slug="engine", path=path)
        store.save_report(None, day_report(ref, FIRST_DAY, rng, language="en"))
    build_site(store, tmp_path / "site", language="en")
    folders = sorted(p.name for p in (tmp_path / "site" / "repos").iterdir())
    assert len(folders) == 2 and all(f.startswith("engine-") for f in folders)


def test_hostile_names_stay_text(store: Store, tmp_path: Path) -> None:
    rng = random.Random(5)
    for i, text in enumerate(HOSTILE[:6]):
        ref = RepoRef(spec=f"/x/{i}", kind="local", name=text, slug=f"evil{i}", path=f"/x/{i}")
        report = day_report(ref, FIRST_DAY, rng, language="en")
        report.branch = text
        store.save_report(None, report)
    out = tmp_path / "site"
    build_site(store, out, language="en")
    for page in [out / "index.html", *(out / "repos").glob("*/index.html")]:
        doc = parse(page.read_text(encoding="utf-8"))
        assert doc.dangers(site=True) == [] and doc.scripts == []
        assert doc.tags.count("link") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in (out / "index.html").read_text(encoding="utf-8")


def test_base_url_makes_links_absolute(store: Store, tmp_path: Path) -> None:
    fill_store(store, days=2, repos_count=1, language="en")
    out = tmp_path / "site"
    build_site(store, out, language="en", base_url="https://me.example/reports/")
    links = hrefs(out / "index.html")
    assert links and all(h.startswith("https://me.example/reports/") for h in links)


def test_cli(store: Store, tmp_path: Path) -> None:
    fill_store(store, days=3, repos_count=2)
    db = str(tmp_path / "store.db")
    first = run_cli("site", "--db", db, "--output-dir", str(tmp_path / "site"), "--lang", "zh-CN")
    assert "site: 6 reports" in first.stderr and "wrote" in first.stderr
    second = run_cli("site", "--db", db, "--output-dir", str(tmp_path / "site"), "--lang", "zh-CN")
    assert "0 files written" in second.stderr
    bad = run_cli("site", "--db", db, "--base-url", "javascript:alert(1)", expect=2)
    assert "--base-url" in bad.stderr
    assert os.path.isfile(tmp_path / "site" / "index.html")
