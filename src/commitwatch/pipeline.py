"""The run: every repository it was given, for one window, through the stages below, in this order.

    per repository, in parallel (bounded):  collect ─► redact ─► enrich ─► triage
    shared by every repository:              analyse (one AnalysisPool) ─► highlights, as soon as that
                                             repository's own commits are done
    per repository, as soon as it lands:     write (files, report snapshot, run record)
    once, after every repository:            deliver (publish, notify)

Each stage is one function below and passes a typed object on (``stages``: ``Collected`` → ``Triaged``
→ ``Analysed`` → ``RepoResult``); what they share is a ``runstate.RunState``. A stage that plugs in
later (GitHub pull requests in ``enrich``, publishing and notifications in ``deliver``) fills in its
function. Stages that may import run under the ``gate``; ``openai`` is imported only once a request is
due. ``cli.py`` builds ``Settings`` and a ``RunRequest``; nothing here parses flags. ``report`` is a run
of one.

Failure: a repository whose source fails is reported failed (its run recorded so) and the others go on.
Every analysis is stored the moment it finishes and every report the moment it is written, so a crash
loses nothing finished and a rerun asks only for what was not.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
from collections.abc import Mapping
from datetime import datetime, timezone

from .analysis import AnalysisPool, PullText, analyze_commits, api_key_for
from .analysis.rules import rules_entry, rules_highlights
from .cache import AnalysisCache, Item, remember_mode, remembered_modes
from .config import LLMSettings, RepoConfig, Settings
from .errors import CommitwatchError
from .models import CommitEntry, PullRequest, ReportData, Usage
from .progress import RunProgress
from .redact import redact_commits, redact_pull_text, redact_report, redact_text, redaction_warning
from .render.html import markup
from .reportfiles import report_paths, report_stem, write_atomic, write_feeds, write_report
from .runstate import COLLECT_WORKERS, RunState, all_ran_before, fingerprint, record_failure, repo_name
from .selection import select
from .sources import missing_objects_warning, open_repository, resolve_repo
from .sources.github import PullLookup
from .stages import (
    Analysed,
    Collected,
    InternalError,
    RepoResult,
    ReportRequest,
    ReportResult,
    RunOutcome,
    RunRequest,
    Triaged,
    analyzer_counts,
    without_patches,
)
from .storage import Store
from .triage import triage
from .triage.syncs import brought_in_by

__all__ = [
    "RepoResult", "ReportRequest", "ReportResult", "RunOutcome", "RunRequest", "report_paths", "report_stem",
    "run", "run_report", "write_atomic", "write_feeds", "write_report",
]

log = logging.getLogger(__name__)

# --- the run -----------------------------------------------------------------------------------------------


def run(
    settings: Settings,
    request: RunRequest,
    store: Store,
    *,
    environ: Mapping[str, str] | None = None,
    progress: RunProgress | None = None,
    now: datetime | None = None,
) -> RunOutcome:
    """Report every repository of ``request``; then deliver. Raises only for errors of the whole run
    (a missing API key); a repository's own failure is in its ``RepoResult``."""
    watcher = progress or RunProgress()
    llm = settings.llm if request.use_llm and settings.llm.configured else None
    api_key = api_key_for(llm, environ) if llm is not None else None
    watcher.started([repo_name(repo) for repo in request.repos])
    env = os.environ if environ is None else environ
    lookup = PullLookup(settings.github, store, env)
    try:
        outcome = asyncio.run(_run_all(settings, request, store, watcher, now, llm, api_key, lookup))
        written = [r for r in outcome.repos if r.report is not None]
        if "atom" in settings.formats and written:  # once, over the store, every new report included
            written[-1].paths += write_feeds(settings.output_dir, settings.language, store)
    finally:
        lookup.close()
        watcher.finished()  # also on Ctrl-C: a live display gives the terminal back
    deliver(settings, store, outcome, notify=request.notify, environ=env)
    return outcome


