"""What the reports show beyond the model's text, decided once for every renderer (Markdown and HTML).

    shape = report_shape(report)           # groups high → medium → low: full entries and one-line entries
    changes = user_changes(tr, signals)    # "what changes for users", one ``Rich`` line each
    line = areas_line(tr, entry)           # "3 files, +11 / −11: lib/llm, docs; lockfiles: Cargo.lock"
    why = why_line(tr, entry)              # the deciding reason (and the floor's), with the score

The texts are ``Rich``: a tuple of ``Span`` (plain text, or a code span), free of any markup. Each
renderer turns them into its own format with ``render_rich`` and its escapers, so the choice of what to
show lives here and the escaping stays in the renderer. Data never passes through a label's template:
labels are filled with placeholders (``fill``) and the data spans are put in their place afterwards.

Shape (issue 13): medium and high commits get a full entry; low commits are one line; a commit and its
revert, both in the report, are one line in the original's group ("reverted the same day by …"), and
the revert is not shown again in its own group. Subtree and sync merges appear once: the commits that a
sync merge brings in (reachable in the window only through its second and later parents) are not shown
in their own groups (nor counted in their headings) but named on the merge's one line ("brings 3
commits: …"); the table, the statistics and the JSON keep every one of them (JSON marks them with
``brought_in_by``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from commitwatch.i18n import Translator
from commitwatch.models import CommitEntry, FileCategory, Importance, ReportData, Signals
from commitwatch.signals import revert_pairs
from commitwatch.triage.syncs import brought_in_by, is_sync

USER_CHANGES_SHOWN = 8  # "what changes for users" lines before "and N more"
AREAS_SHOWN = 4  # areas named on a one-line entry and on "areas touched"
NOISE_SHOWN = 3  # lockfiles (generated, vendored, binary files) named on "areas touched"
NOISE_LABELS = {
    FileCategory.LOCKFILE: "offline.lockfiles",
    FileCategory.GENERATED: "offline.generated",
    FileCategory.VENDORED: "offline.vendored",
    FileCategory.BINARY: "offline.binary",
}
SEP = " · "

_SLOT = re.compile("\x00([0-9]+)\x00")


@dataclass(frozen=True)
class Span:
    text: str
    code: bool = False


Rich = tuple[Span, ...]


def plain(text: str) -> Rich:
    return (Span(text),)


def code(text: str) -> Rich:
    return (Span(text, code=True),)


def join(parts: Iterable[Rich], separator: str) -> Rich:
    out: list[Span] = []
    for i, part in enumerate(parts):
        if i:
            out.append(Span(separator))
        out.extend(part)
    return tuple(out)


def fill(tr: Translator, key: str, count: int | None = None, **slots: Rich | str | int) -> Rich:
    """The label ``key`` (its plural form when ``count`` is given) with each ``{slot}`` replaced by its
    value as spans: the data never passes through the template."""
    values: list[Rich] = []
    params: dict[str, object] = {}
    for name, value in slots.items():
        params[name] = f"\x00{len(values)}\x00"
        values.append(value if isinstance(value, tuple) else plain(str(value)))
    text = tr.label(key, **params) if count is None else tr.plural(key, count, **params)
    out: list[Span] = []
    pos = 0
    for match in _SLOT.finditer(text):
        if match.start() > pos:
            out.append(Span(text[pos : match.start()]))
        out.extend(values[int(match.group(1))])
        pos = match.end()
    if pos < len(text):
        out.append(Span(text[pos:]))
    return tuple(out)


def render_rich(rich: Rich, escape_text: Callable[[str], str], code_span: Callable[[str], str]) -> str:
    """``rich`` in one format: the plain text escaped as a whole (so line-start rules apply once), the code
    spans put in afterwards. A slot token that occurs in the data itself is never used."""
    prefix = "QQSLOT"
    joined = "".join(s.text for s in rich)
    while prefix in joined:
        prefix += "Q"
    tokens: dict[str, str] = {}
    pieces: list[str] = []
    for span in rich:
        if span.code:
            token = f"{prefix}{len(tokens)}X"
            tokens[token] = code_span(span.text)
            pieces.append(token)
        else:
            pieces.append(span.text)
    out = escape_text("".join(pieces))
    for token, value in tokens.items():
        out = out.replace(token, value, 1)
    return out


# --- the offline analysis: what changes for users, areas touched, why ------------------------------------


def user_changes(tr: Translator, signals: Signals) -> list[Rich]:
    """ "What changes for users", from the signals (facts from the diff and message), one line each."""
    lines: list[Rich] = []
    for c in signals.interfaces:
        kind = tr.label(f"interface_kind.{c.kind}")
        line = fill(
            tr, f"offline.iface_{c.change}", kind=kind, name=code(c.name), new_name=code(c.new_name or ""),
            old=c.old_default or "", new=c.new_default or "",
        )  # fmt: skip
        if c.breaking:
            line += (Span(SEP), *fill(tr, "offline.breaking"))
        lines.append(line)
    for d in signals.dependencies:
        key = "offline.dep_changed" if d.old and d.new else "offline.dep_added" if d.new else "offline.dep_removed"
        line = fill(tr, key, name=d.name, old=d.old or "", new=d.new or "")
        lines.append(line + (fill(tr, "offline.major") if d.major else ()))
    lines += [fill(tr, "offline.advisory", id=advisory) for advisory in signals.advisories]
    for claim in signals.performance:
        key = "offline.performance_context" if claim.context else "offline.performance"
        lines.append(fill(tr, key, metric=claim.metric, delta=claim.delta, context=claim.context))
    shown = lines[:USER_CHANGES_SHOWN]
    if len(lines) > USER_CHANGES_SHOWN:
        more = fill(tr, "offline.more", count=len(lines) - USER_CHANGES_SHOWN)
        shown.append(plain("".join(s.text for s in more).strip()))
    return shown


def areas(tr: Translator, entry: CommitEntry) -> list[Rich]:
    """The busiest directories of a commit, the root as a word."""
    return [plain(tr.label("rules.root")) if d.path in ("", ".") else code(d.path) for d in entry.triage.top_dirs]


def areas_line(tr: Translator, entry: CommitEntry) -> Rich:
    """ "3 files, +11 / −11: `lib/llm`, `docs`; lockfiles: `Cargo.lock`" on one line: every file counted,
    lockfiles, generated, vendored and binary files named."""
    commit, triage = entry.commit, entry.triage
    total = fill(tr, "rules.files_summary", len(commit.files), additions=commit.additions, deletions=commit.deletions)
    separator = tr.label("punct.list_separator")
    dirs = areas(tr, entry)
    first = total
    if dirs:
        first += (Span(tr.label("punct.colon")), *join(dirs[:AREAS_SHOWN], separator))
    if len(dirs) > AREAS_SHOWN:
        first += fill(tr, "offline.more", count=len(dirs) - AREAS_SHOWN)
    parts = [first]
    by_kind: dict[FileCategory, list[str]] = {}
    for change, category in zip(commit.files, triage.categories, strict=False):
        if category in NOISE_LABELS:
            by_kind.setdefault(category, []).append(
                change.path.rsplit("/", 1)[-1] if category is FileCategory.LOCKFILE else change.path
            )
    for category, paths in by_kind.items():
        names = list(dict.fromkeys(paths))
        listed = join((code(n) for n in names[:NOISE_SHOWN]), separator)
        if len(names) > NOISE_SHOWN:
            listed += fill(tr, "offline.more", count=len(names) - NOISE_SHOWN)
        parts.append(fill(tr, NOISE_LABELS[category], names=listed))
    return join(parts, tr.label("punct.semicolon"))


def why_line(tr: Translator, entry: CommitEntry) -> Rich:
    """The reason that decided the type (and the floor, when a hard signal set one), with the score."""
    triage = entry.triage
    shown = list(triage.reasons[:1])
    if triage.floor_reason is not None:
        shown.append(triage.floor_reason)
    score = fill(tr, "offline.score", score=triage.score)
    if not shown:
        return score
    return (*join((plain(tr.reason(r)) for r in shown), tr.label("punct.semicolon")), Span(SEP), *score)


def rules_level_apart(entry: CommitEntry) -> Importance | None:
    """The rules' importance when the model's differs from it by two levels (high against low), shown
    next to the model's (issue 12: both levels, so a reader sees the disagreement); else None."""
    rules = entry.triage.importance
    if entry.analyzer == "llm" and abs(entry.importance.rank - rules.rank) == 2:
        return rules
    return None


