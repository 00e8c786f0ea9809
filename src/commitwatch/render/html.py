"""The HTML report: one self-contained page per report (``--format html``).

    page = render_html(report)                    # labels from locales/<report.language>/

The page fetches nothing: CSS, the SVG charts and a small script are inline, and a Content Security
Policy (``default-src 'none'`` plus the hashes of exactly that style and script) forbids every other
request and every other script. Everything is readable without the script: it only adds the filters
(importance, type, area, author), which stay hidden when scripts do not run.

Layout: header (repository, day or range, time zone, branch, analyzer, warnings) → highlights →
stats (counts, a bar chart by importance and one by change type, the busiest areas) → filters →
commits grouped high → medium → low, one card each (subject, SHA + commit link, PR link, type,
importance, time, author, +/−, analyzer) with the analysis sections as ``<details>``.

Escaping: the template is autoescaped and never marks data safe. Commit text (subjects, names, paths,
messages) is plain text. Model text (analysis fields, highlights) may carry inline Markdown: it is
rendered by ``markdown-it`` with raw HTML and images off, then cleaned by ``nh3`` with an allow-list of
inline tags and ``http``/``https`` links only (``markup()``). The script holds no data: it reads the
cards' ``data-*`` attributes, which carry only option numbers and fixed words, so no commit text can end
it. Colours follow ``prefers-color-scheme``; the font stack covers CJK.
"""

from __future__ import annotations

import base64
import hashlib
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from markupsafe import Markup

from commitwatch import i18n
from commitwatch.i18n import Translator
from commitwatch.models import ChangeType, Importance, ReportData
from commitwatch.render import offline
from commitwatch.render.environment import environment
from commitwatch.render.escape import normalize
from commitwatch.render.html_cards import ALLOWED_SCHEMES, ALLOWED_TAGS, CardView, markup

AREAS_SHOWN = 10  # busiest areas listed in the stats
LEVEL_COLOURS = {"high": "#d1242f", "medium": "#bf8700", "low": "#1a7f37"}


# --- view model -----------------------------------------------------------------------------------------


@dataclass
class Bar:
    label: str
    count: int
    width: float  # share of the longest bar, 0..100
    colour: str


@dataclass
class Option:
    value: str
    label: str


def _bars(counts: list[tuple[str, int, str]]) -> list[Bar]:
    longest = max((count for _label, count, _colour in counts), default=0) or 1
    return [Bar(label, count, round(100 * count / longest, 1), colour) for label, count, colour in counts]


def csp_hash(text: str) -> str:
    """The CSP source expression that allows exactly this inline style or script."""
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