async def _run_all(
    settings: Settings,
    request: RunRequest,
    store: Store,
    progress: RunProgress,
    now: datetime | None,
    llm: LLMSettings | None,
    api_key: str | None,
    lookup: PullLookup | None = None,
) -> RunOutcome:
    pool = None
    if llm is not None and api_key is not None:
        pool = AnalysisPool(llm, api_key, modes=remembered_modes(store, llm), on_usage=progress.usage)
    shared = RunState(settings, request, store, progress, now, llm, pool, asyncio.Semaphore(COLLECT_WORKERS),
                  pull_lookup=lookup)
    if "html" in settings.formats:  # its Markdown and sanitizer packages load on first use: not in a thread
        markup("")
    if pool is not None and not all_ran_before(shared):
        # requests are likely: import the LLM stack while the first repository is read, redacted and
        # triaged; the others wait until it is in (``RunState.collect_turn``)
        shared.start_client_code()
        shared.head_start = 1
    if pool is not None:
        async with pool:
            results = await asyncio.gather(*(_repository(shared, repo) for repo in request.repos))
            remember_mode(store, llm, pool)
    else:
        results = await asyncio.gather(*(_repository(shared, repo) for repo in request.repos))
    usage = pool.usage if pool is not None else Usage()
    costs = [r.cost for r in results if r.report is not None and r.report.analyzer_kind == "llm"]
    cost = sum(c for c in costs if c is not None) if costs and None not in costs else None
    return RunOutcome(list(results), usage, cost)


async def _repository(run_: RunState, config: RepoConfig) -> RepoResult:
    """One repository through every stage; its failure is its own."""
    name = repo_name(config)
    collected: Collected | None = None
    try:
        await run_.collect_turn()
        async with run_.collect_slots:
            collected = await asyncio.to_thread(collect, run_, config)
        name = collected.ref.name
        run_.progress.collected(name, len(collected.commits), collected.branch)
        async with run_.cpu_lane:  # one repository at a time: the first collected is analysed first
            collected = await asyncio.to_thread(redact, run_, collected)
            if collected.ref.github:  # asks GitHub: a stage that may import (see ``gate``)
                async with run_.gate.shared():
                    collected = await asyncio.to_thread(enrich, run_, collected)
            else:  # nothing to ask, nothing to import: no wait for the LLM stack's import
                collected = await asyncio.to_thread(enrich, run_, collected)
            triaged = await asyncio.to_thread(triage_commits, collected)
        analysed = await analyse(run_, triaged)
        async with run_.gate.shared():
            result = await asyncio.to_thread(write, run_, analysed)
    except CommitwatchError as error:
        return record_failure(run_, name, collected, error)
    except Exception as error:  # a bug must not cost the other repositories their reports
        log.exception("%s: internal error", name)
        return record_failure(run_, name, collected, InternalError(f"{name}: {type(error).__name__}: {error}"))
    run_.progress.written(name, result.paths)
    return result


# --- stage 1: collect (git) ---------------------------------------------------------------------------------


def collect(run_: RunState, config: RepoConfig) -> Collected:
    """Open the repository, choose the window's commits, read them; record the run as started."""
    settings, store = run_.settings, run_.store
    ref = resolve_repo(config.repo, github=config.github)
    repository = open_repository(ref, settings.cache_dir, settings.git.allowed_protocols)
    branch = repository.resolve_branch(config.branch)
    head = repository.head(branch)
    repo_id = store.repo_id(ref)
    window, shas, notes = select(settings, run_.request.window, run_.request.since_last_run, repository, store,
                                 repo_id, branch, run_.now)
    # newest committer date first; the sort is stable, so equal dates keep git's topological order
    commits = sorted(repository.read_commits(shas), key=lambda c: -c.committed_at.timestamp())
    lacking = missing_objects_warning(commits)  # such commits are reported with what git could read
    notes += [lacking] if lacking else []
    run_id = store.start_run(repo_id, branch, window, fingerprint(settings, run_.llm))
    return Collected(config, ref, repo_id, run_id, branch, head, window, commits, notes)


# --- stage 2: redact (right after collect) -----------------------------------------------------------------


