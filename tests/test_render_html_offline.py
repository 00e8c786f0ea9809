"""The HTML report at parity with the Markdown (issue 13): the offline analysis for rules-analysed medium and
high commits, "what changes for users" for model-analysed ones too, low commits as one-line cards (still
filtered, still anchored), a commit and its revert as one entry, the "why" folded; everything escaped."""

from __future__ import annotations

import re
from dataclasses import replace

from commitwatch.models import DependencyChange, Importance, InterfaceChange, PerformanceClaim
from commitwatch.render import render_markdown
from commitwatch.render.html import render_html
from tests.htmlcheck import HOSTILE, parse
from tests.reportdata import llm_report, translator
from tests.test_signals_render import FLAG_GONE, commit, flag_and_typo, report


def html(data) -> str:  # type: ignore[no-untyped-def]
    return render_html(data, translator=translator("en"))


def article(text: str, sha: str) -> str:
    match = re.search(rf'<article id="c-{sha[:12]}"[^>]*>.*?</article>', text, re.S)
    assert match is not None, sha
    return match.group(0)


def test_medium_and_high_show_the_offline_analysis_low_is_one_line_card() -> None:
    high, low = flag_and_typo()
    text = html(report(high, low))
    card = article(text, high.sha)
    assert (
        "<summary>📋 Summary</summary>\n<p>The frontend no longer takes --router-temperature; set it in the "
        "router config.</p>" in card
    )
    assert "<li>Removes the CLI flag <code>--router-temperature</code> · ⚠️ breaking</li>" in card
    assert "<li>Dependency bytes: 1.10.0 → 1.10.1</li>" in card
    assert (
        "<p>2 files, +2 / −3: <code>components/src/dynamo/frontend</code>; lockfiles: <code>Cargo.lock</code></p>"
    ) in card
    why = re.findall(r"<details( open)?><summary>🧭 Why</summary>\n<p>([^<]+)</p>", card)
    assert len(why) == 1 and why[0][0] == ""  # one line, folded
    assert "score" in why[0][1] and "(+" not in card  # no score breakdown
    assert "Checklist" not in card and "Signed-off-by" not in card and "&lt;!--" not in card
    line = article(text, low.sha)
    assert 'class="card line imp-low"' in line and 'data-imp="low" data-type="docs"' in line
    assert "<details" not in line and "<h3" not in line  # one line: subject · SHA link · type · areas
    assert (
        f'docs: fix a typo in the router guide (#7002)</span> · <a href="https://github.com/ai-dynamo/dynamo/'
        f'commit/{low.sha}"><code>{low.short_sha}</code></a> · Documentation · <code>docs/router</code>'
    ) in line
    assert f'<td><a href="#c-{low.sha[:12]}">' in text  # the table still reaches it


def test_a_commit_and_its_revert_are_one_entry_reachable_from_both_rows() -> None:
    original = commit("c", "feat: use async scheduling by default", (FLAG_GONE,))
    revert = commit(
        "d", 'Revert "feat: use async scheduling by default"', (FLAG_GONE,),
        body=f"This reverts commit {original.sha}.", minute=30,
    )  # fmt: skip
    data = report(original, revert)
    text = html(data)
    assert text.count("<article ") == 1 and text.count("<tr data-imp=") == 2
    entry = article(text, original.sha)
    assert "reverted the same day by" in entry and 'class="card line' in entry
    anchor = f"c-{revert.sha[:12]}"
    assert f'<a id="{anchor}" href="https://github.com/ai-dynamo/dynamo/commit/{revert.sha}">' in entry
    assert f'<td><a href="#{anchor}">' in text  # the revert's row links into the pair
    levels = {e.commit.sha: e.importance.value for e in data.entries}
    imp = re.search(r'data-imp="([^"]+)"', entry)
    assert imp is not None and set(imp.group(1).split()) == {levels[original.sha], levels[revert.sha]}
    md = render_markdown(data)
    assert sum(1 for line in md.splitlines() if "reverted the same day" in line) == 1  # as in Markdown


