"""How a run shows its progress on stderr: a Rich live display on a terminal, plain log lines otherwise,
nothing with ``--quiet``; then one summary table. Every repository or commit string is printed as plain
text (never Rich markup) with control characters escaped (``term.clean``)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .models import Usage
from .progress import RunProgress
from .term import clean

if TYPE_CHECKING:
    from datetime import datetime

    from .models import ReportData
    from .pipeline import RunOutcome
    from .storage import RunRow


def progress_for(console: Console, *, quiet: bool) -> RunProgress:
    """The watcher for a run: silent, live (a terminal) or plain lines."""
    if quiet:
        return RunProgress()
    if console.is_terminal:
        return LiveProgress(console)
    return LogProgress(console)


class LogProgress(RunProgress):
    """One plain line per event (cron logs, CI, pipes)."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def _say(self, repo: str, message: str) -> None:
        self.console.print(Text(f"{clean(repo)}: {message}"), soft_wrap=True)

    def collected(self, repo: str, commits: int, branch: str) -> None:
        self._say(repo, f"collected {commits} commits on {clean(branch)}")

    def planned(self, repo: str, from_store: int, to_analyse: int, analyzer: str) -> None:
        if analyzer == "rules":
            self._say(repo, f"analysing {to_analyse} commits with rules")
        else:
            self._say(repo, f"{from_store} analyses from the store, {to_analyse} to analyse with {clean(analyzer)}")

    def written(self, repo: str, paths: Sequence[Path]) -> None:
        for path in paths:
            self.console.print(Text(f"wrote {clean(path)}"), soft_wrap=True)

    def failed(self, repo: str, message: str) -> None:
        self._say(repo, f"failed: {clean(message)}")


@dataclass
class _Row:
    collected: int | None = None
    done: int = 0
    total: int = 0
    state: str = "collecting"
    note: str = ""


@dataclass
class _Totals:
    usage: Usage = field(default_factory=Usage)
    cost: float | None = None


class LiveProgress(RunProgress):
    """A table on stderr, redrawn a few times a second by Rich's own thread: per repository collected,
    analysed n/N and written; for the run, requests, tokens and cost so far."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._lock = threading.Lock()
        self._rows: dict[str, _Row] = {}
        self._totals = _Totals()
        self._live: Live | None = None

    def started(self, repos: Sequence[str]) -> None:
        with self._lock:
            self._rows = {repo: _Row() for repo in repos}
        self._live = Live(get_renderable=self._render, console=self.console, refresh_per_second=4, transient=True)
        self._live.start()

    def _row(self, repo: str) -> _Row:
        return self._rows.setdefault(repo, _Row())

    def collected(self, repo: str, commits: int, branch: str) -> None:
        with self._lock:
            row = self._row(repo)
            row.collected, row.total, row.state = commits, commits, "analysing"

    def planned(self, repo: str, from_store: int, to_analyse: int, analyzer: str) -> None:
        with self._lock:
            row = self._row(repo)
            row.done = from_store
            if from_store:
                row.note = f"{from_store} from the store"

    def analysed(self, repo: str, done: int, total: int) -> None:
        with self._lock:
            row = self._row(repo)
            row.done, row.total = done, total
            if done >= total and row.state == "analysing":
                row.state = "highlights"

    def written(self, repo: str, paths: Sequence[Path]) -> None:
        with self._lock:
            row = self._row(repo)
            row.state, row.done = "written", row.total

    def failed(self, repo: str, message: str) -> None:
        with self._lock:
            row = self._row(repo)
            row.state, row.note = "failed", message

    def usage(self, usage: Usage, cost: float | None) -> None:
        with self._lock:
            self._totals = _Totals(Usage(usage.requests, usage.prompt_tokens, usage.completion_tokens), cost)

    def finished(self) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

    def _render(self) -> Group:
        with self._lock:
            rows = [(repo, dataclass_copy(row)) for repo, row in self._rows.items()]
            totals = self._totals
        table = Table(box=None, pad_edge=False, header_style="bold")
        for column in ("repository", "collected", "analysed", "state", ""):
            table.add_column(column)
        for repo, row in rows:
            table.add_row(
                Text(clean(repo)),
                "…" if row.collected is None else str(row.collected),
                f"{row.done}/{row.total}" if row.collected is not None else "",
                row.state,
                Text(clean(row.note)),
            )
        usage = totals.usage
        line = f"requests {usage.requests}, tokens {usage.prompt_tokens} in / {usage.completion_tokens} out"
        if totals.cost is not None:
            line += f", cost ~{totals.cost:.4f}"
        return Group(table, Text(line))


def dataclass_copy(row: _Row) -> _Row:
    return _Row(row.collected, row.done, row.total, row.state, row.note)


# --- the end of a run ----------------------------------------------------------------------------------


def print_summary(console: Console, outcome: RunOutcome) -> None:
    """One table (repository, commits, high/medium/low, analyzers, warnings, files), the run's usage,
    and each repository's warnings."""
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("repository", "commits", "high", "medium", "low", "analyzers", "warnings", "files"):
        table.add_column(column)
    warnings: list[str] = []
    for result in outcome.repos:
        if result.report is None:
            message = result.error.message if result.error is not None else "failed"
            table.add_row(Text(clean(result.name)), "-", "-", "-", "-", "-", "-", Text(f"failed: {clean(message)}"))
            continue
        report = result.report
        stats = report.stats
        counts: dict[str, int] = {}
        for entry in report.entries:
            counts[entry.analyzer] = counts.get(entry.analyzer, 0) + 1
        table.add_row(
            Text(clean(result.name)), str(stats.total), str(stats.high), str(stats.medium), str(stats.low),
            ", ".join(f"{k} {v}" for k, v in sorted(counts.items())) or "-", str(len(report.warnings)),
            Text("\n".join(clean(p) for p in result.paths)),
        )
        warnings += [f"{clean(result.name)}: {clean(w)}" for w in report.warnings]
    out = console if console.is_terminal else Console(file=console.file, highlight=False, width=240)
    out.print(table)
    for result in outcome.repos:
        if result.report is not None:
            out.print(Text(_usage_line(result.name, result.report.stats.total, result.report.usage,
                                       result.report.analyzer_kind == "llm", result.cost,
                                       (result.report.stats.high, result.report.stats.medium,
                                        result.report.stats.low))), soft_wrap=True)
    if outcome.usage.requests:
        total = outcome.usage
        text = f"run: LLM requests {total.requests}, tokens {total.prompt_tokens} in / {total.completion_tokens} out"
        if outcome.cost is not None:
            text += f", cost ~{outcome.cost:.4f}"
        out.print(Text(text), soft_wrap=True)
    for warning in warnings:
        out.print(Text(f"commitwatch: warning: {warning}"), soft_wrap=True)