def redact(run_: RunState, collected: Collected) -> Collected:
    """Secrets out of the commits (message, author, file names, patches) before anything else sees them:
    the store, the prompts and every output get the redacted text (``commitwatch.redact``)."""
    redaction = redact_commits(collected.commits)
    collected.commits = redaction.commits
    if redaction.found:
        collected.notes.append(redaction_warning(run_.settings.language, redaction))
    # a commit that lacks objects is not stored: a later run that can read it all stores it whole
    run_.store.save_commits(collected.repo_id, [c for c in collected.commits if not c.missing_objects])
    return collected


# --- stage 3: enrich (pull requests) -----------------------------------------------------------------------


def enrich(run_: RunState, collected: Collected) -> Collected:
    """Context from outside git, before triage: the pull request behind each commit (``sources.github``;
    stored, so a rerun asks GitHub nothing). Without a token, a network or a GitHub identity (of a remote)
    the report is produced without it, and one note in its header says why."""
    if run_.pull_lookup is None or not collected.commits:
        return collected
    c = collected
    found = run_.pull_lookup.enrich(c.ref.github, c.ref.name, c.branch, [commit.sha for commit in c.commits],
                                    run_.settings.language, remote=c.ref.kind == "remote")
    c.prs = {sha: _redacted_pull(pr) if pr is not None else None for sha, pr in found.pulls.items()}
    c.pulls = {sha: PullText(pr.number, pr.title, pr.body) for sha, pr in c.prs.items() if pr is not None}
    if found.note:
        c.notes.append(found.note)
    return c


def _redacted_pull(pr: PullRequest) -> PullRequest:
    """Pull request text as reports, deliveries and the model see it: secrets redacted."""
    title, body = redact_pull_text(pr.title, pr.body)
    return dataclasses.replace(pr, title=title, body=body, labels=tuple(redact_text(x) for x in pr.labels))


# --- stage 4: triage (deterministic, always) -----------------------------------------------------------------


def triage_commits(collected: Collected) -> Triaged:
    project = collected.ref.name  # the project's own name is never a type word

    def labels(sha: str) -> tuple[str, ...]:
        pr = collected.prs.get(sha)
        return pr.labels if pr is not None else ()

    return Triaged(collected, [(commit, triage(commit, labels(commit.sha), project=project))
                               for commit in collected.commits])


# --- stage 5: analyse (the shared pool; the store as cache) --------------------------------------------------


async def analyse(run_: RunState, triaged: Triaged) -> Analysed:
    """Every commit's analysis (the store's, another run's, or new), then the repository's highlights."""
    c = triaged.collected
    name, items, language = c.ref.name, triaged.items, run_.settings.language
    # the commits a sync or subtree merge brings in are shown once, under it: the rules analyse them (no
    # request), and the highlights are written over the others
    synced = brought_in_by(items)
    own = [item for item in items if item[0].sha not in synced]
    if run_.pool is None or run_.llm is None:
        run_.progress.planned(name, 0, len(items), "rules")
        rules = analyze_commits(items, c.ref, language, None, highlights=False)
        highlighted = [e for e in rules.entries if e.commit.sha not in synced]
        run_.progress.analysed(name, len(items), len(items))
        return Analysed(triaged, rules.entries, rules_highlights(highlighted, language), [], Usage(), None, False)

    cache = AnalysisCache(run_.store, run_.llm, language, c.repo_id, c.run_id)
    plan = cache.plan(own)
    done = dict(plan.done) | {commit.sha: rules_entry(commit, tri) for commit, tri in items if commit.sha in synced}
    run_.progress.planned(name, len(done), len(plan.mine), run_.llm.model or "")
    finished = len(done)

    def save(entry: CommitEntry) -> None:
        nonlocal finished
        cache.save(entry)
        finished += 1
        run_.progress.analysed(name, finished, len(items))

    job = run_.pool.repo(c.ref, language, pulls=c.pulls, on_entry=save, redacted=True)  # by ``redact``
    if plan.mine:
        await run_.client_ready()
    new = await job.analyse(plan.mine)
    leftover: list[Item] = []
    for item in plan.held:  # another run is analysing these: take its results, or analyse them here
        theirs = await asyncio.to_thread(cache.wait, item)
        if theirs is None:
            leftover.append(item)
        else:
            done[item[0].sha] = theirs
            finished += 1
    if leftover:
        await run_.client_ready()
    new += await job.analyse(leftover)
    done.update((entry.commit.sha, entry) for entry in new)
    entries = [done[commit.sha] for commit, _ in items]
    lines = cache.stored_highlights(c.ref, c.branch, c.window, entries) if not new else None
    reason = None
    if lines is None:  # asked as soon as this repository's commits are done, ahead of waiting commits
        await run_.client_ready()
        lines, reason = await job.highlights([e for e in entries if e.commit.sha not in synced])
    cache.release()
    outcome = job.result(new, lines, reason)
    degraded = outcome.degraded or any(e.analyzer == "rules-fallback" for e in entries)
    return Analysed(triaged, entries, lines, outcome.warnings, outcome.usage, outcome.cost, degraded)


