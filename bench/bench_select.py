"""Benchmark: selecting one day's commits on a large history, against ``git rev-list --count``.

    .venv/bin/python bench/bench_select.py                 # builds bench/.work/select-* once, then measures
    .venv/bin/python bench/bench_select.py --commits 120000 --repeat 11 --rebuild

It builds (once, with ``git fast-import``) a repository of ``--commits`` commits (default 120,000): about
30 a day, a short side branch merged every 40 commits, and a few commits whose committer clock is months
behind (or ahead of) their parent's. Then, in one run and alternating, on the same repository:

* ``open_repository`` + ``Repository.select(None, <one day>)``: the whole window selection a report
  does (branch lookup, the ``rev-list --timestamp`` walk of every reachable commit, the filter in
  Python), and
* ``git rev-list --count main``: git walking the same commits and printing one number;

first without a commit-graph file (a local repository as users have it), then with one (what managed
mirrors write after every fetch). It checks that the selection equals ``git log --format='%H %ct'``
filtered by committer time, for the measured day and for the day just below a skewed commit.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from commitwatch.models import Window  # noqa: E402
from commitwatch.sources import open_repository, resolve_repo  # noqa: E402

START = 1_420_070_400  # 2015-01-01T00:00:00Z
DAY = 86400
ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": os.environ.get("HOME", "/nonexistent"),
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "LC_ALL": "C",
}


def history_stream(commits: int, seed: int = 5) -> tuple[bytes, list[int]]:
    """The fast-import stream, and the indexes of the skewed commits."""
    rng = random.Random(seed)
    out: list[bytes] = []
    skewed = sorted(rng.sample(range(1000, commits - 1000), 6))
    when = START
    side_from = 0
    main_tip = 0
    for i in range(commits):
        when += rng.randint(60, 2 * DAY // 30)
        stamp = when
        if i in skewed:  # months behind, one in three months ahead
            stamp += rng.choice((-1, -1, 1)) * rng.randint(60, 200) * DAY
        mark = i + 1
        on_side = i % 40 in (10, 11, 12)
        if i % 40 == 10:
            side_from = main_tip
        parents = [side_from] if on_side else [main_tip]
        if i % 40 == 13:  # merge the side branch (marks of i-3..i-1) into main
            parents = [main_tip, mark - 1]
        ref = "refs/heads/side" if on_side else "refs/heads/main"
        ident = f"Dev {i % 97} <dev{i % 97}@example.com> {stamp} +0000"
        message = f"commit {i}\n".encode()
        content = f"{i}\n".encode()
        out.append(f"commit {ref}\nmark :{mark}\nauthor {ident}\ncommitter {ident}\n".encode())
        out.append(b"data %d\n%s" % (len(message), message))
        if parents[0]:
            out.append(f"from :{parents[0]}\n".encode())
        out.extend(f"merge :{p}\n".encode() for p in parents[1:])
        out.append(b"M 100644 inline src/f%d.txt\ndata %d\n%s\n" % (i % 500, len(content), content))
        if on_side:
            side_from = mark
        else:
            main_tip = mark
    return b"".join(out), skewed


def build(path: Path, commits: int) -> None:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    stream, skewed = history_stream(commits)
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main"], cwd=path, env=ENV, check=True)
    subprocess.run(["git", "fast-import", "--quiet", "--date-format=raw"], cwd=path, input=stream, env=ENV, check=True)
    (path / "skewed").write_text(" ".join(map(str, skewed)))


def git(path: Path, *args: str) -> bytes:
    return subprocess.run(["git", *args], cwd=path, env=ENV, check=True, capture_output=True).stdout


def listing(path: Path) -> list[tuple[str, int]]:
    out = git(path, "log", "--format=%H %ct", "main").decode()
    return [(sha, int(stamp)) for sha, stamp in (line.split() for line in out.splitlines())]


def day_of(stamp: int) -> Window:
    start = datetime.fromtimestamp(stamp - stamp % DAY, timezone.utc)
    return Window(start, start + timedelta(days=1), "UTC", start.date())


def check(path: Path, cache: Path, days: list[Window]) -> None:
    commits = listing(path)
    repo = open_repository(resolve_repo(str(path)), cache)
    for window in days:
        lo, hi = window.start.timestamp(), window.end.timestamp()
        expected = {sha for sha, stamp in commits if lo <= stamp < hi}
        got = repo.select(None, window)
        if set(got) != expected or not expected:
            sys.exit(f"selection of {window.start.date()} differs from git log: {len(got)} vs {len(expected)}")


def median_ms(action: Callable[[], object], other: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Medians (ms) of ``action`` and ``other``, run alternately ``repeat`` times after one warm-up each."""
    action(), other()
    ours, theirs = [], []
    for _ in range(repeat):
        for runs, fn in ((ours, action), (theirs, other)):
            started = time.perf_counter()
            fn()
            runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(ours), statistics.median(theirs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--commits", type=int, default=120_000)
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()

    work = ROOT / "bench" / ".work"
    path = work / f"select-{args.commits}"
    if args.rebuild or not (path / "skewed").exists():
        print(f"building {args.commits} commits with git fast-import ...", file=sys.stderr)
        build(path, args.commits)
    cache = work / "select-cache"
    commits = listing(path)
    subjects = git(path, "log", "--format=%ct %s", "main").decode().splitlines()
    by_index = {int(index): int(stamp) for stamp, _, index in (line.split() for line in subjects)}
    skewed = [int(i) for i in (path / "skewed").read_text().split()]
    middle = day_of(sorted(stamp for _, stamp in commits)[len(commits) // 2])
    below = [day_of(by_index[i - 1]) for i in skewed if i - 1 in by_index]
    count = int(git(path, "rev-list", "--count", "main"))

    def select() -> list[str]:
        return open_repository(resolve_repo(str(path)), cache).select(None, middle)

    def rev_list_count() -> bytes:
        return git(path, "rev-list", "--count", "main")

    shas = select()
    print(f"git {git(path, 'version').decode().split()[-1]}, Python {sys.version.split()[0]}, "
          f"{count} commits reachable from main, {len(shas)} on {middle.start.date()}, "
          f"{len(skewed)} skewed by months; median of {args.repeat} runs")  # fmt: skip
    print(f"| {'commit-graph':<12} | {'select one day':>14} | {'rev-list --count':>16} | {'ratio':>5} |")
    print(f"|{'-' * 14}|{'-' * 15}:|{'-' * 17}:|{'-' * 6}:|")
    for graph in (False, True):
        if graph:
            git(path, "commit-graph", "write", "--reachable")
        else:
            shutil.rmtree(path / "objects" / "info" / "commit-graphs", ignore_errors=True)
            (path / "objects" / "info" / "commit-graph").unlink(missing_ok=True)
        check(path, cache, [middle, *below])
        ours, theirs = median_ms(select, rev_list_count, args.repeat)
        print(f"| {'yes' if graph else 'no':<12} | {ours:11.1f} ms | {theirs:13.1f} ms | {ours / theirs:5.2f} |")


if __name__ == "__main__":
    main()
