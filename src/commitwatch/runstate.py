"""What every repository's stages share in a run (``RunState``), and the run's bookkeeping: the settings
fingerprint of a run record, a repository's name before it is read, a failed repository's record."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field
from datetime import datetime

from .analysis import PROMPT_VERSION, AnalysisPool, load_client_code
from .config import LLMSettings, RepoConfig, Settings
from .errors import CommitwatchError
from .gate import ImportGate
from .models import Usage
from .progress import RunProgress
from .redact import safe_url
from .sources import resolve_repo
from .sources.github import PullLookup
from .stages import Collected, RepoResult, RunRequest
from .storage import Store, StoreError

log = logging.getLogger("commitwatch.pipeline")

COLLECT_WORKERS = 4  # repositories collected at once (git subprocesses; the machine's disks and cores)


@dataclass
class RunState:
    """What every repository's stages share."""

    settings: Settings
    request: RunRequest
    store: Store
    progress: RunProgress
    now: datetime | None
    llm: LLMSettings | None
    pool: AnalysisPool | None
    collect_slots: asyncio.Semaphore
    # redact, enrich and triage are CPU-bound (the interpreter lock): run side by side, ten repositories
    # would all finish together, late; one at a time, the first one's requests leave while the rest wait
    cpu_lane: asyncio.Semaphore = field(default_factory=lambda: asyncio.Semaphore(1))
    gate: ImportGate = field(default_factory=ImportGate)
    client_code: asyncio.Task[None] | None = None  # importing the LLM stack, once a request is due
    head_start: int = 0  # repositories read beside that import; the others wait for it (``collect_turn``)
    pull_lookup: PullLookup | None = None  # GitHub pull requests (``enrich``)

    def start_client_code(self) -> asyncio.Task[None]:
        """Import the LLM stack (``analysis.load_client_code``), once, alone (``gate``)."""
        if self.client_code is None:
            self.client_code = asyncio.ensure_future(self._load_client_code())
        return self.client_code

    async def client_ready(self) -> None:
        """Wait for the LLM stack, importing it now if the run did not expect requests: a rerun whose
        analyses all come from the store never imports ``openai``."""
        await self.start_client_code()

    async def collect_turn(self) -> None:
        """Return at once for the first ``head_start`` repositories, or when the LLM stack is not being
        imported; else once it is. Reading git's output, redacting and triaging hold the interpreter lock
        as the import does: with every repository's collection beside it, the import took two to three
        times as long, and the first request waited for it."""
        if self.client_code is None or self.client_code.done():
            return
        if self.head_start > 0:
            self.head_start -= 1
            return
        await asyncio.wait([self.client_code])  # its failure is the first request's to report

    async def _load_client_code(self) -> None:
        async with self.gate.exclusive():
            await asyncio.to_thread(load_client_code, self.settings.language)


def record_failure(run_: RunState, name: str, collected: Collected | None, error: CommitwatchError) -> RepoResult:
    """Record the repository's run as failed, with the reason. Best effort: when the store itself is what
    failed (a full disk), its log is folded in first to make room, and if even that fails the error the
    user sees is still the original one."""
    if collected is not None:
        for attempt in range(2):
            try:
                run_.store.finish_run(collected.run_id, "failed", counts={}, usage=Usage(), head_sha=None,
                                      warnings=[f"failed: {error.message}"])
                break
            except StoreError as again:
                if attempt:
                    log.warning("%s: could not mark the run failed: %s", name, again.message)
                else:
                    run_.store.reclaim()
    run_.progress.failed(name, error.message)
    return RepoResult(name, error=error)


def all_ran_before(run_: RunState) -> bool:
    """Whether this exact run (every repository, window and settings) finished ``ok`` before: then its
    analyses are most likely all stored, and the LLM stack is imported only if a request turns out due."""
    window = run_.request.window
    if window is None or run_.request.since_last_run:
        return False
    settings = fingerprint(run_.settings, run_.llm)
    try:
        refs = [resolve_repo(config.repo, github=config.github, origin=False) for config in run_.request.repos]
    except CommitwatchError:
        return False
    return all(run_.store.ran_before(ref, window, settings) for ref in refs)


def repo_name(config: RepoConfig) -> str:
    try:
        return resolve_repo(config.repo, github=config.github, origin=False).name
    except CommitwatchError:
        return config.repo


def fingerprint(settings: Settings, llm: LLMSettings | None) -> str:
    """The settings that shape a report, for the run record."""
    data = {
        "language": settings.language,
        "timezone": settings.timezone,
        "model": llm.model if llm else "rules",
        "base_url": safe_url(llm.base_url) if llm else None,
        "prompt_version": PROMPT_VERSION if llm else None,
    }
    return json.dumps(data, sort_keys=True)
