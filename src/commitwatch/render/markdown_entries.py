"""The Markdown of one commit: its full entry (heading, SHA and links, type · importance · analyzer, notes,
the model's sections or the offline analysis) and its one-line form. ``render/markdown.py`` lays the
document out around them; all text is escaped here, before it reaches the template.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from commitwatch.i18n import Translator
from commitwatch.models import (
    Analysis,
    Commit,
    CommitEntry,
    Importance,
    ReportData,
    Signals,
)
from commitwatch.render import offline
from commitwatch.render.anchors import slugify
from commitwatch.render.escape import (
    code_span,
    escape_inline,
    escape_prose,
    link_destination,
    normalize,
    shorten,
)
from commitwatch.signals.message import summary_from_body

SUBJECT_LIMIT = 120  # characters of a subject shown in the table, the headings and the contents
LEFT_OUT_SHOWN = 5  # file names listed for "files left out" before "…"
MARKERS = {Importance.HIGH: "🔴", Importance.MEDIUM: "🟡", Importance.LOW: "🟢"}
SEVERITY_MARKERS = {"high": "🔴", "medium": "🟡", "low": "🟢"}
SEP = " · "
# Which analysis sections each importance level shows (DESIGN: depth follows importance).
DEPTH: dict[Importance, tuple[str, ...]] = {
    Importance.HIGH: ("summary", "impact", "insights", "risks", "recommendations", "conclusion"),
    Importance.MEDIUM: ("summary", "impact", "recommendations"),
    Importance.LOW: ("summary",),
}
INSIGHT_DIMENSIONS = ("architecture", "performance", "security", "compatibility")
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

_PR_SUFFIX = re.compile(r"\s*\(#([0-9]{1,9})\)$")


# --- view model: ready Markdown only ---------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    level: int
    text: str  # the plain text GitHub renders (and slugs)
    slug: str

    @property
    def md(self) -> str:
        return escape_inline(self.text)

    @property
    def link(self) -> str:
        return f"[{self.md}](#{self.slug})"


@dataclass
class Item:
    md: str
    children: list[str] = field(default_factory=list)


@dataclass
class Section:
    line: str  # "**label**" or "**label**：text", ready Markdown
    items: list[Item] = field(default_factory=list)


@dataclass
class CommitBlock:
    heading: Heading
    ref_line: str
    meta_line: str
    notes: list[str]
    sections: list[Section]


# --- helpers ---------------------------------------------------------------------------------------


def local_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime(TIME_FORMAT)


def split_subject(subject: str) -> tuple[str, int | None]:
    """``"fix: x (#123)"`` → ``("fix: x", 123)``; a subject without a trailing PR number → ``(subject, None)``."""
    subject = normalize(subject)
    match = _PR_SUFFIX.search(subject)
    if match is None:
        return subject, None
    return subject[: match.start()], int(match.group(1))


def display_subject(subject: str, no_message: str) -> str:
    """The subject as headings and the contents show it: capped, PR suffix kept, never empty."""
    title, number = split_subject(subject)
    if not title and number is None:
        return no_message
    shown = shorten(title, SUBJECT_LIMIT)
    return f"{shown} (#{number})".strip() if number is not None else shown


class EntryView:
    """The per-commit half of the Markdown view (``markdown._View`` adds the document around it)."""

    def __init__(self, report: ReportData, tr: Translator) -> None:
        self.report = report
        self.tr = tr
        self.tz = ZoneInfo(report.window.tz)
        self.colon = tr.label("punct.colon")

    def md(self, key: str, **params: object) -> str:
        """A label, filled and escaped."""
        return escape_inline(self.tr.label(key, **params))

    def bold(self, key: str, **params: object) -> str:
        return f"**{self.md(key, **params)}**"

    def labelled(self, key: str, value_md: str) -> str:
        return f"{self.bold(key)}{self.colon}{value_md}"

    def pull(self, entry: CommitEntry) -> tuple[int | None, str | None]:
        """The pull request number and URL for a commit: GitHub's answer when known (``entry.pr``), else
        the ``(#123)`` at the end of the subject, linked when the repository has a GitHub identity."""
        if entry.pr is not None:
            url = entry.pr.url if entry.pr.url.startswith(("https://", "http://")) else None
            return entry.pr.number, url or self.report.repo.pull_url(entry.pr.number)
        _title, number = split_subject(entry.commit.subject)
        return number, self.report.repo.pull_url(number) if number is not None else None

    # commits --------------------------------------------------------------------------------------

    def commit_heading_text(self, entry: CommitEntry) -> str:
        text = display_subject(entry.commit.subject, self.tr.label("report.no_message"))
        if not slugify(text):  # nothing to anchor on ("...", "🎉"): the short SHA gives it one
            text = f"{text} {entry.commit.short_sha}"
        return text

    def ref_line(self, entry: CommitEntry) -> str:
        commit = entry.commit
        repo = self.report.repo
        parts = [self.labelled("commit.sha", code_span(commit.short_sha))]
        url = repo.commit_url(commit.sha)
        if url:
            parts.append(f"🔗 [{self.md('commit.view_commit')}]({link_destination(url)})")
        number, pull = self.pull(entry)
        if pull:
            parts.append(f"[#{number}]({link_destination(pull)})")
        if entry.pr is not None and entry.pr.labels:
            parts.append("🏷️ " + ", ".join(escape_inline(label) for label in entry.pr.labels))
        parts.append(f"👤 {escape_inline(commit.author.name)}")
        parts.append(f"🕒 {local_time(commit.committed_at, self.tz)}")
        return SEP.join(parts)

    def analyzer_text(self, entry: CommitEntry) -> str:
        if entry.analyzer == "llm":
            return self.md("analyzer.llm")
        if entry.analyzer == "rules-fallback":
            if entry.fallback_reason:
                return "⚠️ " + self.md("analyzer.rules_fallback", reason=entry.fallback_reason)
            return "⚠️ " + self.md("analyzer.rules_fallback_unexplained")
        return self.md("analyzer.rules")

    def meta_line_for(self, entry: CommitEntry) -> str:
        importance = f"{MARKERS[entry.importance]} {self.md(f'importance.{entry.importance.value}')}"
        reason = entry.analysis.importance_reason if entry.analysis else ""
        if normalize(reason):
            importance += self.tr.label("punct.open_paren") + escape_prose(reason) + self.tr.label("punct.close_paren")
        if (rules := offline.rules_level_apart(entry)) is not None:  # far apart: show both (render/offline.py)
            level = f"{MARKERS[rules]} {self.tr.label(f'importance.{rules.value}')}"
            importance += SEP + self.md("commit.rules_importance", level=level)
        return SEP.join(
            [
                self.labelled("commit.change_type", self.md(f"change_type.{entry.change_type.value}")),
                self.labelled("commit.importance", importance),
                self.labelled("commit.analyzer", self.analyzer_text(entry)),
            ]
        )

    def notes(self, entry: CommitEntry) -> list[str]:
        notes: list[str] = []
        commit = entry.commit
        if commit.is_merge:
            notes.append(self.md("commit.merge", parents=len(commit.parents)))
        if entry.coverage is not None or entry.files_left_out:
            parts: list[str] = []
            if entry.coverage is not None:
                parts.append(self.md("commit.coverage_percent", percent=round(entry.coverage * 100)))
            if entry.files_left_out:
                names = [code_span(path) for path in entry.files_left_out[:LEFT_OUT_SHOWN]]
                listed = self.tr.label("punct.list_separator").join(names)
                if len(entry.files_left_out) > LEFT_OUT_SHOWN:
                    listed += escape_inline(self.tr.label("commit.left_out_more"))
                count = escape_inline(self.tr.plural("commit.left_out", len(entry.files_left_out)))
                parts.append(f"{count}{self.colon}{listed}")
            notes.append(self.labelled("commit.coverage", self.tr.label("punct.semicolon").join(parts)))
        notes += [self.labelled("commit.source_note", escape_prose(note)) for note in commit.notes]
        return notes

    def none(self) -> str:
        return self.md("analysis.none")

    def section(self, label_key: str, text: str = "", items: list[Item] | None = None) -> Section:
        line = self.bold(label_key) + (f"{self.colon}{text}" if text else "")
        return Section(line, items or [])

    # offline analysis (no LLM): summary, what changes for users, areas, why (render/offline.py) ---------

    def rich(self, rich: offline.Rich) -> str:
        return offline.render_rich(rich, escape_inline, code_span)

    def user_changes(self, signals: Signals) -> list[Item]:
        """ "What changes for users", from the signals (facts from the diff and message)."""
        return [Item(self.rich(line)) for line in offline.user_changes(self.tr, signals)]

    def rules_sections(self, entry: CommitEntry) -> list[Section]:
        sections: list[Section] = []
        if summary := summary_from_body(entry.commit.body):
            sections.append(self.section("offline.summary", escape_prose(summary)))
        if changes := self.user_changes(entry.triage.signals):
            sections.append(self.section("offline.user_changes", "", changes))
        sections.append(self.section("offline.areas", self.rich(offline.areas_line(self.tr, entry))))
        sections.append(Section(self.labelled("offline.why", self.rich(offline.why_line(self.tr, entry)))))
        return sections

    def sha_link(self, commit: Commit) -> str:
        url = self.report.repo.commit_url(commit.sha)
        shown = code_span(commit.short_sha)
        return f"[{shown}]({link_destination(url)})" if url else shown

    def one_line(self, line: offline.Line) -> str:
        """A commit on one line: subject, SHA link, type, areas (the rules' level when the model's is two
        levels away, the revert that undid it, the commits a sync merge brings in)."""
        entry = line.entry
        commit = entry.commit
        subject = escape_inline(display_subject(commit.subject, self.tr.label("report.no_message")))
        parts = [subject, self.sha_link(commit), self.md(f"change_type.{entry.change_type.value}")]
        if (rules := offline.rules_level_apart(entry)) is not None:
            parts.append(self.md("commit.rules_importance", level=self.tr.label(f"importance.{rules.value}")))
        if dirs := offline.areas(self.tr, entry):
            parts.append(self.rich(offline.join(dirs[: offline.AREAS_SHOWN], self.tr.label("punct.list_separator"))))
        if line.reverted_by is not None:
            label = escape_inline(self.tr.label("offline.reverted", sha="QQSLOTQQ"))
            parts.append(label.replace("QQSLOTQQ", self.sha_link(line.reverted_by.commit)))
        if line.brings:
            label = escape_inline(self.tr.plural("offline.brings", len(line.brings), shas="QQSLOTQQ"))
            shas = self.tr.label("punct.list_separator").join(self.sha_link(e.commit) for e in line.brings)
            parts.append(label.replace("QQSLOTQQ", shas))
        return SEP.join(parts)

    def analysis_sections(self, entry: CommitEntry, analysis: Analysis) -> list[Section]:
        sections: list[Section] = []
        for name in DEPTH[entry.importance]:
            items: list[Item] = []
            text = ""
            if name == "summary":
                items = [Item(escape_prose(s)) for s in analysis.summary if normalize(s)]
            elif name == "impact":
                for impact in analysis.impact:
                    area, detail = code_span(impact.area), escape_prose(impact.detail)
                    if area or detail:
                        items.append(Item(f"{area}{self.colon}{detail}" if area and detail else area or detail))
            elif name == "insights":
                for dimension in INSIGHT_DIMENSIONS:
                    points = [escape_prose(p) for p in getattr(analysis.insights, dimension) if normalize(p)]
                    if points:
                        items.append(Item(self.bold(f"analysis.{dimension}"), children=points))
            elif name == "risks":
                for risk in analysis.risks:
                    title, detail = escape_prose(risk.title), escape_prose(risk.detail)
                    body = f"**{title}** — {detail}" if title and detail else (f"**{title}**" if title else detail)
                    if body:
                        items.append(Item(f"{SEVERITY_MARKERS[risk.severity]} {body}"))
            elif name == "recommendations":
                for rec in analysis.recommendations:
                    audience, text_md = escape_inline(rec.audience), escape_prose(rec.text)
                    if audience and text_md:
                        items.append(Item(f"**{audience}**{self.colon}{text_md}"))
                    elif audience or text_md:
                        items.append(Item(audience or text_md))
            elif name == "conclusion":
                text = escape_prose(analysis.conclusion)
            if not items and not text:
                text = self.none()
            sections.append(self.section(f"analysis.{name}", text, items))
        return sections

    def commit_block(self, entry: CommitEntry, heading: Heading) -> CommitBlock:
        if entry.analysis is not None:
            sections = self.analysis_sections(entry, entry.analysis)
            if changes := self.user_changes(entry.triage.signals):  # facts from the diff, next to the model's text
                sections.insert(min(1, len(sections)), self.section("offline.user_changes", "", changes))
        else:
            sections = self.rules_sections(entry)
        return CommitBlock(
            heading=heading,
            ref_line=self.ref_line(entry),
            meta_line=self.meta_line_for(entry),
            notes=self.notes(entry),
            sections=sections,
        )
