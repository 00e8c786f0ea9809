"""``--repo`` values: local paths, git URLs, GitHub shorthand."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from commitwatch.errors import SourceError, UsageError
from commitwatch.sources import mirror_path, resolve_repo, slugify
from tests.gitrepo import GitRepo


@pytest.mark.parametrize(
    ("spec", "name", "slug", "github", "url"),
    [
        ("ai-dynamo/dynamo", "ai-dynamo/dynamo", "ai-dynamo-dynamo", "ai-dynamo/dynamo",
         "https://github.com/ai-dynamo/dynamo.git"),
        ("vllm-project/vllm.git", "vllm-project/vllm", "vllm-project-vllm", "vllm-project/vllm",
         "https://github.com/vllm-project/vllm.git"),
        ("https://github.com/sgl-project/sglang", "sgl-project/sglang", "sgl-project-sglang", "sgl-project/sglang",
         "https://github.com/sgl-project/sglang"),
        ("https://github.com/sgl-project/sglang.git/", "sgl-project/sglang", "sgl-project-sglang",
         "sgl-project/sglang", "https://github.com/sgl-project/sglang.git/"),
        ("git@github.com:owner/name.git", "owner/name", "owner-name", "owner/name", "git@github.com:owner/name.git"),
        ("ssh://git@github.com/owner/name.git", "owner/name", "owner-name", "owner/name",
         "ssh://git@github.com/owner/name.git"),
        ("https://gitlab.com/group/sub/proj.git", "sub/proj", "sub-proj", None, "https://gitlab.com/group/sub/proj.git"),
        ("https://gitee.com/owner/name", "owner/name", "owner-name", None, "https://gitee.com/owner/name"),
        ("git://127.0.0.1:9418/x", "x", "x", None, "git://127.0.0.1:9418/x"),
        ("file:///srv/git/tool.git", "git/tool", "git-tool", None, "file:///srv/git/tool.git"),
    ],
)  # fmt: skip
def test_remote_specs(spec: str, name: str, slug: str, github: str | None, url: str) -> None:
    ref = resolve_repo(spec)
    assert (ref.kind, ref.name, ref.slug, ref.github, ref.url, ref.path) == ("remote", name, slug, github, url, None)


def test_github_argument_overrides_detection() -> None:
    ref = resolve_repo("https://mirror.example.com/ai-dynamo/dynamo.git", github="ai-dynamo/dynamo")
    assert ref.github == "ai-dynamo/dynamo"
    assert ref.commit_url("abc") == "https://github.com/ai-dynamo/dynamo/commit/abc"


def test_invalid_github_argument() -> None:
    with pytest.raises(UsageError):
        resolve_repo("owner/name", github="not a repo")


def test_local_path_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = GitRepo.create(tmp_path / "my tool")
    monkeypatch.chdir(tmp_path)
    for spec in (str(repo.path), "./my tool", "my tool", str(repo.path) + "/"):
        ref = resolve_repo(spec)
        assert (ref.kind, ref.name, ref.slug, ref.path, ref.url) == (
            "local", "my tool", "my-tool", str(repo.path), None
        ), spec  # fmt: skip
    assert resolve_repo(str(repo.path / ".git")).name == "my tool"


def test_home_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "code").mkdir()
    ref = resolve_repo("~/code")
    assert (ref.kind, ref.path) == ("local", str(tmp_path / "code"))


def test_existing_directory_wins_over_shorthand(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "owner" / "name").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert resolve_repo("owner/name").kind == "local"
    assert resolve_repo("owner/other").kind == "remote"


def test_bare_repository_name_drops_dot_git(tmp_path: Path) -> None:
    (tmp_path / "tool.git").mkdir()
    assert resolve_repo(str(tmp_path / "tool.git")).name == "tool"


@pytest.mark.parametrize("spec", ["./missing", "../missing", "/definitely/not/here", "~/not-here-either", "word"])
def test_missing_local_paths(spec: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    with pytest.raises(SourceError, match="no such path") as info:
        resolve_repo(spec)
    assert info.value.hint


def test_empty_spec() -> None:
    with pytest.raises(UsageError):
        resolve_repo("  ")


def test_origin_on_github_is_detected(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "r")
    repo.git("remote", "add", "origin", "git@github.com:acme/widget.git")
    assert resolve_repo(str(repo.path)).github == "acme/widget"
    repo.git("remote", "set-url", "origin", "https://gitlab.com/acme/widget.git")
    assert resolve_repo(str(repo.path)).github is None
    assert resolve_repo(str(repo.path), github="acme/widget").github == "acme/widget"


def test_origin_of_a_parent_repository_is_not_borrowed(tmp_path: Path) -> None:
    parent = GitRepo.create(tmp_path / "p")
    parent.git("remote", "add", "origin", "https://github.com/acme/parent.git")
    (parent.path / "inner").mkdir()
    assert resolve_repo(str(parent.path / "inner")).github is None


@pytest.mark.parametrize(
    ("name", "slug"),
    [("ai-dynamo/dynamo", "ai-dynamo-dynamo"), ("café", "cafe"), ("my tool", "my-tool"), ("../..", None)],
)
def test_slug_examples(name: str, slug: str | None) -> None:
    got = slugify(name)
    assert got == slug if slug else got.startswith("repo-")


def test_names_that_lose_characters_stay_apart() -> None:
    assert slugify("工具") != slugify("文件")
    assert slugify("工具").startswith("repo-")
    assert slugify("CON").upper() != "CON"  # a reserved file name on Windows


@given(st.text(max_size=100))
def test_slugs_are_file_name_safe(name: str) -> None:
    slug = slugify(name)
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,80}", slug)
    assert slug not in (".", "..") and not slug.startswith(("-", "."))


def test_mirror_paths_are_distinct_and_safe(tmp_path: Path) -> None:
    a = mirror_path(tmp_path, "https://github.com/owner/name.git")
    b = mirror_path(tmp_path, "https://gitlab.com/owner/name.git")
    c = mirror_path(tmp_path, "https://evil.example/../../etc/passwd")
    assert a != b and a.name.startswith("owner-name-") and b.name.startswith("owner-name-")
    for path in (a, b, c):
        assert path.parent == tmp_path / "mirrors"
        assert re.fullmatch(r"[A-Za-z0-9._-]+", path.name)
