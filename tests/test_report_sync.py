"""Subtree and sync merges appear once (issue 13): the commits a sync merge brings in are named on the
merge's one line in Markdown and HTML, never as entries of their own, and JSON keeps every commit with
``brought_in_by``. Built on a real git repository and the real CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.cli import run_cli
from tests.fakes.openai_server import FakeOpenAI
from tests.gitrepo import GitRepo


@pytest.fixture
def synced(tmp_path: Path) -> tuple[GitRepo, dict[str, str]]:
    repo = GitRepo.create(tmp_path / "proj")
    repo.write("README.md", "proj\n")
    shas = {"base": repo.commit("chore: init", "2026-02-06T09:00:00+00:00")}
    repo.git("checkout", "-q", "-b", "upstream")
    repo.write("engine/core/scheduler.py", "def tick():\n    return 1\n" * 20)
    shas["crash"] = repo.commit("Fix segfault in the core scheduler tick", "2026-02-07T08:00:00+00:00")
    repo.write("engine/core/queue.py", "def put(x):\n    return x\n" * 30)
    shas["feature"] = repo.commit("Add a priority queue to the engine", "2026-02-07T08:30:00+00:00")
    repo.write("docs/queue.md", "# Queue\n")
    shas["docs"] = repo.commit("docs: describe the queue", "2026-02-07T09:00:00+00:00")
    repo.git("checkout", "-q", "main")
    repo.write("app/cli.py", "print('hi')\n")
    shas["own"] = repo.commit("Add a hello command", "2026-02-07T10:00:00+00:00")
    shas["merge"] = repo.merge("upstream", "Merge branch 'upstream'", "2026-02-07T11:00:00+00:00")
    return repo, shas


def test_a_sync_merge_shows_the_commits_it_brings_once(synced, tmp_path: Path) -> None:
    repo, shas = synced
    out = tmp_path / "out"
    run_cli("report", "--repo", str(repo.path), "--date", "2026-02-07", "--tz", "UTC", "--lang", "en",
            "--format", "md,html,json", "--output-dir", str(out))  # fmt: skip
    md = (out / "2026" / "proj" / "2026-02-07.md").read_text(encoding="utf-8")
    html = (out / "2026" / "proj" / "2026-02-07.html").read_text(encoding="utf-8")
    data = json.loads((out / "2026" / "proj" / "2026-02-07.json").read_text(encoding="utf-8"))

    brought = {shas["crash"], shas["feature"], shas["docs"]}
    # JSON keeps every commit, and marks the three the merge brings in
    by_sha = {c["sha"]: c for c in data["commits"]}
    assert set(by_sha) == brought | {shas["own"], shas["merge"]}
    assert {sha for sha, c in by_sha.items() if c["brought_in_by"] == shas["merge"]} == brought
    assert by_sha[shas["own"]]["brought_in_by"] is None and by_sha[shas["merge"]]["brought_in_by"] is None

    # Markdown: one line for the merge, naming the three; none of them has an entry of its own
    merge_lines = [line for line in md.splitlines() if line.startswith("- Merge branch")]
    assert len(merge_lines) == 1 and "brings 3 commits" in merge_lines[0]
    highlights, entries = md.split("### 📋 Contents", 1)
    for sha in brought:
        assert sha[:7] not in highlights  # the highlights are written over the day's own work
    for sha in brought:
        assert sha[:7] in merge_lines[0]
        assert sum(1 for line in entries.splitlines() if sha[:7] in line) == 1  # only on the merge's line
    assert "#### Fix segfault" not in md and "#### Add a priority queue" not in md
    # the groups count what they show; the statistics count every commit
    assert "High importance" not in entries and "🟡 Medium importance (1)" in entries
    assert "🟢 Low importance (1)" in entries and "🔴 High 1 | 🟡 Medium 2 | 🟢 Low 2" in md
    assert "#### Add a hello command" in md  # the branch's own work keeps its entry
    rows = [line for line in md.splitlines() if line.startswith("| 2026-02-07")]
    assert len(rows) == 5  # the table still lists every commit

    # HTML: the same, and each brought-in commit's table row still reaches its link on the merge's card
    assert html.count("<tr data-imp=") == 5
    assert len(re.findall(r"<article ", html)) == 2  # the hello command and the merge's line
    for sha in brought:
        assert f'<td><a href="#c-{sha[:12]}">' in html
        assert f'id="c-{sha[:12]}"' in html
    assert "brings 3 commits" in html


def test_the_model_is_never_asked_about_the_commits_a_sync_merge_brings_in(synced, tmp_path, monkeypatch):
    """They are shown once, under the merge: the rules analyse them, no request is spent on them, and the
    highlights request lists only the day's own commits."""
    repo, shas = synced
    brought = {shas["crash"], shas["feature"], shas["docs"]}
    monkeypatch.setenv("COMMITWATCH_LLM_API_KEY", "sk-test")
    with FakeOpenAI() as server:
        config = tmp_path / "cw.toml"
        config.write_text(f'output_dir = "{tmp_path / "out"}"\ncache_dir = "{tmp_path / "cache"}"\n'
                          f'[llm]\nbase_url = "{server.base_url}"\nmodel = "fake-model"\n', encoding="utf-8")
        run_cli("report", "--config", str(config), "--repo", str(repo.path), "--date", "2026-02-07", "--tz", "UTC",
                "--lang", "en", "--format", "json", "--db", str(tmp_path / "s.db"))  # fmt: skip
        asked = [r.user for r in server.analysis_requests()]
        (highlights,) = [r.user for r in server.requests if r.is_highlights]
    assert len(asked) == 2  # the hello command and the merge itself
    assert not any(sha in text for sha in brought for text in asked)
    assert not any(sha[:7] in highlights for sha in brought)
    data = json.loads((tmp_path / "out/2026/proj/2026-02-07.json").read_text(encoding="utf-8"))
    analyzers = {c["sha"]: c["analyzer"] for c in data["commits"]}
    assert {analyzers[sha] for sha in brought} == {"rules"}
    assert analyzers[shas["own"]] == analyzers[shas["merge"]] == "llm"


