"""The weekly digest command's stage: a week of stored daily reports, themes by the LLM or the rules."""

from __future__ import annotations

from collections.abc import Sequence

from .analysis import AnalysisOutcome, analyze_commits
from .config import RepoConfig, Settings
from .digest import build_weekly, rules_weekly_highlights
from .models import CommitEntry, ReportData, Usage
from .redact import redact_report
from .sources import resolve_repo
from .storage import Store


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
        digest.usage = Usage()
        for outcome in outcomes:
            digest.usage.requests += outcome.usage.requests
            digest.usage.prompt_tokens += outcome.usage.prompt_tokens
            digest.usage.completion_tokens += outcome.usage.completion_tokens
            digest.warnings += [w for w in outcome.warnings if w not in digest.warnings]
    return redact_report(digest)
