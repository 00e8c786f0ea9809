"""The general rules added after the second held-out set (issue 13, "triage that generalises"), each
tested on shapes that none of the labelled or held-out sets holds: other projects, other wording, other
files. Every test gives the expected type and level."""

from __future__ import annotations

import pytest

from commitwatch.models import ChangeType, Importance
from commitwatch.triage import triage
from tests.fakes import with_diff_header
from tests.test_triage_rules import commit

T = ChangeType
HIGH, MEDIUM, LOW = Importance.HIGH, Importance.MEDIUM, Importance.LOW

File = tuple[str, int, int] | tuple[str, str, int, int]


def judged(subject: str, files: list[File], project: str = "", **kw: object) -> tuple[ChangeType, Importance]:
    result = triage(commit(subject, files, **kw), project=project)  # type: ignore[arg-type]
    return result.change_type, result.importance


# --- severity: a crash in one component is a medium fix; harm to data or results, or a core path, is high


@pytest.mark.parametrize(
    ("subject", "files", "expected"),
    [
        # a panic, a hang, a leak in one component: medium
        (
            "Fix panic when a JetStream consumer is deleted while paused",
            [("server/jetstream_consumer.go", 7, 2), ("server/jetstream_consumer_test.go", 25, 0)],
            (T.FIX, MEDIUM),
        ),
        ("gui: fix hang when the tray icon is clicked twice", [("src/qt/trayicon.cpp", 9, 3)], (T.FIX, MEDIUM)),
        ("Fix file handle leak in the thumbnail generator", [("app/thumbs/generator.rb", 12, 4)], (T.FIX, MEDIUM)),
        # harm to data or results: high wherever it is
        ("Fix silent data loss when the spool file is rotated", [("lib/spool/rotate.rb", 12, 4)], (T.FIX, HIGH)),
        ("Fix wrong results for percentile_cont over empty groups", [("src/agg/percentile.c", 9, 3)], (T.FIX, HIGH)),
        # a crash on the engine's core path: high
        ("Fix segfault in the query executor on empty batches", [("src/executor/batch.cc", 14, 4)], (T.FIX, HIGH)),
        # the trivial word names the crash's trigger, not the change: still a crash fix
        (
            "Fix crash when a docstring contains a lone surrogate",
            [("src/parser/tokenize.rs", 11, 2)],
            (T.FIX, MEDIUM),
        ),
        # and a trivial fix of a crash's message stays trivial
        ("Fix typo in the crash reporter dialog", [("ui/crash_dialog.py", 1, 1)], (T.FIX, LOW)),
    ],
)
def test_severity_needs_harm_or_a_wide_blast_radius(subject: str, files: list[File], expected: tuple) -> None:
    assert judged(subject, files) == expected


