"""Benchmark `commitwatch run` over many repositories, side by side in one invocation:

    .venv/bin/python bench/bench_run.py            # every scenario; --only 10x30,day,cached,help; --runs 3

Every command is a fresh process (`python -m commitwatch --quiet run ...`), as from cron, against the
fake OpenAI-compatible server (``tests/fakes/openai_server.py``: HTTP/1.1 keep-alive, a deep listen
backlog) in its own process at a fixed latency. Repositories come from ``bench/synth.py``. For each
scenario the ``--no-llm`` run and the LLM run (empty store) alternate ``--runs`` times; the medians
are compared with the model-bound ideal:

- ``10x30``: 10 repositories x 30 commits, 200 ms, concurrency 32: LLM - no-llm <= 1.25 x ceil(requests/32) x 0.2 s
- ``50x30``: 50 x 30 (1,500 commits), the same ratio, and the LLM run's peak RSS <= 300 MB
- ``day``:   one 31-commit day with a ~960 KB commit, 0.5 s, concurrency 8: <= 1.25 x (ceil(31/8) + 1) x 0.5 s
- ``cached``: the 10x30 LLM command again on its store: zero requests, <= 1.2 x the no-llm time
- ``help``:  `commitwatch --help` <= 2 x `python -c "import typer, rich.console"`

It checks the request counts on the server and prints the machine's facts (CPUs, load, versions), where
an LLM run's time went (medians: process start → first request at the server, first request → last
reply, last reply → exit), and the client's CPU per request: (CPU of the LLM process − CPU of the
no-llm process) / requests, which includes importing ``openai`` once (about 0.2–0.5 s of CPU).
Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_llm import fake_server, server_stats  # noqa: E402
from synth import DAY, build_repos  # noqa: E402

PYTHON = sys.executable


@dataclass
class Timed:
    seconds: float
    rss_mb: float  # peak resident set size of the process
    cpu: float  # user + system CPU seconds of the process
    started: float = 0.0  # time.monotonic() at the start and the end (the fake server's clock too)
    ended: float = 0.0


@dataclass
class Phases:
    """Where an LLM run's time went, from the fake server's arrival and reply times."""

    first: float  # process start → first request at the server
    rounds: float  # first request → last reply
    tail: float  # last reply → process exit


def phases(run: Timed, timeline: list[list[float]]) -> Phases:
    first = min(received for received, _, _ in timeline)
    last = max(replied for _, replied, _ in timeline)
    return Phases(first - run.started, last - first, run.ended - last)


def timed(command: list[str], env: dict[str, str]) -> Timed:
    """Run ``command`` as a fresh process; wall time and its peak RSS (``wait4``)."""
    with tempfile.TemporaryFile() as log:
        started = time.monotonic()
        process = subprocess.Popen(command, env=env, stdout=log, stderr=log, cwd=ROOT)
        _, status, usage = os.wait4(process.pid, 0)
        ended = time.monotonic()
        elapsed = ended - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            log.seek(0)
            raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{log.read().decode()[-3000:]}")
    return Timed(elapsed, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime, started, ended)


def write_config(path: Path, repos: list[Path], base_url: str, concurrency: int, out: Path) -> Path:
    lines = [f'output_dir = "{out}"', f'cache_dir = "{path.parent / "cache"}"', 'formats = ["md", "json"]']
    for repo in repos:
        lines += ["[[repos]]", f'repo = "{repo}"']
    lines += ["[llm]", f'base_url = "{base_url}"', 'model = "fake-model"', f"concurrency = {concurrency}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass
class Scenario:
    name: str
    repos: int
    commits: int
    latency: float
    concurrency: int
    big_kb: int = 0

    def ideal(self, requests: int) -> float:
        if self.name == "day":
            return (math.ceil(self.commits / self.concurrency) + 1) * self.latency
        return math.ceil(requests / self.concurrency) * self.latency


def run_scenario(scenario: Scenario, runs: int, work: Path, rows: list[list[str]]) -> tuple[bool, Path | None]:
    repos = build_repos(repos=scenario.repos, commits=scenario.commits, files=3, lines=20, big_kb=scenario.big_kb)
    env = {**os.environ, "COMMITWATCH_LLM_API_KEY": "sk-bench", "PYTHONPATH": str(ROOT / "src")}
    rules: list[Timed] = []
    llm: list[Timed] = []
    split: list[Phases] = []
    requests = 0
    last_db: Path | None = None
    with fake_server(scenario.latency) as base_url:
        for i in range(runs):
            folder = work / f"{scenario.name}-{i}"
            folder.mkdir(parents=True)
            config = write_config(folder / "cw.toml", repos, base_url, scenario.concurrency, folder / "out")
            base = [PYTHON, "-m", "commitwatch", "--quiet", "run", "--config", str(config), "--date", DAY]
            rules.append(timed([*base, "--no-llm", "--db", str(folder / "rules.db")], env))
            before = server_stats(base_url)["requests"]
            llm.append(timed([*base, "--db", str(folder / "llm.db"), "--allow-degraded"], env))
            stats = server_stats(base_url, timeline=True)
            requests = stats["requests"] - before
            split.append(phases(llm[-1], stats["timeline"][before:]))
            expected = scenario.repos * (scenario.commits + 1)
            if requests != expected:
                raise SystemExit(f"{scenario.name}: expected {expected} requests, the server saw {requests}")
            last_db = folder / "llm.db"
    extra = statistics.median(t.seconds for t in llm) - statistics.median(t.seconds for t in rules)
    ideal = scenario.ideal(requests)
    ratio = extra / ideal
    ok = ratio <= 1.25
    cpu = (statistics.median(t.cpu for t in llm) - statistics.median(t.cpu for t in rules)) / requests
    rows.append([scenario.name, f"{scenario.repos}x{scenario.commits}", f"{requests}",
                 f"{scenario.latency:g} s / {scenario.concurrency}",
                 f"{statistics.median(t.seconds for t in rules):.2f} s",
                 f"{statistics.median(t.seconds for t in llm):.2f} s",
                 f"{extra:.2f} s", f"{ideal:.2f} s", f"**{ratio:.2f}** (≤ 1.25)",
                 f"{max(t.rss_mb for t in llm):.0f} MB", f"{cpu * 1000:.1f} ms",
                 " / ".join(f"{statistics.median(getattr(p, k) for p in split):.2f}"
                            for k in ("first", "rounds", "tail")),
                 ", ".join(f"{t.seconds:.2f}" for t in llm)])
    if scenario.name == "50x30":
        ok = ok and max(t.rss_mb for t in llm) <= 300
    return ok, last_db


def run_cached(runs: int, work: Path, rows: list[list[str]]) -> bool:
    scenario = Scenario("10x30", 10, 30, 0.2, 32)
    repos = build_repos(repos=10, commits=30, files=3, lines=20)
    env = {**os.environ, "COMMITWATCH_LLM_API_KEY": "sk-bench", "PYTHONPATH": str(ROOT / "src")}
    rules: list[Timed] = []
    cached: list[Timed] = []
    with fake_server(scenario.latency) as base_url:
        folder = work / "cached"
        folder.mkdir(parents=True)
        config = write_config(folder / "cw.toml", repos, base_url, 32, folder / "out")
        base = [PYTHON, "-m", "commitwatch", "--quiet", "run", "--config", str(config), "--date", DAY]
        timed([*base, "--db", str(folder / "llm.db")], env)  # fill the store
        for _ in range(runs):
            rules.append(timed([*base, "--no-llm", "--db", str(folder / "rules.db")], env))
            before = server_stats(base_url)["requests"]
            cached.append(timed([*base, "--db", str(folder / "llm.db")], env))
            if server_stats(base_url)["requests"] != before:
                raise SystemExit("the cached rerun made LLM requests")
    ratio = statistics.median(t.seconds for t in cached) / statistics.median(t.seconds for t in rules)
    rows.append(["cached", "10x30", "0", "-", f"{statistics.median(t.seconds for t in rules):.2f} s",
                 f"{statistics.median(t.seconds for t in cached):.2f} s", "-", "-", f"**{ratio:.2f}** (≤ 1.2)",
                 f"{max(t.rss_mb for t in cached):.0f} MB", "-", "-",
                 ", ".join(f"{t.seconds:.2f}" for t in cached)])
    return ratio <= 1.2


def run_help(runs: int, rows: list[list[str]]) -> bool:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    bare, cli = [], []
    for _ in range(max(runs, 5)):
        bare.append(timed([PYTHON, "-c", "import typer, rich.console"], env).seconds)
        cli.append(timed([PYTHON, "-m", "commitwatch", "--help"], env).seconds)
    ratio = statistics.median(cli) / statistics.median(bare)
    rows.append(["help", "-", "-", "-", f"{statistics.median(bare):.3f} s (bare import)",
                 f"{statistics.median(cli):.3f} s (--help)", "-", "-", f"**{ratio:.2f}** (≤ 2)", "-", "-", "-",
                 ", ".join(f"{t:.3f}" for t in cli)])
    return ratio <= 2.0


def machine() -> str:
    def version(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "?"

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                  if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").exists() else "?"
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    import openai

    return (f"{os.cpu_count()} CPUs ({model}), load average {load}; Python {platform.python_version()}, "
            f"{version('git', '--version')}, openai {openai.__version__}, {platform.platform()}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default="10x30,50x30,day,cached,help")
    args = parser.parse_args()
    wanted = set(args.only.split(","))
    print(f"machine: {machine()}", flush=True)
    rows: list[list[str]] = []
    results: dict[str, bool] = {}
    scenarios = [Scenario("10x30", 10, 30, 0.2, 32), Scenario("50x30", 50, 30, 0.2, 32),
                 Scenario("day", 1, 31, 0.5, 8, big_kb=960)]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for scenario in scenarios:
            if scenario.name in wanted:
                results[scenario.name], _ = run_scenario(scenario, 1 if scenario.name == "50x30" else args.runs,
                                                         work, rows)
                print(f"{scenario.name}: done", flush=True)
        if "cached" in wanted:
            results["cached"] = run_cached(args.runs, work, rows)
        if "help" in wanted:
            results["help"] = run_help(args.runs, rows)
    header = ["scenario", "repos x commits", "requests", "latency / conc.", "--no-llm", "LLM", "LLM − no-llm",
              "ideal", "ratio", "peak RSS", "client CPU / request", "first request / rounds / tail (s)",
              "LLM runs (s)"]
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    missed = [name for name, ok in results.items() if not ok]
    print("all targets met" if not missed else f"missed: {', '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    raise SystemExit(main())
