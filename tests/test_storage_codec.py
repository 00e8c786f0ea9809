"""Report snapshots: lossless round trips, and ``render`` of a stored report is byte-identical."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commitwatch.models import (
    Analysis,
    ChangeType,
    Commit,
    CommitEntry,
    DirStat,
    FileCategory,
    FileChange,
    Impact,
    Importance,
    Insights,
    Person,
    Reason,
    Recommendation,
    RepoRef,
    ReportData,
    Risk,
    Triage,
    Usage,
    Window,
)
from commitwatch.render.json import render_json
from commitwatch.render.markdown import render_markdown
from commitwatch.storage import Store, StoreError, codec
from tests.reportdata import empty_report, llm_report, rules_report, translator, tricky_report

FIXTURES = [llm_report, rules_report, tricky_report, empty_report]


def _stored(data: dict[str, Any]) -> dict[str, Any]:
    """What the store keeps: the snapshot through JSON text."""
    return json.loads(json.dumps(data, ensure_ascii=True))


def _without_patches(report: ReportData) -> ReportData:
    def strip(entry: CommitEntry) -> CommitEntry:
        files = tuple(dataclasses.replace(f, patch=None) for f in entry.commit.files)
        commit = dataclasses.replace(entry.commit, files=files, patches_collected=False)
        return dataclasses.replace(entry, commit=commit)

    return dataclasses.replace(report, entries=[strip(e) for e in report.entries])


@pytest.mark.parametrize("build", FIXTURES, ids=lambda b: b.__name__)
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_fixture_reports_round_trip(build: Any, language: str) -> None:
    report = build(language)
    assert codec.report_from_data(_stored(codec.report_to_data(report))) == report


@pytest.mark.parametrize("build", FIXTURES, ids=lambda b: b.__name__)
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_a_stored_report_renders_byte_identical(tmp_path: Path, build: Any, language: str) -> None:
    report = build(language)
    tr = translator(language)
    original = {"md": render_markdown(report, translator=tr), "json": render_json(report, translator=tr)}
    with Store.open(tmp_path / "c.db") as store:
        repo_id = store.repo_id(report.repo)
        run_id = store.start_run(repo_id, report.branch, report.window, "fp")
        store.save_report(run_id, report)
    with Store.open(tmp_path / "c.db") as store:  # as `commitwatch render` would: a new process, no network
        if report.window.day is not None:
            loaded = store.load_report(report.repo.name, language=language, day=report.window.day)
        else:
            loaded = store.load_report(report.repo.name, language=language, window=report.window)
    assert loaded is not None
    again = {"md": render_markdown(loaded, translator=tr), "json": render_json(loaded, translator=tr)}
    assert again["md"].encode() == original["md"].encode()
    assert again["json"].encode() == original["json"].encode()


def test_saving_the_same_window_again_replaces_the_snapshot(tmp_path: Path) -> None:
    first = llm_report("en")
    second = dataclasses.replace(first, highlights=["rerun"], entries=first.entries[:2])
    with Store.open(tmp_path / "c.db") as store:
        store.save_report(None, first)
        store.save_report(None, second)
        assert store.load_report(first.repo, language="en", day=first.window.day) == second
        assert store.load_report(first.repo, language="zh-CN", day=first.window.day) is None
        assert store.load_report(first.repo, language="en", day=date(2026, 2, 6)) is None
        assert store.load_report("no/such-repo", language="en", day=first.window.day) is None
        assert store.load_report(first.repo, language="en", day=first.window.day, branch="dev") is None


def test_every_model_field_is_in_the_snapshot() -> None:
    """Adding a field to a model without teaching the codec fails here."""
    report = llm_report("en")
    data = codec.report_to_data(report)

    def names(cls: Any) -> set[str]:
        return {f.name for f in dataclasses.fields(cls)}

    assert set(data) - {"codec"} == names(ReportData)
    assert set(data["window"]) == names(Window)
    assert set(data["repo"]) == names(RepoRef)
    assert set(data["usage"]) == names(Usage)
    entry = data["entries"][0]
    assert set(entry) == names(CommitEntry)
    assert set(entry["commit"]) == names(Commit) - {"patches_collected"}
    assert set(entry["commit"]["files"][0]) == names(FileChange) - {"patch"}
    assert set(entry["triage"]) == names(Triage)
    assert set(entry["triage"]["reasons"][0]) == names(Reason)
    assert len(entry["triage"]["top_dirs"][0]) == len(names(DirStat))
    assert len(entry["commit"]["author"]) == len(names(Person))


def test_a_snapshot_from_a_newer_commitwatch_is_refused() -> None:
    data = codec.report_to_data(llm_report("en"))
    with pytest.raises(codec.CodecError, match="newer"):
        codec.report_from_data({**data, "codec": codec.CODEC_VERSION + 1})
    with pytest.raises(codec.CodecError):
        codec.report_from_data({"codec": 1, "repo": {}})


def test_a_damaged_stored_snapshot_is_a_store_error(tmp_path: Path) -> None:
    report = llm_report("en")
    with Store.open(tmp_path / "c.db") as store:
        store.save_report(None, report)
    conn = sqlite3.connect(tmp_path / "c.db")
    with conn:
        conn.execute("UPDATE reports SET data = '{\"codec\": 1, \"repo\": '")
    conn.close()
    with Store.open(tmp_path / "c.db") as store, pytest.raises(StoreError, match="cannot be read"):
        store.load_report(report.repo, language="en", day=report.window.day)


def test_undecodable_text_survives_the_store(tmp_path: Path) -> None:
    report = llm_report("en")
    odd = dataclasses.replace(report.entries[0].commit, subject="bad \udcff byte", body="\ud800 lone")
    report = dataclasses.replace(report, entries=[dataclasses.replace(report.entries[0], commit=odd)])
    with Store.open(tmp_path / "c.db") as store:
        store.save_report(None, report)
        assert store.load_report(report.repo, language="en", day=report.window.day) == report


# --- property test ---------------------------------------------------------------------------------

# Fixed offsets, as git gives them. (Python says a time in a DST gap or fold never == a time in another
# zone, so zone-aware times are checked separately below, on the snapshot's text and in UTC.)
ZONES = [timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-9, minutes=-30))]
REAL_ZONES = [ZoneInfo("Asia/Shanghai"), ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe")]
text = st.text(st.characters(codec="utf-8") | st.sampled_from("\udcff\ud800|`*#\n"), max_size=12)
opt_text = st.none() | text
moments = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.sampled_from(ZONES)
)
counts = st.integers(0, 10**9)
shas = st.text("0123456789abcdef", min_size=40, max_size=40)

files = st.builds(
    FileChange,
    path=text,
    status=st.sampled_from("AMDRCT"),
    additions=counts,
    deletions=counts,
    old_path=opt_text,
    binary=st.booleans(),
    similarity=st.none() | st.integers(0, 100),
    patch=opt_text,
)
people = st.builds(Person, text, text)
commits = st.builds(
    Commit,
    sha=shas,
    parents=st.lists(shas, max_size=3).map(tuple),
    author=people,
    authored_at=moments,
    committer=people,
    committed_at=moments,
    subject=text,
    body=text,
    files=st.lists(files, max_size=3).map(tuple),
    patches_collected=st.booleans(),
)
reasons = st.builds(Reason, key=text, args=st.lists(st.tuples(text, text), max_size=2).map(tuple),
                    weight=st.integers(-50, 50))
triages = st.builds(
    Triage,
    change_type=st.sampled_from(ChangeType),
    importance=st.sampled_from(Importance),
    score=st.integers(-100, 100),
    reasons=st.lists(reasons, max_size=3).map(tuple),
    categories=st.lists(st.sampled_from(FileCategory), max_size=3).map(tuple),
    top_dirs=st.lists(st.builds(DirStat, text, counts, counts, counts), max_size=3).map(tuple),
    breaking=st.booleans(),
    bot=st.booleans(),
)
texts = st.lists(text, max_size=2)
analyses = st.builds(
    Analysis,
    change_type=st.sampled_from(ChangeType),
    importance=st.sampled_from(Importance),
    importance_reason=text,
    summary=texts,
    impact=st.lists(st.builds(Impact, area=text, detail=text), max_size=2),
    insights=st.builds(Insights, architecture=texts, performance=texts, security=texts, compatibility=texts),
    risks=st.lists(st.builds(Risk, title=text, detail=text, severity=st.sampled_from(["high", "medium", "low"])),
                   max_size=2),
    recommendations=st.lists(st.builds(Recommendation, audience=text, text=text), max_size=2),
    conclusion=text,
)
entries = st.builds(
    CommitEntry,
    commit=commits,
    triage=triages,
    change_type=st.sampled_from(ChangeType),
    importance=st.sampled_from(Importance),
    analyzer=st.sampled_from(["llm", "rules", "rules-fallback"]),
    fallback_reason=opt_text,
    analysis=st.none() | analyses,
    coverage=st.none() | st.floats(0, 1),
    files_left_out=st.lists(text, max_size=2).map(tuple),
)
reports = st.builds(
    ReportData,
    repo=st.builds(RepoRef, spec=text, kind=st.sampled_from(["local", "remote"]), name=text, slug=text,
                   url=opt_text, path=opt_text, github=opt_text),
    branch=text,
    window=st.builds(Window, start=moments, end=moments, tz=st.sampled_from(["Asia/Shanghai", "UTC"]),
                     day=st.none() | st.dates()),
    language=st.sampled_from(["zh-CN", "en"]),
    analyzer_kind=st.sampled_from(["llm", "rules"]),
    model=opt_text,
    entries=st.lists(entries, max_size=3),
    generated_at=moments,
    warnings=texts,
    usage=st.builds(Usage, counts, counts, counts),
    highlights=texts,
)


@settings(max_examples=150, deadline=None)
@given(reports)
def test_any_report_round_trips_without_its_patches(report: ReportData) -> None:
    data = _stored(codec.report_to_data(report))
    decoded = codec.report_from_data(data)
    assert decoded == _without_patches(report)
    assert codec.report_to_data(decoded) == data  # offsets and microseconds too, not only the instants


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31),
                    timezones=st.sampled_from(REAL_ZONES)), st.sampled_from(REAL_ZONES))
def test_times_in_real_zones_keep_their_instant_and_offset(moment: datetime, zone: ZoneInfo) -> None:
    report = llm_report("en")
    report = dataclasses.replace(
        report,
        window=dataclasses.replace(report.window, start=moment, end=moment.astimezone(zone)),
        generated_at=moment,
        entries=[dataclasses.replace(report.entries[0],
                                     commit=dataclasses.replace(report.entries[0].commit, committed_at=moment))],
    )
    data = _stored(codec.report_to_data(report))
    decoded = codec.report_from_data(data)
    assert codec.report_to_data(decoded) == data
    for before, after in [(report.window.start, decoded.window.start), (report.window.end, decoded.window.end),
                          (moment, decoded.entries[0].commit.committed_at), (moment, decoded.generated_at)]:
        assert after.astimezone(timezone.utc) == before.astimezone(timezone.utc)
        assert after.utcoffset() == before.utcoffset()
