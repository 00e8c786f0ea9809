"""Two runs at once on one database never analyse a commit twice; a killed run loses nothing."""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from commitwatch.models import Analysis, ChangeType, CommitEntry, Importance, Usage
from commitwatch.storage import AnalysisKey, Store
from tests.reportdata import DAY_WINDOW, DYNAMO, commit, entry

KEY = AnalysisKey(model="m", prompt_version="1", language="en", schema_hash="h")
COMMITS = 31


def _entry(i: int, analyzer: str = "llm") -> CommitEntry:
    c = commit(f"claim-{i}", f"feat: change {i}", f"2026-02-07T{i % 24:02d}:00:00+08:00")
    analysis = Analysis(change_type=ChangeType.FEATURE, importance=Importance.MEDIUM, summary=[f"change {i}"])
    if analyzer == "llm":
        return entry(c, ChangeType.FEATURE, Importance.MEDIUM, analysis=analysis, analyzer="llm")
    return entry(c, ChangeType.FEATURE, Importance.MEDIUM, analyzer=analyzer, fallback_reason="timeout")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "c.db") as opened:
        yield opened


def test_one_claim_holder_at_a_time_until_it_expires(store: Store) -> None:
    repo_id = store.repo_id(DYNAMO)
    sha = _entry(0).commit.sha
    assert store.claim(repo_id, sha, KEY, run_id=1, ttl_s=0.3)
    assert not store.claim(repo_id, sha, KEY, run_id=2)
    assert store.claim(repo_id, sha, KEY, run_id=1, ttl_s=0.3)  # renewing one's own lease
    time.sleep(0.35)
    assert store.claim(repo_id, sha, KEY, run_id=2)  # the first run died: its lease ran out
    assert not store.claim(repo_id, sha, KEY, run_id=1)


def test_a_claim_under_another_key_is_independent(store: Store) -> None:
    repo_id = store.repo_id(DYNAMO)
    sha = _entry(0).commit.sha
    assert store.claim(repo_id, sha, KEY, run_id=1)
    assert store.claim(repo_id, sha, AnalysisKey("other", "1", "en", "h"), run_id=2)


def test_a_finished_llm_analysis_cannot_be_claimed_but_a_fallback_is_retried(store: Store) -> None:
    repo_id = store.repo_id(DYNAMO)
    done, failed = _entry(1), _entry(2, "rules-fallback")
    assert store.claim_many(repo_id, [done.commit.sha, failed.commit.sha], KEY, run_id=1) == {
        done.commit.sha,
        failed.commit.sha,
    }
    store.save_entry(repo_id, done, KEY)
    store.save_entry(repo_id, failed, KEY)  # releases the claim; the next run tries the LLM again
    assert store.claim_many(repo_id, [done.commit.sha, failed.commit.sha], KEY, run_id=2) == {failed.commit.sha}


def test_waiting_returns_the_other_runs_analysis(store: Store, tmp_path: Path) -> None:
    repo_id = store.repo_id(DYNAMO)
    item = _entry(3)
    assert store.claim(repo_id, item.commit.sha, KEY, run_id=1)

    def other_run_finishes() -> None:
        time.sleep(0.3)
        with Store.open(tmp_path / "c.db") as other:
            other.save_entry(repo_id, item, KEY)

    thread = threading.Thread(target=other_run_finishes)
    thread.start()
    got = store.wait_for_entry(repo_id, item.commit.sha, KEY, timeout=10, poll=0.05)
    thread.join()
    assert got is not None and got.analysis == item.analysis


