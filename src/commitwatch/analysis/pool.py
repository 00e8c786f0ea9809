"""The analysis pool: what every repository of a run shares.

One ``AnalysisPool`` per run and provider: one ``LLMClient`` (one ``AsyncOpenAI`` connection pool, one
concurrency and requests-per-minute limit, one circuit breaker), one token ceiling for the whole run,
one token estimate calibrated by every reply, and the structured-output mode negotiated with the server.
Each repository gets its own ``RepoAnalysis`` (``engine``) from ``pool.repo(...)``: its own accounting,
warnings and highlights, its requests in the shared queue.

    async with AnalysisPool(settings.llm, api_key, modes=remembered) as pool:
        job = pool.repo(ref, "en", on_entry=save)
        entries = await job.analyse(items)
        lines, reason = await job.highlights(entries)       # queued ahead of waiting commit requests
        result = job.result(entries, lines, reason)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, MutableMapping
from typing import TYPE_CHECKING

from ..config import LLMSettings
from ..models import CommitEntry, Importance, RepoRef, Triage, Usage
from .budget import PullText, TokenEstimator
from .llm import LLMClient, LLMFailure, Mode, Slots

if TYPE_CHECKING:
    from .engine import RepoAnalysis


def model_for(settings: LLMSettings, triage: Triage) -> str:
    """The model that analyses a commit: ``light_model`` for those the rules rate low, when set."""
    if settings.light_model and triage.importance is Importance.LOW:
        return settings.light_model
    return settings.model or ""


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


UsageListener = Callable[[Usage, float | None], None]  # (run totals so far, cost so far or None)


class AnalysisPool:
    """One provider's client and limits for a whole run (many repositories). Use as ``async with``."""

    def __init__(
        self,
        settings: LLMSettings,
        api_key: str,
        *,
        modes: MutableMapping[str, Mode] | None = None,
        on_usage: UsageListener | None = None,
    ) -> None:
        self.settings = settings
        self.api_key = api_key
        self.modes: MutableMapping[str, Mode] = modes if modes is not None else {}
        self.estimator = TokenEstimator()
        self.ceiling = TokenCeiling(settings.run_token_limit)
        self.context_cap = float("inf")  # prompt tokens the server takes, once a context error told us
        self.usage = Usage()  # every repository's requests and tokens
        self.usage_by_model: dict[str, Usage] = {}
        self.on_usage = on_usage
        self._client: LLMClient | None = None
        # commits being packed or sent: twice the request slots, served like them (smaller repositories
        # first), so packing runs just ahead of the slots instead of for every commit at once
        self.ahead = Slots(2 * settings.concurrency)

    @property
    def client(self) -> LLMClient:
        """The run's one client, built on first use (inside the event loop, once ``openai`` may be
        imported: see ``analysis.load_client_code``)."""
        if self._client is None:
            self._client = LLMClient(self.settings, self.api_key, modes=self.modes)
        return self._client

    @property
    def started(self) -> bool:
        """Whether any request was prepared (the client exists)."""
        return self._client is not None

    @property
    def tripped_by(self) -> LLMFailure | None:
        """What opened the provider's circuit breaker, if it is open (without building a client)."""
        return self._client.breaker.tripped_by if self._client is not None else None

    async def __aenter__(self) -> AnalysisPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._client is not None:
            await self._client.aclose()

    @property
    def negotiated_mode(self) -> Mode:
        """The structured-output mode requests go out in now (after any refusals of this run)."""
        return self.client.mode

    def repo(
        self,
        repo: RepoRef,
        language: str,
        *,
        pulls: Mapping[str, PullText] | None = None,
        on_entry: Callable[[CommitEntry], None] | None = None,
        redacted: bool = False,
    ) -> RepoAnalysis:
        """``redacted``: the commits and ``pulls`` went through the run's redaction stage already."""
        from .engine import RepoAnalysis

        return RepoAnalysis(self, repo, language, pulls=pulls, on_entry=on_entry, redacted=redacted)

    def count(self, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        """Add one reply to the run's totals (and tell the listener)."""
        for usage in (self.usage, self.usage_by_model.setdefault(model, Usage())):
            usage.requests += 1
            usage.prompt_tokens += prompt_tokens
            usage.completion_tokens += completion_tokens
        self.ceiling.used += prompt_tokens + completion_tokens
        if self.on_usage is not None:
            self.on_usage(self.usage, cost_of(self.settings, self.usage_by_model))


def cost_of(settings: LLMSettings, usage_by_model: Mapping[str, Usage]) -> float | None:
    """The price of this usage, when every model used has a price in ``llm.prices``."""
    if not usage_by_model:
        return None
    total = 0.0
    for model, usage in usage_by_model.items():
        price = settings.prices.get(model)
        if price is None:
            return None
        total += usage.prompt_tokens * price.input / 1e6 + usage.completion_tokens * price.output / 1e6
    return round(total, 6)
