"""The Markdown report: the sample's layout, with structure we control and links that resolve.

    text = render_markdown(report)                      # labels from locales/<report.language>/
    text = render_markdown(report, translator=Translator("en", extra_dirs=[...]))

Layout (every label from the locale catalogs):

    # title                                  day: "每日更新报告（2026-02-07）"; otherwise the range
    analyzer line · branch · time zone
    > warnings (only when there are any)
    ## owner/name
    | time | author | subject |              one row per commit, newest first, subject only
    ### 📊 statistics + one line
    ### ✨ highlights (only when there are any)
    ### 📋 contents                           repo → statistics → highlights → groups → commits
    ### 🔴 group (n)                          high → medium → low, empty groups left out
    #### commit subject                       medium and high only: SHA + links, type · importance ·
                                             analyzer, "what changes for users" (signals), and the
                                             analysis sections as bold labels; without an LLM the
                                             offline analysis: summary (the body's first paragraph),
                                             what changes for users, areas touched, one "why" line
    - subject · SHA · type · areas            low commits, and a commit with its same-day revert,
                                             one line each
    ---
    footer: generated time, LLM usage when any requests were made

A window without commits gives the title, the repository heading and one line that says so.

All data (subjects, names, paths, model text, warnings) is escaped in Python before it reaches the
template (``render/escape.py``); the template only arranges ready Markdown. Anchors are computed for
every heading in document order with ``anchors.Slugger`` from the heading's plain text, so each
contents link points at the anchor GitHub gives that heading.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

from commitwatch import i18n
from commitwatch.i18n import Translator
from commitwatch.models import (
    CommitEntry,
    Importance,
    ReportData,
)
from commitwatch.render import offline
from commitwatch.render.anchors import Slugger
from commitwatch.render.environment import environment
from commitwatch.render.escape import (
    escape_cell,
    escape_inline,
    escape_prose,
    link_destination,
    normalize,
    shorten,
)
from commitwatch.render.markdown_entries import (
    DEPTH,
    INSIGHT_DIMENSIONS,
    MARKERS,
    SEP,
    SUBJECT_LIMIT,
    TIME_FORMAT,
    CommitBlock,
    EntryView,
    Heading,
    display_subject,
    local_time,
    split_subject,
)


@dataclass
class Group:
    heading: Heading
    commits: list[CommitBlock]
    lines: list[str] = field(default_factory=list)  # one-line entries: low importance, reverted pairs


@dataclass
class Row:
    time: str
    author: str
    subject: str


@dataclass
class TocEntry:
    depth: int
    link: str


class _Headings:
    """Creates headings in document order so that duplicate anchors count like GitHub's."""

    def __init__(self) -> None:
        self._slugger = Slugger()

    def __call__(self, level: int, text: str) -> Heading:
        text = normalize(text)
        return Heading(level, text, self._slugger.slug(text))


