"""The HTML of one commit: its card (subject, SHA and links, type, importance, time, author, analyzer,
notes, the model's sections or the offline analysis as ``<details>``) and its one-line form, and the
sanitizer that turns model-written Markdown into safe inline HTML (``markup``). ``render/html.py`` lays
the page out around them.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape

from commitwatch.i18n import Translator
from commitwatch.models import Analysis, CommitEntry, Importance, ReportData
from commitwatch.render import offline
from commitwatch.render.escape import normalize
from commitwatch.render.markdown import DEPTH, INSIGHT_DIMENSIONS, TIME_FORMAT, display_subject, split_subject
from commitwatch.signals.message import summary_from_body

# Allowed markup in model text: inline formatting and http(s) links, nothing that loads or runs.
ALLOWED_TAGS = frozenset({"a", "code", "em", "strong", "s", "br"})
ALLOWED_SCHEMES = frozenset({"http", "https"})


# --- model text: Markdown through a sanitizer ----------------------------------------------------------


@lru_cache(maxsize=1)
def _markdown() -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image"])  # an image would be a fetch
    return md


def _absolute_links(tag: str, name: str, value: str) -> str | None:
    """Keep only absolute http(s) links: a relative or protocol-relative one would resolve against the
    page (``file://`` on disk)."""
    if tag == "a" and name == "href":
        return value if value.lower().startswith(("https://", "http://")) else None
    return value


def markup(text: str) -> Markup:
    """Model-written text as safe inline HTML: Markdown (no raw HTML, no images) → nh3 allow-list
    (inline tags, ``http``/``https`` links with ``rel="nofollow noopener noreferrer"``)."""
    import nh3

    rendered = _markdown().renderInline(normalize(text))
    cleaned = nh3.clean(
        rendered,
        tags=set(ALLOWED_TAGS),
        attributes={"a": {"href"}},
        url_schemes=set(ALLOWED_SCHEMES),
        link_rel="nofollow noopener noreferrer",
        strip_comments=True,
        attribute_filter=_absolute_links,
    )
    return Markup(cleaned)


@dataclass
class Section:
    label: str
    items: list[Markup | str] = field(default_factory=list)
    text: Markup | str = ""
    open: bool = False


@dataclass
class Card:
    anchor: str
    subject: str
    sha: str
    short_sha: str
    url: str | None
    pr_number: int | None
    pr_url: str | None
    change_type: str
    change_type_label: str
    importance: str
    importance_label: str
    rules_importance: str  # the rules' level when the model's is two levels away from it, else ""
    time: str
    author: str
    author_index: int
    area_indices: str
    additions: int
    deletions: int
    files: int
    analyzer: str
    analyzer_label: str
    notes: list[str]
    sections: list[Section]
    line: Markup | None = None  # a one-line entry (low importance, or a commit with its revert)
    # what the filters read: one value per commit the entry shows (a revert pair shows two)
    filter_imp: str = ""
    filter_type: str = ""
    filter_area: str = ""
    filter_author: str = ""


def _pr(entry: CommitEntry, report: ReportData) -> tuple[int | None, str | None]:
    """The pull request behind a commit: ``entry.pr`` when GitHub enrichment found one (its URL only when
    it is http(s)), else the subject's ``(#123)`` suffix."""
    pr = entry.pr
    if pr is not None:
        url = pr.url if pr.url.lower().startswith(("https://", "http://")) else report.repo.pull_url(pr.number)
        return pr.number, url
    _title, number = split_subject(entry.commit.subject)
    if number is None:
        return None, None
    return number, report.repo.pull_url(number)


def _areas(entry: CommitEntry) -> list[str]:
    return [d.path or "." for d in entry.triage.top_dirs]


class CardView:
    """The per-commit half of the HTML view (``html._View`` adds the page around it)."""

    def __init__(self, report: ReportData, tr: Translator) -> None:
        self.report = report
        self.tr = tr
        self.tz = ZoneInfo(report.window.tz)
        areas: Counter[str] = Counter()
        for entry in report.entries:
            areas.update(_areas(entry))
        self.area_index = {area: i for i, area in enumerate(sorted(areas))}
        authors = sorted({e.commit.author.name for e in report.entries})
        self.author_index = {name: i for i, name in enumerate(authors)}

    def label(self, key: str, **params: object) -> str:
        return self.tr.label(key, **params)

    def local(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).strftime(TIME_FORMAT)

    def entry_analyzer(self, entry: CommitEntry) -> str:
        if entry.analyzer == "llm":
            return self.label("analyzer.llm")
        if entry.analyzer == "rules-fallback":
            if entry.fallback_reason:
                return self.label("analyzer.rules_fallback", reason=normalize(entry.fallback_reason))
            return self.label("analyzer.rules_fallback_unexplained")
        return self.label("analyzer.rules")

    def notes(self, entry: CommitEntry) -> list[str]:
        notes = []
        if entry.commit.is_merge:
            notes.append(self.label("commit.merge", parents=len(entry.commit.parents)))
        if entry.coverage is not None:
            percent = self.label("commit.coverage_percent", percent=round(entry.coverage * 100))
            notes.append(self.label("commit.coverage") + self.label("punct.colon") + percent)
        if entry.files_left_out:
            count = self.tr.plural("commit.left_out", len(entry.files_left_out))
            listed = self.label("punct.list_separator").join(normalize(p) for p in entry.files_left_out[:5])
            more = self.label("commit.left_out_more") if len(entry.files_left_out) > 5 else ""
            notes.append(f"{count}{self.label('punct.colon')}{listed}{more}")
        lead = self.label("commit.source_note") + self.label("punct.colon")
        notes += [lead + normalize(note) for note in entry.commit.notes]
        return notes

    def analysis_sections(self, entry: CommitEntry, analysis: Analysis) -> list[Section]:
        sections = []
        colon = self.label("punct.colon")
        for name in DEPTH[entry.importance]:
            # high-importance commits show every section; the others their summary and conclusion
            unfolded = entry.importance is Importance.HIGH or name in ("summary", "conclusion")
            section = Section(self.label(f"analysis.{name}"), open=unfolded)
            if name == "summary":
                section.items = [markup(s) for s in analysis.summary if normalize(s)]
            elif name == "impact":
                for impact in analysis.impact:
                    area, detail = normalize(impact.area), markup(impact.detail)
                    if area and detail:
                        section.items.append(Markup("<code>{}</code>{}{}").format(area, colon, detail))
                    elif area or detail:
                        section.items.append(Markup("<code>{}</code>").format(area) if area else detail)
            elif name == "insights":
                for dimension in INSIGHT_DIMENSIONS:
                    for point in getattr(analysis.insights, dimension):
                        if normalize(point):
                            section.items.append(
                                Markup("<strong>{}</strong>{}{}").format(
                                    self.label(f"analysis.{dimension}"), colon, markup(point)
                                )
                            )
            elif name == "risks":
                for risk in analysis.risks:
                    severity = self.label(f"importance.{risk.severity}")
                    section.items.append(
                        Markup('<span class="sev sev-{}">{}</span> <strong>{}</strong> {}').format(
                            risk.severity, severity, markup(risk.title), markup(risk.detail)
                        )
                    )
            elif name == "recommendations":
                for rec in analysis.recommendations:
                    audience, text = normalize(rec.audience), markup(rec.text)
                    if audience:
                        section.items.append(Markup("<strong>{}</strong>{}{}").format(audience, colon, text))
                    elif text:
                        section.items.append(text)
            elif name == "conclusion":
                section.text = markup(analysis.conclusion) if normalize(analysis.conclusion) else ""
            if not section.items and not section.text:
                section.text = self.label("analysis.none")
            sections.append(section)
        return sections

    def rich(self, rich: offline.Rich) -> Markup:
        """Spans from ``render/offline.py`` as HTML: text escaped, code spans as ``<code>``."""
        return Markup(
            offline.render_rich(
                rich, lambda t: str(escape(normalize(t))), lambda c: str(Markup("<code>{}</code>").format(normalize(c)))
            )
        )

    def user_changes(self, entry: CommitEntry) -> Section | None:
        """ "What changes for users", from the signals: shown for the rules' and the model's analyses."""
        lines = offline.user_changes(self.tr, entry.triage.signals)
        if not lines:
            return None
        return Section(self.label("offline.user_changes"), items=[self.rich(line) for line in lines], open=True)

    def rules_sections(self, entry: CommitEntry) -> list[Section]:
        """The offline analysis: summary (the body's first paragraph), what changes for users, areas
        touched, and the deciding reason folded away."""
        sections: list[Section] = []
        if summary := summary_from_body(entry.commit.body):
            sections.append(Section(self.label("offline.summary"), text=normalize(summary), open=True))
        if changes := self.user_changes(entry):
            sections.append(changes)
        areas = offline.areas_line(self.tr, entry)
        sections.append(Section(self.label("offline.areas"), text=self.rich(areas), open=True))
        sections.append(Section(self.label("offline.why"), text=self.rich(offline.why_line(self.tr, entry))))
        return sections

    def sha_link(self, entry: CommitEntry, anchor: str = "") -> Markup:
        url = self.report.repo.commit_url(entry.commit.sha)
        ident = Markup(' id="{}"').format(anchor) if anchor else Markup("")
        if url:
            return Markup('<a{} href="{}"><code>{}</code></a>').format(ident, url, entry.commit.short_sha)
        return Markup("<code{}>{}</code>").format(ident, entry.commit.short_sha)

    def one_line(self, line: offline.Line) -> Markup:
        """Subject · SHA link · type (· rules' level) · areas (· reverted the same day by SHA · brings N
        commits: SHAs), as in Markdown."""
        entry, reverted_by = line.entry, line.reverted_by
        parts = [
            Markup('<span class="subject">{}</span>').format(
                display_subject(entry.commit.subject, self.label("report.no_message"))
            ),
            self.sha_link(entry),
            escape(self.label(f"change_type.{entry.change_type.value}")),
        ]
        if rules := self.rules_importance(entry):
            parts.append(escape(rules))
        if dirs := offline.areas(self.tr, entry):
            parts.append(self.rich(offline.join(dirs[: offline.AREAS_SHOWN], self.label("punct.list_separator"))))
        if reverted_by is not None:
            anchor = f"c-{reverted_by.commit.sha[:12]}"  # the revert's table row links here
            before, _slot, after = self.label("offline.reverted", sha="\x00").partition("\x00")
            parts.append(escape(before) + self.sha_link(reverted_by, anchor) + escape(after))
        if line.brings:
            before, _slot, after = self.tr.plural("offline.brings", len(line.brings), shas="\x00").partition("\x00")
            links = [self.sha_link(e, f"c-{e.commit.sha[:12]}") for e in line.brings]  # their table rows link here
            parts.append(escape(before) + escape(self.label("punct.list_separator")).join(links) + escape(after))
        return Markup(offline.SEP).join(parts)

    def rules_importance(self, entry: CommitEntry) -> str:
        level = offline.rules_level_apart(entry)
        if level is None:
            return ""
        return self.label("commit.rules_importance", level=self.label(f"importance.{level.value}"))

    def card(self, entry: CommitEntry) -> Card:
        commit = entry.commit
        subject = normalize(commit.subject) or self.label("report.no_message")
        pr_number, pr_url = _pr(entry, self.report)
        if entry.analysis is not None:
            sections = self.analysis_sections(entry, entry.analysis)
            if changes := self.user_changes(entry):  # facts from the diff, next to the model's text
                sections.insert(min(1, len(sections)), changes)
        else:
            sections = self.rules_sections(entry)
        return Card(
            anchor=f"c-{commit.sha[:12]}",
            subject=subject,
            sha=commit.sha,
            short_sha=commit.short_sha,
            url=self.report.repo.commit_url(commit.sha),
            pr_number=pr_number,
            pr_url=pr_url,
            change_type=entry.change_type.value,
            change_type_label=self.label(f"change_type.{entry.change_type.value}"),
            importance=entry.importance.value,
            importance_label=self.label(f"importance.{entry.importance.value}"),
            rules_importance=self.rules_importance(entry),
            time=self.local(commit.committed_at),
            author=normalize(commit.author.name),
            author_index=self.author_index[commit.author.name],
            area_indices=" ".join(str(self.area_index[a]) for a in _areas(entry)),
            additions=commit.additions,
            deletions=commit.deletions,
            files=len(commit.files),
            analyzer=entry.analyzer,
            analyzer_label=self.entry_analyzer(entry),
            notes=self.notes(entry),
            sections=sections,
            filter_imp=entry.importance.value,
            filter_type=entry.change_type.value,
            filter_area=" ".join(str(self.area_index[a]) for a in _areas(entry)),
            filter_author=str(self.author_index[commit.author.name]),
        )

    def line_card(self, card: Card, line: offline.Line, others: list[Card]) -> Card:
        """A one-line entry; a revert pair (a sync merge and what it brings) is filtered as any of its commits."""
        shown = replace(card, sections=[], notes=[], line=self.one_line(line))
        for other in others:
            for name in ("filter_imp", "filter_type", "filter_area", "filter_author"):
                values = dict.fromkeys(getattr(shown, name).split() + getattr(other, name).split())
                setattr(shown, name, " ".join(values))
        return shown
