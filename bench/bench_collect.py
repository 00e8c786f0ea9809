"""Benchmark: collecting one day of commits with patches, against plain ``git log -p``.

    .venv/bin/python bench/bench_collect.py            # builds bench/.work/ once, then measures
    .venv/bin/python bench/bench_collect.py --repeat 11 --rebuild

It builds (once, with ``git fast-import``) a repository of 6,000 commits with realistic edits (about 30
commits a day over 200 days, files of a few hundred lines, edits, insertions, deletions, new and removed
files) and a second repository holding a single 5 MB commit. It then measures, alternating runs:

* ``Repository.collect(branch, day, patches=True)`` (rev-list + metadata/numstat + patches, parsed), and
* ``git log -p --since=<start> --until=<end> main`` with its output read and thrown away,

and reports the medians and their ratio, and the peak memory of collecting the 5 MB commit (measured in a
fresh subprocess: Python heap peak with tracemalloc, and the process's max RSS).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from commitwatch.models import Window  # noqa: E402
from commitwatch.sources import open_repository, resolve_repo  # noqa: E402

TZ = timezone(timedelta(hours=8))
BASE = datetime(2025, 6, 1, tzinfo=TZ)
PER_DAY = 30
_VOCABULARY = (
    "self request response config model layer tensor cache token batch kernel stream worker "
    "router engine result value index buffer handle return await async def class import from "
    "if else for while None True False len range dict list str int float assert raise"
)
WORDS = _VOCABULARY.split()
ENV = {
    "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
    "HOME": os.environ.get("HOME", "/nonexistent"),
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "LC_ALL": "C",
}


# --- building the repositories ------------------------------------------------------------------------


def _line(rng: random.Random) -> str:
    indent = "    " * rng.randint(0, 3)
    return indent + " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 9))) + "\n"


def _edit(rng: random.Random, lines: list[str]) -> list[str]:
    """Replace, insert or delete a few blocks of lines, like a real change does."""
    lines = list(lines)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(max(1, len(lines)))
        kind = rng.random()
        if kind < 0.5:
            lines[at : at + rng.randint(1, 6)] = [_line(rng) for _ in range(rng.randint(1, 8))]
        elif kind < 0.8:
            lines[at:at] = [_line(rng) for _ in range(rng.randint(3, 30))]
        else:
            del lines[at : at + rng.randint(1, 10)]
    return lines


def _blob(out: list[bytes], text: str) -> None:
    data = text.encode()
    out.append(b"data %d\n" % len(data) + data + b"\n")


def _commit_header(out: list[bytes], mark: int, when: datetime, message: str, parent: int | None) -> None:
    stamp = f"{int(when.timestamp())} +0800"
    msg = message.encode()
    out.append(f"commit refs/heads/main\nmark :{mark}\n".encode())
    out.append(f"author Bench Author <author@example.com> {stamp}\n".encode())
    out.append(f"committer Bench Committer <committer@example.com> {stamp}\n".encode())
    out.append(b"data %d\n" % len(msg) + msg + b"\n")
    if parent is not None:
        out.append(f"from :{parent}\n".encode())


def _history_stream(commits: int, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    files: dict[str, list[str]] = {}
    out: list[bytes] = []
    for n in range(300):
        files[f"src/pkg{n % 12}/module_{n}.py"] = [_line(rng) for _ in range(rng.randint(80, 400))]
    when = BASE
    _commit_header(out, 1, when, "initial import\n", None)
    for path, lines in files.items():
        out.append(f"M 100644 inline {path}\n".encode())
        _blob(out, "".join(lines))
    for i in range(2, commits + 1):
        when += timedelta(seconds=int(86400 / PER_DAY * rng.uniform(0.5, 1.5)))
        _commit_header(out, i, when, f"feat(pkg): change {i}\n\nBody of change {i}.\n", i - 1)
        for path in rng.sample(sorted(files), rng.randint(1, 6)):
            files[path] = _edit(rng, files[path])
            out.append(f"M 100644 inline {path}\n".encode())
            _blob(out, "".join(files[path]))
        if rng.random() < 0.05:
            path = f"src/new/file_{i}.py"
            files[path] = [_line(rng) for _ in range(rng.randint(20, 200))]
            out.append(f"M 100644 inline {path}\n".encode())
            _blob(out, "".join(files[path]))
        if rng.random() < 0.02 and len(files) > 50:
            victim = rng.choice(sorted(files))
            del files[victim]
            out.append(f"D {victim}\n".encode())
    return b"".join(out)


def _big_stream(megabytes: int = 5, files: int = 20, seed: int = 11) -> bytes:
    rng = random.Random(seed)
    out: list[bytes] = []
    _commit_header(out, 1, BASE, "initial\n", None)
    out.append(b"M 100644 inline README\n")
    _blob(out, "readme\n")
    _commit_header(out, 2, BASE + timedelta(days=1, hours=3), "feat: a 5 MB commit\n", 1)
    per_file = megabytes * (1 << 20) // files
    for n in range(files):
        text: list[str] = []
        size = 0
        while size < per_file:
            text.append(_line(rng))
            size += len(text[-1])
        out.append(f"M 100644 inline generated/part_{n}.py\n".encode())
        _blob(out, "".join(text))
    return b"".join(out)


def _build(path: Path, stream: bytes) -> None:
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=ENV)
    subprocess.run(["git", "-C", str(path), "fast-import", "--quiet"], input=stream, check=True, env=ENV)
    subprocess.run(["git", "-C", str(path), "gc", "-q"], check=True, env=ENV)


def ensure_repos(work: Path, commits: int, rebuild: bool) -> tuple[Path, Path]:
    """The history repository and the 5 MB-commit repository, built once under ``work``."""
    history, big = work / f"history-{commits}", work / "big-commit"
    for path, make in ((history, lambda: _history_stream(commits)), (big, _big_stream)):
        if rebuild and path.exists():
            subprocess.run(["rm", "-rf", str(path)], check=True)
        if not (path / ".git").exists():
            print(f"building {path} ...", file=sys.stderr)
            _build(path, make())
    return history, big


# --- measuring ----------------------------------------------------------------------------------------


def day_window(day: datetime) -> Window:
    start = day.replace(hour=0, minute=0, second=0, microsecond=0)
    return Window(start, start + timedelta(days=1), "Asia/Shanghai")


def busiest_day(repo: Path, commits: int) -> Window:
    """A day in the middle of the history with about PER_DAY commits."""
    middle = BASE + timedelta(days=commits // PER_DAY // 2)
    return day_window(middle)


def time_ours(repo: Path, window: Window, cache: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    opened = open_repository(resolve_repo(str(repo)), cache)
    commits = opened.collect("main", window, patches=True)
    elapsed = time.perf_counter() - started
    patch_bytes = sum(len(f.patch or "") for c in commits for f in c.files)
    return elapsed, len(commits), patch_bytes


def counts_agree(repo: Path, window: Window, cache: Path) -> bool:
    """Line counts taken from the patch stream equal ``git log --numstat``'s (patches=False)."""
    opened = open_repository(resolve_repo(str(repo)), cache)

    def facts(patches: bool) -> list[tuple[str, str, int, int, bool]]:
        commits = opened.collect("main", window, patches=patches)
        return [(c.sha, f.path, f.additions, f.deletions, f.binary) for c in commits for f in c.files]

    return facts(True) == facts(False)


