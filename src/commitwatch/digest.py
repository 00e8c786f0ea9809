"""The weekly digest: one report for an ISO week, built from stored reports — no git, no network, no LLM.

    report = build_weekly(store, "ai-dynamo/dynamo", "2026-W06", "Asia/Shanghai", "zh-CN")

- Window: Monday 00:00 to the next Monday 00:00 in ``tz`` (``window.day`` is None, so renderers title it
  as a range).
- Sources: every stored report of the repository, branch and language whose window overlaps the week
  (calendar-day reports and ``--since-last-run`` ranges alike).
- Commits: each commit once (by SHA; the most recently generated report's entry wins), newest first.
  A commit is in the week when it was committed in the week, or when it was reported by a run whose
  window lies inside the week (a late arrival, such as a rebased push); so a range window spanning
  Sunday night gives each week only its own commits.
- Highlights ("themes of the week"): by default the rules' ``rules_weekly_highlights``: totals by
  importance, counts by change type, the areas with the most changed lines, then every high-importance
  change. ``highlighter`` is the seam for the one optional LLM request over these structured entries.
- Warnings: the days of the week (up to now) that no stored report covers, and how many commits the
  daily reports analysed by the rules instead of the LLM.
- Usage is zero: the digest itself made no request.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

from . import i18n
from .errors import UsageError
from .models import ChangeType, CommitEntry, Importance, RepoRef, ReportData, Window
from .storage import Store
from .window import day_window

Highlighter = Callable[[Sequence[CommitEntry], str], list[str]]

TOP_AREAS = 5
SUBJECT_CHARS = 72
_WEEK = re.compile(r"(\d{4})-W(\d{2})")
WEEK_HINT = "Write the week as YYYY-Www with two digits, for example --week 2026-W06."

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "total": "{total} commits this week: {high} high, {medium} medium and {low} low importance.",
        "types": "By type: {items}.",
        "areas": "Most changed areas: {items}.",
        "area": "{path} (+{additions}/−{deletions} in {commits} commits)",
        "high": "High importance: {sha} {subject} ({change_type})",
        "missing": "No stored report covers {days}; the digest leaves those days out.",
        "fallback": "{count} of {total} commits were analysed by the rules instead of the LLM in the daily reports.",
    },
    "zh-CN": {
        "total": "本周共 {total} 个提交：高 {high} 个，中 {medium} 个，低 {low} 个。",
        "types": "按类型：{items}。",
        "areas": "改动最多的目录：{items}。",
        "area": "{path}（{commits} 个提交，+{additions}/−{deletions}）",
        "high": "高重要性：{sha} {subject}（{change_type}）",
        "missing": "以下日期没有已存储的报告，本周报未包含：{days}。",
        "fallback": "日报中有 {count}/{total} 个提交由规则分析代替了 LLM。",
    },
}


def _say(language: str, key: str, **params: object) -> str:
    table = _TEXT.get(i18n.normalize_language(language), _TEXT["en"])
    return table[key].format(**params)


# --- the week ----------------------------------------------------------------------------------------


def parse_week(text: str) -> tuple[int, int]:
    """``"2026-W06"`` -> ``(2026, 6)``; ``UsageError`` for another form or a week the year does not have."""
    match = _WEEK.fullmatch(text.strip())
    if match is None:
        raise UsageError(f"malformed ISO week {text!r}", hint=WEEK_HINT)
    year, week = int(match.group(1)), int(match.group(2))
    weeks = date(year, 12, 28).isocalendar()[1]  # 28 December is always in the year's last ISO week
    if not 1 <= week <= weeks:
        raise UsageError(f"{year} has ISO weeks 01 to {weeks:02d}, not {week:02d}", hint=WEEK_HINT)
    return year, week


def week_days(iso_week: str) -> list[date]:
    """Monday to Sunday of an ISO week."""
    year, week = parse_week(iso_week)
    monday = date.fromisocalendar(year, week, 1)
    return [monday + timedelta(days=i) for i in range(7)]


def week_window(iso_week: str, tz: str) -> Window:
    """Monday 00:00 to the next Monday 00:00 in ``tz`` (168 hours, or 167/169 across a DST switch)."""
    monday = week_days(iso_week)[0]
    return Window(start=day_window(monday, tz).start, end=day_window(monday + timedelta(days=7), tz).start, tz=tz)


# --- statistics and the rules' themes ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AreaStat:
    path: str
    commits: int
    additions: int
    deletions: int

    @property
    def changed_lines(self) -> int:
        return self.additions + self.deletions


@dataclass(frozen=True, slots=True)
class WeeklyStats:
    total: int
    by_importance: dict[Importance, int]
    by_type: list[tuple[ChangeType, int]]  # most frequent first
    areas: list[AreaStat]  # most changed lines first


def weekly_stats(entries: Sequence[CommitEntry], top_areas: int = TOP_AREAS) -> WeeklyStats:
    """Totals by importance and change type, and the areas (triage's top directories) with the most
    changed lines."""
    by_importance = {level: 0 for level in Importance}
    types: Counter[ChangeType] = Counter()
    areas: dict[str, list[int]] = {}
    for entry in entries:
        by_importance[entry.importance] += 1
        types[entry.change_type] += 1
        for stat in entry.triage.top_dirs:
            area = areas.setdefault(stat.path, [0, 0, 0])
            area[0] += 1
            area[1] += stat.additions
            area[2] += stat.deletions
    order = list(ChangeType)
    by_type = sorted(types.items(), key=lambda kv: (-kv[1], order.index(kv[0])))
    ranked = sorted(areas.items(), key=lambda kv: (-(kv[1][1] + kv[1][2]), -kv[1][0], kv[0]))
    return WeeklyStats(
        total=len(entries),
        by_importance=by_importance,
        by_type=by_type,
        areas=[AreaStat(path, n, adds, dels) for path, (n, adds, dels) in ranked[:top_areas]],
    )


def _short(subject: str) -> str:
    subject = " ".join(subject.split())
    return subject if len(subject) <= SUBJECT_CHARS else subject[: SUBJECT_CHARS - 1] + "…"


def rules_weekly_highlights(entries: Sequence[CommitEntry], language: str) -> list[str]:
    """The week's themes by rules: totals, types, top areas, then every high-importance change (in the
    entries' order, newest first). Empty for a week without commits."""
    if not entries:
        return []
    stats = weekly_stats(entries)
    separator = "、" if i18n.normalize_language(language) == "zh-CN" else ", "
    lines = [
        _say(
            language,
            "total",
            total=stats.total,
            high=stats.by_importance[Importance.HIGH],
            medium=stats.by_importance[Importance.MEDIUM],
            low=stats.by_importance[Importance.LOW],
        ),
        _say(
            language,
            "types",
            items=" · ".join(f"{i18n.label(language, f'change_type.{t.value}')} {n}" for t, n in stats.by_type),
        ),
    ]
    if stats.areas:
        items = separator.join(
            _say(language, "area", path=a.path, commits=a.commits, additions=a.additions, deletions=a.deletions)
            for a in stats.areas
        )
        lines.append(_say(language, "areas", items=items))
    for entry in entries:
        if entry.importance is Importance.HIGH:
            lines.append(
                _say(
                    language,
                    "high",
                    sha=entry.commit.short_sha,
                    subject=_short(entry.commit.subject),
                    change_type=i18n.label(language, f"change_type.{entry.change_type.value}"),
                )
            )
    return lines


# --- building the digest -----------------------------------------------------------------------------


def _covered(start: datetime, end: datetime, spans: Sequence[tuple[datetime, datetime]]) -> bool:
    """Whether the union of ``spans`` covers ``[start, end)`` (compared in UTC, never as wall times)."""
    start, end = start.astimezone(timezone.utc), end.astimezone(timezone.utc)
    reach = start
    for span_start, span_end in sorted((s.astimezone(timezone.utc), e.astimezone(timezone.utc)) for s, e in spans):
        if span_start > reach:
            break
        reach = max(reach, span_end)
        if reach >= end:
            return True
    return reach >= end


def build_weekly(
    store: Store,
    repo: int | RepoRef | str,
    iso_week: str,
    tz: str,
    language: str,
    *,
    branch: str | None = None,
    highlighter: Highlighter = rules_weekly_highlights,
    now: datetime | None = None,
) -> ReportData:
    """The digest of ``iso_week`` (``"2026-W06"``) in ``tz`` from the stored reports (see the module
    docstring). ``UsageError`` when nothing is stored for that week, or when the stored reports cover
    several branches and ``branch`` is not given."""
    window = week_window(iso_week, tz)
    moment = now or datetime.now(timezone.utc)
    snapshots = store.load_reports(repo, window.start, window.end, language=language, branch=branch)
    name = repo.name if isinstance(repo, RepoRef) else str(repo)
    if not snapshots:
        raise UsageError(
            f"no stored {language} report of {name} overlaps {iso_week}",
            hint="Run `commitwatch report` for the days of that week first (with the same --lang).",
        )
    branches = sorted({s.branch for s in snapshots})
    if len(branches) > 1:
        raise UsageError(
            f"stored reports of {name} in {iso_week} cover several branches: {', '.join(branches)}",
            hint="Pass --branch to choose one.",
        )

    chosen: dict[str, tuple[datetime, CommitEntry]] = {}
    for snapshot in snapshots:
        inside = window.start <= snapshot.window.start and snapshot.window.end <= window.end
        for entry in snapshot.entries:
            if not (inside or window.start <= entry.commit.committed_at < window.end):
                continue
            known = chosen.get(entry.commit.sha)
            if known is None or snapshot.generated_at >= known[0]:
                chosen[entry.commit.sha] = (snapshot.generated_at, entry)
    entries = sorted(
        (entry for _, entry in chosen.values()),
        key=lambda e: (e.commit.committed_at, e.commit.sha),
        reverse=True,
    )

    warnings: list[str] = []
    spans = [(s.window.start, s.window.end) for s in snapshots]
    missing = [
        day
        for day in week_days(iso_week)
        if (span := day_window(day, tz)).start < moment and not _covered(span.start, span.end, spans)
    ]
    if missing:
        separator = "、" if i18n.normalize_language(language) == "zh-CN" else ", "
        warnings.append(_say(language, "missing", days=separator.join(d.isoformat() for d in missing)))
    fallbacks = sum(1 for e in entries if e.analyzer == "rules-fallback")
    if fallbacks:
        warnings.append(_say(language, "fallback", count=fallbacks, total=len(entries)))

    newest = max(snapshots, key=lambda s: s.generated_at)
    models = sorted({s.model for s in snapshots if s.analyzer_kind == "llm" and s.model})
    return ReportData(
        repo=newest.repo,
        branch=newest.branch,
        window=window,
        language=language,
        analyzer_kind="llm" if any(s.analyzer_kind == "llm" for s in snapshots) else "rules",
        model=", ".join(models) or None,
        entries=entries,
        generated_at=moment,
        warnings=warnings,
        highlights=highlighter(entries, language),
    )
