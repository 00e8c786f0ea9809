"""The static site over the store (``commitwatch site``) and the Atom feeds (``--format atom``).

    build_site(store, Path("reports"), language="zh-CN")    # -> SiteResult(written, unchanged, ...)
    write_feeds(store, Path("reports"), language="zh-CN")   # only the feeds

Layout under the output directory (the report pages sit where ``report --format html`` writes them, and
are the same bytes)::

    index.html                      every day × every repository, newest day first; links to feeds
    feed.xml                        Atom: every report of every repository
    repos/<slug>/index.html         trends (commits per day by importance over 30 and 90 days, fallbacks,
                                    change types, busiest areas) and every report of the repository
    repos/<slug>/feed.xml           Atom: every report of the repository
    <YYYY>/<repo-slug>/<stem>.html  each report

Stable output: nothing depends on the time of the build. Trend windows end at the newest stored day;
feed times are the reports' own. A file is written only when its bytes change, so a rebuild with nothing
new touches no file. It is also fast: ``.commitwatch-site.json`` keeps, per stored report, the summary
the index, the trends and the feeds need and when the snapshot was stored; an unchanged snapshot is not
decoded or rendered again. The manifest carries a fingerprint of the code and templates that render the
pages, so an upgrade rebuilds every page.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from . import __version__, i18n
from .models import ReportData
from .render.atom import FeedEntry, feed_entry, render_feed, stable_id
from .render.escape import normalize
from .render.html import render_html
from .reportfiles import report_paths, report_stem, write_atomic
from .sitepages import SiteRepo, href, index_page, repo_page, site_repos
from .storage import ReportRow, Store

MANIFEST = ".commitwatch-site.json"
MANIFEST_FORMAT = 1
FEED_LIMIT = 200  # newest entries per feed


WRITERS = 32  # files written at once: each is fsynced, and parallel fsyncs share the file system's commits


@dataclass
class SiteResult:
    written: list[Path] = field(default_factory=list)
    unchanged: int = 0
    rendered: int = 0  # report pages rendered (snapshots decoded) in this build
    reports: int = 0
    pending: list[tuple[Path, str]] = field(default_factory=list, repr=False)

    def flush(self) -> None:
        """Write the changed files (atomically, each fsynced), several at a time."""
        from concurrent.futures import ThreadPoolExecutor

        pending, self.pending = self.pending, []
        with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="commitwatch-site") as pool:
            for future in [pool.submit(write_atomic, path, text) for path, text in pending]:
                future.result()
        self.written += [path for path, _text in pending]


# --- summaries: what the index, trends and feeds need of each report --------------------------------------


def _stem(report: ReportData) -> str:
    return report_stem(report.window)


def _page_path(report: ReportData) -> str:
    """The report page's path relative to the output directory, as ``report --format html`` writes it."""
    return report_paths(Path("."), report.repo, report.window, ["html"])[0].as_posix()


def summarize(report: ReportData, tr: i18n.Translator) -> dict[str, Any]:
    """A report reduced to JSON data: identity, counts by importance, type and area, fallbacks, feed text."""
    stats = report.stats
    tz = ZoneInfo(report.window.tz)
    areas: dict[str, list[int]] = {}
    for entry in report.entries:
        for d in entry.triage.top_dirs:
            area = areas.setdefault(d.path or ".", [0, 0])
            area[0] += 1
            area[1] += d.additions + d.deletions
    feed = feed_entry(report, None, translator=tr)
    from .storage import repo_key

    return {
        "repo_key": repo_key(report.repo),
        "repo": report.repo.name,
        "slug": report.repo.slug,
        "github": report.repo.github,
        "branch": report.branch,
        "day": report.window.day.isoformat() if report.window.day else None,
        "start_day": report.window.start.astimezone(tz).date().isoformat(),
        "stem": _stem(report),
        "path": _page_path(report),
        "generated_at": report.generated_at.isoformat(),
        "analyzer": report.analyzer_kind,
        "model": report.model,
        "counts": {"total": stats.total, "high": stats.high, "medium": stats.medium, "low": stats.low},
        "types": dict(sorted(Counter(e.change_type.value for e in report.entries).items())),
        "areas": dict(sorted(areas.items())),
        "fallbacks": sum(1 for e in report.entries if e.analyzer == "rules-fallback"),
        "warnings": len(report.warnings),
        "feed": {"id": feed.id, "title": feed.title, "summary": feed.summary, "content": str(feed.content)},
    }