# --- the report's shape -------------------------------------------------------------------------------------


def is_sync_merge(entry: CommitEntry) -> bool:
    return is_sync(entry.commit, entry.triage)


def brought_in(entries: Sequence[CommitEntry]) -> dict[str, str]:
    """``{sha: merge sha}`` for the commits a sync merge of the report brings in (``triage.syncs``)."""
    return brought_in_by([(e.commit, e.triage) for e in entries])


@dataclass
class Line:
    """A one-line entry: the commit, the revert that undid it (both in the report), and the commits it
    brings in when it is a sync merge (newest first)."""

    entry: CommitEntry
    reverted_by: CommitEntry | None = None
    brings: tuple[CommitEntry, ...] = ()

    @property
    def related(self) -> tuple[CommitEntry, ...]:
        """The other commits this line stands for (the revert, the commits brought in)."""
        return ((self.reverted_by,) if self.reverted_by is not None else ()) + self.brings


@dataclass
class GroupShape:
    level: Importance
    entries: list[CommitEntry]  # the level's commits, less those a sync merge brings in (the heading's count)
    full: list[CommitEntry] = field(default_factory=list)  # entries with their analysis shown
    lines: list[Line] = field(default_factory=list)  # one-line entries


def report_shape(report: ReportData) -> list[GroupShape]:
    """The non-empty groups, high → medium → low, split into full and one-line entries."""
    entries = report.entries
    pairs = revert_pairs([e.commit for e in entries], [e.triage.signals.reverts for e in entries])
    by_sha = {e.commit.sha: e for e in entries}
    reverted_by = {original: by_sha[revert] for revert, original in pairs.items()}
    synced = brought_in(entries)
    brings: dict[str, list[CommitEntry]] = {}
    for e in entries:
        if e.commit.sha in synced:
            brings.setdefault(synced[e.commit.sha], []).append(e)
    groups: list[GroupShape] = []
    for level, level_entries in report.grouped():
        shown = [e for e in level_entries if e.commit.sha not in synced]  # the rest are on their merge's line
        if not shown:
            continue
        group = GroupShape(level, shown)
        for e in level_entries:
            sha = e.commit.sha
            if sha in synced:
                continue  # named on the sync merge that brings it
            if sha in pairs and pairs[sha] in by_sha and pairs[sha] not in synced:
                continue  # shown with the commit it reverts
            if sha in brings:
                group.lines.append(Line(e, brings=tuple(brings[sha])))
            elif sha in reverted_by and sha not in pairs:
                group.lines.append(Line(e, reverted_by[sha]))
            elif level is Importance.LOW:
                group.lines.append(Line(e))
            else:
                group.full.append(e)
        groups.append(group)
    return groups


__all__ = [
    "AREAS_SHOWN",
    "GroupShape",
    "Line",
    "Rich",
    "Span",
    "areas",
    "areas_line",
    "brought_in",
    "fill",
    "is_sync_merge",
    "render_rich",
    "report_shape",
    "rules_level_apart",
    "user_changes",
    "why_line",
]