def test_a_new_module_is_additive_and_stays_medium() -> None:
    """A feature whose code lands in new files changes nothing for those who do not use it."""
    new = [
        ("A", "src/exporters/parquet_exporter.py", 420, 0),
        ("A", "src/exporters/parquet_schema.py", 130, 0),
        ("M", "src/exporters/__init__.py", 2, 0),
        ("A", "tests/exporters/test_parquet.py", 260, 0),
    ]
    assert judged("Add a Parquet exporter", new) == (T.FEATURE, MEDIUM)
    # the same size spread over existing code is a change everyone runs
    changed = [(path, adds, adds // 2) for _, path, adds, _ in new]
    assert judged("Add a Parquet exporter", changed)[0] is T.FEATURE
    assert triage(commit("Add a Parquet exporter", changed)).score > triage(commit("Add a Parquet exporter", new)).score


# --- advisories named in a merge's body


def test_a_merge_that_names_an_advisory_is_a_security_fix() -> None:
    body = (
        "Reject oversized header blocks in the HPACK decoder\n\n"
        "Fixes GHSA-x9p2-4m7q-wv3c: a peer could exhaust memory with a crafted header table.\n"
    )
    files: list[File] = [("lib/hpack/decoder.js", 22, 5), ("test/hpack/decoder.test.js", 40, 0)]
    result = triage(commit("Merge commit from fork", files, body=body, parents=2))
    assert (result.change_type, result.importance) == (T.SECURITY, HIGH)
    assert result.floor is Importance.MEDIUM
    assert any(reason.key == "advisory_merge" for reason in result.reasons)
    # a sync merge without one stays a low merge
    assert judged("Merge commit from fork", files, body="Sync the fork", parents=2) == (T.MERGE, LOW)


# --- release and rollback vocabulary


@pytest.mark.parametrize(
    ("subject", "files"),
    [
        ("Stamp 3.41.2", [("VERSION", 1, 1), ("configure.ac", 1, 1)]),
        ("Bump version for the next release", [("src/version.h", 1, 1)]),
        ("Bumped for release", [("setup.cfg", 1, 1)]),
        ("— 4.12.0", [("docs/changes.rst", 3, 1), ("flask_foo/__init__.py", 1, 1)]),
        ("Prepare the release notes for 0.9.0", [("RELEASE_NOTES.md", 20, 0), ("lib/version.rb", 1, 1)]),
        ("Prepare for release: 3.0.0b1", [("pyproject.toml", 1, 1), ("CHANGES.rst", 12, 0)]),
        ("Apply version updates", [("crates/app/Cargo.toml", 1, 1), ("crates/app/CHANGELOG.md", 6, 0)]),
        ("web[minor]: Release 2.4.0", [("web/package.json", 1, 1), ("web/CHANGELOG.md", 8, 0)]),
        ("chore(master): release 5.1.0", [("package.json", 1, 1), ("CHANGELOG.md", 15, 0)]),
    ],
)
def test_release_shapes_are_low_chores(subject: str, files: list[File]) -> None:
    assert judged(subject, files) == (T.CHORE, LOW)


def test_a_last_known_good_build_is_a_low_chore() -> None:
    files: list[File] = [("bin/compiler.js", 900, 870), ("bin/compiler.d.ts", 10, 4)]
    assert judged("Bump last known good", files) == (T.CHORE, LOW)


@pytest.mark.parametrize(
    "subject",
    ["Automated rollback of commit 9f8e7d6c5b4a39281706f5e4d3c2b1a098765432.", "Backed out changeset 0a1b2c3d4e5f"],
)
def test_rollbacks_are_reverts(subject: str) -> None:
    body = "*** Reason for rollback ***\n\nBreaks the nightly Android build.\n"
    kind, _ = judged(subject, [("java/com/example/cache/Store.java", 10, 30)], body=body)
    assert kind is T.REVERT


# --- interface flips and removals outside Python and Rust


def test_flipping_a_flag_changes_a_default() -> None:
    files: list[File] = [("core/src/main/scala/Options.scala", 3, 3), ("core/src/test/scala/OptionsSpec.scala", 8, 2)]
    result = triage(commit("Flip `--strict_visibility_checks`", files))
    assert (result.change_type, result.importance) == (T.FEATURE, HIGH)
    assert any(reason.key == "default_change" for reason in result.reasons)


def test_removing_compatibility_with_old_versions_is_breaking() -> None:
    files: list[File] = [("src/compat/legacy_abi.c", 4, 90), ("src/compat/abi.h", 2, 12)]
    result = triage(commit("Remove compatibility with glibc older than 2.17", files))
    assert result.change_type is T.FEATURE and result.breaking


def test_a_body_that_says_breaking_makes_a_move_a_feature() -> None:
    files: list[File] = [
        ("D", "core/src/handlers/cookies.rs", 0, 140),
        ("A", "contrib/src/handlers/cookies.rs", 140, 0),
    ]
    body = (
        "The `Cookies` handler now lives in the contrib crate.\n\nThis is a breaking change: import it from `contrib`."
    )
    result = triage(commit("Move the `Cookies` handler to the contrib crate", files, body=body))
    assert (result.change_type, result.breaking) == (T.FEATURE, True)


# --- unprefixed titles: formatters, licences, the ML optimizer, "avoid ... twice"


@pytest.mark.parametrize(
    ("subject", "files", "expected"),
    [
        ("Run perltidy over the test harness", [("t/lib/Harness.pm", 30, 30)], T.STYLE),
        ("Switch the license to MPL-2.0", [("LICENSE", 373, 201), ("src/main.c", 1, 1)], T.CHORE),
        ("Relicense the SDK under Apache-2.0", [("sdk/LICENSE", 200, 21), ("sdk/client.go", 1, 1)], T.CHORE),
        ("Support the Lion optimizer in the trainer", [("trainer/optim.py", 60, 4)], T.FEATURE),
        ("Avoid hashing the request body twice in the signer", [("signer/sign.go", 12, 20)], T.PERF),
    ],
)
def test_unprefixed_title_words(subject: str, files: list[File], expected: ChangeType) -> None:
    assert judged(subject, files)[0] is expected


def test_a_library_vendored_under_underscore_vendor_is_a_dependency() -> None:
    files: list[File] = [("src/tool/_vendor/idna/core.py", 8, 3), ("src/tool/_vendor/vendor.txt", 1, 1)]
    assert judged("Upgrade idna to 3.10", files) == (T.DEPS, LOW)


# --- interface signals outside Python and Rust (patch shapes)


def _patch(path: str, body: str) -> str:
    return with_diff_header(path, body)


def _signal(files: list[File], patches: dict[str, str], subject: str = "Adjust the build options"):  # type: ignore[no-untyped-def]
    full = {path: _patch(path, body) for path, body in patches.items()}
    return triage(commit(subject, files, patches=full))


def test_a_cmake_option_default_flip_is_a_new_default() -> None:
    body = (
        "@@ -12,3 +12,3 @@ project(zstd-bridge C)\n"
        ' option(ZB_BUILD_SHARED "Build the shared library" ON)\n'
        '-option(ZB_USE_ASM "Use the assembly kernels" ON)\n'
        '+option(ZB_USE_ASM "Use the assembly kernels" OFF)\n'
    )
    result = _signal([("CMakeLists.txt", 1, 1)], {"CMakeLists.txt": body})
    change = result.signals.interfaces[0]
    assert (change.kind, change.name, change.change) == ("config_key", "ZB_USE_ASM", "default_changed")
    assert (change.old_default, change.new_default) == ("ON", "OFF")
    assert result.floor is MEDIUM and result.change_type is T.FEATURE


def test_a_removed_cmake_option_is_breaking() -> None:
    body = '@@ -30,2 +30,1 @@\n-option(ZB_LEGACY_API "Keep the 1.x entry points" OFF)\n set(ZB_VERSION 2.0)\n'
    result = _signal([("cmake/options.cmake", 0, 1)], {"cmake/options.cmake": body}, "Tidy the option list")
    assert result.breaking and result.floor is HIGH and result.change_type is T.FEATURE


@pytest.mark.parametrize(
    ("path", "before", "after", "name"),
    [
        ("server/flags.cc", 'DEFINE_int32(max_inflight, 64, "…");', 'DEFINE_int32(max_inflight, 256, "…");',
         "--max_inflight"),
        ("server/flags.cc", 'ABSL_FLAG(bool, use_mmap, true, "…");', 'ABSL_FLAG(bool, use_mmap, false, "…");',
         "--use_mmap"),
    ],
)  # fmt: skip
def test_gflags_and_absl_flag_defaults(path: str, before: str, after: str, name: str) -> None:
    result = _signal([(path, 1, 1)], {path: f"@@ -5,1 +5,1 @@\n-{before}\n+{after}\n"})
    change = result.signals.interfaces[0]
    assert (change.kind, change.name, change.change) == ("cli_flag", name, "default_changed")


def test_a_java_option_default_on_its_own_line() -> None:
    body = (
        "@@ -88,6 +88,6 @@ public final class QueryOptions extends OptionsBase {\n"
        "   @Option(\n"
        '       name = "experimental_parallel_fetch",\n'
        "       documentationCategory = OptionDocumentationCategory.UNCATEGORIZED,\n"
        '-      defaultValue = "false",\n'
        '+      defaultValue = "true",\n'
        '       help = "Fetch in parallel.")\n'
        "   public boolean parallelFetch;\n"
    )
    path = "src/main/java/org/example/query/QueryOptions.java"
    result = _signal([(path, 1, 1)], {path: body}, "Enable parallel fetching")
    change = result.signals.interfaces[0]
    assert (change.name, change.change, change.old_default, change.new_default) == (
        "--experimental_parallel_fetch",
        "default_changed",
        '"false"',
        '"true"',
    )


def test_a_spring_property_default() -> None:
    path = "service/src/main/java/org/example/PoolConfig.java"
    body = '@@ -14,1 +14,1 @@\n-    @Value("${pool.max-size:16}")\n+    @Value("${pool.max-size:64}")\n'
    change = _signal([(path, 1, 1)], {path: body}).signals.interfaces[0]
    assert (change.kind, change.name, change.new_default) == ("config_key", "pool.max-size", "64")


def test_an_untyped_title_whose_body_closes_a_bug_is_a_fix() -> None:
    body = "Oracle rejects an empty IN list; render a false predicate instead.\n\nFixes: #4411\n"
    files: list[File] = [("lib/dialects/oracle/compiler.py", 9, 1), ("docs/changes/4411.rst", 4, 0)]
    assert judged("render empty IN lists as 1 != 1 on Oracle", files, body=body) == (T.FIX, MEDIUM)


def test_a_major_bump_of_a_developers_only_dependency_stays_low() -> None:
    bump = "Bump hypothesis from 5.49.0 to 6.0.0"
    assert judged(bump, [("requirements/dev-lint.txt", 1, 1)]) == (T.DEPS, LOW)
    assert judged(bump, [("docs/requirements.txt", 1, 1)]) == (T.DEPS, LOW)
    # the same bump in what users install weighs as a major one
    assert judged("Bump attrs from 23.2.0 to 24.1.0", [("requirements.txt", 1, 1)]) == (T.DEPS, MEDIUM)
