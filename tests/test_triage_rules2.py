"""The general rules behind the third held-out set's misses (issue 13), each tested on a shape that none of
the labelled or held-out sets holds: another project, other wording, other files. Every test gives the
expected type and, where the rule is about weight, the level."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from commitwatch.models import ChangeType, Commit, Importance
from commitwatch.triage import triage
from tests.fakes import FileSpec, triage_commit, with_diff_header

T = ChangeType
HIGH, MEDIUM, LOW = Importance.HIGH, Importance.MEDIUM, Importance.LOW
WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

def commit(
    subject: str,
    files: list[FileSpec] | None = None,
    *,
    body: str = "",
    parents: int = 1,
    patches: dict[str, str] | None = None,
    author: tuple[str, str] = ("Grace Hopper", "grace@example.org"),
) -> Commit:
    full = {path: with_diff_header(path, hunks) for path, hunks in (patches or {}).items()}
    return triage_commit(subject, files or [("src/core.py", 10, 2)], body=body, parents=parents, author=author,
                         patches=full, sha="c" * 40, when=WHEN)


# --- merges: rated and typed by what they merge -------------------------------------------------------


def test_a_merge_titled_with_its_pull_request_is_typed_by_that_title() -> None:
    result = triage(
        commit(
            "Merge zcash/librustzcash#812: sapling: fix wrong results when scanning pruned notes",
            [("sapling/src/scan.rs", 30, 8), ("sapling/tests/scan.rs", 40, 0)],
            parents=2,
        )
    )
    assert result.change_type is T.FIX
    assert "pr_merge" in {reason.key for reason in result.reasons}


def test_a_bors_merge_takes_the_first_pull_requests_title_from_its_body() -> None:
    body = (
        "4411: storage: fix lost writes after a compaction race r=ana a=ben\n\n"
        "Writes acknowledged during a compaction were dropped.\n\n"
        "4415: docs: fix a link r=ana a=cy\n"
    )
    result = triage(commit("Merge #4411 #4415", [("storage/compact.go", 25, 6)], body=body, parents=2))
    assert result.change_type is T.FIX


def test_a_merge_whose_pull_request_title_names_no_type_is_typed_by_its_branch() -> None:
    result = triage(
        commit(
            "Merge pull request #771 from someone/fix-socket-timeouts",
            [("net/socket.c", 12, 4)],
            body="net: keep the keepalive timer when a socket is re-armed",
            parents=2,
        )
    )
    assert result.change_type is T.FIX


def test_a_merged_sync_pull_request_is_a_merge_of_others_work() -> None:
    result = triage(
        commit(
            "Merge pull request #90 from bot/sync-from-parent",
            [("lib/a.rs", 200, 40), ("lib/b.rs", 90, 10)],
            body="Sync from downstream",
            parents=2,
        )
    )
    assert (result.change_type, result.importance) == (T.MERGE, LOW)


def test_preparing_a_sync_is_a_chore() -> None:
    result = triage(commit("Preparing for sync from upstream/llvm", [("upstream-version", 1, 1)]))
    assert (result.change_type, result.importance) == (T.CHORE, LOW)


# --- removing what users reach is an interface change ----------------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "Remove the OpenGL renderer backend",
        "chore: drop legacy XML export format",
        "Remove `Session.replay_events`",
        "Delete client.streams.legacy",
    ],
)
def test_removing_a_part_of_the_product_is_a_breaking_feature_change(subject: str) -> None:
    result = triage(commit(subject, [("src/render/gl.py", 0, 400, "D"), ("src/render/__init__.py", 2, 12)]))
    assert result.change_type is T.FEATURE
    assert result.breaking
    assert result.importance is HIGH


@pytest.mark.parametrize(
    "subject",
    ["Remove unused helpers from the renderer", "Remove dead code in the GL backend", "Drop debug logging"],
)
def test_removing_the_codes_own_insides_stays_a_refactor_or_chore(subject: str) -> None:
    result = triage(commit(subject, [("src/render/gl.py", 2, 120)]))
    assert result.change_type in (T.REFACTOR, T.CHORE)
    assert not result.breaking


def test_a_removal_that_barely_shrinks_the_source_is_not_an_interface_change() -> None:
    result = triage(commit("runtime: remove app.guards.fast_resume", [("src/guards.cc", 1, 4)]))
    assert result.change_type is not T.FEATURE


# --- release and version shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "files"),
    [
        ("Bump to version 3.2.0", [("Cargo.toml", 8, 8), ("Cargo.lock", 12, 12)]),
        ("Bump nightly version", [("pkg/version.go", 1, 1)]),
        ("Publish v4.0.1 to the registry", [("package.json", 1, 1), ("CHANGELOG.md", 10, 0)]),
        ("Publish `0.9.3` with `core` `v2.1.0`", [("crates/core/Cargo.toml", 1, 1), ("Cargo.lock", 4, 4)]),
        ("Update changelog and versions for 7.3 release", [("CHANGELOG.md", 20, 0), ("VERSION", 1, 1)]),
        ("build: release", [("packages/a/package.json", 1, 1), ("packages/a/CHANGELOG.md", 6, 0)]),
    ],
)
def test_release_and_version_commits_are_chores(subject: str, files: list[FileSpec]) -> None:
    result = triage(commit(subject, files))
    assert (result.change_type, result.importance) == (T.CHORE, LOW)


# --- security without an advisory id ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "body"),
    [
        (
            "Validate the frame length before copying",
            "A peer could announce a length past the end of the receive buffer and overwrite the heap.",
        ),
        ("ingest: only trust X-Real-IP from configured proxies", "Any client could spoof its address."),
        ("tokens: HMAC session ids in the access log", "The ids were logged in plaintext."),
        ("cache: reject keys that are not UTF-8", "A remote client can poison entries (SSRF through the loader)."),
    ],
)
def test_hardening_verbs_with_an_attack_in_the_body_are_security(subject: str, body: str) -> None:
    result = triage(commit(subject, [("src/frame.c", 14, 3)], body=body))
    assert (result.change_type, result.importance) == (T.SECURITY, HIGH)


def test_a_fix_whose_body_describes_an_attack_is_security() -> None:
    body = "A crafted archive name made the extractor write outside the target directory."
    result = triage(commit("fix(unpack): keep entry names relative", [("unpack/entry.go", 9, 2)], body=body))
    assert result.change_type is T.SECURITY


def test_a_fix_whose_body_says_dos_line_endings_is_not_security() -> None:
    body = "Files with DOS line endings were parsed as one line; handle \\r\\n."
    result = triage(commit("fix: read dos line endings", [("src/reader.py", 6, 2)], body=body))
    assert result.change_type is T.FIX


def test_safe_loading_in_the_title_is_security() -> None:
    result = triage(commit("Read cached tensors with `weights_only=True`", [("pkg/cache.py", 5, 2)]))
    assert result.change_type is T.SECURITY


def test_a_dependency_update_that_leaves_an_advisory_behind_is_a_dependency_update() -> None:
    result = triage(commit("Bump openssl-sys past RUSTSEC-2025-0101", [("Cargo.lock", 6, 6)]))
    assert result.change_type is T.DEPS
    assert result.importance is MEDIUM  # the advisory's floor
    fixed = triage(commit("Bump openssl-sys to fix RUSTSEC-2025-0101", [("Cargo.lock", 6, 6)]))
    assert fixed.change_type is T.SECURITY


# --- severity: harm over panic words, mechanical commits low ---------------------------------------------


def test_a_fix_whose_body_says_results_were_wrong_is_high() -> None:
    body = "The join kept the left offset for the second chunk, so `merge_asof` silently dropped matches."
    files: list[FileSpec] = [("src/frame/join.py", 14, 4)]
    result = triage(commit("Fix merge_asof on chunked frames", files, body=body))
    assert (result.change_type, result.importance) == (T.FIX, HIGH)
    plain = triage(commit("Fix merge_asof on chunked frames", files, body="Handles more input."))
    assert plain.importance is MEDIUM


def test_a_core_scope_and_a_core_path_count_once() -> None:
    result = triage(commit("fix(core): keep the resolver cache warm", [("packages/core/resolver.ts", 20, 6)]))
    assert result.importance is MEDIUM


@pytest.mark.parametrize(
    ("subject", "files", "kind"),
    [
        (
            "Regenerate protobuf bindings with buf 1.40",
            [("gen/api.pb.go", 900, 850), ("api/api.yaml", 600, 580)],
            T.CHORE,
        ),
        ("treewide: use for_each_set_bit() where appropriate", [(f"src/m{i}.c", 3, 4) for i in range(9)], T.REFACTOR),
        ("Internal change", [("include/lib/port.h", 3, 1)], T.OTHER),
        ("[bot] apply automated fixes", [("src/a.ts", 5, 5), ("src/b.ts", 2, 2)], T.STYLE),
        ("chore: fix style", [("src/a.py", 4, 4), ("src/b.py", 3, 3)], T.STYLE),
        ("MNT: stats: fix ruff lint warnings", [("lib/stats/_x.py", 3, 3)], T.STYLE),
    ],
)
def test_mechanical_commits_are_low(subject: str, files: list[FileSpec], kind: ChangeType) -> None:
    result = triage(commit(subject, files))
    assert (result.change_type, result.importance) == (kind, LOW)


def test_a_real_bug_in_how_a_formatter_is_run_is_a_fix() -> None:
    body = "Offsets computed on normalised text were applied to the original file."
    result = triage(commit("fix: running prettier via --write corrupts files with a BOM", [("src/run.go", 20, 5)],
                           body=body))  # fmt: skip
    assert result.change_type is T.FIX


def test_comments_a_fix_handles_are_not_a_trivial_change() -> None:
    result = triage(commit("Fix indentation of comments inside match arms", [("src/printer/match.rs", 30, 6)]))
    assert result.importance is MEDIUM


# --- interface changes visible only in the patch, or in the wording ---------------------------------------


def test_a_default_changed_inside_a_multi_line_add_argument_is_an_interface_change() -> None:
    patch = (
        "@@ -40,7 +40,7 @@ def add_server_args(parser):\n"
        "     parser.add_argument(\n"
        "         '--prefill-chunk',\n"
        "         type=int,\n"
        "-        default=512,\n"
        "+        default=2048,\n"
        "         help='Tokens per prefill chunk')\n"
    )
    result = triage(commit("tidy server options", [("serve/args.py", 1, 1)], patches={"serve/args.py": patch}))
    assert result.change_type is T.FEATURE
    assert any(c.change == "default_changed" for c in result.signals.interfaces)
    assert result.importance is not LOW  # a new default's medium floor


def test_a_dropped_env_var_read_with_a_mixed_case_name_is_breaking() -> None:
    patch = (
        "@@ -10,4 +10,2 @@ def pick_kernel():\n"
        '-    use_v2 = os.getenv("ACME_USE_Kv2_PATH", "0") == "1"\n'
        "-    if use_v2: return kernel_v2\n"
        "+    return kernel_v1\n"
    )
    result = triage(
        commit("Simplify kernel selection", [("acme/kernels.py", 1, 2)], patches={"acme/kernels.py": patch})
    )
    assert result.change_type is T.FEATURE
    assert result.breaking
    assert result.importance is HIGH


def test_a_new_default_under_a_breaking_fix_prefix_is_an_interface_change() -> None:
    result = triage(commit("fix(log)!: print timestamps in UTC by default", [("src/log/fmt.rs", 12, 4)]))
    assert result.change_type is T.FEATURE


@pytest.mark.parametrize("subject", ["pool: lower the default connection limit", "`retry` no longer implies `backoff`"])
def test_wording_that_changes_behaviour_for_everyone_is_an_interface_change(subject: str) -> None:
    result = triage(commit(subject, [("src/pool.py", 4, 4)]))
    assert result.change_type is T.FEATURE
    assert "default_change" in {reason.key for reason in result.reasons}


def test_no_longer_crashing_is_a_fix() -> None:
    result = triage(commit("Fix: the viewer no longer crashes on empty files", [("src/viewer.py", 4, 1)]))
    assert result.change_type is T.FIX


# --- dependency rolls and toolchains -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "files"),
    [
        ("Roll Skia from 1a2b3c4d to 5e6f7a8b (3 revisions)", [("DEPS", 1, 1)]),
        ("Integrate Abseil at abseil/abseil-cpp@0123abcd4567", [("third_party/absl/workspace.bzl", 2, 2)]),
        ("Update dependencies from acme/build-tools", [("eng/Versions.props", 4, 4)]),
        ("feat(firefox): roll to r1466", [("browsers.json", 2, 2)]),
        ("Update SwiftPM", [("tools/swiftpm.cmake", 1, 1), ("src/host.cpp", 3, 1)]),
        ("Bump tree-sitter-python", [("grammars.toml", 1, 1)]),
        ("Bump NCCL tests to v2.13.8", [("third_party/nccl-tests", 1, 1)]),
    ],
)
def test_dependency_rolls_are_deps(subject: str, files: list[FileSpec]) -> None:
    assert triage(commit(subject, files)).change_type is T.DEPS


@pytest.mark.parametrize(
    ("subject", "files"),
    [
        ("chore: Raise the minimum Rust version to 1.80", [("Cargo.toml", 1, 1)]),
        ("cmake: bump the minimum required version to 3.25", [("CMakeLists.txt", 1, 1)]),
        ("Update toolchain to nightly-2025-01-01", [("rust-toolchain.toml", 1, 1), ("src/lib.rs", 2, 2)]),
        ("Update the Gradle wrapper to 8.14", [("gradle/wrapper/gradle-wrapper.properties", 1, 1)]),
    ],
)
def test_toolchain_minimums_are_build(subject: str, files: list[FileSpec]) -> None:
    assert triage(commit(subject, files)).change_type is T.BUILD


# --- titles without a recognised prefix, and files over the title ----------------------------------------


@pytest.mark.parametrize(
    ("subject", "files", "kind"),
    [
        ("Ensure `watch` survives a renamed directory", [("src/watch.rs", 12, 3)], T.FIX),
        ("Check for underflow in frame_count", [("libfoo/frame.c", 2, 0)], T.FIX),
        ("Require Python 3.11", [("pyproject.toml", 1, 1), ("src/pkg/compat.py", 2, 30)], T.FEATURE),
        ("Polish", [("src/main/java/org/acme/Pool.java", 3, 3)], T.REFACTOR),
        ("i18n: Translated using Weblate (German)", [("po/de.po", 14, 9)], T.CHORE),
        ("📚 Explain the retry options", [("docs/retry.md", 30, 2)], T.DOCS),
        ("[Examples] Add a streaming example", [("examples/stream/run.py", 80, 0)], T.DOCS),
        ("arm64: add NEON path for the crc32 kernel", [("src/arm64/crc32.S", 120, 0)], T.PERF),
        ("PR #88: [Metal] Fix build failure after the header move", [("src/metal/k.mm", 1, 0)], T.BUILD),
    ],
)
def test_titles_without_a_known_prefix_are_read_by_their_words(
    subject: str, files: list[FileSpec], kind: ChangeType
) -> None:
    assert triage(commit(subject, files)).change_type is kind


def test_a_fix_to_an_api_description_only_is_docs() -> None:
    files: list[FileSpec] = [("api/openapi.yaml", 5, 3), ("docs/api/v2.yaml", 5, 3)]
    result = triage(commit("server: openapi: fix description of ListJobs paging", files))
    assert (result.change_type, result.importance) == (T.DOCS, LOW)


def test_a_typo_in_a_javadoc_is_docs() -> None:
    result = triage(commit("Fix typo in Scheduler javadoc", [("src/main/java/acme/Scheduler.java", 1, 1)]))
    assert (result.change_type, result.importance) == (T.DOCS, LOW)


def test_a_removed_single_dash_option_is_fully_breaking() -> None:
    result = triage(commit("rpc: remove deprecated -legacywallet", [("src/init.cpp", 1, 20), ("src/rpc/x.cpp", 2, 9)]))
    assert (result.change_type, result.importance) == (T.FEATURE, HIGH)
