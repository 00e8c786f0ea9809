"""The parsers of git's output, fed by real git (and a few hand-written edge cases)."""

from __future__ import annotations

import io
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from commitwatch.errors import SourceError
from commitwatch.models import Window
from commitwatch.sources import PatchLimits, open_repository, resolve_repo
from commitwatch.sources.git import apply_patches, decode_path, patches_by_path, split_message
from commitwatch.sources.logparse import (
    FilePatch,
    RawEntry,
    nul_tokens,
    parse_log,
    parse_patches,
    section_path,
    unquote_c,
)
from commitwatch.sources.runner import Git
from tests.gitrepo import GitRepo

EVER = Window(datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc), "UTC")

# Bytes that break naive parsers: separators, quoting, whitespace, non-ASCII and invalid UTF-8.
_PIECES = [*b"a Z 1 : - b/ a/".split(), b" ", b"\t", b"\n", b'"', b"\\", b"\x1e", b"\x1f", b"\x01", b"\x7f"]
_NAME_BYTES = st.sampled_from([*_PIECES, "é".encode(), "中".encode(), b"\xe9", b"\xff"])
NAMES = (
    st.lists(_NAME_BYTES, min_size=1, max_size=8)
    .map(b"".join)
    .filter(lambda n: n not in (b".", b"..") and not n.endswith(b"/") and b"//" not in n and not n.startswith(b"/"))
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES)
def test_any_file_name_round_trips(tmp_path_factory: pytest.TempPathFactory, name: bytes) -> None:
    root = tmp_path_factory.mktemp("names")
    repo = GitRepo.create(root / "r")
    repo.write(b"dir/" + name, b"hello\n")
    repo.write("other.txt", "x\n")
    repo.commit("add")
    (commit,) = open_repository(resolve_repo(str(repo.path)), root / "cache").collect(None, EVER)
    paths = [f.path for f in commit.files]
    assert decode_path(b"dir/" + name) in paths
    (change,) = [f for f in commit.files if f.path == decode_path(b"dir/" + name)]
    assert change.additions == 1 and change.patch is not None and "+hello\n" in change.patch

    # The by-path fallback understands git's quoting of the same name.
    git = Git(cwd=repo.path)
    with git.stream("log", "-p", "-1", "--format=%x1e%H") as out:
        ((_sha, patches),) = list(parse_patches(out, PatchLimits()))
    assert sorted(section_path(p.header) or b"?" for p in patches) == sorted([b"dir/" + name, b"other.txt"])


def test_nul_tokens_across_chunk_boundaries() -> None:
    data = b"\x1eabc\0def\0\0gh\0i"
    for size in (1, 2, 3, 64):
        assert list(nul_tokens(io.BytesIO(data), chunk_size=size)) == [b"\x1eabc", b"def", b"", b"gh", b"i"]


def test_parse_log_rejects_garbage() -> None:
    with pytest.raises(SourceError) as info:
        list(parse_log([b"not a header"], header_fields=1))
    assert info.value.hint


@pytest.mark.parametrize(
    ("quoted", "raw"),
    [
        (b'"a\\tb"', b"a\tb"),
        (b'"new\\nline"', b"new\nline"),
        (b'"quo\\"te"', b'quo"te'),
        (b'"back\\\\slash"', b"back\\slash"),
        (b'"caf\\351"', b"caf\xe9"),
        (b'"\\344\\270\\255"', "中".encode()),
        (b"plain", b"plain"),
    ],
)
def test_unquote_c(quoted: bytes, raw: bytes) -> None:
    assert unquote_c(quoted) == raw


@pytest.mark.parametrize(
    ("header", "path"),
    [
        (b"diff --git a/x b/x\n", b"x"),
        (b"diff --git a/with space b/with space\n", b"with space"),
        (b"diff --git a/a b/c b/a b/c\n", b"a b/c"),
        (b'diff --git "a/t\\tab" "b/t\\tab"\n', b"t\tab"),
        (b'diff --git a/old "b/new \\"x\\""\n', b'new "x"'),
        (b"diff --git a/old b/new\n", None),  # a plain rename: ambiguous, matched by order instead
    ],
)
def test_section_path(header: bytes, path: bytes | None) -> None:
    assert section_path(header) == path


def _entry(path: bytes, status: str = "M") -> RawEntry:
    return RawEntry(status, "100644", "100644", "1" * 40, "2" * 40, path)


def _patch(header: bytes, text: str | None, added: int = 1, deleted: int = 0) -> FilePatch:
    return FilePatch(header, text, added, deleted, False)


def test_patches_match_by_order_and_carry_line_counts() -> None:
    entries = [_entry(b"x", "T"), _entry(b"y")]
    patches = [_patch(b"h", "del\n", 0, 3), _patch(b"h", "add\n", 1, 0), _patch(b"h", "Y", 2, 2)]
    assert apply_patches(entries, patches) == ["del\nadd\n", "Y"]
    assert [(e.additions, e.deletions) for e in entries] == [(1, 3), (2, 2)]