def test_waiting_ends_when_the_holder_lets_go_without_an_analysis(store: Store) -> None:
    repo_id = store.repo_id(DYNAMO)
    item = _entry(4)
    run_id = store.start_run(repo_id, "main", DAY_WINDOW, "fp")
    assert store.claim(repo_id, item.commit.sha, KEY, run_id=run_id)
    start = time.monotonic()
    assert store.wait_for_entry(repo_id, item.commit.sha, KEY, timeout=0.3, poll=0.05) is None  # timed out
    assert time.monotonic() - start >= 0.3
    store.finish_run(run_id, "failed", counts={}, usage=Usage())  # releases the run's claims
    assert store.wait_for_entry(repo_id, item.commit.sha, KEY, timeout=10) is None
    assert store.claim(repo_id, item.commit.sha, KEY, run_id=run_id + 1)


# --- two processes ---------------------------------------------------------------------------------


def _worker(path: str, barrier: Any, seed: int) -> list[str]:
    """One run: claim each commit; analyse (sleep) and save the ones it holds; wait for the others.
    The second run walks the commits in reverse order, so the two meet in the middle."""
    analysed: list[str] = []
    with Store.open(path) as store:
        repo_id = store.repo_id(DYNAMO)
        run_id = store.start_run(repo_id, "main", DAY_WINDOW, "fp")
        items = [_entry(i) for i in range(COMMITS)]
        if seed:
            items.reverse()
        barrier.wait()
        for n, item in enumerate(items):
            sha = item.commit.sha
            while store.get_entries(repo_id, [sha], KEY).get(sha) is None:
                if store.claim(repo_id, sha, KEY, run_id):
                    time.sleep(0.005 + 0.01 * ((n + seed) % 3))  # the "LLM request"
                    analysed.append(sha)
                    store.save_entry(repo_id, item, KEY, Usage(1, 10, 1), run_id=run_id)
                else:
                    store.wait_for_entry(repo_id, sha, KEY, timeout=30, poll=0.01)
        assert len(store.get_entries(repo_id, [i.commit.sha for i in items], KEY)) == COMMITS
        store.finish_run(run_id, "ok", counts={"llm": COMMITS}, usage=Usage(len(analysed)))
    return analysed


def _run_worker(path: str, barrier: Any, seed: int, results: Any) -> None:
    results.put((seed, _worker(path, barrier, seed)))


def test_two_processes_analyse_each_of_31_commits_exactly_once(tmp_path: Path) -> None:
    path = str(tmp_path / "c.db")
    Store.open(path).close()
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(2), ctx.Queue()
    processes = [ctx.Process(target=_run_worker, args=(path, barrier, seed, results)) for seed in (0, 1)]
    for p in processes:
        p.start()
    outcomes = dict(results.get(timeout=120) for _ in processes)
    for p in processes:
        p.join(timeout=30)
        assert p.exitcode == 0
    first, second = outcomes[0], outcomes[1]
    assert not set(first) & set(second), "a commit was analysed by both runs"
    assert sorted(first + second) == sorted(_entry(i).commit.sha for i in range(COMMITS))
    assert len(first) + len(second) == COMMITS
    with Store.open(path) as store:
        runs = store.history()
        assert [r.status for r in runs] == ["ok", "ok"]
        assert sum(r.usage.requests for r in runs) == COMMITS


def _save_then_die(path: str, count: int) -> None:
    store = Store.open(path)
    repo_id = store.repo_id(DYNAMO)
    store.start_run(repo_id, "main", DAY_WINDOW, "fp")
    for i in range(count):
        store.save_entry(repo_id, _entry(i), KEY, Usage(1, 100, 10))
    os._exit(9)  # killed mid-run: no close, no finish_run


def test_a_killed_run_keeps_every_analysis_it_finished(tmp_path: Path) -> None:
    path = str(tmp_path / "c.db")
    ctx = multiprocessing.get_context("spawn")
    process = ctx.Process(target=_save_then_die, args=(path, 7))
    process.start()
    process.join(timeout=60)
    assert process.exitcode == 9
    with Store.open(path) as store:
        repo_id = store.repo_id(DYNAMO)
        stored = store.get_entries(repo_id, [_entry(i).commit.sha for i in range(COMMITS)], KEY)
        assert len(stored) == 7
        (run,) = store.history()
        assert run.status == "interrupted"
