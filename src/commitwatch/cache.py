"""The store as the analysis cache: one repository's keys, lookups, claims and stored highlights, and
the structured-output mode a server accepted (remembered across runs).

A commit whose LLM analysis is stored under the same key (model, prompt version, language, schema) is
not asked again; commits another run is analysing right now (it holds their claims) are waited for;
the rest are claimed and analysed here, each saved the moment it is done. When every commit came from
the store and the stored report of the window was built from exactly these results, its highlights are
reused too, so a fully cached rerun makes no request at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .analysis import PROMPT_VERSION, AnalysisPool, model_for, schema_hash
from .analysis.llm import LADDERS, Mode
from .config import LLMSettings
from .models import Commit, CommitEntry, RepoRef, Triage, Window
from .storage import AnalysisKey, Store

Item = tuple[Commit, Triage]


def analysis_key(llm: LLMSettings, language: str, tri: Triage) -> AnalysisKey:
    """What a stored analysis is keyed by: the model that analyses this commit, the prompt version, the
    language and the schema of the answer."""
    return AnalysisKey(
        model=model_for(llm, tri), prompt_version=PROMPT_VERSION, language=language, schema_hash=schema_hash()
    )


@dataclass
class Plan:
    """The commits of a repository's run, by where their analysis comes from."""

    done: dict[str, CommitEntry] = field(default_factory=dict)  # from the store
    mine: list[Item] = field(default_factory=list)  # claimed: analyse them here
    held: list[Item] = field(default_factory=list)  # another run is analysing them


class AnalysisCache:
    """One repository's analyses in the store, for one run."""

    def __init__(self, store: Store, llm: LLMSettings, language: str, repo_id: int, run_id: int) -> None:
        self.store = store
        self.llm = llm
        self.language = language
        self.repo_id = repo_id
        self.run_id = run_id
        self.keys: dict[str, AnalysisKey] = {}

    def plan(self, items: list[Item]) -> Plan:
        """Look every commit up and claim those no one has analysed."""
        self.keys.update({commit.sha: analysis_key(self.llm, self.language, tri) for commit, tri in items})
        plan = Plan()
        won: set[str] = set()
        for key, group in _by_key(items, self.keys).items():
            stored = self.store.get_entries(self.repo_id, [commit.sha for commit, _ in group], key)
            plan.done.update({c.sha: stored[c.sha].entry(c, tri) for c, tri in group if c.sha in stored})
            todo = [commit.sha for commit, _ in group if commit.sha not in plan.done]
            won |= self.store.claim_many(self.repo_id, todo, key, self.run_id)
        for item in items:
            if item[0].sha not in plan.done:
                (plan.mine if item[0].sha in won else plan.held).append(item)
        return plan

    def save(self, entry: CommitEntry) -> None:
        """Store one finished analysis at once (and release its claim). An analysis of a commit that
        lacks objects saw only part of it: it is not stored for reuse."""
        if entry.commit.missing_objects:
            return
        key = self.keys[entry.commit.sha]
        self.store.save_entry(self.repo_id, entry, key, entry.usage, run_id=self.run_id)

    def wait(self, item: Item) -> CommitEntry | None:
        """Block until the other run's analysis of this commit is stored; None if it let go without one
        (then analyse it here). Call from a worker thread."""
        commit, tri = item
        theirs = self.store.wait_for_entry(self.repo_id, commit.sha, self.keys[commit.sha], timeout=_wait(self.llm))
        return theirs.entry(commit, tri) if theirs is not None else None

    def stored_highlights(
        self, ref: RepoRef, branch: str, window: Window, entries: list[CommitEntry]
    ) -> list[str] | None:
        """The highlights of the stored report of this window, if it was built from exactly these results."""
        previous = self.store.load_report(ref, language=self.language, window=window, branch=branch, tz=window.tz)
        if previous is None or previous.analyzer_kind != "llm":
            return None
        if [(e.commit.sha, e.analysis) for e in previous.entries] != [(e.commit.sha, e.analysis) for e in entries]:
            return None
        return list(previous.highlights)

    def release(self) -> None:
        self.store.release_claims(self.run_id)


def _by_key(items: list[Item], keys: Mapping[str, AnalysisKey]) -> dict[AnalysisKey, list[Item]]:
    groups: dict[AnalysisKey, list[Item]] = {}
    for item in items:
        groups.setdefault(keys[item[0].sha], []).append(item)
    return groups


def _wait(llm: LLMSettings) -> float:
    return llm.timeout * (llm.max_retries + 1) + llm.max_retry_wait


# --- the structured-output mode a server accepted ----------------------------------------------------


def remembered_modes(store: Store, llm: LLMSettings) -> dict[str, Mode]:
    """The structured-output mode a past run negotiated with this server and model, if it is one the
    configured ``structured_output`` allows: the run starts there instead of being refused again."""
    base_url = (llm.base_url or "").rstrip("/")
    known = store.llm_mode(base_url, llm.model or "")
    if known is None or known not in {m.value for m in LADDERS[llm.structured_output]}:
        return {}
    return {base_url: Mode(known)}


def remember_mode(store: Store, llm: LLMSettings | None, pool: AnalysisPool) -> None:
    if llm is None or not pool.started:
        return
    base_url = (llm.base_url or "").rstrip("/")
    mode = pool.negotiated_mode.value
    if mode != (store.llm_mode(base_url, llm.model or "") or LADDERS[llm.structured_output][0].value):
        store.remember_llm_mode(base_url, llm.model or "", mode)