def test_a_low_line_names_the_rules_level_when_it_is_two_levels_away() -> None:
    """A model's low commit is one line; when the rules rated it high, the line says so (as a full
    entry's meta line does), in Markdown and HTML."""
    from dataclasses import replace

    from commitwatch.models import Importance
    from commitwatch.render import render_markdown
    from commitwatch.render.html import render_html
    from tests.reportdata import llm_report, translator

    data = llm_report("en")
    index = next(i for i, e in enumerate(data.entries) if e.importance is Importance.LOW and e.analyzer == "llm")
    entry = data.entries[index]
    data.entries[index] = replace(entry, triage=replace(entry.triage, importance=Importance.HIGH))
    line = next(x for x in render_markdown(data).splitlines() if x.startswith("- ") and entry.commit.short_sha in x)
    assert "rules: High" in line
    html = render_html(data, translator=translator("en"))
    card = re.search(rf'<article id="c-{entry.commit.sha[:12]}"[^>]*>.*?</article>', html, re.S)
    assert card is not None and "rules: High" in card.group(0)
    # one level apart: nothing to say
    data.entries[index] = replace(entry, triage=replace(entry.triage, importance=Importance.MEDIUM))
    line = next(x for x in render_markdown(data).splitlines() if x.startswith("- ") and entry.commit.short_sha in x)
    assert "rules:" not in line


def test_brought_in_follows_nested_syncs_and_leaves_the_first_parent_alone() -> None:
    """In memory over the parents: a sync merged by another sync hands its commits to the outer one; the
    first parent's side is never brought in."""
    from dataclasses import replace

    from commitwatch.render.offline import brought_in
    from tests.test_signals_render import commit, report

    def linked(seed: str, subject: str, parents: tuple[str, ...], minute: int):  # type: ignore[no-untyped-def]
        return replace(commit(seed, subject, (), minute=minute), parents=parents)

    base = linked("a", "chore: base", (), 0)
    up1 = linked("b", "fix: upstream one", (base.sha,), 1)
    up2 = linked("c", "feat: upstream two", (up1.sha,), 2)
    inner = linked("d", "Merge branch 'main' into vendor", (up1.sha, up2.sha), 3)
    own = linked("e", "feat: our own work", (base.sha,), 4)
    outer = linked("f", "Merge branch 'vendor'", (own.sha, inner.sha), 5)
    data = report(outer, own, inner, up2, up1, base)
    assert brought_in(data.entries) == {inner.sha: outer.sha, up1.sha: outer.sha, up2.sha: outer.sha}


def test_a_sync_pull_request_brings_its_commits_in_too() -> None:
    """rust-analyzer's "sync-from-ra" shape: a pull request whose title says it syncs another tree."""
    from dataclasses import replace

    from commitwatch.render.offline import brought_in
    from tests.test_signals_render import commit, report

    base = replace(commit("a", "chore: base", (), minute=0), parents=())
    theirs = replace(commit("b", "fix: a panic in hover", (), minute=1), parents=(base.sha,))
    ours = replace(commit("c", "feat: our own work", (), minute=2), parents=(base.sha,))
    merge = replace(
        commit("d", "Merge pull request #1880 from lnicola/sync-from-ra", (), body="Sync from upstream", minute=3),
        parents=(ours.sha, theirs.sha),
    )
    assert brought_in(report(merge, ours, theirs, base).entries) == {theirs.sha: merge.sha}