class _View(CardView):
    def title(self) -> str:
        window = self.report.window
        if window.day is not None:
            return self.label("report.title_day", date=window.day.isoformat())
        fmt = "%Y-%m-%d %H:%M"
        return self.label(
            "report.title_range",
            start=window.start.astimezone(self.tz).strftime(fmt),
            end=window.end.astimezone(self.tz).strftime(fmt),
        )

    def analyzer(self) -> str:
        report = self.report
        if report.analyzer_kind == "llm":
            if report.model:
                return self.label("report.analyzer_llm", model=report.model)
            return self.label("report.analyzer_llm_unnamed")
        return self.label("report.analyzer_rules")

    def busiest(self) -> list[dict[str, Any]]:
        lines: Counter[str] = Counter()
        commits: Counter[str] = Counter()
        for entry in self.report.entries:
            for d in entry.triage.top_dirs:
                lines[d.path or "."] += d.additions + d.deletions
                commits[d.path or "."] += 1
        ranked = sorted(lines, key=lambda a: (-commits[a], -lines[a], a))[:AREAS_SHOWN]
        longest = max((commits[a] for a in ranked), default=1)
        return [
            {
                "area": self.label("rules.root") if area in ("", ".") else normalize(area),
                "commits": commits[area],
                "lines": lines[area],
                "width": round(100 * commits[area] / longest, 1),
            }
            for area in ranked
        ]

    def context(self) -> dict[str, Any]:
        report = self.report
        stats = report.stats
        level_counts = [(lvl, getattr(stats, lvl.value)) for lvl in Importance]
        type_counts = Counter(e.change_type for e in report.entries)
        types = [t for t in ChangeType if type_counts[t]]
        types.sort(key=lambda t: (-type_counts[t], list(ChangeType).index(t)))
        cards = {e.commit.sha: self.card(e) for e in report.entries}  # the table: every commit, linked
        groups = [
            {
                "level": shape.level.value,
                "heading": self.label(
                    "group.heading",
                    marker="",
                    name=self.label(f"importance.{shape.level.value}"),
                    count=len(shape.entries),
                ).strip(),
                "cards": [cards[e.commit.sha] for e in shape.full]
                + [
                    self.line_card(
                        cards[line.entry.commit.sha],
                        line,
                        [cards[e.commit.sha] for e in line.related],
                    )
                    for line in shape.lines
                ],
            }
            for shape in offline.report_shape(report)
        ]
        total_key = "stats.total_day" if report.window.day is not None else "stats.total_range"
        highlights_key = "section.highlights_day" if report.window.day is not None else "section.highlights_range"
        usage = report.usage
        return {
            "lang": report.language,
            "t": self.label,
            "tp": self.tr.plural,
            "title": self.title(),
            "repo": report.repo.name,
            "repo_url": f"https://github.com/{report.repo.github}" if report.repo.github else None,
            "branch": self.label("report.branch", branch=report.branch) if report.branch else "",
            "timezone": self.label("report.timezone", tz=report.window.tz),
            "analyzer": self.analyzer(),
            "warnings": [normalize(w) for w in report.warnings if normalize(w)],
            "highlights_label": self.label(highlights_key),
            "highlights": [markup(h) for h in report.highlights if normalize(h)],
            "total_line": self.tr.plural(total_key, stats.total),
            "total": stats.total,
            "level_bars": _bars(
                [(self.label(f"importance.{lvl.value}"), n, LEVEL_COLOURS[lvl.value]) for lvl, n in level_counts]
            ),
            "type_bars": _bars([(self.label(f"change_type.{t.value}"), type_counts[t], "#0969da") for t in types]),
            "busiest": self.busiest(),
            "levels": [Option(lvl.value, self.label(f"importance.{lvl.value}")) for lvl, n in level_counts if n],
            "types": [Option(t.value, self.label(f"change_type.{t.value}")) for t in types],
            "areas": [Option(str(i), normalize(a)) for a, i in self.area_index.items()],
            "authors": [Option(str(i), normalize(a)) for a, i in self.author_index.items()],
            "rows": list(cards.values()),
            "groups": groups,
            "generated": self.label("report.generated_at", time=self.local(report.generated_at), tz=report.window.tz),
            "usage": self.tr.plural(
                "report.usage",
                usage.requests,
                requests=f"{usage.requests:,}",
                prompt_tokens=f"{usage.prompt_tokens:,}",
                completion_tokens=f"{usage.completion_tokens:,}",
            )
            if usage.requests
            else "",
        }


@lru_cache(maxsize=1)
def assets() -> tuple[str, str]:
    """The page's inline style and script (fixed text: their CSP hashes are fixed too)."""
    env = environment()
    assert env.loader is not None
    style = env.loader.get_source(env, "report.css.j2")[0]
    script = env.loader.get_source(env, "report.js.j2")[0]
    return style, script


def render_html(report: ReportData, *, translator: Translator | None = None) -> str:
    """The report as one self-contained HTML page, in ``report.language`` unless a translator is given."""
    tr = translator if translator is not None else i18n.translator(report.language)
    style, script = assets()
    context = _View(report, tr).context()
    context.update(style=Markup(style), script=Markup(script), style_hash=csp_hash(style), script_hash=csp_hash(script))
    return environment().get_template("report.html.j2").render(**context)


__all__ = ["ALLOWED_SCHEMES", "ALLOWED_TAGS", "csp_hash", "markup", "render_html"]