def test_an_llm_entry_shows_what_changes_for_users_too() -> None:
    data = report(commit("e", "refactor: tidy the frontend arguments", (FLAG_GONE,)))
    analysis = next(
        e.analysis for e in llm_report("en").entries if e.analysis is not None and e.importance.value == "high"
    )
    data.entries[0] = replace(data.entries[0], analyzer="llm", analysis=analysis)
    card = article(html(data), data.entries[0].commit.sha)
    sections = re.findall(r"<summary>([^<]+)</summary>", card)
    assert sections[:2] == ["📋 Summary", "👥 What changes for users"]  # next to the model's summary
    assert "Removes the CLI flag <code>--router-temperature</code>" in card
    assert "🧭 Why" not in card  # the model's analysis, not the rules'


def test_hostile_signals_and_bodies_stay_text() -> None:
    hostile = " ".join(HOSTILE)
    c = commit("f", "fix: something", (FLAG_GONE,), body=hostile)
    data = report(c)
    e = data.entries[0]
    signals = replace(
        e.triage.signals,
        interfaces=(InterfaceChange("cli_flag", HOSTILE[0], "default_changed", "x.py", None, HOSTILE[2], HOSTILE[5]),
                    InterfaceChange("env_var", HOSTILE[6], "renamed", "x.py", new_name=HOSTILE[1])),
        dependencies=(DependencyChange(HOSTILE[3], HOSTILE[4], HOSTILE[8], "uv.lock", major=True),),
        advisories=(HOSTILE[9],),
        performance=(PerformanceClaim(HOSTILE[10], HOSTILE[11], HOSTILE[12]),),
    )  # fmt: skip
    data.entries[0] = replace(e, triage=replace(e.triage, signals=signals))
    for analysed in (
        data,
        replace(
            data, entries=[replace(data.entries[0], analyzer="llm", analysis=llm_report("en").entries[0].analysis)]
        ),
    ):
        text = html(analysed)
        doc = parse(text)
        assert doc.dangers() == []
        shown = "".join(doc.text)
        for piece in ("<script>alert(1)</script>", "<img src=x onerror=alert(3)>", '"><svg onload=alert(7)>'):
            assert piece in shown
        assert "<script>alert" not in text and "<img" not in text and "<iframe" not in text


def test_every_one_line_entry_of_the_markdown_is_a_one_line_card() -> None:
    data = llm_report("en")
    text = html(data)
    md = render_markdown(data)
    md_lines = [line for line in md.splitlines() if line.startswith("- ") and "/commit/" in line]
    cards = re.findall(r'<article id="c-([0-9a-f]{12})" class="card line', text)
    assert len(cards) == len(md_lines) >= 1
    for sha in cards:
        assert sum(1 for line in md_lines if f"/commit/{sha}" in line) == 1
    full = re.findall(r'<article id="c-([0-9a-f]{12})" class="card imp-', text)
    assert len(full) == sum(1 for line in md.splitlines() if line.startswith("#### "))


def test_the_rules_level_is_shown_when_the_model_is_two_levels_away() -> None:
    data = llm_report("en")
    e = next(e for e in data.entries if e.analyzer == "llm" and e.importance is Importance.HIGH)
    cases = {Importance.LOW: "rules: Low", Importance.MEDIUM: None, Importance.HIGH: None}
    for rules_level, shown in cases.items():
        data.entries = [replace(e, triage=replace(e.triage, importance=rules_level))]
        card = article(html(data), e.commit.sha)
        badges = re.findall(r'<span class="badge[^"]*">([^<]+)</span>', card)
        assert (shown in badges) if shown else not any(b.startswith("rules:") for b in badges), (rules_level, badges)
    data.entries = [replace(e, analyzer="rules", analysis=None, triage=replace(e.triage, importance=Importance.LOW))]
    assert "rules:" not in html(data)  # the rules' own verdict: nothing to compare
