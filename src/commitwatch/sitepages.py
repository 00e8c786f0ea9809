"""The pages of the static site (``site``): the index of days × repositories, and each repository's
page with its trends (commits per day by importance, fallbacks, change types, busiest areas)."""

from __future__ import annotations

import hashlib
import posixpath
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from markupsafe import Markup

from . import i18n
from .render.environment import environment
from .render.escape import normalize
from .render.html import LEVEL_COLOURS, assets, csp_hash

TREND_DAYS = (30, 90)
AREAS_SHOWN = 15
LEVELS = ("high", "medium", "low")
FALLBACK_COLOUR = "#8250df"


def href(base_url: str | None, from_dir: str, target: str) -> str:
    """A link from a page in ``from_dir`` (relative to the output dir) to ``target``: relative, or
    absolute under ``base_url``."""
    if base_url:
        return base_url.rstrip("/") + "/" + target
    return posixpath.relpath(target, from_dir or ".")


@dataclass
class SiteRepo:
    key: str
    name: str
    slug: str  # unique among the site's repositories
    github: str | None
    reports: list[dict[str, Any]] = field(default_factory=list)  # oldest first

    @property
    def folder(self) -> str:
        return f"repos/{self.slug}"


def site_repos(summaries: list[dict[str, Any]]) -> list[SiteRepo]:
    repos: dict[str, SiteRepo] = {}
    for s in summaries:
        repo = repos.get(s["repo_key"])
        if repo is None:
            repo = repos[s["repo_key"]] = SiteRepo(s["repo_key"], s["repo"], s["slug"], s["github"])
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


def _trend(repo: SiteRepo, days: int, tr: i18n.Translator) -> dict[str, Any]:
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


def index_page(repos: list[SiteRepo], language: str, base_url: str | None) -> str:
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
                "href": href(base_url, "", got["path"]), "counts": got["counts"], "fallbacks": got["fallbacks"],
                "label": tr.label("site.cell", total=got["counts"]["total"], high=got["counts"]["high"]),
            })
        rows.append({"day": day, "cells": cells})
    context = _site_context(language)
    context.update(
        title=tr.label("site.title"),
        repos=[{"name": normalize(r.name), "href": href(base_url, "", f"{r.folder}/index.html"),
                "feed": href(base_url, "", f"{r.folder}/feed.xml"), "reports": len(r.reports)} for r in repos],
        rows=rows,
        others=others,
        feed=href(base_url, "", "feed.xml"),
    )
    return environment().get_template("site-index.html.j2").render(**context)


def repo_page(repo: SiteRepo, language: str, base_url: str | None) -> str:
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
        home=href(base_url, here, "index.html"),
        feed=href(base_url, here, f"{here}/feed.xml"),
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
                "href": href(base_url, here, s["path"]),
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
