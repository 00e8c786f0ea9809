"""Atom feeds (RFC 4287) of reports: one entry per report.

    xml = render_feed(feed_id, title, entries, self_href="feed.xml")
    entry = feed_entry(report, href="../../2026/acme-engine/2026-02-07.html")

Ids are stable: ``urn:uuid:`` UUIDv5s of the report's identity (repository, branch, window, language)
and of the feed's name, so a rebuilt feed names the same entries the same way and readers do not show
old reports as new. ``updated`` is when the report was generated (from its snapshot), never "now", so
rebuilding a feed with nothing new gives the same bytes. Text is escaped by the autoescaped template;
the entry's summary is plain text (type="text") and its content is HTML built here from escaped text
(type="html"), which feed readers sanitize again.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from markupsafe import Markup

from commitwatch import i18n
from commitwatch.i18n import Translator
from commitwatch.models import ReportData
from commitwatch.render.environment import environment
from commitwatch.render.escape import normalize

_NAMESPACE = uuid.UUID("5f1c7c2e-4d55-4a8e-9a51-3c0c1d7f0b11")  # commitwatch's own, fixed forever
HIGHLIGHTS_SHOWN = 5


def stable_id(*parts: str) -> str:
    """``urn:uuid:`` of a UUIDv5 over ``parts``: the same parts give the same id, on every machine."""
    return f"urn:uuid:{uuid.uuid5(_NAMESPACE, chr(31).join(parts))}"


# characters XML 1.0 does not allow at all, even escaped
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    href: str | None
    updated: datetime
    summary: str
    content: Markup


def report_title(report: ReportData, tr: Translator) -> str:
    window = report.window
    if window.day is not None:
        return tr.label("report.title_day", date=window.day.isoformat())
    fmt = "%Y-%m-%d %H:%M"
    zone = ZoneInfo(window.tz)
    return tr.label(
        "report.title_range",
        start=window.start.astimezone(zone).strftime(fmt),
        end=window.end.astimezone(zone).strftime(fmt),
    )


def report_identity(report: ReportData) -> tuple[str, ...]:
    """What makes a report the same report: repository key, branch, window and language."""
    from commitwatch.storage import report_key

    return ("report", report_key(report))


def feed_entry(report: ReportData, href: str | None, *, translator: Translator | None = None) -> FeedEntry:
    """One report as a feed entry: title, stats line and highlights, linked to ``href`` (relative to the
    feed, or absolute)."""
    tr = translator if translator is not None else i18n.translator(report.language)
    stats = report.stats
    total_key = "stats.total_day" if report.window.day is not None else "stats.total_range"
    levels = [
        tr.label("stats.level", marker="", name=tr.label(f"importance.{lvl}"), count=getattr(stats, lvl)).strip()
        for lvl in ("high", "medium", "low")
    ]
    line = " | ".join([tr.plural(total_key, stats.total), *levels])
    highlights = [normalize(h) for h in report.highlights if normalize(h)][:HIGHLIGHTS_SHOWN]
    warnings = [normalize(w) for w in report.warnings if normalize(w)]
    parts = [Markup("<p>{}</p>").format(line)]
    if warnings:
        label = tr.label("report.warnings") + tr.label("punct.colon")
        parts.append(Markup("<p>{}</p>").format(label + " ".join(warnings)))
    if highlights:
        items = Markup("").join(Markup("<li>{}</li>").format(h) for h in highlights)
        parts.append(Markup("<ul>{}</ul>").format(items))
    summary = "\n".join([line, *[f"- {h}" for h in highlights]])
    return FeedEntry(
        id=stable_id(*report_identity(report)),
        title=f"{normalize(report.repo.name)} · {report_title(report, tr)}",
        href=href,
        updated=report.generated_at,
        summary=summary,
        content=Markup("").join(parts),
    )


def render_feed(
    feed_id: str,
    title: str,
    entries: list[FeedEntry],
    *,
    self_href: str,
    alternate_href: str | None = None,
    language: str = "en",
) -> str:
    """An Atom feed document; entries newest first (by ``updated``, then id, for a stable order)."""
    ordered = sorted(entries, key=lambda e: (e.updated, e.id), reverse=True)
    updated = max((e.updated for e in ordered), default=datetime(1970, 1, 1, tzinfo=timezone.utc))
    template = environment().get_template("feed.atom.j2")
    return template.render(
        feed_id=feed_id,
        title=_xml(title),
        updated=_rfc3339(updated),
        self_href=self_href,
        alternate_href=alternate_href,
        language=language,
        entries=[
            {
                "id": e.id,
                "title": _xml(e.title),
                "href": e.href,
                "updated": _rfc3339(e.updated),
                "summary": _xml(e.summary),
                "content": _xml(str(e.content)),  # HTML as text: escaped once by the template
            }
            for e in ordered
        ],
    )


__all__ = ["FeedEntry", "feed_entry", "render_feed", "report_title", "stable_id"]
