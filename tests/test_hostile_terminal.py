"""Terminal safety: strings from a repository, commit or model reach the terminal without control codes
and are never read as Rich markup (the summary line, warnings, errors, `history`)."""

from __future__ import annotations

import os
import subprocess
import sys
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from commitwatch.invisible import has_invisible
from commitwatch.term import clean, plain
from tests.gitrepo import GitRepo

EVIL = "evil\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\\x1b[31mred\x1b[0m\x07\x08\r[link=http://evil.example/]x[/link][bold]b[/bold]\u202eabc"


def test_clean_shows_controls_and_invisible_characters_as_harmless_escapes():
    out = clean(EVIL)
    assert out.startswith("evil\\x1b]8;;http://evil.example/\\x1b\\click")
    assert "\\x1b[31mred" in out and "\\x07\\x08\\x0d" in out and out.endswith("\\u202eabc")
    assert "[link=http://evil.example/]x[/link]" in out
    assert clean("tag\U000e0049 zero\u200bwidth") == "tag\\U000e0049 zero\\u200bwidth"
    assert clean("a\nb\tc") == "a b c"
    assert clean("plain text") == "plain text" and clean("中文 👨\u200d👩") == "中文 👨\\u200d👩"


def test_plain_is_never_markup():
    assert plain("[bold]x[/bold]").plain == "[bold]x[/bold]"


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_clean_output_has_no_control_or_invisible_character(text):
    out = clean(text)
    assert not any(unicodedata.category(ch) == "Cc" for ch in out)
    assert "\u2028" not in out and "\u2029" not in out
    assert not has_invisible(out)


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "commitwatch", *args], env=env, capture_output=True,
                          text=True, encoding="utf-8", errors="replace", timeout=120)


def test_a_hostile_repository_name_reaches_the_terminal_inert(tmp_path):
    name = "repo" + EVIL.replace("/", "_")
    repo = GitRepo.create(tmp_path / name)
    repo.write("a.py", "x = 1\n")
    repo.commit("feat: \x1b[2Jclear screen \x1b]0;title\x07 [red]markup[/red]", committed="2026-02-07T10:00:00+08:00")
    env = {**os.environ, "FORCE_COLOR": "1", "COLUMNS": "300", "COMMITWATCH_DB": str(tmp_path / "s.db"),
           "COMMITWATCH_CACHE_DIR": str(tmp_path / "cache")}
    env.pop("NO_COLOR", None)
    report = _run(["report", "--repo", str(repo.path), "--date", "2026-02-07", "--no-llm",
                   "--output-dir", str(tmp_path / "out")], env)
    assert report.returncode == 0, report.stderr
    history = _run(["history"], env)
    assert history.returncode == 0, history.stderr
    for output in (report.stderr, history.stdout):
        assert "\x1b]" not in output  # no hyperlink, no window title
        assert "\x1b[31m" not in output and "\x1b[2J" not in output and "\x07" not in output
        assert "\x08" not in output and "\r" not in output and "\u202e" not in output
    assert "[link=http:__evil.example_]x[_link]" in history.stdout  # shown, not interpreted
    assert "commits (high" in report.stderr
    missing = _run(["report", "--repo", str(tmp_path / ("missing" + EVIL.replace("/", "_"))), "--no-llm"], env)
    assert missing.returncode != 0 and "\x1b]" not in missing.stderr and "\x1b[31m" not in missing.stderr
    Path(tmp_path / "done").touch()
