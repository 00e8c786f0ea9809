"""Analysis: each commit's change type, importance and structured analysis, by an LLM or by the rules.

    outcome = analyze_commits(items, repo, "zh-CN", settings.llm)   # items: [(Commit, Triage), ...]

Without an LLM (``llm`` is None or has no base URL and model) every entry comes from the rules and no
byte leaves the machine. With one, each commit is analysed by the model (see ``engine``), and any commit
whose analysis fails falls back to the rules, visibly: ``analyzer="rules-fallback"`` with the reason, a
warning, and ``degraded=True``.

Many repositories in one run share one ``pool.AnalysisPool`` (one client, limits, token ceiling and
circuit breaker); ``analyze_commits`` is a pool of one repository.

Modules: ``pool`` (what a run shares), ``engine`` (one repository), ``highlights``, ``llm`` (client,
retries, structured-output negotiation, circuit breaker, rate limit),
``budget`` (token estimate, diff packing), ``redact``, ``prompt`` (+ ``prompts/`` templates),
``output`` (parsing and validation), ``grounding``, ``language``, ``rules``, ``engine``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import os
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import LLMSettings
from ..errors import ConfigError
from ..models import Commit, CommitEntry, RepoRef, Triage, Usage
from ..redact import safe_url
from .budget import PullText
from .engine import RunResult
from .pool import AnalysisPool, model_for
from .prompt import PROMPT_VERSION, Prompts, analysis_schema, highlights_schema, schema_hash
from .rules import rules_entry, rules_highlights

__all__ = [
    "PROMPT_VERSION",
    "AnalysisOutcome",
    "AnalysisPool",
    "PullText",
    "RunResult",
    "analyze_commits",
    "api_key_for",
    "load_client_code",
    "model_for",
    "schema_hash",
]

MISSING_KEY_HINT = (
    "No API key found: set COMMITWATCH_LLM_API_KEY (or the variable named by llm.api_key_env) "
    "or run without an LLM (--no-llm)"
)


@dataclass
class AnalysisOutcome:
    entries: list[CommitEntry]  # same order as the input
    usage: Usage  # requests / prompt / completion tokens for the run (incl. highlights)
    warnings: list[str]  # human-readable, already in the report language
    highlights: list[str]  # 3–5 lines, report language (each starts with the short SHA)
    degraded: bool  # True if any commit fell back from the LLM to rules
    cost: float | None = None  # from LLMSettings.prices, when a price is known for every model used
    structured_output: str | None = None  # the mode most replies came in: json_schema, json_object, prompt
    model_by_commit: dict[str, str] = field(default_factory=dict)  # sha -> model that analysed it


def analyze_commits(
    items: Sequence[tuple[Commit, Triage]],
    repo: RepoRef,
    language: str,
    llm: LLMSettings | None,
    *,
    environ: Mapping[str, str] | None = None,
    on_entry: Callable[[CommitEntry], None] | None = None,
    pulls: Mapping[str, PullText] | None = None,
    highlights: bool = True,
    cached: Sequence[CommitEntry] = (),
) -> AnalysisOutcome:
    """Analyse ``items`` with the LLM when ``llm`` is configured, else with the rules.

    ``environ`` holds the API key (``environ[llm.api_key_env]``; default ``os.environ``). ``on_entry``
    is called with each entry the moment its analysis is done (in completion order, in the calling
    thread unless called from inside a running event loop). ``pulls`` maps a commit sha to its pull
    request's title and body, when known.

    ``cached`` are entries analysed earlier (from the store): they are not analysed again, only added to
    what the highlights are written over, and returned after the new entries. ``highlights=False``
    skips the highlights (``outcome.highlights == []``, no request): for a caller that analyses the
    commits in several calls and asks for the highlights once, with ``items=[]`` and ``cached=``
    everything.

    ``degraded`` covers the entries analysed by this call, not ``cached``.

    Raises ``ConfigError`` when an LLM is configured but its API key is missing. Every other failure is
    turned into a rules fallback for the commits it concerns.
    """
    if llm is None or not llm.configured:
        entries = []
        for commit, triage in items:
            entry = rules_entry(commit, triage)
            if on_entry is not None:
                on_entry(entry)
            entries.append(entry)
        return AnalysisOutcome(
            entries=[*entries, *cached],
            usage=Usage(),
            warnings=[],
            highlights=rules_highlights([*entries, *cached], language) if highlights else [],
            degraded=False,
        )

    api_key = api_key_for(llm, environ)

    async def one_repository() -> RunResult:
        async with AnalysisPool(llm, api_key.strip()) as pool:
            job = pool.repo(repo, language, pulls=pulls, on_entry=on_entry)
            entries = await job.analyse(items)
            lines, reason = await job.highlights([*entries, *cached]) if highlights else ([], None)
            return job.result(entries, lines, reason, cached)

    result = _run_sync(one_repository())
    return AnalysisOutcome(
        entries=result.entries,
        usage=result.usage,
        warnings=result.warnings,
        highlights=result.highlights,
        degraded=result.degraded,
        cost=result.cost,
        structured_output=result.structured_output,
        model_by_commit=result.model_by_commit,
    )


def api_key_for(llm: LLMSettings, environ: Mapping[str, str] | None = None) -> str:
    """The API key from ``environ[llm.api_key_env]`` (default ``os.environ``); ``ConfigError`` if unset."""
    env = os.environ if environ is None else environ
    api_key = env.get(llm.api_key_env, "").strip()
    if not api_key:
        raise ConfigError(
            f"the LLM is configured ({llm.model} at {safe_url(llm.base_url)}) but ${llm.api_key_env} is not set",
            hint=MISSING_KEY_HINT,
        )
    return api_key


def load_client_code(language: str) -> None:
    """Import what LLM requests need — ``openai`` and the HTTP stack it imports lazily on the first
    request — and build the answer schemas and compiled prompts. The pipeline runs this in one worker
    thread while git collects (subprocesses), and nothing else imports while it runs: the stage after
    collection waits for it, so no package is ever imported from two threads at once (that raced: "partially
    initialized module"). Best effort: anything missing is simply loaded later, as it would have been."""
    for name in ("openai", "openai.resources.chat.completions", "anyio._backends._asyncio", "h11",
                 "httpcore2._async.connection_pool", "httpcore._async.connection_pool", "jiter"):
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    analysis_schema()
    highlights_schema()
    for with_schema in (True, False):
        Prompts(language).analysis_system(with_schema)
        Prompts(language).highlights_system(with_schema)


def _run_sync(coroutine: Any) -> RunResult:
    """``asyncio.run``, also from a thread that already runs an event loop (then in a helper thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)  # type: ignore[no-any-return]
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = asyncio.run(coroutine)
        except BaseException as e:  # re-raised in the caller's thread
            box["error"] = e

    thread = threading.Thread(target=target, name="commitwatch-analysis")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["result"]  # type: ignore[no-any-return]
