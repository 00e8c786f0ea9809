"""The weekly digest from stored reports: every commit of the week once, themes by rules, missing days named."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from commitwatch.digest import build_weekly, parse_week, rules_weekly_highlights, week_days, week_window
from commitwatch.errors import UsageError
from commitwatch.models import Analysis, ChangeType, CommitEntry, Importance, RepoRef, ReportData, Window
from commitwatch.render.json import render_json
from commitwatch.render.markdown import render_markdown
from commitwatch.storage import Store
from commitwatch.window import day_window
from tests.reportdata import DYNAMO, LOCAL, SHANGHAI, commit, entry, f

TZ = "Asia/Shanghai"
WEEK = "2026-W06"  # Monday 2026-02-02 to Sunday 2026-02-08
AFTER_THE_WEEK = datetime(2026, 2, 10, tzinfo=timezone.utc)


def _entry(seed: str, when: str, importance: Importance = Importance.MEDIUM, change_type: ChangeType = ChangeType.FIX,
           *, area: str = "lib/runtime", lines: int = 10, analyzer: str = "rules", summary: str = "") -> CommitEntry:
    c = commit(seed, f"{change_type.value}: {seed}", when, files=(f(f"{area}/{seed}.rs", lines, 1),))
    analysis = None
    if analyzer == "llm":
        analysis = Analysis(change_type=change_type, importance=importance, summary=[summary or seed])
    return entry(c, change_type, importance, analysis=analysis, analyzer=analyzer,
                 fallback_reason="timeout" if analyzer == "rules-fallback" else None)


def _report(window: Window, entries: Sequence[CommitEntry], generated: datetime, *, language: str = "en",
            branch: str = "main", repo: RepoRef = DYNAMO) -> ReportData:
    return ReportData(
        repo=repo,
        branch=branch,
        window=window,
        language=language,
        analyzer_kind="llm" if any(e.analyzer == "llm" for e in entries) else "rules",
        model="deepseek-ai/deepseek-v3.1" if any(e.analyzer == "llm" for e in entries) else None,
        entries=sorted(entries, key=lambda e: e.commit.committed_at, reverse=True),
        generated_at=generated,
    )


def _daily(day: int, entries: Sequence[CommitEntry], **kw: object) -> ReportData:
    d = date(2026, 2, day)
    return _report(day_window(d, TZ), entries, datetime(2026, 2, day + 1, 0, 5, tzinfo=timezone.utc), **kw)  # type: ignore[arg-type]


def _at(day: int, hour: int) -> str:
    return datetime(2026, 2, day, hour, 0, tzinfo=SHANGHAI).isoformat()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """Six dailies of W06 (Wednesday missing), a since-last-run range inside the week that repeats a
    Friday commit with a newer analysis and brings a late arrival, a range across Sunday night, and
    reports that must not count (another language, another repository)."""
    opened = Store.open(tmp_path / "c.db")
    dailies = {
        2: [_entry("mon-a", _at(2, 9), Importance.HIGH, ChangeType.FEATURE, area="lib/llm", lines=500,
                   analyzer="llm"),
            _entry("mon-b", _at(2, 15), Importance.LOW, ChangeType.DOCS, area="docs")],
        3: [_entry("tue-a", _at(3, 11), area="lib/llm", lines=40)],
        5: [_entry("thu-a", _at(5, 10), Importance.LOW, ChangeType.CI, area=".github", lines=3)],
        6: [_entry("fri-a", _at(6, 20), Importance.MEDIUM, analyzer="rules-fallback"),
            _entry("fri-b", _at(6, 8), Importance.HIGH, ChangeType.PERF, area="lib/kv", lines=200, analyzer="llm")],
        7: [],  # a quiet Saturday is still covered
        8: [_entry("sun-a", _at(8, 12), area="lib/llm", lines=60)],
    }
    for day, entries in dailies.items():
        opened.save_report(None, _daily(day, entries))
    # since-last-run window Fri 18:00 -> Sat 06:00: fri-a again (now analysed by the LLM), a late arrival
    late = _entry("late", datetime(2026, 1, 30, 9, 0, tzinfo=SHANGHAI).isoformat(), Importance.HIGH,
                  ChangeType.SECURITY, area="lib/auth", lines=30, analyzer="llm")
    fri_again = _entry("fri-a", _at(6, 20), Importance.HIGH, analyzer="llm", summary="now by the LLM")
    span = Window(datetime(2026, 2, 6, 18, tzinfo=SHANGHAI), datetime(2026, 2, 7, 6, tzinfo=SHANGHAI), TZ)
    opened.save_report(None, _report(span, [fri_again, late], datetime(2026, 2, 9, tzinfo=timezone.utc)))
    # across Sunday night: only the Sunday commit belongs to W06
    night = Window(datetime(2026, 2, 8, 20, tzinfo=SHANGHAI), datetime(2026, 2, 9, 8, tzinfo=SHANGHAI), TZ)
    opened.save_report(None, _report(night, [_entry("sun-late", _at(8, 22)), _entry("next-mon", _at(9, 7))],
                                     datetime(2026, 2, 9, 1, tzinfo=timezone.utc)))
    opened.save_report(None, _daily(4, [_entry("wed-zh", _at(4, 10))], language="zh-CN"))
    opened.save_report(None, _daily(4, [_entry("wed-local", _at(4, 10))], repo=LOCAL))
    yield opened
    opened.close()


def test_every_commit_of_the_week_once_newest_first(store: Store) -> None:
    report = build_weekly(store, "ai-dynamo/dynamo", WEEK, TZ, "en", now=AFTER_THE_WEEK)
    subjects = [e.commit.subject.split(": ", 1)[1] for e in report.entries]
    assert subjects == ["sun-late", "sun-a", "fri-a", "fri-b", "thu-a", "tue-a", "mon-b", "mon-a", "late"]
    fri_a = next(e for e in report.entries if e.commit.subject.endswith("fri-a"))
    assert fri_a.analyzer == "llm" and fri_a.analysis is not None and fri_a.analysis.summary == ["now by the LLM"]
    assert report.window == Window(datetime(2026, 2, 2, tzinfo=SHANGHAI), datetime(2026, 2, 9, tzinfo=SHANGHAI), TZ)
    assert report.window.day is None
    assert report.repo == DYNAMO and report.branch == "main" and report.language == "en"
    assert report.analyzer_kind == "llm" and report.model == "deepseek-ai/deepseek-v3.1"
    assert report.usage.requests == 0  # the digest itself asked nothing


def test_a_missing_day_is_named_in_a_warning(store: Store) -> None:
    report = build_weekly(store, DYNAMO, WEEK, TZ, "en", now=AFTER_THE_WEEK)
    assert report.warnings == ["No stored report covers 2026-02-04; the digest leaves those days out."]
    zh = build_weekly(store, DYNAMO, WEEK, TZ, "zh-CN", now=AFTER_THE_WEEK)  # only Wednesday is stored in zh-CN
    assert "2026-02-02、2026-02-03、2026-02-05" in zh.warnings[0]
    assert "2026-02-04" not in zh.warnings[0]


def test_days_still_to_come_are_not_missing(store: Store) -> None:
    report = build_weekly(store, DYNAMO, WEEK, TZ, "en", now=datetime(2026, 2, 5, 12, tzinfo=SHANGHAI))
    assert report.warnings == ["No stored report covers 2026-02-04; the digest leaves those days out."]
    mid = build_weekly(store, DYNAMO, WEEK, TZ, "en", now=datetime(2026, 2, 4, 12, tzinfo=SHANGHAI))
    assert mid.warnings == ["No stored report covers 2026-02-04; the digest leaves those days out."]


def test_the_themes_of_the_week(store: Store) -> None:
    report = build_weekly(store, DYNAMO, WEEK, TZ, "en", now=AFTER_THE_WEEK)
    lines = report.highlights
    assert lines[0] == "9 commits this week: 4 high, 3 medium and 2 low importance."
    assert lines[1].startswith("By type: Bug fix 4 · ")
    assert lines[2].startswith("Most changed areas: lib (+")  # the fixture's triage groups by top directory
    high = [line for line in lines if line.startswith("High importance:")]
    assert len(high) == 4
    assert any("fri-b" in line and "Performance" in line for line in high)
    assert any(line.startswith("High importance: ") and "late" in line for line in high)


def test_the_digest_renders_with_the_same_renderers_and_json_minimum(store: Store) -> None:
    report = build_weekly(store, DYNAMO, WEEK, TZ, "zh-CN", now=AFTER_THE_WEEK, branch="main")
    data = json.loads(render_json(report))
    assert data["window"] == {"start": "2026-02-02T00:00:00+08:00", "end": "2026-02-09T00:00:00+08:00", "tz": TZ}
    assert data["stats"]["total"] == 1 and data["day"] is None
    assert "2026-02-02 00:00 – 2026-02-09 00:00" in render_markdown(report)


def test_a_stored_digest_renders_byte_identical(store: Store) -> None:
    report = build_weekly(store, DYNAMO, WEEK, TZ, "en", now=AFTER_THE_WEEK)
    store.save_report(None, report)
    loaded = store.load_report(DYNAMO, language="en", window=week_window(WEEK, TZ))
    assert loaded is not None
    assert render_markdown(loaded) == render_markdown(report)
    assert render_json(loaded) == render_json(report)


def test_the_highlighter_is_a_seam(store: Store) -> None:
    seen: list[tuple[int, str]] = []

    def llm_like(entries: Sequence[CommitEntry], language: str) -> list[str]:
        seen.append((len(entries), language))
        return ["one line from elsewhere"]

    report = build_weekly(store, DYNAMO, WEEK, TZ, "en", highlighter=llm_like, now=AFTER_THE_WEEK)
    assert seen == [(9, "en")] and report.highlights == ["one line from elsewhere"]


def test_several_branches_need_a_choice(store: Store) -> None:
    store.save_report(None, _daily(3, [_entry("dev-a", _at(3, 12))], branch="dev"))
    with pytest.raises(UsageError, match="several branches") as info:
        build_weekly(store, DYNAMO, WEEK, TZ, "en", now=AFTER_THE_WEEK)
    assert "--branch" in (info.value.hint or "")
    dev = build_weekly(store, DYNAMO, WEEK, TZ, "en", branch="dev", now=AFTER_THE_WEEK)
    assert [e.commit.subject for e in dev.entries] == ["fix: dev-a"] and len(dev.warnings) == 1


def test_a_week_without_stored_reports_is_an_error(store: Store) -> None:
    with pytest.raises(UsageError, match="no stored en report"):
        build_weekly(store, DYNAMO, "2026-W10", TZ, "en")
    with pytest.raises(UsageError):
        build_weekly(store, "unknown/repo", WEEK, TZ, "en")


def test_rules_highlights_of_an_empty_week_are_empty() -> None:
    assert rules_weekly_highlights([], "zh-CN") == []


def test_counting_in_chinese() -> None:
    items = [_entry("a", _at(2, 9), Importance.HIGH, ChangeType.FEATURE), _entry("b", _at(2, 10))]
    lines = rules_weekly_highlights(items, "zh-CN")
    assert lines[0] == "本周共 2 个提交：高 1 个，中 1 个，低 0 个。"
    assert lines[1] == "按类型：功能增强 1 · Bug修复 1。"
    assert lines[-1].startswith("高重要性：") and "功能增强" in lines[-1]


# --- the week string ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["2026-W6", "2026-W54", "2025-W53", "2026-W00", "26-W06", "2026W06", "2026-06", ""])
def test_malformed_or_impossible_weeks_are_usage_errors(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_week(text)
    assert "2026-W06" in (info.value.hint or "")


def test_weeks_parse_to_monday_through_sunday() -> None:
    assert parse_week("2026-W06") == (2026, 6)
    assert parse_week("2026-W53") == (2026, 53)  # 2026 starts on a Thursday: 53 ISO weeks
    assert week_days("2026-W06") == [date(2026, 2, 2) + timedelta(days=i) for i in range(7)]
    assert week_days("2027-W01")[0] == date(2027, 1, 4)


def test_a_week_across_a_daylight_saving_switch_is_167_hours() -> None:
    window = week_window("2026-W10", "America/New_York")  # clocks go forward on Sunday 2026-03-08
    assert window.end.astimezone(timezone.utc) - window.start.astimezone(timezone.utc) == timedelta(hours=167)
    assert window.start.isoformat() == "2026-03-02T00:00:00-05:00"
    assert window.end.isoformat() == "2026-03-09T00:00:00-04:00"