def test_patches_do_not_match_by_order_when_counts_disagree() -> None:
    entries = [_entry(b"a"), _entry(b"b c"), _entry(b"d")]
    patches = [_patch(b"diff --git a/a b/a\n", "A"), _patch(b"diff --git a/d b/d\n", "D")]
    assert apply_patches(entries, patches) is None
    assert patches_by_path(entries, patches) == ["A", None, "D"]


def test_line_counts_from_the_patch_stream() -> None:
    stream = io.BytesIO(
        b"\x1e" + b"a" * 40 + b"\n\n"
        b"diff --git a/f b/f\nindex 1..2 100644\n--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-old\n+new\n ctx\n"
        b"@@ -9 +9,2 @@\n+more\n+-dash\n\\ No newline at end of file\n"
        b"diff --git a/img b/img\nindex 1..2 100644\nBinary files a/img and b/img differ\n"
        b"\x1e" + b"b" * 40 + b"\n"
    )
    ((sha, (text, binary)), (empty, files)) = list(parse_patches(stream, PatchLimits()))
    assert sha == "a" * 40 and empty == "b" * 40 and files == []
    assert (text.additions, text.deletions, text.binary) == (3, 1, False)
    assert (binary.additions, binary.deletions, binary.binary) == (0, 0, True)
    assert text.text is not None and text.text.endswith("\\ No newline at end of file\n")


def test_merges_get_counts_without_text() -> None:
    stream = io.BytesIO(b"\x1e" + b"c" * 40 + b"\n\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -0,0 +1 @@\n+x\n")
    ((_sha, (merged,)),) = list(parse_patches(stream, PatchLimits(), counts_only={"c" * 40}))
    assert (merged.text, merged.additions) == (None, 1)


@pytest.mark.parametrize(
    ("message", "subject", "body"),
    [
        ("", "", ""),
        ("fix: x", "fix: x", ""),
        ("fix: x\n", "fix: x", ""),
        ("fix: x\n\nbody\n\nmore\n", "fix: x", "body\n\nmore"),
        ("\n\nleading blanks\n\nbody", "leading blanks", "body"),
        ("wrapped subject\ncontinues\n\nbody", "wrapped subject continues", "body"),
        ("crlf\r\n\r\nbody\r\n", "crlf", "body"),
    ],
)
def test_split_message(message: str, subject: str, body: str) -> None:
    assert split_message(message) == (subject, body)


def test_subject_matches_git_percent_s(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.write("a", "1\n")
    repo.commit("a wrapped\nsubject line\n\nthe body\n")
    (commit,) = open_repository(resolve_repo(str(repo.path)), tmp_path / "c").collect(None, EVER)
    assert commit.subject == repo.git("log", "-1", "--format=%s").rstrip("\n") == "a wrapped subject line"
    assert commit.body == repo.git("log", "-1", "--format=%b").strip() == "the body"


# Lines that look like the markers the patch parser reacts to, plus ordinary ones.
_TRICKY_LINES = st.sampled_from(
    ["x", "y", "", "+plus", "-minus", "@@ -1 +1 @@", "diff --git a/f b/f", "\x1e" + "a" * 40, "Binary files x",
     "\\ No newline", "--- a/f", "+++ b/f", "tab\there", "中文", "crlf\r"]
)  # fmt: skip
_CONTENT = st.tuples(st.lists(_TRICKY_LINES, max_size=30), st.booleans())


def _render(content: tuple[list[str], bool]) -> str:
    lines, final_newline = content
    text = "\n".join(lines)
    return text + "\n" if final_newline and lines else text


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=st.lists(_CONTENT, min_size=3, max_size=3), after=st.lists(_CONTENT, min_size=3, max_size=3))
def test_counts_from_patches_equal_numstat(
    tmp_path_factory: pytest.TempPathFactory, before: list[tuple[list[str], bool]], after: list[tuple[list[str], bool]]
) -> None:
    root = tmp_path_factory.mktemp("counts")
    repo = GitRepo.create(root / "r")
    for i, content in enumerate(before):
        repo.write(f"f{i}.txt", _render(content))
    repo.write("keep", "k\n")
    repo.commit("before")
    for i, content in enumerate(after):
        repo.write(f"f{i}.txt", _render(content))
    repo.write("keep", "k\nk\n")
    repo.commit("after")
    opened = open_repository(resolve_repo(str(repo.path)), root / "cache")
    with_patches = opened.collect(None, EVER, patches=True)
    numstat = opened.collect(None, EVER, patches=False)
    assert [[(f.path, f.additions, f.deletions, f.binary) for f in c.files] for c in with_patches] == [
        [(f.path, f.additions, f.deletions, f.binary) for f in c.files] for c in numstat
    ]
