"""Prompts from package templates (``prompts/<kind>.<language>.j2``) and the schemas the model answers in.

Instructions live only in the templates; commit text (and the repository name, and triage reasons that
quote the commit) only ever enters inside a data block
(``<commit-data id="…">`` … ``</commit-data id="…">``) whose id is a hash of its content, so the data
cannot close its own block, and the instructions around it are the same for every commit.
"""

from __future__ import annotations

import functools
import hashlib
import json
from functools import cache
from typing import Any

import jinja2
from pydantic import BaseModel, ConfigDict, Field

from .. import i18n
from ..models import Analysis, Reason, Triage
from ..redact import known_secrets, sanitize
from .budget import neutralise

# Bump whenever a template, the prior, the data layout or a schema changes: stored analyses are keyed
# by it, so a rerun with a new prompt analyses again.
PROMPT_VERSION = "3"

LANGUAGES = ("zh-CN", "en")


class HighlightItem(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sha: str = Field(description="The short sha of the commit, as given in the data")
    text: str = Field(description="One sentence: what changed and why it matters")


class Highlights(BaseModel):
    model_config = ConfigDict(extra="forbid")

    highlights: list[HighlightItem] = Field(description="The 3 to 5 changes that matter most")


def _without_titles(node: Any) -> Any:
    """The schema without pydantic's generated ``title`` keywords (a property *named* title stays)."""
    if isinstance(node, dict):
        return {k: _without_titles(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
    if isinstance(node, list):
        return [_without_titles(v) for v in node]
    return node


@cache
def analysis_schema() -> dict[str, Any]:
    """The JSON Schema of ``Analysis`` as sent to the model (response_format or prompt)."""
    return _without_titles(Analysis.model_json_schema())  # type: ignore[no-any-return]


@cache
def highlights_schema() -> dict[str, Any]:
    return _without_titles(Highlights.model_json_schema())  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=1)
def schema_hash() -> str:
    """A short hash of the schemas the model answers in (part of a stored analysis's key)."""
    canonical = json.dumps([analysis_schema(), highlights_schema()], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def data_line(text: str, limit: int = 200) -> str:
    """Commit- or repository-controlled text for one line of a data block: redacted, invisible
    characters shown, controls flattened, angle brackets defused, shortened."""
    text = sanitize(text).text
    text = "".join(" " if ch.isspace() or not ch.isprintable() else ch for ch in text)
    text = neutralise(" ".join(text.split())).replace("<", "‹").replace(">", "›")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def data_tag(data: str) -> str:
    """The id of a data block: a hash of its content (stable, and unguessable from inside it)."""
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()[:16]


@cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("commitwatch.analysis", "prompts"),
        autoescape=False,  # prompts are plain text for a model, never HTML
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
    )


def _language(language: str) -> str:
    normalized = i18n.normalize_language(language)
    return normalized if normalized in LANGUAGES else "en"


@cache
def _module(kind: str, language: str) -> Any:
    return _environment().get_template(f"{kind}.{_language(language)}.j2").module


def _compact(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, separators=(",", ":"))


@cache
def _system(kind: str, language: str, with_schema: bool) -> str:
    """System prompts never depend on the commit: rendered once per process."""
    schema = analysis_schema() if kind == "analysis" else highlights_schema()
    return str(_module(kind, language).system(_compact(schema), with_schema))


def facts(triage: Triage) -> str:
    """The signals as a "## Facts" section of the data block: computed from the diff and message, so the
    model must not contradict them (names come from commit text: redacted, one line each)."""
    signals = triage.signals
    lines: list[str] = []
    for c in signals.interfaces:
        detail = {
            "renamed": f" to {c.new_name}",
            "default_changed": f": default {c.old_default} -> {c.new_default}",
        }.get(c.change, "")
        lines.append(f"- {c.kind} {c.name} {c.change.replace('_', ' ')}{detail} ({c.path})")
    for d in signals.dependencies:
        version = f"{d.old or 'new'} -> {d.new or 'removed'}"
        lines.append(f"- dependency {d.name} {version}{' (major)' if d.major else ''} ({d.path})")
    lines += [f"- advisory {advisory}" for advisory in signals.advisories]
    if signals.reverts:
        lines.append(f"- reverts commit {signals.reverts}")
    for p in signals.performance:
        lines.append(f"- performance claim: {p.metric} {p.delta}{f' ({p.context})' if p.context else ''}")
    if triage.floor is not None:
        lines.append(f"- importance is at least {triage.floor.value}")
    if not lines:
        return ""
    shown = [data_line(line, 300) for line in lines[:60]]
    return "## Facts (computed from the diff and message; do not contradict them)\n" + "\n".join(shown) + "\n\n"


class Prompts:
    """The rendered prompts of one language."""

    def __init__(self, language: str) -> None:
        self.language = _language(language)

    # --- per-commit analysis ---
    def analysis_system(self, with_schema: bool) -> str:
        return _system("analysis", self.language, with_schema)

    def analysis_user(self, repo: str, triage: Triage, data: str) -> str:
        """The user message. Only the rules' enumerations and numbers sit outside the data block; the
        repository name and the triage reasons (which quote the commit: a scope, a tag) sit inside it."""
        reasons = [self._reason_text(reason) for reason in triage.reasons]
        prior = {
            "change_type": triage.change_type.value,
            "importance": triage.importance.value,
            "score": triage.score,
            "breaking": triage.breaking,
            "bot": triage.bot,
            "reasons": reasons,
        }
        name = data_line(repo)
        data = facts(triage) + data  # the signals sit inside the data block, as facts
        tag = data_tag("\n".join([name, *reasons, data]))
        return str(_module("analysis", self.language).user(name, prior, tag, data))

    def analysis_repair(self, errors: str, truncated: bool) -> str:
        return str(_module("analysis", self.language).repair(errors, truncated))

    def analysis_language(self) -> str:
        return str(_module("analysis", self.language).language())

    # --- daily overview ---
    def highlights_system(self, with_schema: bool) -> str:
        return _system("highlights", self.language, with_schema)

    def highlights_user(self, repo: str, data: str, omitted: int) -> str:
        name = data_line(repo)
        return str(_module("highlights", self.language).user(name, data_tag(name + "\n" + data), data, omitted))

    def highlights_repair(self, errors: str, truncated: bool) -> str:
        return str(_module("highlights", self.language).repair(errors, truncated))

    def highlights_language(self) -> str:
        return str(_module("highlights", self.language).language())

    def _reason_text(self, reason: Reason) -> str:
        return _reason_line(self.language, reason, known_secrets())


@functools.lru_cache(maxsize=4096)  # a run's commits share most of their reasons; each is rendered twice
def _reason_line(language: str, reason: Reason, secrets: int) -> str:
    """A triage reason as one line. Its arguments can come from commit text (a scope, a tag), so they
    are redacted, flattened and shortened: the prior sits outside the data block."""
    text = data_line(i18n.format_reason(language, reason), 160)
    return f"{text} ({reason.weight:+d})" if reason.weight else text
