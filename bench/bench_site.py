"""Benchmark `commitwatch site` over a store of 90 days × 3 repositories:

    .venv/bin/python bench/bench_site.py --runs 3

The store is synthetic (``tests/sitedata.py``, seeded: the same every time): 90 days of LLM-analysed
daily reports of 3 repositories, 8–40 commits a day with a few fallbacks, a few days without a report.
Each run is a fresh process (``python -m commitwatch site``) into an empty output directory (the full
build: every report page rendered), then the same command again (the rebuild with nothing new, which
must write no file). Target (issue "HTML report, static site"): the full build in at most 10 s.
Exits 1 when the target is missed or the rebuild wrote a file.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.sitedata import fill_store  # noqa: E402

from commitwatch.storage import Store  # noqa: E402

TARGET_S = 10.0


def site(db: Path, out: Path) -> tuple[float, str]:
    command = [sys.executable, "-m", "commitwatch", "site", "--db", str(db), "--output-dir", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stderr.strip().splitlines()[-1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--repos", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cw-bench-site-") as tmp:
        work = Path(tmp)
        db = work / "store.db"
        with Store.open(db) as store:
            reports = fill_store(store, days=args.days, repos_count=args.repos)
        commits = sum(r.stats.total for r in reports)
        print(f"store: {len(reports)} reports, {commits} commits, {db.stat().st_size / 1e6:.1f} MB")
        full, again = [], []
        for run in range(args.runs):
            out = work / f"site-{run}"
            seconds, line = site(db, out)
            full.append(seconds)
            size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
            print(f"run {run + 1}: full build {seconds:.2f} s ({line}; {size / 1e6:.1f} MB)")
            seconds, line = site(db, out)
            again.append(seconds)
            print(f"run {run + 1}: rebuild    {seconds:.2f} s ({line})")
            if " 0 files written" not in line:
                print("FAIL: the rebuild wrote files")
                return 1
        print(f"median: full build {statistics.median(full):.2f} s, rebuild {statistics.median(again):.2f} s "
              f"(target: full build <= {TARGET_S:.0f} s)")
        return 0 if statistics.median(full) <= TARGET_S else 1


if __name__ == "__main__":
    sys.exit(main())
