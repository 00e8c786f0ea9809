"""The digest message: one short message per target over the day's reports.

    digest = build_digest(reports, options, failed=[("org/repo", "git fetch failed")])
    digest.render("markdown" | "slack" | "text")

What it says, in the target's language:

- the title (date or window) and the repositories it covers;
- a warning block when the run had warnings: LLM fallbacks, failed repositories, the reports' own
  warnings (missing objects, rewritten history, ...);
- per repository: counts by importance, the highlights, then the commits of the selected importance
  levels (default: high), each with a one-line summary, its commit and pull request links, and a link
  to the full report when ``report_base_url`` is set. At most ``max_items`` highlights and
  ``max_items`` commits per repository; the rest is counted ("… 3 more in the full report").

The digest is built as lines of spans (text, bold, link) and rendered per flavour: ``markdown``
(CommonMark: DingTalk, WeCom, Feishu/Lark, Telegram, e-mail), ``slack`` (Slack mrkdwn: ``<url|text>``
links, ``&lt;`` escapes) and ``text``. Every string from a commit or a model is untrusted: it is
escaped for the flavour, cut to one line, and its mentions are neutralised (``mentions.neutralise_mentions``),
so it can neither break the message's structure nor ping anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from ..i18n import Translator, translator
from ..models import CommitEntry, Importance, ReportData
from ..render.escape import escape_inline, link_destination, normalize, shorten
from .mentions import neutralise_mentions

Flavour = Literal["markdown", "slack", "text"]
MARKERS = {Importance.HIGH: "🔴", Importance.MEDIUM: "🟡", Importance.LOW: "🟢"}
SUMMARY_LIMIT = 160
SUBJECT_LIMIT = 100


@dataclass(frozen=True)
class Link:
    text: str
    url: str


@dataclass(frozen=True)
class Bold:
    text: str


Span = str | Link | Bold


@dataclass
class Line:
    spans: list[Span]
    kind: Literal["title", "heading", "item", "text", "blank"] = "text"


@dataclass(frozen=True)
class DigestOptions:
    """What one target wants (from ``config.NotifyTarget``)."""

    language: str = "zh-CN"
    max_items: int = 10
    importance: tuple[Importance, ...] = (Importance.HIGH,)
    report_base_url: str | None = None
    report_format: str = "md"


@dataclass
class Digest:
    title: str
    lines: list[Line] = field(default_factory=list)
    listed: int = 0  # commits listed (0 with an importance filter: nothing to send)

    def render(self, flavour: Flavour) -> str:
        return "\n".join(_render_line(line, flavour) for line in self.lines).strip("\n")


def build_digest(
    reports: Sequence[ReportData],
    options: DigestOptions,
    *,
    failed: Sequence[tuple[str, str]] = (),
) -> Digest:
    """The digest of ``reports`` (one per repository, same window); ``failed`` lists (repository,
    error) of the repositories whose report could not be made."""
    tr = translator(options.language)
    title = _title(reports, tr) if reports or not failed else tr.label("digest.title_failed")
    digest = Digest(title=title, lines=[Line([title], "title")])
    names = [r.repo.name for r in reports] + [name for name, _ in failed]
    sep = tr.label("punct.list_separator")
    digest.lines.append(Line([tr.label("digest.repos", repos=sep.join(names) or "-")]))
    warnings = _warnings(reports, failed, tr)
    if warnings:
        digest.lines += [Line([], "blank"), Line([Bold(tr.label("digest.warnings"))])]
        digest.lines += [Line([w], "item") for w in warnings]
    for report in reports:
        digest.lines += [Line([], "blank"), *_repo_lines(report, options, tr, digest)]
    return digest


def _title(reports: Sequence[ReportData], tr: Translator) -> str:
    if not reports:
        return tr.label("digest.title_empty")
    window = reports[0].window
    if window.day is not None:
        return tr.label("digest.title_day", date=window.day.isoformat())
    from ..window import zone

    fmt = "%Y-%m-%d %H:%M"
    return tr.label(
        "digest.title_range",
        start=window.start.astimezone(zone(window.tz)).strftime(fmt),
        end=window.end.astimezone(zone(window.tz)).strftime(fmt),
    )


def _warnings(reports: Sequence[ReportData], failed: Sequence[tuple[str, str]], tr: Translator) -> list[str]:
    out = [tr.label("digest.failed_repo", repo=name, error=shorten(error, SUMMARY_LIMIT)) for name, error in failed]
    for report in reports:
        fallbacks = sum(1 for e in report.entries if e.analyzer == "rules-fallback")
        if fallbacks and not report.warnings:  # the report's own warnings already say so
            out.append(tr.label("digest.fallbacks", repo=report.repo.name, count=fallbacks))
        out += [f"{report.repo.name}: {shorten(w, SUMMARY_LIMIT)}" for w in report.warnings]
    return out


def _repo_lines(report: ReportData, options: DigestOptions, tr: Translator, digest: Digest) -> list[Line]:
    stats = report.stats
    heading = Link(report.repo.name, url) if (url := report_url(report, options)) else report.repo.name
    lines = [Line([heading], "heading")]
    levels = ((Importance.HIGH, stats.high), (Importance.MEDIUM, stats.medium), (Importance.LOW, stats.low))
    parts = [f"{MARKERS[level]} {tr.label(f'importance.{level.value}')} {count}" for level, count in levels]
    lines.append(Line([tr.label("digest.counts", total=stats.total, levels=" · ".join(parts))]))
    if not report.entries:
        lines.append(Line([tr.label("report.no_commits")]))
    if report.highlights:
        lines += [Line([Bold(tr.label("digest.highlights"))])]
        lines += [Line([h], "item") for h in report.highlights[: options.max_items]]
        lines += _more(len(report.highlights) - options.max_items, tr)
    for level, entries in report.grouped():
        if level not in options.importance or not entries:
            continue
        name = tr.label(f"importance.{level.value}")
        lines.append(Line([Bold(tr.label("digest.group", marker=MARKERS[level], name=name, count=len(entries)))]))
        shown = entries[: options.max_items]
        lines += [_commit_line(report, entry, tr) for entry in shown]
        digest.listed += len(shown)
        lines += _more(len(entries) - len(shown), tr)
    if url:
        lines.append(Line([Link(tr.label("digest.full_report"), url)]))
    return lines


def _more(count: int, tr: Translator) -> list[Line]:
    return [Line([tr.label("digest.more", count=count)], "item")] if count > 0 else []


def _commit_line(report: ReportData, entry: CommitEntry, tr: Translator) -> Line:
    from ..render.markdown import split_subject

    commit = entry.commit
    title, number = split_subject(commit.subject)
    spans: list[Span] = []
    url = report.repo.commit_url(commit.sha)
    spans.append(Link(commit.short_sha, url) if url else commit.short_sha)
    spans.append(" " + shorten(title or tr.label("report.no_message"), SUBJECT_LIMIT))
    if number is not None:
        pull = report.repo.pull_url(number)
        spans += [" (", Link(f"#{number}", pull) if pull else f"#{number}", ")"]
    summary = one_line_summary(entry, tr)
    if summary and normalize(summary) != normalize(title):
        spans.append(" — " + summary)
    return Line(spans, "item")


def one_line_summary(entry: CommitEntry, tr: Translator) -> str:
    """The analysis' first summary point, else its conclusion, else the rules' first reason."""
    analysis = entry.analysis
    candidates = [*(analysis.summary if analysis else []), analysis.conclusion if analysis else ""]
    candidates += [tr.reason(reason) for reason in entry.triage.reasons[:1]]
    for text in candidates:
        if normalize(text):
            return shorten(text, SUMMARY_LIMIT)
    return ""


def report_url(report: ReportData, options: DigestOptions) -> str | None:
    """``report_base_url`` + the report's path under the output directory (``<YYYY>/<slug>/<stem>.<ext>``)."""
    if not options.report_base_url:
        return None
    from pathlib import Path

    from ..reportfiles import report_paths

    relative = report_paths(Path(), report.repo, report.window, [options.report_format])[0]
    return options.report_base_url.rstrip("/") + "/" + quote(relative.as_posix())


