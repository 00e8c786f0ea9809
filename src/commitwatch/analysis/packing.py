"""Packing a commit for its request, as part of ``engine.RepoAnalysis``: the data budget that leaves room
for the prompt around it, packing (trim, redact the sent hunks) while the commit waits for a request slot
(a large one in a worker thread), re-packing when the mode, the token calibration or the limits moved,
and the one shrink after a context-length error."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..config import LLMSettings
from ..models import Commit, Importance, RepoRef, Triage, Usage
from .budget import MESSAGE_OVERHEAD, PackedCommit, PullText, TokenEstimator, pack_commit, raw_estimate
from .llm import ContextLengthExceeded, LLMClient, Mode
from .prompt import Prompts

if TYPE_CHECKING:
    from collections import Counter

    from .pool import AnalysisPool

log = logging.getLogger("commitwatch.analysis.engine")

SAFETY = 0.95  # share of the input budget packing aims at; the rest absorbs estimate error
SHRINK = 0.5  # the one shrink-and-retry after a context-length error halves the data (or less)
INLINE_PACK_BYTES = 64_000  # commits with less patch text than this are packed on the event loop


@dataclass
class Job:
    """One commit's analysis in progress: what was packed for it, for which limits, and what it cost."""

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
    user: tuple[str, str] | None = None  # (packed text, the user message rendered around it)
    importance: Importance | None = None  # the entry's: the model's, raised to the hard signals' floor



class Packing:
    """The packing part of ``engine.RepoAnalysis`` (which provides these attributes)."""

    pool: AnalysisPool
    settings: LLMSettings
    estimator: TokenEstimator
    prompts: Prompts
    repo: RepoRef
    redacted: bool
    redactions: Counter[str]
    redacted_commits: int
    _system_raw: dict[bool, float]

    @property
    def client(self) -> LLMClient:
        raise NotImplementedError

    def _data_budget(self, job: Job, mode: Mode, extra_raw: float = 0.0) -> float:
        """Raw (uncalibrated) tokens the data block may use so the whole request fits the budget."""
        if job.frame_raw is None:
            job.frame_raw = raw_estimate(self.prompts.analysis_user(self.repo.name, job.triage, ""))
        system = self._system_raw[mode.schema_in_prompt]
        fixed = system + job.frame_raw + 2 * MESSAGE_OVERHEAD + 8 + extra_raw
        cap = min(self.settings.input_token_budget, self.pool.context_cap)
        budget = cap * SAFETY * job.scale / self.estimator.factor
        return budget - fixed

    def _pack(self, job: Job, mode: Mode, extra_raw: float = 0.0) -> PackedCommit:
        return pack_commit(job.commit, job.triage, self._data_budget(job, mode, extra_raw), job.pull,
                           redacted=self.redacted)

    def _repack(self, job: Job, mode: Mode, packed: PackedCommit | None = None) -> None:
        job.packed = packed or self._pack(job, mode)
        job.packed_for = (mode.schema_in_prompt, self.estimator.factor, self.pool.context_cap, job.scale)
        if not job.redactions_counted:
            job.redactions_counted = True
            if job.packed.redactions:
                self.redactions.update(job.packed.redactions)
                self.redacted_commits += 1

    async def _prepack(self, job: Job) -> None:
        """Pack (redact, trim) the commit and render its prompt while it waits for a request slot, a large
        one in a worker thread so the event loop keeps sending and reading other requests; ``_messages``
        then only checks that it still fits."""
        mode = self.client.mode
        if _patch_bytes(job.commit) < INLINE_PACK_BYTES:  # a thread hop costs more than packing it
            packed, user = self._pack_and_render(job, mode)
        else:
            packed, user = await asyncio.to_thread(self._pack_and_render, job, mode)
        self._repack(job, mode, packed)
        job.user = (packed.text, user)

    def _pack_and_render(self, job: Job, mode: Mode) -> tuple[PackedCommit, str]:
        packed = self._pack(job, mode)
        return packed, self._user(job, packed.text)

    def _user(self, job: Job, data: str) -> str:
        """The user message around ``data``, rendered once per packed text (follow-ups reuse it)."""
        if job.user is not None and job.user[0] is data:
            return job.user[1]
        return self.prompts.analysis_user(self.repo.name, job.triage, data)

    def _stale(self, job: Job, mode: Mode) -> bool:
        """Whether the packed data must be packed again: never packed, packed for another mode or limits,
        or the calibration moved so that it no longer fits (or, when it was trimmed, has more room)."""
        if job.packed is None:
            return True
        schema_in_prompt, factor, cap, scale = job.packed_for
        if schema_in_prompt != mode.schema_in_prompt or (cap, scale) != (self.pool.context_cap, job.scale):
            return True
        if abs(self.estimator.factor / factor - 1) <= 0.05:
            return False
        budget = self._data_budget(job, mode)
        return job.packed.raw_tokens > budget or (job.packed.trimmed and self.estimator.factor < factor)

    def _messages(self, job: Job, mode: Mode, followup: list[dict[str, str]]) -> list[dict[str, str]]:
        if self._stale(job, mode):
            self._repack(job, mode)  # the mode, calibration or limits changed since this commit was packed
        assert job.packed is not None
        packed = job.packed
        if followup:
            extra = sum(raw_estimate(m["content"]) + MESSAGE_OVERHEAD for m in followup)
            if raw_estimate(packed.text) > self._data_budget(job, mode, extra):
                packed = self._pack(job, mode, extra)
        return [
            {"role": "system", "content": self.prompts.analysis_system(mode.schema_in_prompt)},
            {"role": "user", "content": self._user(job, packed.text)},
            *followup,
        ]

    def _shrink(self, job: Job, error: ContextLengthExceeded) -> None:
        """Prepare the one retry after a context-length error. When the server says its limit, every
        later request of the run is capped to it and the token estimate learns its count; otherwise this
        commit's data is halved."""
        if error.prompt_tokens and error.messages:
            self.estimator.observe(self.estimator.raw_messages(error.messages), error.prompt_tokens)
        room = (error.limit or 0) - self.settings.max_output_tokens
        if error.limit and room > 0 and room * 0.9 < self.pool.context_cap:
            self.pool.context_cap = room * 0.9
            if not error.prompt_tokens:
                job.scale *= SHRINK  # the limit alone does not tell how far off our estimate was
        else:
            job.scale *= SHRINK
        log.info("%s: context length exceeded (%s); retrying smaller", job.commit.short_sha, error.detail)


def _patch_bytes(commit: Commit) -> int:
    return sum(len(f.patch) for f in commit.files if f.patch) + len(commit.body)
