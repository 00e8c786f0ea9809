"""The highlights of one repository's day: one request over the structured per-commit results."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from ..config import LLMSettings
from ..models import CommitEntry, RepoRef
from .budget import TokenEstimator, clip, neutralise, raw_estimate
from .language import in_language
from .llm import LLMClient, LLMFailure, Mode, Reply
from .messages import message
from .output import OutputError, parse_highlights
from .prompt import Prompts, highlights_schema
from .redact import redact
from .rules import MAX_HIGHLIGHTS, rules_highlights

SAFETY = 0.95
MAX_ASSISTANT_ECHO = 6_000
HIGHLIGHT_SUMMARY_ITEMS = 2
FIRST = 0  # request priority: a repository's highlights go before commit requests still waiting


class Highlights:
    """The highlights part of ``engine.RepoAnalysis`` (which provides these attributes)."""

    settings: LLMSettings
    estimator: TokenEstimator
    prompts: Prompts
    repo: RepoRef
    language: str
    off_language: int

    @property
    def client(self) -> LLMClient:
        raise NotImplementedError

    async def _ask(self, job: Any, build: Callable[[Mode], list[dict[str, str]]], schema: dict[str, Any],
                   name: str, model: str, *, priority: int = 1) -> Reply:
        raise NotImplementedError

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

    async def highlights(self, entries: list[CommitEntry]) -> tuple[list[str], str | None]:
        """(lines, None) from the LLM, or (rules lines, why the rules wrote them)."""
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

            return self._ask(None, build, schema, "daily_highlights", model, priority=FIRST)

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