@lru_cache(maxsize=1)
def fingerprint() -> str:
    """Changes whenever the code or templates that render the site change."""
    digest = hashlib.sha256(__version__.encode())
    package = Path(__file__).parent
    files = [package / "site.py", package / "sitepages.py", *sorted((package / "render").glob("*.py")),
             *sorted((package / "render" / "templates").glob("*.j2")), *sorted((package / "locales").glob("*/*.toml"))]
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _load_manifest(output_dir: Path, language: str) -> dict[str, Any]:
    try:
        data = json.loads((output_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if (
        not isinstance(data, dict)
        or data.get("format") != MANIFEST_FORMAT
        or data.get("fingerprint") != fingerprint()
        or data.get("language") != language
        or not isinstance(data.get("reports"), dict)
    ):
        return {}
    return data["reports"]


# --- writing ------------------------------------------------------------------------------------------


def write_if_changed(path: Path, text: str, result: SiteResult) -> None:
    """Queue ``text`` for ``path`` unless the file already holds exactly it (``result.flush`` writes)."""
    data = text.encode("utf-8")
    try:
        if path.read_bytes() == data:
            result.unchanged += 1
            return
    except OSError:
        pass
    result.pending.append((path, text))


def feed_page(feed_id: str, title: str, summaries: Iterable[dict[str, Any]], feed_dir: str, base_url: str | None,
          language: str, alternate: str) -> str:
    entries = [
        FeedEntry(
            id=s["feed"]["id"],
            title=s["feed"]["title"],
            href=href(base_url, feed_dir, s["path"]) if s.get("page", True) else None,
            updated=datetime.fromisoformat(s["generated_at"]),
            summary=s["feed"]["summary"],
            content=Markup(s["feed"]["content"]),
        )
        for s in summaries
    ]
    entries.sort(key=lambda e: (e.updated, e.id), reverse=True)
    self_href = href(base_url, feed_dir, f"{feed_dir}/feed.xml" if feed_dir else "feed.xml")
    return render_feed(feed_id, title, entries[:FEED_LIMIT], self_href=self_href,
                       alternate_href=href(base_url, feed_dir, alternate), language=language)


# --- the builds -----------------------------------------------------------------------------------------


def _summaries(
    store: Store, output_dir: Path, language: str, *, pages: bool, result: SiteResult,
    rows: list[ReportRow] | None = None,
) -> list[dict[str, Any]]:
    """The summary of every stored report of ``language`` (or of ``rows``), from the manifest when the
    snapshot did not change; with ``pages``, each changed (or missing) report page is rendered and written."""
    tr = i18n.translator(language)
    known = _load_manifest(output_dir, language)
    if rows is None:
        rows = store.report_rows(language=language)
    summaries: dict[str, dict[str, Any]] = {}
    for row in rows:
        key = str(row.id)
        cached = known.get(key)
        if isinstance(cached, dict) and cached.get("created_at") == row.created_at and (
            not pages or (output_dir / cached["summary"]["path"]).is_file()
        ):
            summaries[key] = cached
            continue
        report = store.load_report_by_id(row.id)
        if report is None:
            continue
        summary = summarize(report, tr)
        if pages:
            write_if_changed(output_dir / summary["path"], render_html(report), result)
            result.rendered += 1
        summaries[key] = {"created_at": row.created_at, "summary": summary}
    if pages:  # only a full build records what is on disk, and only once the pages are written
        result.flush()
        manifest = {"format": MANIFEST_FORMAT, "fingerprint": fingerprint(), "language": language,
                    "reports": summaries}
        write_if_changed(output_dir / MANIFEST, json.dumps(manifest, ensure_ascii=False, sort_keys=True, indent=0)
                         + "\n", result)
    result.reports = len(summaries)
    return [summaries[str(row.id)]["summary"] for row in rows if str(row.id) in summaries]


def _write_feeds(repos: list[SiteRepo], output_dir: Path, language: str, base_url: str | None,
                 result: SiteResult) -> None:
    tr = i18n.translator(language)
    everything = [s for repo in repos for s in repo.reports]
    write_if_changed(output_dir / "feed.xml", feed_page(stable_id("feed", "all", language), tr.label("site.feed_all"),
                                                   everything, "", base_url, language, "index.html"), result)
    for repo in repos:
        write_if_changed(
            output_dir / repo.folder / "feed.xml",
            feed_page(stable_id("feed", repo.key, language), tr.label("site.feed_repo", repo=normalize(repo.name)),
                  repo.reports, repo.folder, base_url, language, f"{repo.folder}/index.html"),
            result,
        )


def build_site(store: Store, output_dir: Path, *, language: str, base_url: str | None = None) -> SiteResult:
    """Build (or bring up to date) the whole site under ``output_dir``; returns what was written."""
    result = SiteResult()
    summaries = _summaries(store, output_dir, language, pages=True, result=result)
    repos = site_repos(summaries)
    write_if_changed(output_dir / "index.html", index_page(repos, language, base_url), result)
    for repo in repos:
        write_if_changed(output_dir / repo.folder / "index.html", repo_page(repo, language, base_url), result)
    _write_feeds(repos, output_dir, language, base_url, result)
    result.flush()
    return result


def write_feeds(store: Store, output_dir: Path, *, language: str, base_url: str | None = None) -> list[Path]:
    """Only the Atom feeds (``--format atom``): ``feed.xml`` and ``repos/<slug>/feed.xml`` over every stored
    report of ``language``. An entry links to the report's page when it exists on disk, else to its
    Markdown or JSON file, else to nothing."""
    result = SiteResult()
    newest: dict[int, list[ReportRow]] = {}
    for row in store.report_rows(language=language):  # oldest first: keep each repository's newest
        newest.setdefault(row.repo_id, []).append(row)
    rows = sorted((r for mine in newest.values() for r in mine[-FEED_LIMIT:]), key=lambda r: r.id)
    summaries = _summaries(store, output_dir, language, pages=False, result=result, rows=rows)
    for s in summaries:
        page = output_dir / s["path"]
        for ext in ("html", "md", "json"):
            candidate = page.with_suffix(f".{ext}")
            if candidate.is_file():
                s["path"] = candidate.relative_to(output_dir).as_posix()
                break
        else:
            s["page"] = False
    _write_feeds(site_repos(summaries), output_dir, language, base_url, result)
    result.flush()
    return result.written


__all__ = ["MANIFEST", "SiteResult", "build_site", "summarize", "write_feeds", "write_if_changed"]
