"""The general rules added after the second held-out set (issue 13, "triage that generalises"), each
tested on shapes that none of the labelled or held-out sets holds: other projects, other wording, other
files. Every test gives the expected type and level."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from commitwatch.models import ChangeType, Commit, FileChange, Importance, Person
from commitwatch.triage import triage

T = ChangeType
HIGH, MEDIUM, LOW = Importance.HIGH, Importance.MEDIUM, Importance.LOW
WHEN = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

File = tuple[str, int, int] | tuple[str, str, int, int]


def commit(
    subject: str,
    files: list[File],
    *,
    body: str = "",
    parents: int = 1,
    patches: dict[str, str] | None = None,
    author: tuple[str, str] = ("Grace Hopper", "grace@example.org"),
) -> Commit:
    person = Person(*author)
    patches = patches or {}
    changes = []
    for spec in files:
        status, path, adds, dels = spec if len(spec) == 4 else ("M", *spec)  # type: ignore[misc]
        changes.append(FileChange(path, status, adds, dels, patch=patches.get(path)))  # type: ignore[arg-type]
    return Commit(
        sha="c" * 40,
        parents=tuple(f"{i + 7:040x}" for i in range(parents)),
        author=person,
        authored_at=WHEN,
        committer=person,
        committed_at=WHEN,
        subject=subject,
        body=body,
        files=tuple(changes),
        patches_collected=bool(patches),
    )


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
