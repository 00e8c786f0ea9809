"""Window selection is exact on any history: clock-skewed commits never hide others.

Every expectation comes from git itself: ``git log --format='%H %ct' <branch>`` (which lists every
reachable commit, as it prunes nothing without a date limit) filtered by committer time in the test.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from commitwatch.models import Window
from commitwatch.sources import Repository, open_repository, resolve_repo
from commitwatch.sources.git import stamped, undated_lines
from commitwatch.window import day_window
from tests.cli import run_cli
from tests.fastimport import Node, build, random_history
from tests.gitrepo import GitRepo

DAY = 86400
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
ZONES = ("UTC", "Asia/Shanghai", "America/New_York")


def open_local(path: Path, tmp_path: Path) -> Repository:
    return open_repository(resolve_repo(str(path)), tmp_path / "cache")


def git_listing(path: Path) -> list[tuple[str, int]]:
    """``(sha, committer time)`` of every commit reachable from main, from ``git log``."""
    out = GitRepo(path).git("log", "--format=%H %ct", "main")
    return [(sha, int(stamp)) for sha, stamp in (line.split() for line in out.splitlines())]


def expected(listing: list[tuple[str, int]], window: Window) -> set[str]:
    start, end = window.start.timestamp(), window.end.timestamp()
    return {sha for sha, stamp in listing if start <= stamp < end}


def days_around(listing: list[tuple[str, int]], tz: str) -> list[Window]:
    """Every calendar day in ``tz`` from two days before the oldest commit to two after the newest."""
    zone = ZoneInfo(tz)
    first = datetime.fromtimestamp(min(s for _, s in listing), zone).date() - timedelta(days=2)
    last = datetime.fromtimestamp(max(s for _, s in listing), zone).date() + timedelta(days=2)
    return [day_window(first + timedelta(days=i), tz) for i in range((last - first).days + 1)]


def assert_exact(repo: Repository, listing: list[tuple[str, int]], window: Window) -> list[str]:
    got = repo.select(None, window)
    stamps = dict(listing)
    assert set(got) == expected(listing, window), window
    assert len(got) == len(set(got))
    assert [stamps[sha] for sha in got] == sorted((stamps[sha] for sha in got), reverse=True)  # newest first
    return got


def skewed_line(tmp_path: Path, skew_days: int) -> tuple[Path, dict[str, str]]:
    """30 commits, 6 hours apart; commit c20 is dated ``skew_days`` before its parent c19; c21 on
    continue the normal clock."""
    nodes = []
    for i in range(30):
        stamp = T0 + i * 6 * 3600 - (skew_days * DAY if i == 20 else 0)
        nodes.append(Node(f"c{i}", stamp, (f"c{i - 1}",) if i else ()))
    return tmp_path / "r", build(tmp_path / "r", nodes)


@pytest.mark.parametrize("skew_days", [40, 35, 120])
def test_a_commit_dated_weeks_before_its_parent_hides_nothing(tmp_path: Path, skew_days: int) -> None:
    path, shas = skewed_line(tmp_path, skew_days)
    listing = git_listing(path)
    assert len(listing) == 30
    repo = open_local(path, tmp_path)
    for tz in ZONES:
        for window in days_around(listing, tz):
            assert_exact(repo, listing, window)
    # 2026-01-05 in UTC holds c16..c19: git's own date-limited walk stops at the skewed c20 and misses
    # them, the problem this module exists to avoid
    day = day_window(date(2026, 1, 5), "UTC")
    assert shas["c19"] in repo.select(None, day)
    pruned = GitRepo(path).git("rev-list", f"--max-age={int(day.start.timestamp())}", "main")
    assert shas["c19"] not in pruned.split()
    # and the skewed commit itself is reported on the day its clock says
    skewed_day = datetime.fromtimestamp(T0 + 20 * 6 * 3600 - skew_days * DAY, ZoneInfo("UTC")).date()
    assert shas["c20"] in repo.select(None, day_window(skewed_day, "UTC"))


def test_ranges_around_a_skewed_commit(tmp_path: Path) -> None:
    path, _ = skewed_line(tmp_path, 40)
    listing = git_listing(path)
    repo = open_local(path, tmp_path)
    for tz in ("Asia/Shanghai", "America/Los_Angeles"):
        zone = ZoneInfo(tz)
        for start_day in range(-45, 10, 3):
            for hours in (1, 7, 24 * 3, 24 * 8, 24 * 50):
                start = datetime(2026, 1, 1, 5, 30, tzinfo=zone) + timedelta(days=start_day)
                assert_exact(repo, listing, Window(start, start + timedelta(hours=hours), tz))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_histories_with_several_skewed_commits(tmp_path: Path, seed: int) -> None:
    # merges, side branches forked from old commits, clocks months behind and some ahead
    nodes = random_history(seed, 200, T0, skews=6, skew_days=(20, 150))
    path = tmp_path / "r"
    build(path, nodes)
    listing = git_listing(path)
    assert len(listing) == len(nodes)
    repo = open_local(path, tmp_path)
    selected: set[str] = set()
    for tz in ("UTC", "Asia/Kolkata"):
        for window in days_around(listing, tz):
            got = assert_exact(repo, listing, window)
            if tz == "UTC":
                selected.update(got)
    assert selected == {sha for sha, _ in listing}  # every commit is on exactly the day its clock says


def test_collect_reads_every_selected_commit_of_a_skewed_day(tmp_path: Path) -> None:
    path, shas = skewed_line(tmp_path, 40)
    window = day_window(date(2026, 1, 5), "Asia/Shanghai")
    listing = git_listing(path)
    commits = open_local(path, tmp_path).collect(None, window)
    assert {c.sha for c in commits} == expected(listing, window)
    assert all(c.files and c.files[0].path.startswith("files/") for c in commits)
    assert [c.committed_at for c in commits] == sorted((c.committed_at for c in commits), reverse=True)
    assert shas["c18"] in {c.sha for c in commits}  # below the skewed c20


def test_a_commit_whose_committer_date_cannot_be_read_is_in_no_window_and_counted(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.write("a", "1\n")
    below = repo.commit("below", committed="2026-02-07T09:00:00+08:00")
    bad = []
    for stamp in ("garbage +0800", "", "99999999999999 +0000"):  # unparsable, missing, beyond year 9999
        raw = (
            f"tree {repo.git('rev-parse', 'HEAD^{tree}').strip()}\nparent {repo.head()}\n"
            f"author Ada <ada@example.com> 1770426000 +0800\ncommitter Grace <grace@example.com> {stamp}\n\nbad\n"
        )
        sha = repo.git("hash-object", "-t", "commit", "--literally", "-w", "--stdin", input=raw.encode()).strip()
        repo.git("update-ref", "refs/heads/main", sha)
        bad.append(sha)
    repo.write("a", "2\n")
    above = repo.commit("above", committed="2026-02-07T11:00:00+08:00")

    opened = open_local(repo.path, tmp_path)
    window = day_window(date(2026, 2, 7), "Asia/Shanghai")
    assert opened.select(None, window) == [above, below]
    assert opened.select(None, Window(datetime(1970, 1, 1, tzinfo=ZoneInfo("UTC")), window.end, "UTC")) == [
        above,
        below,
    ]
    assert sorted(opened.undated(None)) == sorted(bad)
    assert [c.sha for c in opened.collect(None, window)] == [above, below]
    # the report says so in its header
    env = {"COMMITWATCH_CACHE_DIR": str(tmp_path / "cache"), "COMMITWATCH_DB": str(tmp_path / "store.db")}
    run_cli("report", "--repo", str(repo.path), "--date", "2026-02-07", "--tz", "Asia/Shanghai", "--no-llm",
            "--lang", "en", "--output-dir", str(tmp_path / "out"), env=env)  # fmt: skip
    data = json.loads((tmp_path / "out" / "2026" / "r" / "2026-02-07.json").read_text())
    assert [c["sha"] for c in data["commits"]] == [above, below]
    (warning,) = data["warnings"]
    assert warning.startswith("3 commits reachable from main have a committer date that cannot be read")
    assert all(sha[:10] in warning for sha in bad)
    assert "3 commits reachable from main" in (tmp_path / "out" / "2026" / "r" / "2026-02-07.md").read_text()


def test_report_of_a_skewed_day_lists_what_git_lists(tmp_path: Path) -> None:
    path, shas = skewed_line(tmp_path, 40)
    env = {"COMMITWATCH_CACHE_DIR": str(tmp_path / "cache"), "COMMITWATCH_DB": str(tmp_path / "store.db")}
    out = tmp_path / "out"
    run_cli("report", "--repo", str(path), "--date", "2026-01-05", "--tz", "UTC", "--no-llm", "--lang", "en",
            "--format", "json", "--output-dir", str(out), env=env)  # fmt: skip
    data = json.loads((out / "2026" / "r" / "2026-01-05.json").read_text())
    window = day_window(date(2026, 1, 5), "UTC")
    assert {c["sha"] for c in data["commits"]} == expected(git_listing(path), window)
    assert len(data["commits"]) == 4 and shas["c19"] in {c["sha"] for c in data["commits"]}
    assert not data["warnings"]


# --- the line filter over the walk ----------------------------------------------------------------------

STAMPS = st.one_of(
    st.just(0),
    st.integers(1, 10**9 - 1),
    st.integers(10**9, 10**10 - 1),
    st.integers(10**11, 10**13),
    st.sampled_from([T0, T0 + 1, T0 - 1, T0 + DAY, T0 + DAY - 1]),
)


@example([(10**9, 40), (10**9, 40), (10**6, 40), (10**12, 40)], 0, 1)  # widths 52+52+49+55 = 4 x 52
@given(
    st.lists(st.tuples(STAMPS, st.sampled_from([40, 64])), max_size=40),
    st.one_of(STAMPS, st.integers(-5, 5)),
    st.one_of(STAMPS, st.integers(1, 3 * DAY)),
)
def test_the_walk_filter_equals_a_plain_filter(lines: list[tuple[int, int]], low: int, span: int) -> None:
    walk = b"".join(b"%d %s\n" % (stamp, (b"%x" % i).rjust(width, b"a")) for i, (stamp, width) in enumerate(lines))
    pairs = [(int(stamp), sha.decode()) for stamp, sha in (line.split() for line in walk.splitlines())]
    for high in (low + span, span):
        assert stamped(walk, low, high) == [(s, sha) for s, sha in pairs if low <= s < high]
    assert undated_lines(walk) == [sha for s, sha in pairs if s == 0 or s >= 253402300800]


def test_an_old_config_with_window_slack_days_still_loads(tmp_path: Path) -> None:
    from commitwatch.config import load_settings

    config = tmp_path / "c.toml"
    config.write_text("[git]\nwindow_slack_days = 30\n", encoding="utf-8")
    assert load_settings(config, environ={}).git.window_slack_days == 30  # accepted, and ignored
