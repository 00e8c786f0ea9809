"""The report's offline analysis: low commits on one line, medium and high with summary, what changes
for users (from signals), areas with lockfiles named, one "why" line; a commit and its revert as one
entry; the demo day at most half its former length with every commit present."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from commitwatch.analysis.rules import rules_entry
from commitwatch.models import Commit, FileChange, Person, ReportData
from commitwatch.render import render_markdown
from commitwatch.signals.message import summary_from_body
from commitwatch.triage import triage
from tests.cli import run_cli
from tests.fakes import with_diff_header
from tests.reportdata import DAY_WINDOW, DYNAMO, GENERATED_AT, headings
from tests.test_cli import report_files

WHEN = datetime(2026, 2, 7, 3, 0, tzinfo=timezone.utc)
ADA = Person("Ada Lovelace", "ada@example.com")


def commit(seed: str, subject: str, files: tuple[FileChange, ...], body: str = "", minute: int = 0) -> Commit:
    sha = (seed.encode().hex() * 40)[:40]
    when = WHEN.replace(minute=minute)
    return Commit(sha, ("0" * 40,), ADA, when, ADA, when, subject, body, files, patches_collected=True)


def patch(path: str, body: str) -> str:
    return with_diff_header(path, body)


def report(*commits: Commit) -> ReportData:
    entries = [rules_entry(c, triage(c, project="ai-dynamo/dynamo")) for c in commits]
    entries.sort(key=lambda e: -e.commit.committed_at.timestamp())
    return ReportData(DYNAMO, "main", DAY_WINDOW, "en", "rules", None, entries, GENERATED_AT)


FLAG_GONE = FileChange(
    "components/src/dynamo/frontend/main.py", "M", 0, 1,
    patch=patch("components/src/dynamo/frontend/main.py",
                '@@ -10,3 +10,2 @@ def parse_args():\n     parser.add_argument("--http-port", default=8000)\n'
                '-    parser.add_argument("--router-temperature", type=float, default=0.0)\n     return parser\n'),
)  # fmt: skip
LOCK = FileChange(
    "Cargo.lock",
    "M",
    2,
    2,
    patch=patch("Cargo.lock", '@@ -1,2 +1,2 @@\n name = "bytes"\n-version = "1.10.0"\n+version = "1.10.1"\n'),
)
DOC = FileChange("docs/router/guide.md", "M", 4, 1)


def flag_and_typo() -> tuple[Commit, Commit]:
    """A high commit (a removed flag, a lockfile bump, a templated body) and a low one (a docs typo)."""
    body = (
        "<!-- Describe your change -->\n## Overview\n\nThe frontend no longer takes --router-temperature; "
        "set it in the router config.\n\n## Checklist\n- [x] Tests\n\nSigned-off-by: Ada <ada@example.com>\n"
    )
    high = commit("a", "refactor: tidy the frontend arguments (#7001)", (FLAG_GONE, LOCK), body)
    low = commit("b", "docs: fix a typo in the router guide (#7002)", (DOC,), minute=5)
    return high, low


def test_medium_and_high_show_the_offline_analysis_low_is_one_line() -> None:
    high, low = flag_and_typo()
    md = render_markdown(report(high, low))
    block = md[md.index("#### refactor: tidy") : md.index("\n---\n", md.index("#### refactor: tidy"))]
    assert "**📋 Summary**: The frontend no longer takes --router-temperature; set it in the router config." in block
    assert "**👥 What changes for users**\n\n- Removes the CLI flag `--router-temperature` · ⚠️ breaking" in block
    assert "- Dependency bytes: 1.10.0 → 1.10.1" in block
    assert "**📁 Areas touched**: 2 files, +2 / −3: `components/src/dynamo/frontend`; lockfiles: `Cargo.lock`" in block
    assert block.count("**🧭 Why**") == 1 and "(+" not in block  # one line, no score breakdown
    assert "Checklist" not in block and "Signed-off-by" not in block and "<!--" not in block
    low_line = (
        "- docs: fix a typo in the router guide (\\#7002) · [`6262626`](https://github.com/ai-dynamo/dynamo/commit/"
    )
    assert low_line in md
    assert [text for level, text in headings(md) if level == 4] == ["refactor: tidy the frontend arguments (#7001)"]


def test_a_commit_and_its_revert_are_one_entry() -> None:
    original = commit("c", "[Core] Use async scheduling by default", (FileChange("lib/sched.rs", "M", 30, 4),))
    revert = commit(
        "d", 'Revert "[Core] Use async scheduling by default"', (FileChange("lib/sched.rs", "M", 4, 30),),
        body=f"This reverts commit {original.sha}.", minute=30,
    )  # fmt: skip
    md = render_markdown(report(original, revert))
    lines = [line for line in md.splitlines() if "reverted the same day" in line]
    assert len(lines) == 1
    assert lines[0].startswith("- \\[Core\\] Use async scheduling by default · [`6363636`]")
    assert f"reverted the same day by [`6464646`](https://github.com/ai-dynamo/dynamo/commit/{revert.sha})" in lines[0]
    assert not [text for level, text in headings(md) if level == 4]  # neither gets a section of its own
    assert md.count("| Ada Lovelace |") == 2  # both stay in the table


def test_an_llm_entry_shows_what_changes_for_users_too() -> None:
    data = report(commit("e", "refactor: tidy the frontend arguments", (FLAG_GONE,)))
    from tests.reportdata import llm_report

    analysis = next(
        e.analysis for e in llm_report("en").entries if e.analysis is not None and e.importance.value == "high"
    )
    data.entries[0] = replace(data.entries[0], analyzer="llm", analysis=analysis)
    md = render_markdown(data)
    assert "**👥 What changes for users**\n\n- Removes the CLI flag `--router-temperature`" in md


def test_summary_from_body_leaves_out_templates_and_trailers() -> None:
    assert summary_from_body("Signed-off-by: A <a@b.c>\nCo-authored-by: B <b@c.d>") == ""
    assert summary_from_body("## Purpose\n\n## Test Plan\n\n- [ ] ran it\n") == ""
    body = "<!-- template -->\n**Summary:**\n\nFixes the hang\nwhen the lease expires.\n\nMore detail."
    assert summary_from_body(body) == "Fixes the hang when the lease expires."
    assert len(summary_from_body("word " * 200)) <= 320


def test_the_demo_day_is_at_most_half_as_long_with_every_commit_present(tmp_path) -> None:
    out = tmp_path / "out"
    run_cli("demo", "--output-dir", str(out), "--lang", "en")
    md, data = report_files(out, "dynamo-sample", "2026-02-07")
    assert len(md.splitlines()) <= 677 // 2  # `commitwatch demo` printed 677 lines before issue 13
    for c in data["commits"]:
        assert c["short_sha"] in md  # in the table's neighbourhood or a one-line entry, every commit
    sections = sum(1 for level, _ in headings(md) if level == 4)
    assert sections == sum(1 for c in data["commits"] if c["importance"] != "low")
