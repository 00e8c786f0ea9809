"""Runs, history, --since-last-run support and deliveries."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from commitwatch.models import Usage, Window
from commitwatch.storage import Store, report_key
from tests.reportdata import DYNAMO, LOCAL, llm_report, sha
from tests.reportdata import SHANGHAI as CST


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "c.db") as opened:
        yield opened


def _day(d: int) -> Window:
    return Window(datetime(2026, 2, d, tzinfo=CST), datetime(2026, 2, d + 1, tzinfo=CST), "Asia/Shanghai",
                  date(2026, 2, d))


def test_a_finished_run_shows_in_history_with_its_numbers(store: Store) -> None:
    repo_id = store.repo_id(DYNAMO)
    run_id = store.start_run(repo_id, "main", _day(7), "model=x;lang=en")
    store.finish_run(
        run_id,
        "degraded",
        counts={"llm": 29, "rules-fallback": 2},
        usage=Usage(33, 250_000, 20_000),
        cost=0.4321,
        warnings=["2 of 31 commits fell back"],
        head_sha=sha("head"),
        reported=[sha(f"c{i}") for i in range(31)],
    )
    (run,) = store.history()
    assert run.id == run_id and run.repo == "ai-dynamo/dynamo" and run.branch == "main"
    assert run.status == "degraded" and run.commits == 31
    assert run.counts == {"llm": 29, "rules-fallback": 2}
    assert run.usage == Usage(33, 250_000, 20_000) and run.cost == pytest.approx(0.4321)
    assert run.warnings == ("2 of 31 commits fell back",)
    assert run.window == _day(7) and run.window.start.utcoffset() == timedelta(hours=8)
    assert run.head_sha == sha("head") and run.settings == "model=x;lang=en"
    assert run.finished_at is not None and run.finished_at >= run.started_at


def test_history_is_newest_first_limited_and_filtered_by_repository(store: Store) -> None:
    dynamo, local = store.repo_id(DYNAMO), store.repo_id(LOCAL)
    ids = [store.start_run(repo, "main", _day(d), "fp") for d, repo in ((3, dynamo), (4, local), (5, dynamo))]
    for run_id in ids:
        store.finish_run(run_id, "ok", counts={"rules": 1}, usage=Usage())
    assert [r.id for r in store.history()] == ids[::-1]
    assert [r.id for r in store.history(limit=2)] == ids[:0:-1]
    assert [r.id for r in store.history("ai-dynamo/dynamo")] == [ids[2], ids[0]]
    assert [r.id for r in store.history(LOCAL)] == [ids[1]]
    assert [r.id for r in store.history(local)] == [ids[1]]
    assert store.history("unknown/repo") == []


def test_a_running_run_whose_process_is_gone_or_too_old_is_interrupted(store: Store, tmp_path: Path) -> None:
    repo_id = store.repo_id(DYNAMO)
    alive = store.start_run(repo_id, "main", _day(7), "fp")
    dead = store.start_run(repo_id, "main", _day(7), "fp")
    old = store.start_run(repo_id, "main", _day(7), "fp")
    conn = sqlite3.connect(tmp_path / "c.db")
    with conn:
        conn.execute("UPDATE runs SET pid = 2147483646 WHERE id = ?", (dead,))  # no such process
        long_ago = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat()
        conn.execute("UPDATE runs SET started_at = ? WHERE id = ?", (long_ago, old))
    conn.close()
    status = {r.id: r.status for r in store.history()}
    assert status == {alive: "running", dead: "interrupted", old: "interrupted"}


def test_last_successful_run_is_the_one_whose_window_ends_last(store: Store) -> None:
    repo_id = store.repo_id(DYNAMO)
    assert store.last_successful_run(repo_id, "main") is None
    for day, status in ((5, "ok"), (6, "degraded"), (7, "failed")):
        run_id = store.start_run(repo_id, "main", _day(day), "fp")
        store.finish_run(run_id, status, counts={}, usage=Usage(), head_sha=sha(f"head{day}"))  # type: ignore[arg-type]
    store.start_run(repo_id, "main", _day(8), "fp")  # still running
    backfill = store.start_run(repo_id, "main", _day(1), "fp")  # an old day, run later
    store.finish_run(backfill, "ok", counts={}, usage=Usage(), head_sha=sha("head-now"))
    other_branch = store.start_run(repo_id, "release", _day(9), "fp")
    store.finish_run(other_branch, "ok", counts={}, usage=Usage())

    last = store.last_successful_run(repo_id, "main")
    assert last is not None
    assert last.window_end == _day(6).end and last.head_sha == sha("head6") and last.status == "degraded"


def test_reported_shas_come_from_successful_runs_of_the_branch(store: Store) -> None:
    repo_id = store.repo_id(DYNAMO)
    plan = [("main", "ok", ["a", "b"]), ("main", "degraded", ["c"]), ("main", "failed", ["d"]), ("dev", "ok", ["e"])]
    for branch, status, shas in plan:
        run_id = store.start_run(repo_id, branch, _day(7), "fp")
        store.finish_run(run_id, status, counts={}, usage=Usage(), reported=[sha(s) for s in shas])  # type: ignore[arg-type]
    assert store.reported_shas(repo_id, "main") == {sha("a"), sha("b"), sha("c")}
    assert store.reported_shas(repo_id, "main", among=[sha("b"), sha("d"), sha("z")]) == {sha("b")}
    assert store.reported_shas(repo_id, "dev") == {sha("e")}
    assert store.reported_shas(store.repo_id(LOCAL), "main") == set()


def test_finish_run_refuses_an_unknown_status(store: Store) -> None:
    run_id = store.start_run(store.repo_id(DYNAMO), "main", _day(7), "fp")
    with pytest.raises(ValueError, match="status"):
        store.finish_run(run_id, "great", counts={}, usage=Usage())  # type: ignore[arg-type]


def test_deliveries_are_recorded_so_a_rerun_does_not_post_twice(store: Store) -> None:
    report = llm_report("en")
    key = report_key(report)
    target = "github:me/reports@main:reports/2026/ai-dynamo-dynamo/2026-02-07.md"
    assert not store.was_delivered(target, key)
    store.record_delivery(target, key, "failed", detail="HTTP 502")
    assert not store.was_delivered(target, key)
    store.record_delivery(target, key, "ok", content_hash="h1")
    assert store.was_delivered(target, key)
    assert store.was_delivered(target, key, content_hash="h1")
    assert not store.was_delivered(target, key, content_hash="h2")  # the report changed since
    assert not store.was_delivered("apprise:slack", key)
    assert [d.status for d in store.deliveries(key)] == ["failed", "ok"]
    assert report_key(llm_report("zh-CN")) != key