# --- stage 6: write (files, snapshot, run record), as soon as the repository is done ------------------------


def write(run_: RunState, analysed: Analysed) -> RepoResult:
    c = analysed.triaged.collected
    settings, store = run_.settings, run_.store
    for entry in analysed.entries:
        entry.pr = c.prs.get(entry.commit.sha)
    report = ReportData(
        repo=c.ref,
        branch=c.branch,
        window=c.window,
        language=settings.language,
        analyzer_kind="llm" if run_.llm else "rules",
        model=run_.llm.model if run_.llm else None,
        entries=analysed.entries,
        generated_at=(run_.now or datetime.now(timezone.utc)),
        warnings=[*c.notes, *analysed.warnings],
        usage=analysed.usage,
        highlights=list(analysed.highlights),
    )
    redact_report(report)  # the output gate: what a model or a server's message added
    paths = write_report(report, settings.output_dir, list(settings.formats))
    store.save_report(c.run_id, report)
    degraded = analysed.degraded or any(commit.missing_objects for commit in c.commits)
    store.finish_run(
        c.run_id,
        "degraded" if degraded else "ok",
        counts=analyzer_counts(report.entries),
        usage=analysed.usage,
        cost=analysed.cost,
        warnings=report.warnings,
        head_sha=c.head,
        reported=[commit.sha for commit in c.commits],
    )
    for entry in report.entries:  # the patches were for the model; later stages read the report
        entry.commit = without_patches(entry.commit)
    return RepoResult(c.ref.name, report, paths, degraded, analysed.cost)


# --- stage 7: deliver (once, after every repository's report is written) -------------------------------------


def deliver(
    settings: Settings, store: Store, outcome: RunOutcome, *, notify: bool = True,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Publishing (GitHub contents or issues), then notifications, after every report's files are written
    (``notify=False``: neither, for ``report`` and ``demo``). A failed delivery is recorded (the next run
    retries it), named in ``outcome.undelivered`` and never loses a report."""
    if notify and settings.publish.enabled:
        from .deliver.github import publish_run

        written = [(r.report, r.paths) for r in outcome.repos if r.report is not None]
        target = f"github:{settings.publish.github_repo}"
        outcome.undelivered += [(target, failure) for failure in publish_run(settings, store, written,
                                                                              environ or os.environ)]
    if notify and (settings.notify.urls or settings.notify.targets):
        from .deliver.notify import notify_reports

        reports = [r.report for r in outcome.repos if r.report is not None]
        failed = [(r.name, r.error.message) for r in outcome.repos if r.error is not None]
        sent = notify_reports(settings, store, reports, failed=failed, retry_failed=True, environ=environ)
        outcome.undelivered += sent.failed


# --- one repository: `commitwatch report` -----------------------------------------------------------------


def run_report(
    settings: Settings,
    request: ReportRequest,
    store: Store,
    *,
    environ: Mapping[str, str] | None = None,
    progress: RunProgress | None = None,
    now: datetime | None = None,
) -> ReportResult:
    """A run of one repository; its error is raised."""
    outcome = run(settings, RunRequest((request.repo,), request.window, request.since_last_run, request.use_llm),
                  store, environ=environ, progress=progress, now=now)
    result = outcome.repos[0]
    if result.error is not None:
        raise result.error
    assert result.report is not None
    return ReportResult(result.report, result.paths, result.degraded, result.cost)