# --- rendering -------------------------------------------------------------------------------------------


def _render_line(line: Line, flavour: Flavour) -> str:
    body = "".join(_render_span(span, flavour) for span in line.spans)
    if line.kind == "blank":
        return ""
    if line.kind == "title":
        return {"markdown": f"## {body}", "slack": f"*{body}*", "text": body}[flavour]
    if line.kind == "heading":
        return {"markdown": f"### {body}", "slack": f"*{body}*", "text": f"■ {body}"}[flavour]
    if line.kind == "item":
        return {"markdown": f"- {body}", "slack": f"• {body}", "text": f"- {body}"}[flavour]
    return body


def _render_span(span: Span, flavour: Flavour) -> str:
    if isinstance(span, Link):
        text = _text(span.text, flavour)
        if flavour == "markdown":
            return f"[{text}]({link_destination(span.url)})"
        if flavour == "slack":
            return f"<{_slack_url(span.url)}|{text}>"
        return f"{text} ({span.url})"
    if isinstance(span, Bold):
        text = _text(span.text, flavour)
        return {"markdown": f"**{text}**", "slack": f"*{text}*", "text": text}[flavour]
    return _text(span, flavour, inline=True)


def _text(text: str, flavour: Flavour, *, inline: bool = False) -> str:
    """Untrusted text for one flavour: one line, markup escaped, then mentions neutralised (after the
    escaping, which would otherwise show the zero-width space as ``<U+200B>``)."""
    lead = " " if inline and text[:1] == " " else ""
    text = normalize(text)
    if flavour == "markdown":
        text = escape_inline(text)  # as a line start; mid-line a leading "-" or "1." escaped is harmless
    elif flavour == "slack":
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return lead + neutralise_mentions(text)


def _slack_url(url: str) -> str:
    return link_destination(url).replace("|", "%7C").replace(">", "%3E").replace("<", "%3C")
