"""The general rules behind the cases issue 13 names, each tested on its own example and on shapes the
issue does not list. Every test gives the expected type and level."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from commitwatch.models import ChangeType, Commit, FileChange, Importance, Person
from commitwatch.triage import triage

T = ChangeType
HIGH, MEDIUM, LOW = Importance.HIGH, Importance.MEDIUM, Importance.LOW
WHEN = datetime(2026, 2, 7, 3, 0, tzinfo=timezone.utc)


def commit(
    subject: str,
    files: list[tuple[str, int, int]] | None = None,
    *,
    body: str = "",
    parents: int = 1,
    patches: dict[str, str] | None = None,
) -> Commit:
    person = Person("Ada Lovelace", "ada@example.com")
    patches = patches or {}
    specs = files or [("src/a.py", 10, 2)]
    changes = tuple(FileChange(path, "M", adds, dels, patch=patches.get(path)) for path, adds, dels in specs)
    return Commit(
        sha="b" * 40,
        parents=tuple(f"{i:040x}" for i in range(parents)),
        author=person,
        authored_at=WHEN,
        committer=person,
        committed_at=WHEN,
        subject=subject,
        body=body,
        files=changes,
        patches_collected=bool(patches),
    )


def judged(subject: str, files: list[tuple[str, int, int]] | None = None, project: str = "", **kw: object):
    result = triage(commit(subject, files, **kw), project=project)  # type: ignore[arg-type]
    return result.change_type, result.importance


RUST = [("crates/core/src/lib.rs", 40, 10)]


# --- the project's own name and tool names never type ---------------------------------------------


@pytest.mark.parametrize(
    ("subject", "project", "expected"),
    [
        ("Ruff formatter: preserve parentheses around long `with` items", "astral-sh/ruff", (T.FIX, MEDIUM)),
        ("[ty] Add a lint rule for unused `type: ignore` comments", "astral-sh/ruff", (T.FEATURE, MEDIUM)),
        ("Add new lint `manual_abs_diff`", "rust-lang/rust-clippy", (T.FEATURE, MEDIUM)),
        ("Format the ecosystem check script", "astral-sh/ruff", (T.STYLE, LOW)),
        ("Fix 1.89.0 Clippy warnings", "astral-sh/ruff", (T.STYLE, LOW)),
        ("black: handle walrus in return annotations", "psf/black", (T.FIX, MEDIUM)),
    ],
)
def test_project_and_tool_names(subject: str, project: str, expected: tuple[ChangeType, Importance]) -> None:
    assert judged(subject, RUST, project) == expected


def test_unknown_tags_and_prefixes_are_scopes() -> None:
    assert judged("[ty] Support `typing.TypeIs` narrowing", RUST, "astral-sh/ruff") == (T.FEATURE, MEDIUM)
    assert judged("[uv-resolver] Fix markers for conflicting extras", RUST) == (T.FIX, MEDIUM)
    assert judged("kubelet: fix a panic when the pod status is empty", [("pkg/kubelet/status.go", 8, 2)]) == (
        T.FIX,
        HIGH,
    )
    assert judged("model : add support for Ernie 4.5", [("src/llama-model.cpp", 220, 0)]) == (T.FEATURE, MEDIUM)
    # a prefix that holds a type word is the title itself, not a scope
    assert judged("Fix bug: wrong offsets", RUST)[0] is T.FIX


# --- security ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body", "expected"),
    [
        ("Reject wheels with path traversal in RECORD", "", (T.SECURITY, HIGH)),
        ("Disallow symlinks that escape the cache", "An attacker with write access could point outside the cache root.",
         (T.SECURITY, HIGH)),
        ("Harden the playground", "A crafted share link could inject HTML (XSS).", (T.SECURITY, HIGH)),
        ("apiserver: reject tokens with an audience mismatch", "This closes a privilege escalation path.",
         (T.SECURITY, HIGH)),
        ("Upgrade tar for RUSTSEC advisory", "", (T.SECURITY, HIGH)),
        ("Bump h2", "Fixes GHSA-8r5v-vm4m-4g25.", (T.SECURITY, HIGH)),
        ("Address CVE in the XML parser", "", (T.SECURITY, HIGH)),
    ],
)  # fmt: skip
def test_security_phrasing(subject: str, body: str, expected: tuple[ChangeType, Importance]) -> None:
    assert judged(subject, RUST, body=body) == expected


def test_plain_rejections_and_the_repo_name_are_not_security() -> None:
    assert judged("Reject empty prompts with a clear error", RUST, body="Users got a 500 before.")[0] is not T.SECURITY
    sync = [("crates/uv-security/Cargo.toml", 1, 1), ("Cargo.lock", 1, 1)]
    assert judged("Sync `uv-security` crate version with the workspace", sync, "astral-sh/uv") == (T.CHORE, LOW)
    assert judged("Add the security-context option to the chart", [("deploy/values.yaml", 4, 0)])[0] is not T.SECURITY
    # a PR template that mentions security in an unchecked box does not make a change security
    body = "- [ ] This is a breaking change\n- [ ] Security review needed"
    assert judged("Validate the config file", RUST, body=body)[0] is not T.SECURITY
    assert not triage(commit("Validate the config file", RUST, body=body)).breaking


# --- files beat the title verb ---------------------------------------------------------------------


def test_files_beat_the_title_verb() -> None:
    docstring = (
        "diff --git a/x.pyi b/x.pyi\n@@ -1,3 +1,5 @@\n def reveal_type(obj):\n"
        '-    """Reveal."""\n+    """Reveal the inferred type.\n+\n+    Prints it as a diagnostic.\n+    """\n'
    )
    stubs = [("crates/ty_vendored/ty_extensions.pyi", 4, 1)]
    assert judged("[ty] Add documentation for `reveal_type`", stubs, "astral-sh/ruff") == (T.DOCS, LOW)
    assert judged("Add docs for the cache", [("src/cache.py", 4, 1)], patches={"src/cache.py": docstring}) == (
        T.DOCS,
        LOW,
    )
    mdtest = [("crates/ty_python_semantic/resources/mdtest/typed_dict.md", 120, 0)]
    assert judged("[ty] Add test expectations for TypedDict", mdtest, "astral-sh/ruff") == (T.TEST, LOW)
    assert judged("feat: add the Helm guide", [("docs/helm.md", 200, 0)]) == (T.DOCS, LOW)
    assert judged("[CI] Fix flaky test_prefix_caching", [("tests/v1/test_prefix_caching.py", 5, 3)]) == (T.TEST, LOW)
    # a docs verb over real code stays code
    assert judged("Add docs and the --explain flag", [("src/cli.py", 80, 0)])[0] is T.FEATURE


def test_mechanical_lint_fixes_are_style_however_many_files() -> None:
    files = [(f"crates/c{i}/src/lib.rs", 12, 12) for i in range(28)]
    assert judged("Fix 1.95.0 Clippy", files) == (T.STYLE, LOW)
    assert judged("chore: fix new clippy warnings in 1.88", files) == (T.STYLE, LOW)
    assert judged("run cargo fmt", files) == (T.STYLE, LOW)
    assert judged("Apply ruff UP rules to torch/_functorch", [("torch/_functorch/a.py", 300, 300)]) == (T.STYLE, LOW)


# --- reverts, merges and syncs ---------------------------------------------------------------------


def test_a_revert_is_scored_from_what_it_reverts_never_its_words() -> None:
    small = [("src/a.py", 3, 3)]
    crash = judged('Revert "[Bugfix] Fix crash and deadlock in the scheduler"', small)
    plain = judged('Revert "Tweak the scheduler"', small)
    assert crash == plain == (T.REVERT, MEDIUM)
    big = judged('Revert "[Misc] typo"', [("vllm/v1/core/sched/scheduler.py", 200, 400)])
    assert big == (T.REVERT, HIGH)
    assert not triage(commit('Revert "feat!: drop Python 3.9"', small)).breaking


def test_a_pr_merge_is_rated_by_its_first_parent_diff() -> None:
    files = [("components/src/dynamo/trtllm/publisher.py", 30, 8)]
    merge = judged("Merge pull request #6120 from org/branch", files, body="fix(trtllm): publish KV events", parents=2)
    assert merge == (T.FIX, MEDIUM)
    gitlab = judged("Merge branch 'feature' into 'main'", files, body="Add the cache\n\nSee merge request grp/proj!12",
                    parents=2)  # fmt: skip
    assert gitlab == (T.FEATURE, MEDIUM)


def test_sync_merges_and_subtrees_are_low_whatever_their_size() -> None:
    huge = [(f"lib/m{i}/src/lib.rs", 400, 100) for i in range(10)]
    assert judged("Merge branch 'main' into release/0.6.1", huge, parents=2) == (T.MERGE, LOW)
    assert judged("Merge remote-tracking branch 'upstream/main'", huge, parents=2) == (T.MERGE, LOW)
    back = "Merge release 3.5 into main"
    assert judged("Merge pull request #7 from org/release-3.5", huge, body=back, parents=2) == (T.MERGE, LOW)
    assert judged("Squashed 'vendor/ggml/' changes from 1a2b..3c4d", huge) == (T.CHORE, LOW)
    assert judged("ggml : sync with upstream ggml", huge) == (T.CHORE, LOW)
    assert judged("sync : ggml", huge) == (T.CHORE, LOW)
    # a module called "sync" is not a sync
    assert judged("sync: fix a panic in broadcast::Receiver", [("tokio/src/sync/broadcast.rs", 20, 4)])[0] is T.FIX


# --- severity words in a fix's own context ---------------------------------------------------------


def test_severity_words_count_only_for_a_fix() -> None:
    assert judged("Ignore nans in (min|max)_horizontal", [("crates/polars-ops/src/horizontal.rs", 20, 6)]) == (
        T.FIX,
        MEDIUM,
    )
    assert judged("Add some fixme comments", [("src/protocol.rs", 6, 0)]) == (T.CHORE, LOW)
    assert judged("Add crash reporting to the CLI", RUST) == (T.FEATURE, MEDIUM)
    assert judged("Fix deadlock in the async output processor", [("vllm/v1/engine/async_llm.py", 15, 6)]) == (
        T.FIX,
        HIGH,
    )
    assert judged("Fix typo in the OOM error message", [("src/a.py", 1, 1)]) == (T.FIX, LOW)


# --- interfaces: never refactor or style -----------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "expected", "breaking"),
    [
        ("Remove the deprecated --disable-log-requests flag", (T.FEATURE, HIGH), True),
        ("refactor: Remove the --router-temperature flag from the frontend", (T.FEATURE, HIGH), True),
        ("Rename VLLM_USE_V1 to VLLM_ENABLE_V1", (T.FEATURE, HIGH), True),
        ("task: rename `JoinSet::join_all` to `join_all_unordered`", (T.FEATURE, HIGH), True),
        ("style: drop the `legacy` config option", (T.FEATURE, HIGH), True),
        ("Deprecate `tool.uv.dev-dependencies`", (T.FEATURE, MEDIUM), False),
        ("Change the default index strategy to `first-index`", (T.FEATURE, HIGH), False),
        ("refactor: use async scheduling by default", (T.FEATURE, HIGH), False),
        # internal moves and removals stay refactors
        ("Move sampling params validation into the processor", (T.REFACTOR, LOW), False),
        ("Remove unused helper functions", (T.REFACTOR, LOW), False),
    ],
)
def test_interface_changes(subject: str, expected: tuple[ChangeType, Importance], breaking: bool) -> None:
    files = [("src/pkg/cli.py", 30, 40)]
    assert judged(subject, files) == expected
    assert triage(commit(subject, files)).breaking is breaking


def test_a_body_that_says_breaking_is_breaking() -> None:
    body = "This is breaking for anyone who sets the old variable; it must be renamed in deployments."
    result = triage(commit("Use the new variable name", RUST, body=body))
    assert result.breaking and result.importance is HIGH
    assert not triage(commit("Use the new variable name", RUST, body="This is not a breaking change.")).breaking


# --- releases ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    ["Bump version to 0.8.4", "Sync versions to 0.6.2", "chore: release 0.6.1", "release: v7.0.5", "Cut v3.5.0",
     "Prepare for the 2.1 release", "v1.2.3", "Update version numbers for 0.6.0", "Bump uv to 0.5.0"],
)  # fmt: skip
def test_release_and_version_sync_commits_are_chores(subject: str) -> None:
    files = [("Cargo.toml", 1, 1), ("pyproject.toml", 1, 1), ("CHANGELOG.md", 40, 0), ("Cargo.lock", 6, 6)]
    assert judged(subject, files, "astral-sh/uv") == (T.CHORE, LOW)


def test_a_version_of_something_else_is_not_a_release() -> None:
    assert judged("Bump the version of ruff used by pre-commit", [(".pre-commit-config.yaml", 1, 1)])[0] is not T.CHORE
    assert judged("Update the Go version to 1.24.4", [(".go-version", 1, 1)])[0] is T.BUILD


# --- commit codes, gitmoji and more release shapes ----------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "files", "expected"),
    [
        ("ENH: add `stats.trimmed_std`", [("scipy/stats/_stats_py.py", 60, 0)], (T.FEATURE, MEDIUM)),
        ("BUG: fix crash in `linalg.solve` for empty arrays", [("scipy/linalg/_basic.py", 8, 2)], (T.FIX, HIGH)),
        ("DOC Improve the glossary entry for `random_state`", [("doc/glossary.rst", 10, 4)], (T.DOCS, LOW)),
        ("MAINT: tidy the meson build options", [("meson_options.txt", 4, 4)], (T.CHORE, LOW)),
        ("DEPR: deprecate the `axis=None` default of `sum`", [("pandas/core/frame.py", 20, 2)], (T.FEATURE, MEDIUM)),
        ("🐛 Fix the crash on an empty request body", [("app/routes.py", 6, 2)], (T.FIX, HIGH)),
        ("✨ Add the dark theme", [("web/src/theme.ts", 120, 0)], (T.FEATURE, MEDIUM)),
        ("⬆️ Bump pydantic from 2.5.0 to 2.6.0", [("requirements.txt", 1, 1)], (T.DEPS, LOW)),
        ("🔖 Release 1.4.0", [("pyproject.toml", 1, 1), ("CHANGELOG.md", 20, 0)], (T.CHORE, LOW)),
        ("Fix typos in code comments", [("src/io.c", 3, 3)], (T.DOCS, LOW)),
        ("Apply rubocop autocorrect", [("app/models/user.rb", 30, 30)], (T.STYLE, LOW)),
    ],
)
def test_commit_codes_and_gitmoji(subject: str, files: list[tuple[str, int, int]], expected: tuple) -> None:
    assert judged(subject, files) == expected


@pytest.mark.parametrize("subject", ["Python 3.12.2", "node20.11.1", "release version 4.1.0", "Prepare 1.8.2",
                                     "v5.0.0-canary.3", "Version Packages"])  # fmt: skip
def test_more_release_shapes(subject: str) -> None:
    assert judged(subject, [("package.json", 1, 1), ("CHANGELOG.md", 12, 0)])[0] is T.CHORE


def test_bors_merges_are_pull_request_merges() -> None:
    files = [("compiler/rustc_parse/src/lexer.rs", 40, 12)]
    body = "Fix the lexer panic on unterminated raw strings\n\nr? @someone"
    assert judged("Auto merge of #12345 - ada:lexer, r=grace", files, body=body, parents=2)[0] is T.FIX
    assert judged("Rollup merge of #12346 - ada:docs, r=grace", [("src/doc/book.md", 10, 2)],
                  body="Clarify the book's intro", parents=2)[0] is T.DOCS  # fmt: skip