def time_git(repo: Path, window: Window) -> tuple[float, int]:
    args = ["git", "-C", str(repo), "log", "-p", "main"]
    args += [f"--since={window.start.isoformat()}", f"--until={window.end.isoformat()}"]
    started = time.perf_counter()
    out = subprocess.run(args, check=True, capture_output=True, env=ENV).stdout
    return time.perf_counter() - started, len(out)


_MEMORY_PROBE = """
import json, resource, sys, tracemalloc
from datetime import datetime
from pathlib import Path
sys.path.insert(0, {src!r})
from commitwatch.models import Window
from commitwatch.sources import open_repository, resolve_repo
repo = open_repository(resolve_repo({repo!r}), Path({cache!r}))
window = Window(datetime.fromisoformat({start!r}), datetime.fromisoformat({end!r}), "Asia/Shanghai")
collect = {collect!r}
tracemalloc.start()
commits = repo.collect("main", window, patches=True) if collect else []
current, peak = tracemalloc.get_traced_memory()
patch = sum(len(f.patch or "") for c in commits for f in c.files)
try:  # VmHWM is this process's own peak; ru_maxrss would include the parent's from before exec
    rss = int(next(l for l in open("/proc/self/status") if l.startswith("VmHWM")).split()[1])
except OSError:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({{"peak": peak, "current": current, "rss_kib": rss, "patch": patch, "commits": len(commits)}}))
"""


