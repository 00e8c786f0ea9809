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
import posixpath
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup

from . import __version__, i18n
from .models import ReportData
from .render.atom import FeedEntry, feed_entry, render_feed, stable_id
from .render.environment import environment
from .render.escape import normalize
from .render.html import LEVEL_COLOURS, assets, csp_hash, render_html
from .reportfiles import report_paths, report_stem, write_atomic
from .storage import ReportRow, Store

MANIFEST = ".commitwatch-site.json"
MANIFEST_FORMAT = 1
FEED_LIMIT = 200  # newest entries per feed
TREND_DAYS = (30, 90)
AREAS_SHOWN = 15
LEVELS = ("high", "medium", "low")
FALLBACK_COLOUR = "#8250df"


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
    files = [package / "site.py", *sorted((package / "render").glob("*.py")),
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


def _href(base_url: str | None, from_dir: str, target: str) -> str:
    """A link from a page in ``from_dir`` (relative to the output dir) to ``target``: relative, or
    absolute under ``base_url``."""
    if base_url:
        return base_url.rstrip("/") + "/" + target
    return posixpath.relpath(target, from_dir or ".")


# --- the pieces of the site -----------------------------------------------------------------------------


@dataclass
class _Repo:
    key: str
    name: str
    slug: str  # unique among the site's repositories
    github: str | None
    reports: list[dict[str, Any]] = field(default_factory=list)  # oldest first

    @property
    def folder(self) -> str:
        return f"repos/{self.slug}"


def _repos(summaries: list[dict[str, Any]]) -> list[_Repo]:
    repos: dict[str, _Repo] = {}
    for s in summaries:
        repo = repos.get(s["repo_key"])
        if repo is None:
            repo = repos[s["repo_key"]] = _Repo(s["repo_key"], s["repo"], s["slug"], s["github"])
        repo.name, repo.github = s["repo"], s["github"]  # the newest snapshot names it
        repo.reports.append(s)
    ordered = sorted(repos.values(), key=lambda r: (r.name.lower(), r.key))
    taken: Counter[str] = Counter(r.slug for r in ordered)
    seen: set[str] = set()
    for repo in ordered:
        if taken[repo.slug] > 1 or repo.slug in seen:
            repo.slug = f"{repo.slug}-{hashlib.sha256(repo.key.encode()).hexdigest()[:8]}"
        seen.add(repo.slug)
    return ordered


def _trend(repo: _Repo, days: int, tr: i18n.Translator) -> dict[str, Any]:
    """Commits per day by importance (stacked bars) and fallbacks per day, over ``days`` days ending at
    the repository's newest reported day."""
    daily = [s for s in repo.reports if s["day"]]
    if not daily:
        return {"days": days, "bars": [], "max": 0, "first": "", "last": "", "fallbacks": 0, "width": 0}
    last = max(date.fromisoformat(s["day"]) for s in daily)
    first = last - timedelta(days=days - 1)
    by_day: dict[date, dict[str, int]] = {}
    for s in daily:
        day = date.fromisoformat(s["day"])
        if first <= day <= last:
            counts = by_day.setdefault(day, {"high": 0, "medium": 0, "low": 0, "fallbacks": 0})
            for level in LEVELS:
                counts[level] += s["counts"][level]
            counts["fallbacks"] += s["fallbacks"]
    peak = max((sum(c[lvl] for lvl in LEVELS) for c in by_day.values()), default=0) or 1
    height, width = 120.0, 600.0
    step = width / days
    bars = []
    for i in range(days):
        day = first + timedelta(days=i)
        found = by_day.get(day)
        if found is None:
            continue
        counts = found
        y = height
        segments = []
        for level in reversed(LEVELS):  # low at the bottom, high on top
            h = round(height * counts[level] / peak, 1)
            if h:
                y = round(y - h, 1)
                segments.append({"y": y, "h": h, "colour": LEVEL_COLOURS[level]})
        total = sum(counts[lvl] for lvl in LEVELS)
        tip = tr.label("site.day_tip", day=day.isoformat(), total=total, high=counts["high"],
                       medium=counts["medium"], low=counts["low"], fallbacks=counts["fallbacks"])
        bars.append({"x": round(i * step, 1), "w": round(max(step - 1, 1), 1), "segments": segments, "tip": tip,
                     "fallback_h": round(40 * counts["fallbacks"] / peak, 1) if counts["fallbacks"] else 0})
    return {
        "days": days,
        "bars": bars,
        "max": peak,
        "first": first.isoformat(),
        "last": last.isoformat(),
        "fallbacks": sum(c["fallbacks"] for c in by_day.values()),
        "commits": sum(sum(c[lvl] for lvl in LEVELS) for c in by_day.values()),
        "width": width,
    }


def _site_context(language: str) -> dict[str, Any]:
    style, _script = assets()
    tr = i18n.translator(language)
    return {"lang": language, "t": tr.label, "tp": tr.plural, "style": Markup(style),
            "style_hash": csp_hash(style)}


def _index_page(repos: list[_Repo], language: str, base_url: str | None) -> str:
    tr = i18n.translator(language)
    days: dict[str, dict[str, dict[str, Any]]] = {}
    others = 0
    for repo in repos:
        for s in repo.reports:
            if s["day"]:
                days.setdefault(s["day"], {})[repo.key] = s
            else:
                others += 1
    rows = []
    for day in sorted(days, reverse=True):
        cells: list[dict[str, Any] | None] = []
        for repo in repos:
            got = days[day].get(repo.key)
            cells.append(None if got is None else {
                "href": _href(base_url, "", got["path"]), "counts": got["counts"], "fallbacks": got["fallbacks"],
                "label": tr.label("site.cell", total=got["counts"]["total"], high=got["counts"]["high"]),
            })
        rows.append({"day": day, "cells": cells})
    context = _site_context(language)
    context.update(
        title=tr.label("site.title"),
        repos=[{"name": normalize(r.name), "href": _href(base_url, "", f"{r.folder}/index.html"),
                "feed": _href(base_url, "", f"{r.folder}/feed.xml"), "reports": len(r.reports)} for r in repos],
        rows=rows,
        others=others,
        feed=_href(base_url, "", "feed.xml"),
    )
    return environment().get_template("site-index.html.j2").render(**context)


def _repo_page(repo: _Repo, language: str, base_url: str | None) -> str:
    tr = i18n.translator(language)
    here = repo.folder
    recent = [s for s in repo.reports if s["day"]]
    span = TREND_DAYS[-1]
    if recent:
        last = max(date.fromisoformat(s["day"]) for s in recent)
        recent = [s for s in recent if date.fromisoformat(s["day"]) > last - timedelta(days=span)]
    types: Counter[str] = Counter()
    areas: dict[str, list[int]] = {}
    for s in recent:
        types.update(s["types"])
        for area, (commits, lines) in s["areas"].items():
            agg = areas.setdefault(area, [0, 0])
            agg[0] += commits
            agg[1] += lines
    top_types = sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))
    longest = max((n for _t, n in top_types), default=1)
    top_areas = sorted(areas.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0]))[:AREAS_SHOWN]
    context = _site_context(language)
    context.update(
        title=normalize(repo.name),
        repo_url=f"https://github.com/{repo.github}" if repo.github else None,
        home=_href(base_url, here, "index.html"),
        feed=_href(base_url, here, f"{here}/feed.xml"),
        trends=[_trend(repo, days, tr) for days in TREND_DAYS],
        colours=LEVEL_COLOURS,
        fallback_colour=FALLBACK_COLOUR,
        types=[{"label": tr.label(f"change_type.{t}"), "count": n, "width": round(100 * n / longest, 1)}
               for t, n in top_types],
        areas=[{"area": tr.label("rules.root") if a in ("", ".") else normalize(a), "commits": c, "lines": n}
               for a, (c, n) in top_areas],
        span=span,
        reports=[
            {
                "href": _href(base_url, here, s["path"]),
                "name": s["stem"],
                "branch": normalize(s["branch"]),
                "counts": s["counts"],
                "fallbacks": s["fallbacks"],
                "analyzer": tr.label("site.analyzer_llm", model=s["model"] or "") if s["analyzer"] == "llm"
                else tr.label("analyzer.rules"),
            }
            for s in reversed(repo.reports)
        ],
        branches=len({s["branch"] for s in repo.reports}),
    )
    return environment().get_template("site-repo.html.j2").render(**context)


