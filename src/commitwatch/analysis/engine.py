"""One analysis run over a window's commits with the LLM: routing, budget, validation, fallbacks.

Per commit: bot commits and commits past the run's token limit go to the rules; the rest are packed to
the input budget, sent (on the light model when the rules rate them low), validated with one repair
request, asked again once if not in the report's language, grounded, and trimmed to the depth their
final importance calls for. Any failure falls back to the rules for that commit, with the reason, and is
counted in a warning. Then one request over the structured results writes the highlights.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import LLMSettings
from ..models import Analysis, Commit, CommitEntry, Importance, RepoRef, Triage, Usage
from .budget import (
    MESSAGE_OVERHEAD,
    PackedCommit,
    PullText,
    TokenEstimator,
    clip,
    neutralise,
    pack_commit,
    raw_estimate,
)
from .grounding import ground
from .language import in_language, prose
from .llm import ContextLengthExceeded, LLMClient, LLMFailure, Mode, Reply
from .messages import message
from .output import OutputError, parse_analysis, parse_highlights
from .prompt import Prompts, analysis_schema, highlights_schema
from .redact import redact
from .rules import MAX_HIGHLIGHTS, rules_entry, rules_highlights

log = logging.getLogger(__name__)

SAFETY = 0.95  # share of the input budget packing aims at; the rest absorbs estimate error
SHRINK = 0.5  # the one shrink-and-retry after a context-length error halves the data (or less)
MAX_ASSISTANT_ECHO = 6_000  # characters of an invalid answer quoted back in the repair request
HIGHLIGHT_SUMMARY_ITEMS = 2


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


def model_for(settings: LLMSettings, triage: Triage) -> str:
    """The model that analyses a commit: ``light_model`` for those the rules rate low, when set."""
    if settings.light_model and triage.importance is Importance.LOW:
        return settings.light_model
    return settings.model or ""


@dataclass
class _Job:
    index: int
    commit: Commit
    triage: Triage
    pull: PullText | None
    model: str
    scale: float = 1.0
    packed: PackedCommit | None = None
    packed_for: tuple[bool, float, float, float] = (True, 1.0, 0.0, 1.0)  # schema in prompt, factor, cap, scale
    frame_raw: float | None = None  # tokens of the user message around the data
    redactions_counted: bool = False
    usage: Usage = field(default_factory=Usage)


class TokenCeiling:
    """``llm.run_token_limit``: a request is only sent when what was used, plus what in-flight requests
    may still use, plus its own estimate (prompt + max output) stays under the limit."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.used = 0
        self.reserved = 0

    def reserve(self, tokens: int) -> bool:
        if self.limit is None:
            return True
        if self.used + self.reserved + tokens > self.limit:
            return False
        self.reserved += tokens
        return True

    def release(self, tokens: int) -> None:
        if self.limit is not None:
            self.reserved -= tokens


