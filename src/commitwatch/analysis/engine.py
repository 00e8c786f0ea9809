"""One repository's analysis with the LLM, in the run's shared pool: routing, budget, validation, fallbacks.

Per commit: bot commits and commits past the run's token limit go to the rules; the rest are packed to
the input budget (``packing``; a large one in a worker thread) while they wait for a request slot, sent
(on the light model when the rules rate them low), validated with one repair request, asked again once
if not in the report's language, grounded, and trimmed to the depth their final importance calls for.
Any failure falls back to the rules for that commit, with the reason, and is counted in a warning. Then
one request over the structured results writes the highlights (``highlights``), ahead of the commit
requests still waiting.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..models import Analysis, Commit, CommitEntry, RepoRef, Triage, Usage
from .budget import (
    PullText,
    clip,
    raw_estimate,
)
from .floor import apply_hard_floor
from .grounding import ground
from .highlights import Highlights
from .language import in_language, prose
from .llm import ContextLengthExceeded, LLMClient, LLMFailure, Mode, Reply
from .messages import message
from .output import OutputError, parse_analysis
from .packing import Job, Packing
from .pool import cost_of, model_for
from .prompt import Prompts, analysis_schema
from .rules import rules_entry

if TYPE_CHECKING:
    from .pool import AnalysisPool

log = logging.getLogger(__name__)

MAX_ASSISTANT_ECHO = 6_000  # characters of an invalid answer quoted back in the repair request


@dataclass
class RunResult:
    entries: list[CommitEntry]
    usage: Usage
    warnings: list[str]
    highlights: list[str]
    degraded: bool
    cost: float | None
    structured_output: str | None
    model_by_commit: dict[str, str]


class RepoAnalysis(Packing, Highlights):
    """One repository's commits and highlights, through the pool's client. Its own usage and warnings."""

    def __init__(
        self,
        pool: AnalysisPool,
        repo: RepoRef,
        language: str,
        *,
        pulls: Mapping[str, PullText] | None = None,
        on_entry: Callable[[CommitEntry], None] | None = None,
        redacted: bool = False,
    ) -> None:
        self.pool = pool
        self.redacted = redacted  # the commits and pull texts were redacted whole (``pack_commit``)
        self.settings = pool.settings
        self.estimator = pool.estimator
        self.ceiling = pool.ceiling
        self.repo = repo
        self.language = language
        self.pulls = pulls or {}
        self.on_entry = on_entry
        self.prompts = Prompts(language)
        self.usage = Usage()
        self.usage_by_model: dict[str, Usage] = {}
        self.attempts = 0  # HTTP requests sent for this repository, failed ones included
        self.priority = 1  # of its commit requests for a slot (lower first; highlights go at 0)
        self.modes_used: Counter[str] = Counter()
        # for warnings
        self.fallbacks: Counter[str] = Counter()
        self.token_limited = 0
        self.dropped_areas = 0
        self.dropped_cves = 0
        self.floored = 0  # answers whose importance the hard signals raised
        self.off_language = 0
        self.redactions: Counter[str] = Counter()
        self.redacted_commits = 0
        self._job_model: dict[str, str] = {}
        self._system_raw = {
            with_schema: raw_estimate(self.prompts.analysis_system(with_schema)) for with_schema in (True, False)
        }

    @property
    def client(self) -> LLMClient:
        return self.pool.client

    # --- accounting ---------------------------------------------------------------------------------
    def _on_reply(self, reply: Reply, messages: list[dict[str, str]]) -> None:
        raw = self.estimator.raw_messages(messages)
        if reply.usage_reported:
            self.estimator.observe(raw, reply.prompt_tokens)
            prompt_tokens, completion_tokens = reply.prompt_tokens, reply.completion_tokens
        else:
            prompt_tokens = self.estimator.count_messages(messages)
            completion_tokens = self.estimator.count(reply.content)
        for usage in (self.usage, self.usage_by_model.setdefault(reply.model, Usage())):
            usage.prompt_tokens += prompt_tokens
            usage.completion_tokens += completion_tokens
            usage.requests += 1
        self.pool.count(reply.model, prompt_tokens, completion_tokens)
        self.modes_used[reply.mode.public] += 1

    def _on_attempt(self) -> None:
        self.attempts += 1

    def cost(self) -> float | None:
        return cost_of(self.settings, self.usage_by_model)

    # --- the repository ------------------------------------------------------------------------------
    async def analyse(self, items: Sequence[tuple[Commit, Triage]]) -> list[CommitEntry]:
        """Every commit's entry, in the order of ``items`` (each also passed to ``on_entry`` when done).

        Requests of a smaller repository go first (then in arrival order): small repositories' reports
        are written early instead of waiting behind a large one, and the pool stays as full."""
        self.priority = max(self.priority, 1 + len(items))
        tasks = [asyncio.ensure_future(self._analyse(i, c, t)) for i, (c, t) in enumerate(items)]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            # ``on_entry`` failed (the store is full) or the run was cancelled: stop this repository's
            # other requests instead of leaving them running against a client about to close.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    def result(
        self,
        entries: list[CommitEntry],
        highlights: list[str],
        highlights_reason: str | None,
        cached: Sequence[CommitEntry] = (),
    ) -> RunResult:
        """The repository's outcome; ``degraded`` covers ``entries`` (analysed here), not ``cached``."""
        self.usage.requests = max(self.usage.requests, self.attempts)
        return RunResult(
            entries=[*entries, *cached],
            usage=self.usage,
            warnings=self._warnings(entries, highlights_reason),
            highlights=highlights,
            degraded=any(e.analyzer == "rules-fallback" for e in entries),
            cost=self.cost(),
            structured_output=self.modes_used.most_common(1)[0][0] if self.modes_used else None,
            model_by_commit=dict(self._job_model),
        )

    async def _analyse(self, index: int, commit: Commit, triage: Triage) -> CommitEntry:
        if triage.bot and not self.settings.analyze_bots:
            return self._emit(rules_entry(commit, triage))
        model = model_for(self.settings, triage)
        job = Job(index, commit, triage, self.pulls.get(commit.sha), model)
        await self.pool.ahead.acquire(self.priority)  # packed just ahead of its slot, not all at once
        try:
            tripped = self.client.breaker.tripped_by
            if tripped is not None:  # do not even pack: the provider is not called again in this run
                return self._emit(self._fallback(job, LLMFailure("circuit_open", tripped.detail)))
            analysis = await self._analyse_with_shrink(job)
        except LLMFailure as failure:
            return self._emit(self._fallback(job, failure))
        except Exception as e:  # a bug must not cost the whole report: this commit falls back, visibly
            log.exception("analysis of %s failed", commit.short_sha)
            internal = LLMFailure("internal", f"{type(e).__name__}: {e}")
            return self._emit(self._fallback(job, internal))
        finally:
            self.pool.ahead.release()
        assert job.packed is not None
        self._job_model[commit.sha] = model
        entry = CommitEntry(
            commit=commit,
            triage=triage,
            change_type=analysis.change_type,
            importance=job.importance or analysis.importance,  # raised to the hard signals' floor (apply_hard_floor)
            analyzer="llm",
            analysis=analysis,
            coverage=job.packed.coverage,
            files_left_out=job.packed.files_left_out,
            usage=job.usage,
        )
        return self._emit(entry)

    def _emit(self, entry: CommitEntry) -> CommitEntry:
        if self.on_entry is not None:
            self.on_entry(entry)
        return entry

    def _fallback(self, job: Job, failure: LLMFailure) -> CommitEntry:
        if job.usage.requests:
            self._job_model[job.commit.sha] = job.model
        if failure.kind == "token_limit":
            self.token_limited += 1
        self.fallbacks[failure.kind] += 1
        reason = message(
            self.language,
            f"reason.{failure.kind}",
            detail=failure.detail,
            attempts=failure.attempts,
            limit=self.settings.run_token_limit,
        )
        log.info("%s: falling back to rules: %s", job.commit.short_sha, failure)
        entry = rules_entry(job.commit, job.triage, fallback_reason=reason)
        entry.usage = job.usage if job.usage.requests else None  # the failed requests still cost
        return entry

    # --- one commit ---------------------------------------------------------------------------------
    async def _analyse_with_shrink(self, job: Job) -> Analysis:
        for attempt in range(2):
            job.packed = None
            try:
                await self._prepack(job)
                return await self._analyse_once(job)
            except ContextLengthExceeded as e:
                if attempt == 1:
                    raise
                self._shrink(job, e)
        raise AssertionError("unreachable")

    async def _ask(self, job: Job | None, build: Callable[[Mode], list[dict[str, str]]], schema: dict[str, Any],
                   name: str, model: str, *, priority: int = 1) -> Reply:
        need = 0
        if self.ceiling.limit is not None:
            need = self.estimator.count_messages(build(self.client.mode)) + self.settings.max_output_tokens
        if not self.ceiling.reserve(need):
            raise LLMFailure("token_limit", f"run_token_limit {self.settings.run_token_limit}")
        try:
            reply = await self.client.complete(build, schema=schema, schema_name=name, model=model,
                                               on_reply=self._on_reply, on_attempt=self._on_attempt,
                                               priority=priority)
        finally:
            self.ceiling.release(need)
        if job is not None:
            job.usage.requests += 1
            job.usage.prompt_tokens += reply.prompt_tokens
            job.usage.completion_tokens += reply.completion_tokens
        return reply

    async def _analyse_once(self, job: Job) -> Analysis:
        schema = analysis_schema()

        def ask(followup: list[dict[str, str]]) -> Any:
            return self._ask(job, lambda mode: self._messages(job, mode, followup), schema, "commit_analysis",
                             job.model, priority=self.priority)

        reply = await ask([])
        try:
            analysis = parse_analysis(reply.content)
        except OutputError as error:
            log.info("%s: invalid answer (%s); asking for a repair", job.commit.short_sha, error)
            repair = [
                {"role": "assistant", "content": clip(reply.content, MAX_ASSISTANT_ECHO / 3)},
                {"role": "user", "content": self.prompts.analysis_repair(str(error), reply.truncated)},
            ]
            reply = await ask(repair)
            try:
                analysis = parse_analysis(reply.content)
            except OutputError as again:
                raise LLMFailure("invalid_output", str(again)) from again

        if not in_language(prose(analysis), self.prompts.language):
            retry = [
                {"role": "assistant", "content": clip(reply.content, MAX_ASSISTANT_ECHO / 3)},
                {"role": "user", "content": self.prompts.analysis_language()},
            ]
            try:
                second = parse_analysis((await ask(retry)).content)
            except ContextLengthExceeded:
                raise
            except (OutputError, LLMFailure) as e:
                log.info("%s: language retry failed: %s", job.commit.short_sha, e)
                second = None
            if second is not None and in_language(prose(second), self.prompts.language):
                analysis = second
            else:
                self.off_language += 1

        assert job.packed is not None
        sent = job.packed.text + "\n" + (job.pull.title + "\n" + job.pull.body if job.pull else "")
        grounded = ground(analysis, job.commit, job.triage, sent)
        self.dropped_areas += grounded.dropped_areas
        self.dropped_cves += grounded.dropped_cves
        noted, job.importance, raised = apply_hard_floor(grounded.analysis, job.triage, self.language)
        self.floored += raised
        return noted

    # --- warnings -----------------------------------------------------------------------------------
    def _warnings(self, entries: list[CommitEntry], highlights_reason: str | None) -> list[str]:
        out: list[str] = []
        lang = self.language
        tripped = self.pool.tripped_by if self.fallbacks else None  # the provider's breaker, shared
        if tripped is not None:
            out.append(message(lang, "warn.breaker", detail=tripped.detail))
        if self.token_limited:
            out.append(message(lang, "warn.token_limit", limit=self.settings.run_token_limit,
                               count=self.token_limited))
        fallen = [e for e in entries if e.analyzer == "rules-fallback"]
        if fallen:
            reasons = Counter(e.fallback_reason or "" for e in fallen)
            separator = message(lang, "list.separator")
            summary = separator.join(f"{reason} ×{n}" if n > 1 else reason for reason, n in reasons.most_common(3))
            if len(reasons) > 3:
                summary += separator + "…"
            out.append(message(lang, "warn.fallback", count=len(fallen), total=len(entries), reasons=summary))
        if highlights_reason is not None:
            out.append(message(lang, "warn.highlights", reason=highlights_reason))
        if self.dropped_areas:
            out.append(message(lang, "warn.grounding_areas", count=self.dropped_areas))
        if self.dropped_cves:
            out.append(message(lang, "warn.grounding_cves", count=self.dropped_cves))
        if self.floored:
            out.append(message(lang, "warn.floor", count=self.floored))
        if self.off_language:
            out.append(message(lang, "warn.language", count=self.off_language))
        if self.redactions:
            kinds = ", ".join(f"{kind} ×{n}" for kind, n in sorted(self.redactions.items()))
            out.append(message(lang, "warn.redacted", count=sum(self.redactions.values()), kinds=kinds,
                               commits=self.redacted_commits))
        return out
