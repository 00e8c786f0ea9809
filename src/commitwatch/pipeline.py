"""The pipeline, stage by stage: source -> triage -> analysis -> ReportData -> render -> files.

``cli.py`` builds ``Settings`` and a ``ReportRequest`` and calls ``run_report``; nothing here parses flags.
Every run is recorded in the store: commits, each analysis the moment it finishes (so a crash loses
nothing and a rerun pays nothing for finished work), the run itself, and a snapshot of the report.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .analysis import PROMPT_VERSION, AnalysisOutcome, analyze_commits, model_for, prewarm, schema_hash
from .config import LLMSettings, RepoConfig, Settings
from .digest import build_weekly, rules_weekly_highlights
from .errors import ReportError
from .models import Commit, CommitEntry, RepoRef, ReportData, Triage, Usage, Window
from .redact import redact_commits, redact_report, redaction_warning, safe_url
from .render.html import render_html
from .render.json import render_json
from .render.markdown import render_markdown
from .sources import Repository, open_repository, resolve_repo, undated_warning
from .storage import AnalysisKey, Store
from .triage import triage
from .window import day_window, yesterday, zone

RENDERERS: dict[str, Callable[[ReportData], str]] = {"md": render_markdown, "html": render_html, "json": render_json}

Progress = Callable[[str], None]
Item = tuple[Commit, Triage]


@dataclass(frozen=True)
class ReportRequest:
    """What to report: one repository, and either a window or everything since the last run."""

    repo: RepoConfig
    window: Window | None = None
    since_last_run: bool = False
    use_llm: bool = True


@dataclass
class ReportResult:
    report: ReportData
    paths: list[Path] = field(default_factory=list)
    degraded: bool = False
    cost: float | None = None


def run_report(
    settings: Settings,
    request: ReportRequest,
    store: Store,
    *,
    environ: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ReportResult:
    """Collect, triage, analyse (reusing stored analyses), write the report files, record the run."""
    say = progress or (lambda _message: None)
    llm = settings.llm if request.use_llm and settings.llm.configured else None
    if llm is not None:  # load the LLM client's code while git works
        threading.Thread(target=prewarm, args=(settings.language,), name="commitwatch-prewarm", daemon=True).start()
    ref = resolve_repo(request.repo.repo, github=request.repo.github)
    say(f"{ref.name}: opening repository")
    repository = open_repository(ref, settings.cache_dir, settings.git.allowed_protocols)
    branch = repository.resolve_branch(request.repo.branch)
    head = repository.head(branch)
    repo_id = store.repo_id(ref)
    window, shas, notes = _select(settings, request, repository, store, repo_id, branch, now)
    say(f"{ref.name}: collecting {len(shas)} commits on {branch}")
    # newest committer date first; the sort is stable, so equal dates keep git's topological order
    commits = sorted(repository.read_commits(shas), key=lambda c: -c.committed_at.timestamp())
    redaction = redact_commits(commits)  # the one redaction stage: store, prompts and outputs see its result
    commits = redaction.commits
    if redaction.found:
        notes.append(redaction_warning(settings.language, redaction))
    shas = [commit.sha for commit in commits]
    run_id = store.start_run(repo_id, branch, window, _fingerprint(settings, llm))
    try:
        store.save_commits(repo_id, commits)
        items = [(commit, triage(commit)) for commit in commits]
        outcome = _analyse(settings, llm, store, repo_id, run_id, ref, branch, window, items, environ, say)
        report = ReportData(
            repo=ref,
            branch=branch,
            window=window,
            language=settings.language,
            analyzer_kind="llm" if llm else "rules",
            model=llm.model if llm else None,
            entries=outcome.entries,
            generated_at=(now or datetime.now(timezone.utc)),
            warnings=[*notes, *outcome.warnings],
            usage=outcome.usage,
            highlights=list(outcome.highlights),
        )
        redact_report(report)  # the output gate: what a model or a server's message added
        paths = write_report(report, settings.output_dir, list(settings.formats))
        store.save_report(run_id, report)
    except BaseException:
        store.finish_run(run_id, "failed", counts={}, usage=Usage(), head_sha=None)
        raise
    store.finish_run(
        run_id,
        "degraded" if outcome.degraded else "ok",
        counts=_counts(report.entries),
        usage=outcome.usage,
        cost=outcome.cost,
        warnings=report.warnings,
        head_sha=head,
        reported=shas,
    )
    return ReportResult(report, paths, outcome.degraded, outcome.cost)


# --- which commits --------------------------------------------------------------------------------------


def _select(
    settings: Settings,
    request: ReportRequest,
    repository: Repository,
    store: Store,
    repo_id: int,
    branch: str,
    now: datetime | None,
) -> tuple[Window, list[str], list[str]]:
    """The window, the SHAs to report (newest first) and notes for the report header."""
    undated = undated_warning(repository.undated(branch), branch)
    notes = [undated] if undated else []
    if not request.since_last_run:
        assert request.window is not None
        return request.window, repository.select(branch, request.window), notes
    tz = settings.timezone
    end = (now or datetime.now(timezone.utc)).astimezone(zone(tz))
    last = store.last_successful_run(repo_id, branch)
    if last is None:  # first run: start at yesterday's midnight
        start = day_window(yesterday(tz, end), tz).start
        window = Window(start=start, end=end, tz=tz)
        return window, repository.select(branch, window), notes
    window = Window(start=last.window_end.astimezone(zone(tz)), end=max(end, last.window_end), tz=tz)
    candidates = repository.select(branch, window)
    if last.head_sha and repository.has_commit(last.head_sha):
        # late arrivals: commits that landed since the last run's head, whatever their committer date
        candidates += [sha for sha in repository.arrived_since(branch, last.head_sha) if sha not in candidates]
    elif last.head_sha:
        notes.append(
            f"the previous run's head {last.head_sha[:7]} is no longer on {branch} (history was rewritten); "
            "commits dated before the window may be missing"
        )
    reported = store.reported_shas(repo_id, branch, among=candidates)
    return window, [sha for sha in candidates if sha not in reported], notes


# --- analysis, with the store as cache ----------------------------------------------------------------


def _analyse(
    settings: Settings,
    llm: LLMSettings | None,
    store: Store,
    repo_id: int,
    run_id: int,
    ref: RepoRef,
    branch: str,
    window: Window,
    items: list[Item],
    environ: Mapping[str, str] | None,
    say: Progress,
) -> AnalysisOutcome:
    language = settings.language
    if llm is None:
        say(f"{ref.name}: analysing {len(items)} commits with rules")
        return analyze_commits(items, ref, language, None)

    keys = {commit.sha: analysis_key(llm, language, tri) for commit, tri in items}
    done: dict[str, CommitEntry] = {}
    won: set[str] = set()
    for key, group in _by_key(items, keys).items():
        stored = store.get_entries(repo_id, [commit.sha for commit, _ in group], key)
        done.update({c.sha: stored[c.sha].entry(c, tri) for c, tri in group if c.sha in stored})
        won |= store.claim_many(repo_id, [commit.sha for commit, _ in group if commit.sha not in done], key, run_id)
    todo = [item for item in items if item[0].sha not in done]
    mine = [item for item in todo if item[0].sha in won]
    held = [item for item in todo if item[0].sha not in won]
    say(f"{ref.name}: {len(done)} analyses from the store, {len(mine)} to analyse with {llm.model}")

    def save(entry: CommitEntry) -> None:
        store.save_entry(repo_id, entry, keys[entry.commit.sha], entry.usage, run_id=run_id)

    analysed = 0

    def analyse(batch: list[Item], highlights: bool) -> AnalysisOutcome:
        nonlocal analysed
        analysed += len(batch)
        cached = [done[commit.sha] for commit, _ in items if commit.sha in done]
        outcome = analyze_commits(batch, ref, language, llm, environ=environ, on_entry=save,
                                  highlights=highlights, cached=cached)
        done.update((entry.commit.sha, entry) for entry in outcome.entries)
        outcomes.append(outcome)
        return outcome

    outcomes: list[AnalysisOutcome] = []
    if held:  # another run is analysing these right now: take its results, then write the highlights
        if mine:
            analyse(mine, highlights=False)
        mine = []
        for commit, tri in held:
            theirs = store.wait_for_entry(repo_id, commit.sha, keys[commit.sha], timeout=_wait_budget(llm))
            if theirs is not None:
                done[commit.sha] = theirs.entry(commit, tri)
            else:
                mine.append((commit, tri))
    ordered = [done[commit.sha] for commit, _ in items if commit.sha in done]
    reusable = not mine and not analysed and len(ordered) == len(items)
    highlights = _stored_highlights(store, ref, branch, window, language, ordered) if reusable else None
    if highlights is None:  # one call: the remaining commits, then the highlights over all of them
        highlights = analyse(mine, highlights=True).highlights
    store.release_claims(run_id)
    entries = [done[commit.sha] for commit, _ in items]
    return _merge(entries, highlights, outcomes)


def _by_key(items: list[Item], keys: Mapping[str, AnalysisKey]) -> dict[AnalysisKey, list[Item]]:
    groups: dict[AnalysisKey, list[Item]] = {}
    for item in items:
        groups.setdefault(keys[item[0].sha], []).append(item)
    return groups


def analysis_key(llm: LLMSettings, language: str, tri: Triage) -> AnalysisKey:
    """What a stored analysis is keyed by: the model that analyses this commit, the prompt version, the
    language and the schema of the answer."""
    return AnalysisKey(
        model=model_for(llm, tri), prompt_version=PROMPT_VERSION, language=language, schema_hash=schema_hash()
    )


def _stored_highlights(
    store: Store, ref: RepoRef, branch: str, window: Window, language: str, entries: list[CommitEntry]
) -> list[str] | None:
    """The highlights of the stored report of this window, if it was built from exactly these results:
    a rerun with nothing new to analyse then makes no request at all."""
    previous = store.load_report(ref, language=language, window=window, branch=branch, tz=window.tz)
    if previous is None or previous.analyzer_kind != "llm":
        return None
    if [(e.commit.sha, e.analysis) for e in previous.entries] != [(e.commit.sha, e.analysis) for e in entries]:
        return None
    return list(previous.highlights)


def _merge(entries: list[CommitEntry], highlights: list[str], outcomes: list[AnalysisOutcome]) -> AnalysisOutcome:
    usage = Usage()
    warnings: list[str] = []
    costs = [o.cost for o in outcomes]
    for outcome in outcomes:
        usage.requests += outcome.usage.requests
        usage.prompt_tokens += outcome.usage.prompt_tokens
        usage.completion_tokens += outcome.usage.completion_tokens
        warnings += [w for w in outcome.warnings if w not in warnings]
    return AnalysisOutcome(
        entries=entries,
        usage=usage,
        warnings=warnings,
        highlights=highlights,
        degraded=any(o.degraded for o in outcomes) or any(e.analyzer == "rules-fallback" for e in entries),
        cost=sum(c for c in costs if c is not None) if costs and None not in costs else None,
    )


def _wait_budget(llm: LLMSettings) -> float:
    return llm.timeout * (llm.max_retries + 1) + llm.max_retry_wait


def _counts(entries: list[CommitEntry]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in entries:
        counts[entry.analyzer] = counts.get(entry.analyzer, 0) + 1
    return counts


def _fingerprint(settings: Settings, llm: LLMSettings | None) -> str:
    """The settings that shape a report, for the run record."""
    data = {
        "language": settings.language,
        "timezone": settings.timezone,
        "model": llm.model if llm else "rules",
        "base_url": safe_url(llm.base_url) if llm else None,
        "prompt_version": PROMPT_VERSION if llm else None,
    }
    return json.dumps(data, sort_keys=True)


# --- weekly digest --------------------------------------------------------------------------------------


def weekly_report(settings: Settings, store: Store, target: RepoConfig, week: str, *, use_llm: bool) -> ReportData:
    """The digest of an ISO week from the stored dailies (no git). With an LLM, one request over their
    structured results writes the themes of the week; the rules' totals always lead, and the rules write
    the themes alone without an LLM or when that request fails."""
    ref = resolve_repo(target.repo, github=target.github)
    llm = settings.llm if use_llm and settings.llm.configured else None
    outcomes: list[AnalysisOutcome] = []

    def themes(entries: Sequence[CommitEntry], language: str) -> list[str]:
        lines = rules_weekly_highlights(entries, language)
        if llm is None or not entries:
            return lines
        outcomes.append(analyze_commits([], ref, language, llm, cached=list(entries)))
        return [*lines[:3], *outcomes[-1].highlights] if outcomes[-1].highlights else lines

    digest = build_weekly(store, ref, week, settings.timezone, settings.language, branch=target.branch,
                          highlighter=themes)
    if llm is not None:
        digest.analyzer_kind, digest.model = "llm", llm.model
        merged = _merge(digest.entries, digest.highlights, outcomes)
        digest.usage = merged.usage
        digest.warnings += merged.warnings
    return redact_report(digest)


# --- files ----------------------------------------------------------------------------------------------


def report_stem(window: Window) -> str:
    """File name (without extension) for a window: the day, or the range in the report's zone."""
    if window.day is not None:
        return window.day.isoformat()
    start = window.start.astimezone(zone(window.tz))
    end = window.end.astimezone(zone(window.tz))
    # seconds only when a bound has them (--since-last-run windows end "now"): two such runs in one
    # minute must not write the same file
    fmt = "%Y-%m-%dT%H%M%S" if start.second or end.second else "%Y-%m-%dT%H%M"
    return f"{start.strftime(fmt)}--{end.strftime(fmt)}"


def report_paths(
    output_dir: Path, ref: RepoRef, window: Window, formats: list[str], stem: str | None = None
) -> list[Path]:
    """``<output_dir>/<YYYY>/<repo-slug>/<stem>.<ext>`` for each format; ``stem`` defaults to the day
    (``report_stem``); weekly digests pass their ISO week."""
    year = (window.day or window.start.astimezone(zone(window.tz)).date()).year
    folder = output_dir / f"{year:04d}" / ref.slug
    stem = stem or report_stem(window)
    return [folder / f"{stem}.{fmt}" for fmt in formats]


def write_report(report: ReportData, output_dir: Path, formats: list[str], stem: str | None = None) -> list[Path]:
    """Render every format and write each file atomically (temp file + rename)."""
    paths = report_paths(output_dir, report.repo, report.window, formats, stem)
    rendered = [(path, RENDERERS[path.suffix[1:]](report)) for path in paths]
    for path, text in rendered:
        write_atomic(path, text)
    return paths


def write_atomic(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as e:
        raise ReportError(f"cannot write {path}: {e.strerror or e}", hint="Check that --output-dir is writable.") from e