class _View(EntryView):
    """Turns a ``ReportData`` into the values ``report.md.j2`` lays out."""

    # header ---------------------------------------------------------------------------------------

    def title(self) -> str:
        window = self.report.window
        if window.day is not None:
            return self.tr.label("report.title_day", date=window.day.isoformat())
        start = window.start.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        end = window.end.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        return self.tr.label("report.title_range", start=start, end=end)

    def meta_line(self) -> str:
        report = self.report
        if report.analyzer_kind == "llm":
            analyzer = (
                self.md("report.analyzer_llm", model=report.model)
                if report.model
                else self.md("report.analyzer_llm_unnamed")
            )
        else:
            analyzer = self.md("report.analyzer_rules")
        parts = [analyzer]
        if report.branch:
            parts.append(self.md("report.branch", branch=report.branch))
        parts.append(self.md("report.timezone", tz=report.window.tz))
        return SEP.join(parts)

    def footer(self) -> list[str]:
        report = self.report
        lines = [self.md("report.generated_at", time=local_time(report.generated_at, self.tz), tz=report.window.tz)]
        usage = report.usage
        if usage.requests > 0:
            text = self.tr.plural(
                "report.usage",
                usage.requests,
                requests=f"{usage.requests:,}",
                prompt_tokens=f"{usage.prompt_tokens:,}",
                completion_tokens=f"{usage.completion_tokens:,}",
            )
            lines.append(escape_inline(text))
        return lines

    # table ----------------------------------------------------------------------------------------

    def subject_cell(self, entry: CommitEntry) -> str:
        title, _suffix = split_subject(entry.commit.subject)
        number, url = self.pull(entry)
        if not title and number is None:
            return escape_cell(self.tr.label("report.no_message"))
        cell = escape_cell(shorten(title, SUBJECT_LIMIT))
        if number is None:
            return cell
        pr = f"[#{number}]({link_destination(url)})" if url else escape_cell(f"#{number}")
        return f"{cell} ({pr})" if cell else f"({pr})"

    def row(self, entry: CommitEntry) -> Row:
        commit = entry.commit
        return Row(
            time=local_time(commit.committed_at, self.tz),
            author=escape_cell(commit.author.name),
            subject=self.subject_cell(entry),
        )

    def stats_line(self) -> str:
        stats = self.report.stats
        total_key = "stats.total_day" if self.report.window.day is not None else "stats.total_range"
        parts = [escape_inline(self.tr.plural(total_key, stats.total))]
        counts = ((Importance.HIGH, stats.high), (Importance.MEDIUM, stats.medium), (Importance.LOW, stats.low))
        for level, count in counts:
            name = self.tr.label(f"importance.{level.value}")
            parts.append(self.md("stats.level", marker=MARKERS[level], name=name, count=count))
        return " | ".join(parts)

    # document -------------------------------------------------------------------------------------

    def context(self) -> dict[str, object]:
        report = self.report
        headings = _Headings()
        title = headings(1, self.title())
        repo = headings(2, report.repo.name)
        context: dict[str, object] = {
            "title": title,
            "meta_line": self.meta_line(),
            "warnings_label": self.bold("report.warnings"),
            "warnings": [escape_inline(w) for w in report.warnings if normalize(w)],
            "repo": repo,
            "footer": self.footer(),
            "has_commits": bool(report.entries),
        }
        if not report.entries:
            context["no_commits"] = self.md("report.no_commits")
            return context

        stats = headings(3, self.tr.label("section.stats"))
        highlights = [escape_prose(h) for h in report.highlights if normalize(h)]
        highlights_heading = None
        if highlights:
            key = "section.highlights_day" if report.window.day is not None else "section.highlights_range"
            highlights_heading = headings(3, self.tr.label(key))
        toc = headings(3, self.tr.label("section.toc"))

        # low commits and a commit with its revert are one line each (render/offline.py decides)
        groups: list[Group] = []
        for shape in offline.report_shape(report):
            name = self.tr.label(f"importance.{shape.level.value}")
            count = len(shape.entries)
            label = self.tr.label("group.heading", marker=MARKERS[shape.level], name=name, count=count)
            group_heading = headings(3, label)
            blocks = [self.commit_block(e, headings(4, self.commit_heading_text(e))) for e in shape.full]
            lines = [self.one_line(line) for line in shape.lines]
            groups.append(Group(group_heading, blocks, lines))

        entries_toc = [TocEntry(0, repo.link), TocEntry(1, stats.link)]
        if highlights_heading is not None:
            entries_toc.append(TocEntry(1, highlights_heading.link))
        for group in groups:
            entries_toc.append(TocEntry(1, group.heading.link))
            entries_toc.extend(TocEntry(2, block.heading.link) for block in group.commits)

        context.update(
            columns=[escape_cell(self.tr.label(f"table.{c}")) for c in ("time", "author", "subject")],
            rows=[self.row(e) for e in report.entries],
            stats=stats,
            stats_line=self.stats_line(),
            highlights_heading=highlights_heading,
            highlights=highlights,
            toc=toc,
            toc_entries=entries_toc,
            groups=groups,
            colon=self.colon,
        )
        return context


def _tidy(text: str) -> str:
    """At most one blank line in a row, no trailing spaces, exactly one final newline."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if not line and (not out or not out[-1]):
            continue
        out.append(line)
    while out and not out[-1]:
        out.pop()
    return "\n".join(out) + "\n"


def render_markdown(report: ReportData, *, translator: Translator | None = None) -> str:
    """The report as GitHub-flavoured Markdown, in ``report.language`` unless a translator is given."""
    tr = translator if translator is not None else i18n.translator(report.language)
    context = _View(report, tr).context()
    return _tidy(environment().get_template("report.md.j2").render(**context))


__all__: Sequence[str] = (
    "DEPTH",
    "INSIGHT_DIMENSIONS",
    "SUBJECT_LIMIT",
    "TIME_FORMAT",
    "display_subject",
    "render_markdown",
    "split_subject",
)
