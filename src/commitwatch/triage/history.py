"""Merges, subtree and upstream syncs, reverts and relands: what the commit's place in history says."""

from __future__ import annotations

import re

from commitwatch.models import ChangeType
from commitwatch.triage.decision import (
    RELAND_WEIGHT,
    Context,
)
from commitwatch.triage.titles import (
    ADVISORY_ID_RE,
    BODY_REVERT_RE,
    BORS_ENTRY_RE,
    BORS_MERGE_RE,
    LKG_RE,
    MAINLINE_BRANCH_RE,
    MERGE_REQUEST_RE,
    PERF_PHRASE_RE,
    PR_BRANCH_RE,
    PR_MERGE_RE,
    PR_SUFFIX_RE,
    RELEASE_RE,
    ROLLBACK_RE,
    SUBTREE_RE,
    SYNC_UPSTREAM_RE,
    TITLED_PR_MERGE_RE,
    TOPIC_MERGE_RE,
    WORD_RE,
    parse_title,
    tag_type,
)

T = ChangeType


def _names_only(ctx: Context) -> bool:
    """ "sync : ggml": a sync scope whose text is nothing but the name of what was synced."""
    return ctx.title.scope.lower() == "sync" and len(ctx.title.text.split()) == 1


_MERGE_LIST_RE = re.compile(r"^\*\s|^\s+\S|^\s*\.\.\.\s*$|^(?:Conflicts|Signed-off-by|Link):", re.IGNORECASE)


def _topic_title(subject: str, body: str) -> tuple[str, str] | None:
    """(topic name, text to type it by) for a merge of a topic branch or tag; None for mainline syncs
    and for topics whose name and message name no type."""
    match = TOPIC_MERGE_RE.match(subject.strip())
    if match is None or MAINLINE_BRANCH_RE.match(match.group("name")):
        return None
    name = match.group("name")
    first = []
    for line in body.strip().splitlines():
        if not line.strip() or _MERGE_LIST_RE.match(line):
            break
        first.append(line.strip().strip('"'))
    words = re.sub(r"[/_.-]+", " ", name.rsplit("/", 1)[-1])
    text = " ".join(first)[:300]
    for candidate in (text, words):
        if candidate and (WORD_RE.search(candidate) or PERF_PHRASE_RE.search(candidate)):
            return name, candidate
    return None


def _typed(ctx: Context) -> bool:
    """Whether the title names a type: a prefix, a typed tag, a type word or a performance phrase."""
    title = ctx.title
    return (
        title.conventional is not None
        or tag_type(title.tags)[0] is not None
        or WORD_RE.search(ctx.words) is not None
        or PERF_PHRASE_RE.search(ctx.words) is not None
    )


def _pull_merge(ctx: Context, title: str, number: str, branch: str = "") -> None:
    """A pull request's merge: typed by the PR's title (or, when that names no type, by its branch:
    "from user/fix-ipv6-ports"), rated by its first-parent diff; a sync PR is a merge of others' work."""
    ctx.retitle(parse_title(title))
    ctx.decision.signal("pr_merge", 0, number=number)
    if SYNC_UPSTREAM_RE.match(ctx.words) or SYNC_UPSTREAM_RE.match(ctx.title.text):
        ctx.sync_merge = True  # "Merge pull request #N from x/sync-from-rust": "Sync from downstream"
        ctx.decision.decide(T.MERGE, "merge_commit", parents=len(ctx.commit.parents))
        return
    words = " ".join(re.sub(r"[/_.-]+", " ", branch.rsplit("/", 1)[-1]).split())
    if branch and not _typed(ctx) and (WORD_RE.search(words) or PERF_PHRASE_RE.search(words)):
        ctx.retitle(parse_title(words))


def history_step(ctx: Context) -> None:
    commit, decision = ctx.commit, ctx.decision
    if commit.is_merge:
        subject = commit.subject.strip()
        number = PR_MERGE_RE.match(subject)
        request = MERGE_REQUEST_RE.search(ctx.body)
        titled = TITLED_PR_MERGE_RE.match(subject)
        bors = BORS_MERGE_RE.match(subject)
        entry = BORS_ENTRY_RE.search(commit.body) if bors else None
        inner = next((line.strip() for line in commit.body.splitlines() if line.strip()), "")
        if titled is not None:  # "Merge bitcoin/bitcoin#31012: wallet: fix crash ..."
            _pull_merge(ctx, titled.group("title"), titled.group("number"))
        elif bors is not None and entry is not None:  # bors: the first merged PR's title, from the body
            _pull_merge(ctx, entry.group("title"), bors.group("number"))
        elif (
            (number or request)
            and inner
            and not MERGE_REQUEST_RE.match(inner)
            and not inner.lower().startswith("merge ")
        ):
            # a pull request's merge: typed by the PR title, rated by its first-parent diff
            shown = number.group("number") if number else request.group(0).rsplit("!", 1)[-1] if request else "?"
            branch = PR_BRANCH_RE.search(subject) if number else None
            _pull_merge(ctx, inner, shown, branch.group("branch") if branch else "")
        elif (advisory := ADVISORY_ID_RE.search(ctx.body)) is not None and inner:
            # GitHub's "Merge commit from fork" of a security advisory, or any merge whose message names
            # an advisory: the fix for it, typed by its message and rated by its first-parent diff
            ctx.retitle(parse_title(inner.lstrip("*-• ")))
            decision.signal("advisory_merge", 0, id=advisory.group(0))
        elif release := RELEASE_RE.match(PR_SUFFIX_RE.sub("", commit.subject.strip())):
            ctx.sync_merge = True  # "2024.2.3 (#111106)": a release branch merged back, others' work
            decision.decide(T.CHORE, "release_merge", version=next((v for v in release.groups() if v), "?"))
        elif (topic := _topic_title(commit.subject, commit.body)) is not None:
            # "Merge branch 'ps/reftable-perf'", "Merge tag 'net-6.8-rc5' of git://...": typed by what
            # the topic says it is (its name and the merge message), rated by the first-parent diff
            ctx.retitle(parse_title(topic[1]))
            decision.signal("topic_merge", 0, name=topic[0][:80])
        else:
            ctx.sync_merge = True
            decision.decide(T.MERGE, "merge_commit", parents=len(commit.parents))
    elif (
        SUBTREE_RE.match(commit.subject)
        or SYNC_UPSTREAM_RE.match(ctx.words)
        or _names_only(ctx)
        or LKG_RE.match(ctx.words)  # "Update LKG": the project's own build, rebuilt from reported commits
    ):
        ctx.sync_merge = True  # "Squashed 'vendor/x/' changes", "ggml : sync with upstream", "sync : ggml"
        decision.decide(T.CHORE, "subtree_sync")
    title = ctx.title
    rollback = ROLLBACK_RE.match(commit.subject.strip())
    reverted = (
        title.reverted is not None
        or rollback is not None
        or title.conventional is T.REVERT
        or tag_type(title.tags)[0] is T.REVERT
        or bool(BODY_REVERT_RE.search(ctx.body))
    )
    if reverted:
        named = title.reverted or (rollback.group("sha") if rollback else title.text)
        decision.decide(T.REVERT, "revert", reverted=named[:100])
    if title.relanded is not None:
        decision.signal("reland", RELAND_WEIGHT, original=title.relanded[:100])
