"""The general rules behind the cases issue 13 names, each tested on its own example and on shapes the
issue does not list. Every test gives the expected type and level."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from commitwatch.models import ChangeType, Commit, FileChange, Importance
from commitwatch.triage import triage
from tests.fakes import triage_commit

T = ChangeType
HIGH, MEDIUM, LOW = Importance.HIGH, Importance.MEDIUM, Importance.LOW
WHEN = datetime(2026, 2, 7, 3, 0, tzinfo=timezone.utc)


def commit(
    subject: str,
    files: list[tuple[str, int, int]] | list[tuple[str, str, int, int]] | None = None,
    *,
    body: str = "",
    parents: int = 1,
    patches: dict[str, str] | None = None,
) -> Commit:
    """A commit of ``files``: ``(path, added, deleted)``, or ``(status, path, added, deleted)`` with git's
    status letter (``M`` when not given)."""
    specs = [(*spec[1:], spec[0]) if len(spec) == 4 else spec for spec in files or [("src/a.py", 10, 2)]]
    return triage_commit(subject, specs, body=body, parents=parents, patches=patches, sha="b" * 40)  # type: ignore[arg-type]


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
    # a panic in one component: a medium fix (tests/test_triage_generalise.py has the severity rules)
    assert judged("kubelet: fix a panic when the pod status is empty", [("pkg/kubelet/status.go", 8, 2)]) == (
        T.FIX,
        MEDIUM,
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
        ("BUG: fix crash in `linalg.solve` for empty arrays", [("scipy/linalg/_basic.py", 8, 2)], (T.FIX, MEDIUM)),
        ("DOC Improve the glossary entry for `random_state`", [("doc/glossary.rst", 10, 4)], (T.DOCS, LOW)),
        ("MAINT: tidy the meson build options", [("meson_options.txt", 4, 4)], (T.CHORE, LOW)),
        ("DEPR: deprecate the `axis=None` default of `sum`", [("pandas/core/frame.py", 20, 2)], (T.FEATURE, MEDIUM)),
        ("🐛 Fix the crash on an empty request body", [("app/routes.py", 6, 2)], (T.FIX, MEDIUM)),
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


# --- generalisation: shapes beyond the cases (merges, memory safety, narrowing, stacking) ---


def _with_status(subject: str, files: list[tuple[str, str, int, int]], **kw: object) -> Commit:
    base = commit(subject, [(path, adds, dels) for _, path, adds, dels in files], **kw)  # type: ignore[arg-type]
    changes = tuple(
        FileChange(path, status, adds, dels, patch=change.patch)
        for (status, path, adds, dels), change in zip(files, base.files, strict=True)
    )
    return Commit(**{**{f: getattr(base, f) for f in base.__dataclass_fields__}, "files": changes})


C_FILES = [("src/decoder/png.c", 14, 6), ("src/decoder/png.h", 2, 0)]


@pytest.mark.parametrize(
    ("subject", "body", "files", "expected"),
    [
        # a topic branch or tag is typed by what it says it is, and rated by the merged diff
        (
            "Merge branch 'jk/rebase-segfault-on-empty-todo'",
            "Fix a segfault in rebase when the todo list is empty.\n\n"
            "* jk/rebase-segfault-on-empty-todo:\n  rebase: ...",
            C_FILES,
            (T.FIX, HIGH),
        ),
        (
            "Merge tag 'sound-fixes-2026-02-06' of https://git.example.org/sound",
            'Pull sound fixes from Jane Doe:\n "A few driver fixes."\n\n* tag ...:\n  ALSA: ...',
            C_FILES,
            (T.FIX, MEDIUM),
        ),
        ("Merge branch 'main' into feature/streaming", "", C_FILES * 40, (T.MERGE, LOW)),
        ("Merge tag 'v7.1'", "Linux 7.1", C_FILES, (T.MERGE, LOW)),
        ("Merge branch 'ab/wip'", "", C_FILES, (T.MERGE, LOW)),  # a topic that names no type stays a merge
        ("v3.1.0 (#5123)", "", [("pkg/version.go", 1, 1), ("src/server.go", 80, 20)], (T.CHORE, LOW)),
    ],
)
def test_merges_of_topics_tags_and_releases(subject: str, body: str, files: list, expected: tuple) -> None:
    assert judged(subject, files, body=body, parents=2) == expected


@pytest.mark.parametrize(
    ("subject", "files", "expected"),
    [
        ("Fix heap-buffer-overflow in the PNG row reader", C_FILES, T.SECURITY),
        ("decoder: fix a use-after-free when a frame is dropped", [("lib/frames.cc", 9, 3)], T.SECURITY),
        ("Fix out-of-bounds write in tile decoding", [("src/tiles.rs", 8, 2)], T.FIX),  # a managed language
        ("Fix heap-buffer-overflow in the PNG reader tests", [("tests/test_png.c", 5, 1)], T.TEST),
    ],
)
def test_memory_safety_fixes_in_unmanaged_code_are_security(subject: str, files: list, expected: ChangeType) -> None:
    assert judged(subject, files)[0] is expected


def test_a_release_note_filed_under_security_makes_a_security_fix() -> None:
    files = [("src/http/headers.py", 12, 4), ("newsfragments/1234.security.rst", 3, 0)]
    assert judged("Tighten header folding", files) == (T.SECURITY, HIGH)
    files = [("src/http/headers.py", 12, 4), ("changelog.d/security/1234.md", 3, 0)]
    assert judged("Tighten header folding", files)[0] is T.SECURITY
    files = [("src/http/headers.py", 12, 4), ("docs/security.md", 3, 0)]  # a policy page, not a release note
    assert judged("Tighten header folding", files)[0] is not T.SECURITY


def test_a_negated_action_with_a_security_body_is_security() -> None:
    body = "An untrusted archive could place files outside the target directory."
    subject = "Never follow symlinks outside the workspace unless allow_symlinks is set"
    assert judged(subject, body=body)[0] is T.SECURITY
    assert judged("Don't cache empty responses", body="They were served for an hour.")[0] is not T.SECURITY


@pytest.mark.parametrize(
    "subject",
    [
        "Avoid copying the request body on every retry",
        "Improve JSON encoder performance for large dicts",
        "planner: push down limits into the parquet scan",
        "Avoid reallocating the row buffer per batch",
    ],
)
def test_performance_phrasing(subject: str) -> None:
    assert judged(subject)[0] is T.PERF


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Fix a deadlock in the worker pool", (T.FIX, HIGH)),
        ("Fix a deadlock on macOS when the watcher is closed", (T.FIX, MEDIUM)),
        ("Fix a resource leak in the error path of open_stream()", (T.FIX, MEDIUM)),
        ("Return an error instead of panicking on empty input", (T.FIX, MEDIUM)),
        ("scheduler: jobs may hang after a worker restart", (T.FIX, HIGH)),  # no verb: the bug word types it
        ("Fix miscompilation of nested closures", (T.FIX, HIGH)),
        ("win32: fix a hang when the console is resized", (T.FIX, MEDIUM)),  # the scope names the platform
        ("console: fix a Windows-only hang on resize", (T.FIX, MEDIUM)),
    ],
)
def test_severity_is_read_in_its_context(subject: str, expected: tuple) -> None:
    assert judged(subject, [("src/pool/worker.c", 10, 4)]) == expected


def test_an_untyped_change_with_a_migration_guide_is_a_breaking_feature() -> None:
    body = "Colours now live in their own crate.\n\n## Migration Guide\n\n`Palette::rgb` is now `Palette::srgb`."
    result = triage(commit("Colours through the new palette crate", RUST, body=body))
    assert (result.change_type, result.breaking) == (T.FEATURE, True)


def test_file_bonuses_stack_to_a_cap_that_grows_with_the_change() -> None:
    core = [("lib/core/histogram.py", 110, 0), ("include/api/histogram.h", 12, 0), ("lib/render/plot.py", 20, 0)]
    assert judged("Add a histogram widget", core) == (T.FEATURE, MEDIUM)
    big = [("lib/core/histogram.py", 900, 0), ("include/api/histogram.h", 40, 0), ("lib/render/plot.py", 80, 0)]
    assert judged("Add a histogram widget", big) == (T.FEATURE, HIGH)


def test_pure_moves_stay_low_and_other_refactors_keep_their_size() -> None:
    files = [("A", "src/net/retry.py", 130, 0), ("M", "src/net/client.py", 4, 120), ("M", "src/core/api.py", 2, 2)]
    result = triage(_with_status("Move the retry helpers into their own module", files))
    assert (result.change_type, result.importance) == (T.REFACTOR, LOW)
    edits = [("M", "src/net/retry.py", 130, 20), ("M", "src/net/client.py", 40, 120)]
    result = triage(_with_status("Move the retry helpers into their own module", edits))
    assert (result.change_type, result.importance) == (T.REFACTOR, MEDIUM)
    result = triage(_with_status("Rename the internal retry helpers", [("M", "src/core/api.py", 40, 40)]))
    assert (result.change_type, result.importance) == (T.REFACTOR, LOW)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Drop support for Node 16", (T.FEATURE, MEDIUM)),
        ("Remove the deprecated storage backend for uploads", (T.FEATURE, MEDIUM)),
        ("Remove the deprecated `--legacy-resolver` flag", (T.FEATURE, HIGH)),  # a named flag stays breaking
        ("Enforce the deprecation of positional arguments in connect()", (T.FEATURE, HIGH)),
        ("breaking: stop reading the global rc file", (T.FEATURE, HIGH)),
    ],
)
def test_removals_users_were_warned_of_weigh_less(subject: str, expected: tuple) -> None:
    result = triage(commit(subject, [("src/pkg/cli.py", 30, 40)]))
    assert (result.change_type, result.importance, result.breaking) == (*expected, True)


@pytest.mark.parametrize(
    ("subject", "files", "expected"),
    [
        ("TYP: annotate the CSV readers", [("pkg/io/csv.py", 30, 22)], (T.REFACTOR, LOW)),
        ("Add type hints to the config loader", [("src/app/config.py", 40, 30)], (T.REFACTOR, LOW)),
        ("[NFC] Tidy up the vectorizer's cost model", [("llvm/lib/Vectorize/Cost.cpp", 30, 30)], (T.REFACTOR, LOW)),
        ("Stabilize the `async_closure` feature", [("compiler/feature/accepted.rs", 2, 0)], (T.FEATURE, MEDIUM)),
        ("Better diagnostics for unclosed strings", [("src/lexer.rs", 20, 4)], (T.FEATURE, MEDIUM)),
        ("backport: retry on a closed connection", [("src/pool.go", 12, 3)], (T.FIX, MEDIUM)),
        ("DOC add a streaming tutorial", [("examples/streaming_demo.py", 400, 0), ("docs/streaming.md", 60, 0)],
         (T.DOCS, LOW)),
    ],
)  # fmt: skip
def test_more_title_shapes(subject: str, files: list, expected: tuple) -> None:
    assert judged(subject, files) == expected


def test_a_submodule_pointer_update_is_a_dependency_update() -> None:
    patch = f"@@ -1 +1 @@\n-Subproject commit {'1' * 40}\n+Subproject commit {'2' * 40}"
    files = [("third_party/googletest", 1, 1)]
    assert judged("Bump googletest", files, patches={"third_party/googletest": patch}) == (T.DEPS, LOW)
    text = "@@ -1 +1 @@\n-grammar v1\n+grammar v2"
    assert judged("Update the parser", [("src/parser", 1, 1)], patches={"src/parser": text})[0] is not T.DEPS  # a file


@pytest.mark.parametrize(
    ("path", "category"),
    [
        ("src/commands/test/runner.go", "source"),
        ("cli/tools/test/reporters.rs", "source"),
        ("cli/tools/test/fixtures/data.json", "test"),
        ("jenkins/Build.groovy", "ci"),
        ("envs/py311_lock.txt", "lockfile"),
        ("ci/conda-linux-64.lock.yml", "lockfile"),
        ("tests/test_cli.py", "test"),
    ],
)
def test_path_categories(path: str, category: str) -> None:
    from commitwatch.triage.files import classify_file

    assert classify_file(path).value == category


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Refs #4242 -- Removed the unused _cache helper.", T.REFACTOR),
        ("Fixes #88: crash when the list is empty", T.FIX),
        ("Fixed #901 -- Added a --json flag to the export command.", T.FEATURE),
        ("Fixes #12", T.FIX),  # nothing after the reference: the verb is all there is
    ],
)
def test_a_ticket_reference_before_the_title_is_not_its_type(subject: str, expected: ChangeType) -> None:
    assert judged(subject, [("src/app/export.py", 20, 4)])[0] is expected


@pytest.mark.parametrize(
    ("subject", "files", "expected"),
    [
        ("Make the session cache thread-safe", [("src/cache/session.c", 30, 8)], T.FIX),
        ("Make the config loader async", [("src/app/config.py", 30, 8)], T.FEATURE),
        ("Update copyright headers for 2027", [("src/a.c", 1, 1), ("src/b.c", 1, 1)], T.CHORE),
        ("release notes: sync for 4.2", [("RELEASE_NOTES", 30, 2)], T.DOCS),
    ],
)
def test_safety_copyright_and_release_note_shapes(subject: str, files: list, expected: ChangeType) -> None:
    assert judged(subject, files)[0] is expected
