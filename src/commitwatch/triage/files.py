"""What a commit's files are: each path's category (source, test, docs, lockfile, generated ...), its area
(the directory a reader groups it under), and what the files of one commit add up to.

Linear in the number of files: big commits put thousands of paths through here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from commitwatch.models import ChangeType, DirStat, FileCategory, FileChange

T = ChangeType
C = FileCategory

SOURCE_EXTENSIONS = frozenset({
    "py", "pyi", "pyx", "pxd", "rs", "go", "c", "cc", "cpp", "cxx", "c++", "h", "hh", "hpp", "hxx", "inl",
    "cu", "cuh", "metal", "proto", "thrift", "fbs", "capnp", "ts", "tsx", "js", "jsx", "mjs", "cjs", "java",
    "kt", "swift", "scala", "rb", "sh", "bash", "zsh", "ps1", "lua", "php", "cs", "m", "mm", "dart", "ex",
    "exs", "erl", "hs", "ml", "jl", "r", "sql", "vue", "svelte", "zig", "nim", "ptx", "s", "asm", "cl",
    "glsl", "hlsl", "wgsl", "mlir", "td", "ll", "f90", "pl", "pm", "groovy", "clj", "elm", "fs", "v", "sv",
    "graphql", "gql", "triton", "cmm",
})  # fmt: skip
DOCS_EXTENSIONS = frozenset({"md", "mdx", "rst", "adoc", "asciidoc", "ipynb", "tex", "rdoc", "org"})
DOCS_DIRS = frozenset({"docs", "doc", "documentation", "fern"})
DOCS_NAMES = (
    "readme", "changelog", "changes", "history", "news", "license", "licence", "copying", "notice",
    "authors", "contributors", "contributing", "code_of_conduct", "security", "support", "citation",
    "release-notes", "release_notes", "releasenotes", "relnotes",
)  # fmt: skip
CONFIG_EXTENSIONS = frozenset({
    "yaml", "yml", "toml", "json", "jsonc", "json5", "ini", "cfg", "conf", "env", "properties", "xml",
    "tpl", "gotmpl", "plist", "hcl", "tf", "tfvars", "editorconfig", "j2", "jinja", "jinja2",
})  # fmt: skip
BINARY_EXTENSIONS = frozenset({
    "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "avif", "heic", "psd", "pdf",
    "so", "dylib", "dll", "a", "o", "obj", "lib", "exe", "bin", "dat", "safetensors", "pt", "pth", "ckpt",
    "onnx", "gguf", "ggml", "engine", "plan", "npy", "npz", "pkl", "pickle", "h5", "hdf5", "tflite", "whl",
    "egg", "zip", "tar", "gz", "tgz", "bz2", "xz", "zst", "7z", "rar", "jar", "war", "class", "pyc", "pyo",
    "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4", "wav", "flac", "ogg", "mov", "avi", "mkv", "webm",
    "db", "sqlite", "sqlite3", "parquet", "arrow", "feather", "lockb", "wasm", "mo",
})  # fmt: skip
LOCKFILE_NAMES = frozenset({
    "cargo.lock", "go.sum", "go.work.sum", "uv.lock", "package-lock.json", "npm-shrinkwrap.json",
    "yarn.lock", "pnpm-lock.yaml", "poetry.lock", "pipfile.lock", "composer.lock", "gemfile.lock",
    "pdm.lock", "flake.lock", "chart.lock", "package.resolved", "pubspec.lock", "mix.lock", "bun.lockb",
    "packages.lock.json", "gradle.lockfile", "conda-lock.yml", "podfile.lock", "cartfile.resolved",
})  # fmt: skip
VENDORED_DIRS = frozenset(
    {"vendor", "_vendor", "vendored", "third_party", "third-party", "thirdparty", "3rdparty", "node_modules"}
)
GENERATED_DIRS = frozenset({"generated", "__generated__", "__snapshots__"})
GENERATED_SUFFIXES = (
    "_pb2.py", "_pb2.pyi", "_pb2_grpc.py", ".pb.go", ".pb.cc", ".pb.h", ".pb.gw.go", ".min.js", ".min.css",
    ".snap", "_generated.go", ".g.dart", ".designer.cs", ".js.map", ".css.map",
)  # fmt: skip
_GENERATED_EXTENSIONS = frozenset(suffix.rpartition(".")[2] for suffix in GENERATED_SUFFIXES)
CI_FILES = frozenset({
    ".gitlab-ci.yml", ".gitlab-ci.yaml", ".pre-commit-config.yaml", ".pre-commit-config.yml", ".travis.yml",
    "azure-pipelines.yml", "azure-pipelines.yaml", ".drone.yml", "appveyor.yml", "bitbucket-pipelines.yml",
    "cloudbuild.yaml", "cloudbuild.yml", "codecov.yml", ".codecov.yml", ".mergify.yml",
})  # fmt: skip
CI_DIRS = frozenset({
    ".github", ".buildkite", ".circleci", ".gitlab", ".ci", "ci", ".woodpecker", ".tekton", "jenkins", ".jenkins",
})  # fmt: skip
TEST_DIRS = frozenset({
    "tests", "test", "testing", "__tests__", "spec", "specs", "testdata", "test_data", "test-data", "e2e",
    "benchmarks", "benchmark", "bench", "benches", "integration_tests", "unittests", "unit_tests",
    "mdtest", "mdtests", "fixtures", "__fixtures__", "snapshots", "test_utils", "test-utils", "testutils",
    "test_cases", "pytests", "ui_tests", "regression_tests",
})  # fmt: skip
# Source files that only declare an interface (a docstring change there is documentation).
STUB_SUFFIXES = (".pyi", ".d.ts", ".d.mts", ".d.cts")
_TEST_NAME_RE = re.compile(
    r"^(?:test_.+\.pyx?|.+_tests?\.(?:py|go|rs|c|cc|cpp|cu|h|hpp|rb|exs)|conftest\.py"
    r"|.+\.(?:test|spec)\.[cm]?[jt]sx?|.+_spec\.rb)$"
)
_JVM_TEST_RE = re.compile(r"(?:Test|Tests|IT|Spec)\.(?:java|kt|scala|swift|groovy)$")
BUILD_NAMES = frozenset({
    "cmakelists.txt", "makefile", "gnumakefile", "meson.build", "meson_options.txt", "build", "build.bazel",
    "workspace", "workspace.bazel", "module.bazel", ".bazelrc", ".bazelversion", "setup.py", "setup.cfg",
    "pyproject.toml", "manifest.in", "cargo.toml", "build.rs", "rust-toolchain", "rust-toolchain.toml",
    "go.mod", "go.work", "package.json", "pipfile", "gemfile", "build.gradle", "build.gradle.kts",
    "settings.gradle", "settings.gradle.kts", "gradle.properties", "pom.xml", "environment.yml",
    "environment.yaml", "containerfile", "justfile", "sconstruct", "configure.ac", "vcpkg.json",
    "conanfile.txt", "conanfile.py", "tsconfig.json", ".dockerignore", "docker-compose.yml",
    "docker-compose.yaml", "compose.yml", "compose.yaml", "flake.nix", "default.nix",
})  # fmt: skip
BUILD_EXTENSIONS = frozenset({"cmake", "bzl", "bazel", "mk", "gradle", "gemspec", "dockerfile", "nix"})
# Files that declare dependencies (a change to them alone, with a lockfile, is a dependency update).
DEPENDENCY_MANIFESTS = frozenset({
    "cargo.toml", "go.mod", "go.work", "package.json", "pipfile", "gemfile", "pyproject.toml", "setup.py",
    "setup.cfg", "pom.xml", "build.gradle", "build.gradle.kts", "environment.yml", "environment.yaml",
    "module.bazel", "workspace", "chart.yaml", ".gitmodules", "vcpkg.json", "conanfile.txt", "deps",
})  # fmt: skip

# Directory names (and file stems) where the engine of a project usually lives.
CORE_NAMES = frozenset({
    "core", "engine", "engines", "runtime", "kernels", "kernel", "csrc", "scheduler", "sched", "executor",
    "model_executor", "attention", "distributed", "transports", "transport", "ops", "kv_cache", "mem_cache",
    "block_manager", "allocator", "sampler", "kvbm", "kv_router", "worker", "memory", "cuda", "layers",
})  # fmt: skip
# Public API and protocol surfaces.
API_EXTENSIONS = frozenset({"proto", "thrift", "fbs", "capnp", "pyi", "graphql", "gql", "avsc"})
API_DIRS = frozenset({"api", "apis", "protocol", "protocols", "bindings", "include", "crds", "openapi"})
API_STEMS = frozenset({"protocol", "api", "public_api", "openapi", "swagger", "schema"})

# Directories that only hold other directories: they do not count as a level in ``top_dirs``.
FILLER_DIRS = frozenset({
    "src", "lib", "libs", "pkg", "pkgs", "packages", "crates", "components", "python", "internal", "cmd",
    "source", "sources", "modules", "apps", "services", "plugins",
})  # fmt: skip
# After these, the next directory is the package name (``src/commitwatch``, ``python/sglang``).
PACKAGE_PARENTS = frozenset({"src", "python"})
NOISE_CATEGORIES = frozenset({C.LOCKFILE, C.GENERATED, C.VENDORED, C.BINARY})
TOP_DIRS_LIMIT = 8


# --- file classification -----------------------------------------------------------------------------


class FilePath:
    """A path split once, with what every rule reads: parts as written, lower-case directories, name,
    extension and stem. (A plain slotted class: big commits parse thousands of these.)"""

    __slots__ = ("dirs", "ext", "name", "parts", "stem")

    def __init__(self, path: str) -> None:
        clean = path  # git separates with "/" only; a backslash is part of a name
        while clean.startswith("./"):
            clean = clean[2:]
        parts = clean.split("/")
        if "" in parts:
            parts = [part for part in parts if part]
        self.parts: tuple[str, ...] = tuple(parts)
        lowered = clean.lower().split("/")
        if "" in lowered:
            lowered = [part for part in lowered if part]
        self.dirs: tuple[str, ...] = tuple(lowered[:-1])
        self.name: str = lowered[-1] if lowered else ""
        stem, dot, ext = self.name.rpartition(".")
        self.ext: str = ext if dot and stem else ""
        self.stem: str = self.name.partition(".")[0]


def _is_requirements(path: FilePath) -> bool:
    """``requirements*.txt``, ``constraints.txt``, ``requirements/cuda.txt``."""
    return path.ext in ("txt", "in") and (
        path.name.startswith(("requirements", "constraints")) or "requirements" in path.dirs
    )


def _is_build_file(path: FilePath) -> bool:
    name = path.name
    return (
        name in BUILD_NAMES or path.ext in BUILD_EXTENSIONS or name.startswith("dockerfile") or _is_requirements(path)
    )


def _is_generated(path: FilePath) -> bool:
    name = path.name
    return (
        (path.ext in _GENERATED_EXTENSIONS and name.endswith(GENERATED_SUFFIXES))
        or ".generated." in name
        or name.startswith("zz_generated")
        or not GENERATED_DIRS.isdisjoint(path.dirs)
    )


# Directories that hold the commands of a tool: ``cli/tools/test/mod.rs`` is the source of a test runner.
COMMAND_DIRS = frozenset({"tools", "commands", "command", "cmd", "subcommands", "subcommand"})
# ``conda-linux-64_conda.lock``, ``debian_32bit_lock.txt``, ``requirements.lock.txt``: lockfiles by shape.
_LOCK_NAME_RE = re.compile(r"(?:^|[._-])lock(?:file)?\.(?:txt|ya?ml|json|toml)$")


def _test_dirs(path: FilePath) -> bool:
    for index, part in enumerate(path.dirs):
        if part in TEST_DIRS and not (index and path.dirs[index - 1] in COMMAND_DIRS and path.ext in SOURCE_EXTENSIONS):
            return True
    return False


def _is_test(path: FilePath) -> bool:
    return (
        _test_dirs(path)
        or _TEST_NAME_RE.match(path.name) is not None
        or _JVM_TEST_RE.search(path.parts[-1]) is not None
    )


def classify_path(path: FilePath, binary: bool) -> FileCategory:
    if not path.parts:
        return C.OTHER
    name, ext, dirs = path.name, path.ext, path.dirs
    if binary or ext in BINARY_EXTENSIONS:
        return C.BINARY
    if not VENDORED_DIRS.isdisjoint(dirs):
        return C.VENDORED
    if _is_generated(path):
        return C.GENERATED
    if name in LOCKFILE_NAMES or ext in ("lock", "lockfile") or _LOCK_NAME_RE.search(name):
        return C.LOCKFILE
    if name in CI_FILES or name.startswith("jenkinsfile") or not CI_DIRS.isdisjoint(dirs):
        return C.DOCS if dirs[:1] == (".github",) and ext in DOCS_EXTENSIONS else C.CI
    if not DOCS_DIRS.isdisjoint(dirs):
        return C.DOCS
    if _is_test(path):
        return C.TEST
    if ext in DOCS_EXTENSIONS or path.stem in DOCS_NAMES:
        return C.DOCS
    if _is_build_file(path):
        return C.BUILD
    if ext in SOURCE_EXTENSIONS:
        return C.SOURCE
    if ext in CONFIG_EXTENSIONS or (name.startswith(".") and name.count(".") == 1) or "templates" in dirs:
        return C.CONFIG
    return C.OTHER


def classify_file(path: str, binary: bool = False) -> FileCategory:
    """The category of one path. Rules apply in order: binary, vendored, generated, lockfile, CI, docs
    directories, tests (before source: ``tests/x.py`` is a test), docs by name, build, source, config."""
    return classify_path(FilePath(path), binary)


def _is_dependency_manifest(path: FilePath) -> bool:
    return path.name in DEPENDENCY_MANIFESTS or path.name.startswith("dockerfile") or _is_requirements(path)


def _area(path: FilePath) -> str:
    """The directory a path is grouped under: its first one or two meaningful directories, with the
    filler directories before them kept for context (``lib/mocker``, ``components/src/dynamo/trtllm``,
    ``vllm/model_executor``, ``sgl-router``); ``.`` for files at the root.

    A filler (``src``, ``lib``, ``components`` ...) and the package name right after ``src/`` or
    ``python/`` do not count as a level; a filler after a meaningful directory ends the area
    (``sgl-router/src/policies`` is ``sgl-router``)."""
    taken = 0
    meaningful = 0
    filler_seen = False
    previous = ""
    for lowered in path.dirs[:6]:
        filler = lowered in FILLER_DIRS or previous in PACKAGE_PARENTS
        if filler and meaningful:
            break
        taken += 1
        if filler:
            filler_seen = True
        else:
            meaningful += 1
            if meaningful == 2 or filler_seen:
                break
        previous = lowered
    return "/".join(path.parts[:taken]) if taken else "."


def _is_core_path(path: FilePath) -> bool:
    return path.stem in CORE_NAMES or not CORE_NAMES.isdisjoint(path.dirs)


def _is_api_file(path: FilePath) -> bool:
    return path.ext in API_EXTENSIONS or path.stem in API_STEMS or not API_DIRS.isdisjoint(path.dirs)


def dir_stats(
    files: Sequence[FileChange], categories: Sequence[FileCategory], areas: Sequence[str], limit: int | None
) -> tuple[DirStat, ...]:
    keep = [category not in NOISE_CATEGORIES for category in categories]
    if not any(keep):
        keep = [True] * len(files)
    totals: dict[str, list[int]] = {}
    for change, area, kept in zip(files, areas, keep, strict=True):
        if kept:
            row = totals.setdefault(area, [0, 0, 0])
            row[0] += 1
            row[1] += change.additions
            row[2] += change.deletions
    ordered = sorted(totals.items(), key=lambda item: (-(item[1][1] + item[1][2]), item[0]))
    if limit is not None:
        ordered = ordered[: max(limit, 0)]
    return tuple(DirStat(path, n, adds, dels) for path, (n, adds, dels) in ordered)


def top_dirs(
    files: Sequence[FileChange], categories: Sequence[FileCategory], limit: int | None = TOP_DIRS_LIMIT
) -> tuple[DirStat, ...]:
    """Changed lines by area (see ``_area``), most changed first, then by path; at most ``limit`` rows
    (``categories`` is parallel to ``files``, as ``classify_file`` gives them;
    ``limit=None`` for all). Lockfiles, generated, vendored and binary files are left out unless nothing else
    changed, so a regenerated ``Cargo.lock`` does not hide the code."""
    return dir_stats(files, categories, [_area(FilePath(f.path)) for f in files], limit)


@dataclass(slots=True)
class FileSummary:
    """What the files of a commit add up to."""

    categories: tuple[FileCategory, ...]
    count: int = 0
    source_lines: int = 0
    source_files: int = 0
    new_source_lines: int = 0  # lines of source files the commit adds (new modules, new kernels)
    other_lines: int = 0  # outside source, lockfiles, generated, vendored and binary files
    other_files: int = 0
    manifest_lines: int = 0
    areas: list[str] = field(default_factory=list)  # the area of each file (parallel to categories)
    source_areas: list[str] = field(default_factory=list)  # areas with source changes, most changed first
    core_path: str | None = None
    core_lines: int = 0
    api_path: str | None = None
    has_lockfile: bool = False
    has_vendored: bool = False
    has_ci: bool = False
    only_dependency_files: bool = False  # manifests, lockfiles, vendored trees
    stub_only: bool = False  # every source file is a stub (``.pyi``, ``.d.ts``)
    comment_only: bool = False  # source changed, and its patches change comments and docstrings only
    composition: ChangeType | None = None  # the type of a docs/tests/CI/build/config-only change
    composition_key: str | None = None


# A commit whose files all fall in one of these sets is typed (or weighed) by them.
COMPOSITIONS: tuple[tuple[frozenset[FileCategory], ChangeType, str], ...] = (
    (frozenset({C.DOCS}), T.DOCS, "only_docs"),
    (frozenset({C.TEST}), T.TEST, "only_tests"),
    (frozenset({C.CI}), T.CI, "only_ci"),
    (frozenset({C.BUILD, C.LOCKFILE}), T.BUILD, "only_build"),
    (frozenset({C.CONFIG}), T.CHORE, "only_config"),
    (frozenset({C.GENERATED, C.VENDORED, C.BINARY, C.LOCKFILE}), T.CHORE, "only_generated"),
)
# File-typed changes that overrule a code type named in the title.
OVERRULING = frozenset({T.DOCS, T.TEST, T.CI})


def summarise_files(files: Sequence[FileChange]) -> FileSummary:
    paths = [FilePath(f.path) for f in files]
    categories = tuple(classify_path(path, f.binary) for path, f in zip(paths, files, strict=True))
    summary = FileSummary(categories, count=len(files))
    area_cache: dict[tuple[str, ...], str] = {}  # big commits put many files in few directories
    area_lines: dict[str, int] = {}
    dependency_only = bool(files)
    for change, path, category in zip(files, paths, categories, strict=True):
        area = area_cache.get(path.parts[:-1])
        if area is None:
            area = area_cache[path.parts[:-1]] = _area(path)
        summary.areas.append(area)
        lines = change.changed_lines
        if category is C.SOURCE:
            summary.source_lines += lines
            summary.source_files += 1
            if change.status == "A":
                summary.new_source_lines += lines
            area_lines[area] = area_lines.get(area, 0) + lines
            if _is_core_path(path):
                summary.core_path = summary.core_path or change.path
                summary.core_lines += lines
        elif category not in NOISE_CATEGORIES:
            summary.other_lines += lines
            summary.other_files += 1
        if summary.api_path is None and category in (C.SOURCE, C.CONFIG) and _is_api_file(path):
            summary.api_path = change.path
        summary.has_lockfile = summary.has_lockfile or category is C.LOCKFILE
        summary.has_vendored = summary.has_vendored or category is C.VENDORED
        summary.has_ci = summary.has_ci or category is C.CI
        if _is_dependency_manifest(path):
            summary.manifest_lines += lines
        elif category not in (C.LOCKFILE, C.VENDORED):
            dependency_only = False
    summary.only_dependency_files = dependency_only
    sources = [f for f, category in zip(files, categories, strict=True) if category is C.SOURCE]
    summary.stub_only = bool(sources) and all(f.path.lower().endswith(STUB_SUFFIXES) for f in sources)
    summary.comment_only = bool(sources) and all(f.patch is not None and prose_only(f.patch) for f in sources)
    summary.source_areas = sorted(area_lines, key=lambda a: (-area_lines[a], a))
    present = frozenset(categories)
    for allowed, kind, key in COMPOSITIONS:
        if present and present <= allowed:
            summary.composition, summary.composition_key = kind, key
            break
    return summary


# Lines that are comments or docstring prose in most languages.
_COMMENT_RE = re.compile(r"""^\s*(?:#|//|/\*|\*|--|;|<!--|\"\"\"|\'\'\'|r\"\"\")""")
_CODE_RE = re.compile(r"[=;{}]|\b(?:def|class|import|return|fn|let|pub|func|const|var|struct|impl|if|for|while)\b|\w\(")
PROSE_SCAN_LIMIT = 200_000  # characters of one patch read; a longer patch is not comment-only


def prose_only(patch: str) -> bool:
    """Whether a unified diff changes only comments, docstrings and blank lines (a cheap reading: a
    changed line counts as prose when it is a comment, or has no code in it while a docstring is open)."""
    if len(patch) > PROSE_SCAN_LIMIT:
        return False
    changed = 0
    in_docstring = False
    for line in patch.splitlines():
        if line.startswith(("+++", "---", "diff --git", "@@", "index ", "new file", "deleted file", "similarity")):
            in_docstring = False if line.startswith("@@") else in_docstring
            continue
        text = line[1:]
        quotes = text.count('"""') + text.count("'''")
        if line[:1] in "+-":
            changed += 1
            stripped = text.strip()
            prose = not stripped or _COMMENT_RE.match(text) is not None or (in_docstring and not _CODE_RE.search(text))
            if not prose and not (quotes and not _CODE_RE.search(text.replace('"""', "").replace("'''", ""))):
                return False
        if quotes % 2:
            in_docstring = not in_docstring
    return changed > 0