def memory(big: Path, cache: Path) -> dict[str, float]:
    window = day_window(BASE + timedelta(days=1))
    results = []
    for collect in (False, True):
        code = _MEMORY_PROBE.format(
            src=str(ROOT / "src"), repo=str(big), cache=str(cache),
            start=window.start.isoformat(), end=window.end.isoformat(), collect=collect,
        )  # fmt: skip
        out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
        results.append(json.loads(out))
    idle, busy = results
    return {
        "patch_mb": busy["patch"] / 1e6,
        "heap_peak_mb": busy["peak"] / 1e6,
        "heap_kept_mb": busy["current"] / 1e6,
        "rss_mb": busy["rss_kib"] / 1024,
        "rss_delta_mb": (busy["rss_kib"] - idle["rss_kib"]) / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commits", type=int, default=6000, help="commits in the history repository")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each side (median reported)")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / ".work", help="where repositories live")
    parser.add_argument("--rebuild", action="store_true", help="build the repositories again")
    args = parser.parse_args()

    args.work.mkdir(parents=True, exist_ok=True)
    history, big = ensure_repos(args.work, args.commits, args.rebuild)
    window = busiest_day(history, args.commits)
    cache = args.work / "cache"

    ours, theirs = [], []
    count = patch_bytes = raw_bytes = 0
    time_ours(history, window, cache)  # warm the page cache once for both sides
    time_git(history, window)
    for _ in range(args.repeat):
        elapsed, count, patch_bytes = time_ours(history, window, cache)
        ours.append(elapsed)
        elapsed, raw_bytes = time_git(history, window)
        theirs.append(elapsed)
    ours_ms, git_ms = statistics.median(ours) * 1000, statistics.median(theirs) * 1000
    mem = memory(big, cache)
    agree = counts_agree(history, window, cache)

    version = subprocess.run(["git", "--version"], capture_output=True, text=True, env=ENV).stdout.strip()
    print(f"repository: {args.commits} commits; window {window.start.date()} (Asia/Shanghai): {count} commits")
    print(f"{version}, Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, median of {args.repeat} runs\n")
    print(f"| {'what':<46} | {'median':>9} |")
    print(f"|{'-' * 48}|{'-' * 11}|")
    print(f"| {'Repository.collect(patches=True)':<46} | {ours_ms:>6.1f} ms |")
    print(f"| {'git log -p --since --until (output discarded)':<46} | {git_ms:>6.1f} ms |")
    print(f"| {'ratio (target <= 2.0)':<46} | {ours_ms / git_ms:>9.2f} |")
    print(f"\npatch text: ours {patch_bytes / 1e6:.2f} MB (decoded), git log -p {raw_bytes / 1e6:.2f} MB")
    print(f"line counts from patches equal --numstat: {'yes' if agree else 'NO'}")
    print(
        f"5 MB commit ({mem['patch_mb']:.1f} MB of patch text): Python heap peak {mem['heap_peak_mb']:.1f} MB "
        f"(kept {mem['heap_kept_mb']:.1f} MB), max RSS {mem['rss_mb']:.1f} MB "
        f"(+{mem['rss_delta_mb']:.1f} MB over an idle process)"
    )


if __name__ == "__main__":
    main()
