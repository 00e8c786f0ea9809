"""Repositories, commits and the analysis cache: what is saved comes back, keys decide reuse."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from commitwatch.errors import UsageError
from commitwatch.models import FileChange, RepoRef, Usage
from commitwatch.storage import AnalysisKey, Store, repo_key
from tests.reportdata import DYNAMO, LOCAL, commit, f, llm_report, rules_report

KEY = AnalysisKey(model="deepseek-ai/deepseek-v3.1", prompt_version="1", language="en", schema_hash="abc123")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "c.db") as opened:
        yield opened


def test_llm_entries_come_back_exactly(store: Store) -> None:
    report = llm_report("en")
    repo_id = store.repo_id(report.repo)
    for i, entry in enumerate(report.entries):
        store.save_entry(repo_id, entry, KEY, Usage(1, 1000 + i, 100 + i))
    shas = [e.commit.sha for e in report.entries]
    stored = store.get_entries(repo_id, shas, KEY)
    llm_entries = [e for e in report.entries if e.analyzer == "llm"]
    assert set(stored) == {e.commit.sha for e in llm_entries}
    for i, entry in enumerate(report.entries):
        if entry.analyzer != "llm":
            continue
        got = stored[entry.commit.sha]
        assert got.entry(entry.commit, entry.triage) == entry
        assert got.usage == Usage(1, 1000 + i, 100 + i)


def test_rules_results_are_stored_but_not_reused_by_default(store: Store) -> None:
    report = llm_report("en")
    repo_id = store.repo_id(report.repo)
    fallback = next(e for e in report.entries if e.analyzer == "rules-fallback")
    store.save_entry(repo_id, fallback, KEY)
    assert store.get_entries(repo_id, [fallback.commit.sha], KEY) == {}
    every = store.get_entries(repo_id, [fallback.commit.sha], KEY, include=("llm", "rules", "rules-fallback"))
    assert every[fallback.commit.sha].entry(fallback.commit, fallback.triage) == fallback
    assert every[fallback.commit.sha].fallback_reason == fallback.fallback_reason


def test_a_later_llm_analysis_replaces_a_fallback_but_never_the_reverse(store: Store) -> None:
    report = llm_report("en")
    repo_id = store.repo_id(report.repo)
    good = next(e for e in report.entries if e.analyzer == "llm")
    failed = replace(good, analyzer="rules-fallback", fallback_reason="timeout", analysis=None)
    store.save_entry(repo_id, failed, KEY)
    store.save_entry(repo_id, good, KEY, Usage(2, 10, 5))
    assert store.get_entries(repo_id, [good.commit.sha], KEY)[good.commit.sha].analysis == good.analysis
    store.save_entry(repo_id, failed, KEY)  # a concurrent run that failed later
    kept = store.get_entries(repo_id, [good.commit.sha], KEY)[good.commit.sha]
    assert kept.analyzer == "llm" and kept.analysis == good.analysis and kept.usage == Usage(2, 10, 5)


def test_saving_again_without_usage_keeps_the_usage(store: Store) -> None:
    entry = next(e for e in llm_report("en").entries if e.analyzer == "llm")
    repo_id = store.repo_id(DYNAMO)
    store.save_entry(repo_id, entry, KEY, Usage(3, 300, 30))
    store.save_entry(repo_id, entry, KEY)
    assert store.get_entries(repo_id, [entry.commit.sha], KEY)[entry.commit.sha].usage == Usage(3, 300, 30)


@pytest.mark.parametrize(
    "changed",
    [
        replace(KEY, model="deepseek-ai/deepseek-r1"),
        replace(KEY, prompt_version="2"),
        replace(KEY, language="zh-CN"),
        replace(KEY, schema_hash="def456"),
    ],
    ids=["model", "prompt_version", "language", "schema_hash"],
)
def test_a_changed_key_misses_the_cache(store: Store, changed: AnalysisKey) -> None:
    report = llm_report("en")
    repo_id = store.repo_id(report.repo)
    for entry in report.entries:
        store.save_entry(repo_id, entry, KEY)
    shas = [e.commit.sha for e in report.entries]
    assert store.get_entries(repo_id, shas, changed) == {}
    assert len(store.get_entries(repo_id, shas, KEY)) == 4


def test_analyses_are_per_repository(store: Store) -> None:
    entry = next(e for e in llm_report("en").entries if e.analyzer == "llm")
    dynamo, local = store.repo_id(DYNAMO), store.repo_id(LOCAL)
    store.save_entry(dynamo, entry, KEY)
    assert store.get_entries(local, [entry.commit.sha], KEY) == {}


def test_a_saved_entry_is_visible_to_another_connection_at_once(tmp_path: Path) -> None:
    entry = next(e for e in llm_report("en").entries if e.analyzer == "llm")
    with Store.open(tmp_path / "c.db") as writer, Store.open(tmp_path / "c.db") as reader:
        repo_id = writer.repo_id(DYNAMO)
        writer.save_entry(repo_id, entry, KEY)
        assert entry.commit.sha in reader.get_entries(repo_id, [entry.commit.sha], KEY)


def test_many_shas_are_read_in_one_call(store: Store) -> None:
    repo_id = store.repo_id(DYNAMO)
    template = next(e for e in llm_report("en").entries if e.analyzer == "llm")
    entries = [replace(template, commit=commit(f"many-{i}", f"fix: {i}", "2026-02-07T10:00:00+08:00"))
               for i in range(1200)]
    for entry in entries:
        store.save_entry(repo_id, entry, KEY)
    assert len(store.get_entries(repo_id, [e.commit.sha for e in entries], KEY)) == 1200


# --- commits and repositories ----------------------------------------------------------------------


def test_commits_round_trip_without_patches_and_saving_twice_changes_nothing(store: Store) -> None:
    report = rules_report("en")
    repo_id = store.repo_id(report.repo)
    commits = [e.commit for e in report.entries]
    patched = replace(
        commits[0],
        files=tuple(replace(x, patch="diff --git a b\n+x\n") for x in commits[0].files),
        patches_collected=True,
    )
    store.save_commits(repo_id, [patched, *commits[1:]])
    store.save_commits(repo_id, commits)
    loaded = store.load_commits(repo_id, [c.sha for c in commits] + ["0" * 40])
    assert loaded == {c.sha: c for c in commits}
    assert all(x.patch is None for x in loaded[patched.sha].files)


def test_renames_binaries_and_odd_paths_survive(store: Store) -> None:
    repo_id = store.repo_id(DYNAMO)
    odd = commit(
        "odd",
        "refactor: move",
        "2026-02-07T10:00:00-05:00",
        files=(
            FileChange("new/name.py", "R", 3, 1, old_path="old/name.py", similarity=87),
            FileChange("logo.png", "A", 0, 0, binary=True),
            f("dir with space/\\xff\\xfe weird\n.py", 1, 0),
        ),
        parents=2,
    )
    store.save_commits(repo_id, [odd])
    assert store.load_commits(repo_id, [odd.sha])[odd.sha] == odd


def test_repo_ids_are_stable_and_follow_renames(store: Store) -> None:
    first = store.repo_id(DYNAMO)
    assert store.repo_id(DYNAMO) == first
    renamed = replace(DYNAMO, name="ai-dynamo/dynamo-renamed", spec="ai-dynamo/dynamo-renamed")
    assert store.repo_id(renamed) == first  # same URL, same repository
    assert store.find_repo("ai-dynamo/dynamo-renamed") == first
    assert store.find_repo(DYNAMO.url or "") == first
    assert store.repo_id(LOCAL) != first
    assert repo_key(LOCAL) == "local:/srv/src/engine"


def test_a_name_shared_by_two_repositories_is_ambiguous(store: Store) -> None:
    one = RepoRef(spec="/a/engine", kind="local", name="engine", slug="engine", path="/a/engine")
    two = RepoRef(spec="/b/engine", kind="local", name="engine", slug="engine", path="/b/engine")
    store.repo_id(one)
    store.repo_id(two)
    with pytest.raises(UsageError, match="several repositories"):
        store.find_repo("engine")
    assert store.find_repo("/b/engine") == store.repo_id(two)
    assert store.find_repo("nothing") is None


def test_undecodable_path_bytes_in_a_local_repository_are_stored(store: Store) -> None:
    path = "/srv/caf\udce9"  # a Latin-1 directory name read with surrogateescape
    ref = RepoRef(spec=path, kind="local", name="caf\udce9", slug="caf", path=path)
    repo_id = store.repo_id(ref)
    assert store.repo_id(ref) == repo_id
    assert store.find_repo(ref) == repo_id


def test_lone_surrogates_from_a_model_answer_do_not_break_saving(store: Store) -> None:
    template = next(e for e in llm_report("en").entries if e.analyzer == "llm")
    assert template.analysis is not None
    odd = replace(template, analysis=template.analysis.model_copy(update={"summary": ["bad \ud800 escape", "好"]}))
    repo_id = store.repo_id(DYNAMO)
    store.save_entry(repo_id, odd, KEY)
    assert store.get_entries(repo_id, [odd.commit.sha], KEY)[odd.commit.sha].analysis == odd.analysis
    failed = replace(template, analyzer="rules-fallback", analysis=None, fallback_reason="HTTP 400: \udcff")
    store.save_entry(repo_id, failed, replace(KEY, model="other"))
    row = store.get_entries(repo_id, [odd.commit.sha], replace(KEY, model="other"), include=("rules-fallback",))
    assert row[odd.commit.sha].fallback_reason == "HTTP 400: \\xff"