def _usage_line(name: str, total: int, usage: Usage, llm: bool, cost: float | None,
                levels: tuple[int, int, int]) -> str:
    high, medium, low = levels
    line = f"{clean(name)}: {total} commits (high {high}, medium {medium}, low {low})"
    if llm:
        line += f"; LLM requests {usage.requests}, tokens {usage.prompt_tokens} in / {usage.completion_tokens} out"
        if cost is not None:
            line += f", cost ~{cost:.4f}"
    return line


def print_report(console: Console, report: ReportData, paths: Sequence[Path], cost: float | None = None) -> None:
    """Where one report went, its counts and usage, and its warnings (``render``, weekly digests)."""
    for path in paths:
        console.print(Text(f"wrote {clean(path)}"), soft_wrap=True)
    stats = report.stats
    console.print(Text(_usage_line(report.repo.name, stats.total, report.usage, report.analyzer_kind == "llm", cost,
                                   (stats.high, stats.medium, stats.low))), soft_wrap=True)
    for warning in report.warnings:
        console.print(Text(f"commitwatch: warning: {clean(warning)}"), soft_wrap=True)


def print_history(rows: Sequence[RunRow], tz: str) -> None:
    """The ``history`` table on stdout (full width when piped: cells are never cut to a guessed width)."""
    from .window import zone

    def local(moment: datetime | None) -> str:
        return "-" if moment is None else moment.astimezone(zone(tz)).strftime("%Y-%m-%d %H:%M")

    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("run", "started", "repo", "branch", "window", "status", "commits", "analyzers", "tokens", "cost"):
        table.add_column(column)
    for row in rows:
        span = f"{local(row.window.start)} – {local(row.window.end)}"
        window = row.window.day.isoformat() if row.window.day else span
        table.add_row(
            str(row.id), local(row.started_at), Text(clean(row.repo)), Text(clean(row.branch)), window, row.status,
            str(row.commits), ", ".join(f"{k} {v}" for k, v in sorted(row.counts.items())) or "-",
            str(row.usage.prompt_tokens + row.usage.completion_tokens), "-" if row.cost is None else f"{row.cost:.4f}",
        )
    out = Console(highlight=False)
    if not out.is_terminal:
        out = Console(highlight=False, width=240)
    out.print(table if rows else "no runs recorded yet")