class AnalysisRun:
    def __init__(
        self,
        items: Sequence[tuple[Commit, Triage]],
        repo: RepoRef,
        language: str,
        settings: LLMSettings,
        api_key: str,
        *,
        pulls: Mapping[str, PullText] | None = None,
        on_entry: Callable[[CommitEntry], None] | None = None,
        modes: dict[str, Mode] | None = None,
        with_highlights: bool = True,
        cached: Sequence[CommitEntry] = (),
    ) -> None:
        self.items = list(items)
        self.with_highlights = with_highlights
        self.cached = list(cached)
        self.repo = repo
        self.language = language
        self.settings = settings
        self.api_key = api_key
        self.pulls = pulls or {}
        self.on_entry = on_entry
        self.modes = modes if modes is not None else {}
        self.prompts = Prompts(language)
        self.estimator = TokenEstimator()
        self.ceiling = TokenCeiling(settings.run_token_limit)
        self.usage = Usage()
        self.usage_by_model: dict[str, Usage] = {}
        self.client: LLMClient | None = None
        self.modes_used: Counter[str] = Counter()
        # for warnings
        self.fallbacks: Counter[str] = Counter()
        self.token_limited = 0
        self.dropped_areas = 0
        self.dropped_cves = 0
        self.off_language = 0
        self.redactions: Counter[str] = Counter()
        self.redacted_commits = 0
        self.context_cap = float("inf")  # prompt tokens the server takes, once a context error told us
        self._job_model: dict[str, str] = {}
        self._system_raw = {
            with_schema: raw_estimate(self.prompts.analysis_system(with_schema)) for with_schema in (True, False)
        }

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
        self.ceiling.used += prompt_tokens + completion_tokens
        self.modes_used[reply.mode.public] += 1

    def cost(self) -> float | None:
        if not self.usage_by_model:
            return None
        total = 0.0
        for model, usage in self.usage_by_model.items():
            price = self.settings.prices.get(model)
            if price is None:
                return None
            total += usage.prompt_tokens * price.input / 1e6 + usage.completion_tokens * price.output / 1e6
        return round(total, 6)

    # --- the run ------------------------------------------------------------------------------------
    async def run(self) -> RunResult:
        self.client = LLMClient(self.settings, self.api_key, modes=self.modes, on_reply=self._on_reply)
        try:
            tasks = [self._analyse(index, commit, triage) for index, (commit, triage) in enumerate(self.items)]
            entries = list(await asyncio.gather(*tasks))
            highlights: list[str] = []
            highlights_reason = None
            if self.with_highlights:
                highlights, highlights_reason = await self._highlights([*entries, *self.cached])
        finally:
            await self.client.aclose()
        attempts = self.client.attempts
        self.usage.requests = max(self.usage.requests, attempts)
        return RunResult(
            entries=[*entries, *self.cached],
            usage=self.usage,
            warnings=self._warnings(entries, highlights_reason),
            highlights=highlights,
            degraded=any(e.analyzer == "rules-fallback" for e in entries),
            cost=self.cost(),
            structured_output=self.modes_used.most_common(1)[0][0] if self.modes_used else None,
            model_by_commit=dict(self._job_model),
        )

    async def _analyse(self, index: int, commit: Commit, triage: Triage) -> CommitEntry:
        assert self.client is not None
        if triage.bot and not self.settings.analyze_bots:
            return self._emit(rules_entry(commit, triage))
        model = model_for(self.settings, triage)
        job = _Job(index, commit, triage, self.pulls.get(commit.sha), model)
        tripped = self.client.breaker.tripped_by
        if tripped is not None:  # do not even pack: the provider is not called again in this run
            return self._emit(self._fallback(job, LLMFailure("circuit_open", tripped.detail)))
        try:
            analysis = await self._analyse_with_shrink(job)
        except LLMFailure as failure:
            return self._emit(self._fallback(job, failure))
        except Exception as e:  # a bug must not cost the whole report: this commit falls back, visibly
            log.exception("analysis of %s failed", commit.short_sha)
            internal = LLMFailure("internal", f"{type(e).__name__}: {e}")
            return self._emit(self._fallback(job, internal))
        assert job.packed is not None
        self._job_model[commit.sha] = model
        entry = CommitEntry(
            commit=commit,
            triage=triage,
            change_type=analysis.change_type,
            importance=analysis.importance,
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

    def _fallback(self, job: _Job, failure: LLMFailure) -> CommitEntry:
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
    def _data_budget(self, job: _Job, mode: Mode, extra_raw: float = 0.0) -> float:
        """Raw (uncalibrated) tokens the data block may use so the whole request fits the budget."""
        if job.frame_raw is None:
            job.frame_raw = raw_estimate(self.prompts.analysis_user(self.repo.name, job.triage, ""))
        system = self._system_raw[mode.schema_in_prompt]
        fixed = system + job.frame_raw + 2 * MESSAGE_OVERHEAD + 8 + extra_raw
        budget = min(self.settings.input_token_budget, self.context_cap) * SAFETY * job.scale / self.estimator.factor
        return budget - fixed

    def _pack(self, job: _Job, mode: Mode, extra_raw: float = 0.0) -> PackedCommit:
        return pack_commit(job.commit, job.triage, self._data_budget(job, mode, extra_raw), job.pull)

    def _repack(self, job: _Job, mode: Mode) -> None:
        job.packed = self._pack(job, mode)
        job.packed_for = (mode.schema_in_prompt, self.estimator.factor, self.context_cap, job.scale)
        if not job.redactions_counted:
            job.redactions_counted = True
            if job.packed.redactions:
                self.redactions.update(job.packed.redactions)
                self.redacted_commits += 1

    def _messages(self, job: _Job, mode: Mode, followup: list[dict[str, str]]) -> list[dict[str, str]]:
        packed_for = job.packed_for
        if (
            job.packed is None
            or packed_for[0] != mode.schema_in_prompt
            or abs(self.estimator.factor / packed_for[1] - 1) > 0.05
            or packed_for[2:] != (self.context_cap, job.scale)
        ):
            self._repack(job, mode)  # the mode, calibration or limits changed since this commit was packed
        assert job.packed is not None
        packed = job.packed
        if followup:
            extra = sum(raw_estimate(m["content"]) + MESSAGE_OVERHEAD for m in followup)
            if raw_estimate(packed.text) > self._data_budget(job, mode, extra):
                packed = self._pack(job, mode, extra)
        return [
            {"role": "system", "content": self.prompts.analysis_system(mode.schema_in_prompt)},
            {"role": "user", "content": self.prompts.analysis_user(self.repo.name, job.triage, packed.text)},
            *followup,
        ]

    async def _analyse_with_shrink(self, job: _Job) -> Analysis:
        for attempt in range(2):
            job.packed = None  # packed when a request slot is free (see _messages), with the latest calibration
            try:
                return await self._analyse_once(job)
            except ContextLengthExceeded as e:
                if attempt == 1:
                    raise
                self._shrink(job, e)
        raise AssertionError("unreachable")

    def _shrink(self, job: _Job, error: ContextLengthExceeded) -> None:
        """Prepare the one retry after a context-length error. When the server says its limit, every
        later request of the run is capped to it and the token estimate learns its count; otherwise this
        commit's data is halved."""
        if error.prompt_tokens and error.messages:
            self.estimator.observe(self.estimator.raw_messages(error.messages), error.prompt_tokens)
        room = (error.limit or 0) - self.settings.max_output_tokens
        if error.limit and room > 0 and room * 0.9 < self.context_cap:
            self.context_cap = room * 0.9
            if not error.prompt_tokens:
                job.scale *= SHRINK  # the limit alone does not tell how far off our estimate was
        else:
            job.scale *= SHRINK
        log.info("%s: context length exceeded (%s); retrying smaller", job.commit.short_sha, error.detail)

    async def _ask(self, job: _Job | None, build: Callable[[Mode], list[dict[str, str]]], schema: dict[str, Any],
                   name: str, model: str) -> Reply:
        assert self.client is not None
        need = 0
        if self.ceiling.limit is not None:
            need = self.estimator.count_messages(build(self.client.mode)) + self.settings.max_output_tokens
        if not self.ceiling.reserve(need):
            raise LLMFailure("token_limit", f"run_token_limit {self.settings.run_token_limit}")
        try:
            reply = await self.client.complete(build, schema=schema, schema_name=name, model=model)
        finally:
            self.ceiling.release(need)
        if job is not None:
            job.usage.requests += 1
            job.usage.prompt_tokens += reply.prompt_tokens
            job.usage.completion_tokens += reply.completion_tokens
        return reply

    async def _analyse_once(self, job: _Job) -> Analysis:
        schema = analysis_schema()

        def ask(followup: list[dict[str, str]]) -> Any:
            return self._ask(job, lambda mode: self._messages(job, mode, followup), schema, "commit_analysis",
                             job.model)

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
        return grounded.analysis

    # --- highlights ---------------------------------------------------------------------------------
    def _highlight_data(self, entries: list[CommitEntry]) -> tuple[str, int]:
        order = sorted(range(len(entries)), key=lambda i: (entries[i].importance.rank, -entries[i].triage.score, i))
        frame = raw_estimate(self.prompts.highlights_user(self.repo.name, "", len(entries)))
        system = raw_estimate(self.prompts.highlights_system(True))
        budget = self.settings.input_token_budget * SAFETY / self.estimator.factor - frame - system - 32
        lines: list[str] = []
        used = 0.0
        for i in order:
            entry = entries[i]
            item: dict[str, Any] = {
                "sha": entry.commit.short_sha,
                "subject": redact(entry.commit.subject).text[:160],
                "type": entry.change_type.value,
                "importance": entry.importance.value,
                "breaking": entry.triage.breaking,
            }
            if entry.analysis is not None:
                item["summary"] = entry.analysis.summary[:HIGHLIGHT_SUMMARY_ITEMS]
                if entry.analysis.risks:
                    item["risks"] = [r.title for r in entry.analysis.risks[:3]]
            line = neutralise(json.dumps(item, ensure_ascii=False))
            cost = raw_estimate(line) + 0.5
            if used + cost > budget:
                break
            lines.append(line)
            used += cost
        return "\n".join(lines), len(entries) - len(lines)

    async def _highlights(self, entries: list[CommitEntry]) -> tuple[list[str], str | None]:
        """(lines, None) from the LLM, or (rules lines, why the rules wrote them)."""
        assert self.client is not None
        if not entries:
            return [], None
        if self.client.breaker.open:
            reason = message(self.language, "reason.circuit_open", detail=self.client.breaker.tripped_by.detail
                             if self.client.breaker.tripped_by else "")
            return rules_highlights(entries, self.language), reason
        if not any(e.analyzer == "llm" for e in entries):
            return rules_highlights(entries, self.language), None  # nothing for the model to add
        data, omitted = self._highlight_data(entries)
        schema = highlights_schema()
        model = self.settings.model or ""

        def ask(followup: list[dict[str, str]]) -> Any:
            def build(mode: Mode) -> list[dict[str, str]]:
                return [
                    {"role": "system", "content": self.prompts.highlights_system(mode.schema_in_prompt)},
                    {"role": "user", "content": self.prompts.highlights_user(self.repo.name, data, omitted)},
                    *followup,
                ]

            return self._ask(None, build, schema, "daily_highlights", model)

        try:
            reply = await ask([])
            try:
                parsed = parse_highlights(reply.content)
            except OutputError as error:
                reply = await ask([
                    {"role": "assistant", "content": clip(reply.content, MAX_ASSISTANT_ECHO / 3)},
                    {"role": "user", "content": self.prompts.highlights_repair(str(error), reply.truncated)},
                ])
                try:
                    parsed = parse_highlights(reply.content)
                except OutputError as again:
                    raise LLMFailure("invalid_output", str(again)) from again
            if not in_language([h.text for h in parsed.highlights], self.prompts.language):
                try:
                    second = parse_highlights((await ask([
                        {"role": "assistant", "content": clip(reply.content, MAX_ASSISTANT_ECHO / 3)},
                        {"role": "user", "content": self.prompts.highlights_language()},
                    ])).content)
                    if in_language([h.text for h in second.highlights], self.prompts.language):
                        parsed = second
                    else:
                        self.off_language += 1
                except (OutputError, LLMFailure):
                    self.off_language += 1
        except LLMFailure as failure:
            reason = message(self.language, f"reason.{failure.kind}", detail=failure.detail,
                             attempts=failure.attempts, limit=self.settings.run_token_limit)
            return rules_highlights(entries, self.language), reason

        lines = self._ground_highlights(entries, parsed.highlights)
        if not lines:
            return rules_highlights(entries, self.language), message(self.language, "highlights.none_valid")
        return lines, None

    def _ground_highlights(self, entries: list[CommitEntry], items: Sequence[Any]) -> list[str]:
        lines: list[str] = []
        seen: set[str] = set()
        for item in items:
            sha = item.sha.strip().strip("`").lower()
            if len(sha) < 4:
                continue
            match = next((e for e in entries if e.commit.sha.lower().startswith(sha)), None)
            text = " ".join(item.text.split())
            if match is None or not text or match.commit.sha in seen:
                continue
            seen.add(match.commit.sha)
            lines.append(f"{match.commit.short_sha} {text}")
            if len(lines) == MAX_HIGHLIGHTS:
                break
        return lines

    # --- warnings -----------------------------------------------------------------------------------
    def _warnings(self, entries: list[CommitEntry], highlights_reason: str | None) -> list[str]:
        out: list[str] = []
        lang = self.language
        assert self.client is not None
        tripped = self.client.breaker.tripped_by
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
        if self.off_language:
            out.append(message(lang, "warn.language", count=self.off_language))
        if self.redactions:
            kinds = ", ".join(f"{kind} ×{n}" for kind, n in sorted(self.redactions.items()))
            out.append(message(lang, "warn.redacted", count=sum(self.redactions.values()), kinds=kinds,
                               commits=self.redacted_commits))
        return out