def _feed(feed_id: str, title: str, summaries: Iterable[dict[str, Any]], feed_dir: str, base_url: str | None,
          language: str, alternate: str) -> str:
    entries = [
        FeedEntry(
            id=s["feed"]["id"],
            title=s["feed"]["title"],
            href=_href(base_url, feed_dir, s["path"]) if s.get("page", True) else None,
            updated=datetime.fromisoformat(s["generated_at"]),
            summary=s["feed"]["summary"],
            content=Markup(s["feed"]["content"]),
        )
        for s in summaries
    ]
    entries.sort(key=lambda e: (e.updated, e.id), reverse=True)
    self_href = _href(base_url, feed_dir, f"{feed_dir}/feed.xml" if feed_dir else "feed.xml")
    return render_feed(feed_id, title, entries[:FEED_LIMIT], self_href=self_href,
                       alternate_href=_href(base_url, feed_dir, alternate), language=language)


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


def _write_feeds(repos: list[_Repo], output_dir: Path, language: str, base_url: str | None,
                 result: SiteResult) -> None:
    tr = i18n.translator(language)
    everything = [s for repo in repos for s in repo.reports]
    write_if_changed(output_dir / "feed.xml", _feed(stable_id("feed", "all", language), tr.label("site.feed_all"),
                                                   everything, "", base_url, language, "index.html"), result)
    for repo in repos:
        write_if_changed(
            output_dir / repo.folder / "feed.xml",
            _feed(stable_id("feed", repo.key, language), tr.label("site.feed_repo", repo=normalize(repo.name)),
                  repo.reports, repo.folder, base_url, language, f"{repo.folder}/index.html"),
            result,
        )


def build_site(store: Store, output_dir: Path, *, language: str, base_url: str | None = None) -> SiteResult:
    """Build (or bring up to date) the whole site under ``output_dir``; returns what was written."""
    result = SiteResult()
    summaries = _summaries(store, output_dir, language, pages=True, result=result)
    repos = _repos(summaries)
    write_if_changed(output_dir / "index.html", _index_page(repos, language, base_url), result)
    for repo in repos:
        write_if_changed(output_dir / repo.folder / "index.html", _repo_page(repo, language, base_url), result)
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
    _write_feeds(_repos(summaries), output_dir, language, base_url, result)
    result.flush()
    return result.written


__all__ = ["MANIFEST", "SiteResult", "build_site", "summarize", "write_feeds", "write_if_changed"]
