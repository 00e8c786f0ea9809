"""Deterministic triage: change type, importance and the reasons behind them, for one commit.

Triage always runs. It is the offline analyzer (its reasons are what a reader sees when no LLM is
configured), the prior shown to the LLM, the router for analysis depth and diff budget, and the fallback
when the LLM fails. It is pure and fast: no I/O, no state, linear in the number of files (a 5,000-file
commit takes well under 50 ms).

Score scale
-----------
The score starts at ``BASE_SCORE`` (30) and every signal adds or subtracts its weight; the sum is
clamped to 0..100. Levels:

- **high**   score >= 60 (``HIGH_THRESHOLD``)
- **medium** score >= 35 (``MEDIUM_THRESHOLD``)
- **low**    below 35

Each contribution is a ``Reason(key, args, weight)``; the weights of the reasons add up to
``score - BASE_SCORE`` (before clamping), so a reader sees exactly why a commit landed where it did.
Roughly: a plain feature is 40 and a plain fix 38 (medium), docs 18, tests 20, CI 26, dependency bumps 22
(low); source size adds 2..28, core paths and API files 8 each, spread over many areas 5..10, important
bracket tags (``[Kernel]``, ``[Core]``) up to 10, crash-like words 14, breaking markers 25, security 35.

How the type is decided (first rule that applies wins)
------------------------------------------------------
merge commit > revert > security words > release/version bump > dependency bump > the title's own
type (Conventional Commits prefix, scope, typed bracket tag) > PR labels > verbs in the title > what the
files are. A commit that touches only docs, only tests or only CI files is typed by its files when the
title named a code type ("fix: correct GPU counts in README" is a docs change).

Reason keys and their args are listed in ``REASON_KEYS``; every key has a message in
``locales/<lang>/reasons.toml``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from commitwatch.models import (
    ChangeType,
    Commit,
    DirStat,
    FileCategory,
    FileChange,
    Importance,
    Reason,
    Triage,
)

__all__ = [
    "BASE_SCORE",
    "HIGH_THRESHOLD",
    "MEDIUM_THRESHOLD",
    "REASON_KEYS",
    "classify_file",
    "importance_for",
    "top_dirs",
    "triage",
]

BASE_SCORE = 30
HIGH_THRESHOLD = 60
MEDIUM_THRESHOLD = 35

T = ChangeType
C = FileCategory

# Every reason key triage emits, with the names of its args (the locale catalogs must match).
REASON_KEYS: dict[str, tuple[str, ...]] = {
    # what decided the type
    "merge_commit": ("parents",),
    "revert": ("reverted",),
    "reland": ("original",),
    "security_word": ("word",),
    "release_bump": ("version",),
    "dependency_bump": ("name",),
    "only_dependency_files": ("files",),
    "conventional_type": ("prefix", "type"),
    "scope_type": ("scope", "type"),
    "bracket_tags": ("tags", "type"),
    "pr_label": ("label", "type"),
    "title_word": ("word", "type"),
    "only_docs": ("files",),
    "only_tests": ("files",),
    "only_ci": ("files",),
    "only_build": ("files",),
    "only_config": ("files",),
    "only_generated": ("files",),
    "no_type_signal": (),
    "no_files": (),
    # signals from the title, body, labels and author
    "tag_raises": ("tag",),
    "tag_lowers": ("tag",),
    "label_raises": ("label",),
    "label_lowers": ("label",),
    "breaking": ("marker",),
    "severe_bug": ("word",),
    "trivial_word": ("word",),
    "bot_author": ("author",),
    "major_version_bump": ("name", "old", "new"),
    "core_dependency": ("name",),
    "dependency_with_code": ("files",),
    "many_dependencies": ("lines",),
    # signals from the files
    "source_lines": ("lines", "files"),
    "source_spread": ("count", "areas"),
    "core_path": ("path",),
    "api_file": ("path",),
    "no_source_changes": ("files",),
    "large_change": ("lines", "files"),
}

# --- weights -----------------------------------------------------------------------------------------

TYPE_WEIGHTS: dict[ChangeType, int] = {
    T.FEATURE: 10,
    T.FIX: 8,
    T.PERF: 10,
    T.REFACTOR: 2,
    T.SECURITY: 35,
    T.REVERT: 12,
    T.DOCS: -12,
    T.TEST: -10,
    T.CI: -4,
    T.BUILD: -4,
    T.DEPS: -8,
    T.CHORE: -6,
    T.STYLE: -12,
    T.MERGE: -10,
    T.OTHER: 0,
}

# Changed lines in source files -> weight (first row whose minimum is reached, from the top).
SOURCE_LINE_WEIGHTS: tuple[tuple[int, int], ...] = ((2000, 28), (800, 24), (300, 18), (100, 12), (20, 6), (1, 2))
# Changed lines outside source (tests, docs, config; lockfiles and generated files excluded) -> weight.
OTHER_LINE_WEIGHTS: tuple[tuple[int, int], ...] = ((10000, 24), (3000, 18), (800, 12), (300, 6))
# Distinct top-level areas with source changes -> weight (only for changes of 100+ source lines).
SPREAD_WEIGHTS: tuple[tuple[int, int], ...] = ((5, 10), (3, 5))
SPREAD_MIN_LINES = 100

CORE_PATH_WEIGHT = 8
# Core paths count when they hold at least this many of the changed source lines (or all of them).
CORE_MIN_LINES = 20
API_FILE_WEIGHT = 8
BREAKING_WEIGHT = 25
SEVERE_BUG_WEIGHT = 14
TRIVIAL_WORD_WEIGHT = -8
NO_SOURCE_WEIGHT = -3
SECURITY_IN_DOCS_WEIGHT = 8
MAJOR_BUMP_WEIGHT = 14
CORE_DEPENDENCY_WEIGHT = 16
DEPENDENCY_WITH_CODE_WEIGHT = 10
MANY_DEPENDENCIES_WEIGHT = 8
MANY_DEPENDENCIES_LINES = 40
RELAND_WEIGHT = 4
LABEL_RAISE_WEIGHT = 10
LABEL_LOWER_WEIGHT = -8
# A docs/tests/CI-only change whose type stays something else (a revert, a dependency bump) weighs less.
COMPOSITION_PENALTY: dict[ChangeType, int] = {T.DOCS: -8, T.TEST: -6, T.CI: -6}

# Types whose title can be overruled by the files ("fix: ..." that only edits a README is docs).
CODE_TYPES = frozenset({T.FEATURE, T.FIX, T.PERF, T.REFACTOR, T.CHORE, T.OTHER, T.BUILD})
# Types for which core paths, crash words and missing source changes say something.
BEHAVIOUR_TYPES = frozenset({T.FEATURE, T.FIX, T.PERF, T.REFACTOR, T.REVERT, T.SECURITY, T.OTHER})

# --- titles ------------------------------------------------------------------------------------------

# Conventional Commits type tokens (any case) -> change type.
CONVENTIONAL_TYPES: dict[str, ChangeType] = {
    "feat": T.FEATURE, "feature": T.FEATURE, "features": T.FEATURE,
    "fix": T.FIX, "fixes": T.FIX, "bugfix": T.FIX, "hotfix": T.FIX, "bug": T.FIX,
    "perf": T.PERF, "performance": T.PERF, "optimize": T.PERF,
    "refactor": T.REFACTOR, "refactoring": T.REFACTOR,
    "docs": T.DOCS, "doc": T.DOCS, "documentation": T.DOCS,
    "test": T.TEST, "tests": T.TEST, "testing": T.TEST,
    "ci": T.CI,
    "build": T.BUILD,
    "deps": T.DEPS, "dep": T.DEPS, "dependencies": T.DEPS,
    "chore": T.CHORE, "misc": T.CHORE, "release": T.CHORE,
    "style": T.STYLE, "lint": T.STYLE, "format": T.STYLE,
    "revert": T.REVERT,
    "security": T.SECURITY, "sec": T.SECURITY,
}  # fmt: skip

# Scopes that say more than the type ("chore(deps):", "fix(ci):").
SCOPE_TYPES: dict[str, ChangeType] = {
    "deps": T.DEPS, "dep": T.DEPS, "dependencies": T.DEPS, "deps-dev": T.DEPS, "dev-deps": T.DEPS,
    "docs": T.DOCS, "doc": T.DOCS,
    "ci": T.CI,
    "test": T.TEST, "tests": T.TEST,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class TagRule:
    """What a bracket tag (or a scope) means: a change type, an importance weight, or both."""

    type: ChangeType | None = None
    weight: int = 0
    breaking: bool = False


# Bracket tags, normalised (lower case, "-"/"_" as spaces), as vLLM, SGLang and others write them.
TAG_RULES: dict[str, TagRule] = {
    **dict.fromkeys(("bugfix", "bug fix", "bug", "fix", "hotfix", "bugfixes"), TagRule(T.FIX)),
    **dict.fromkeys(("feature", "feat", "features", "new feature", "enhancement"), TagRule(T.FEATURE)),
    **dict.fromkeys(("perf", "performance", "optimization", "optim", "speedup"), TagRule(T.PERF)),
    **dict.fromkeys(("refactor", "refactoring", "cleanup", "clean up"), TagRule(T.REFACTOR)),
    **dict.fromkeys(("doc", "docs", "documentation"), TagRule(T.DOCS)),
    **dict.fromkeys(("test", "tests", "testing", "unit test"), TagRule(T.TEST)),
    **dict.fromkeys(("ci", "ci/build", "build/ci", "ci/cd", "ci build", "ci/test", "pre commit.ci"), TagRule(T.CI)),
    **dict.fromkeys(("build", "packaging", "docker", "dockerfile"), TagRule(T.BUILD)),
    **dict.fromkeys(("deps", "dependencies", "dependency"), TagRule(T.DEPS)),
    **dict.fromkeys(("security", "cve"), TagRule(T.SECURITY)),
    **dict.fromkeys(("style", "lint", "format", "linting"), TagRule(T.STYLE)),
    "revert": TagRule(T.REVERT),
    "chore": TagRule(T.CHORE),
    "release": TagRule(T.CHORE),
    "misc": TagRule(None, -6),
    **dict.fromkeys(("minor", "trivial", "nit", "nits", "typo"), TagRule(None, -8)),
    **dict.fromkeys(("benchmark", "benchmarks", "bench"), TagRule(None, -4)),
    **dict.fromkeys(("kernel", "kernels"), TagRule(None, 10)),
    **dict.fromkeys(("core", "engine"), TagRule(None, 10)),
    **dict.fromkeys(("scheduler", "cuda", "triton"), TagRule(None, 6)),
    **dict.fromkeys(("model", "models", "new model"), TagRule(None, 6)),
    **dict.fromkeys(("spec decode", "speculative decoding", "spec dec", "eagle"), TagRule(None, 4)),
    **dict.fromkeys(("quantization", "quant"), TagRule(None, 4)),
    **dict.fromkeys(("distributed", "pd", "disagg", "disaggregation", "pd disaggregation"), TagRule(None, 4)),
    **dict.fromkeys(("frontend", "api", "openai", "entrypoint", "lora", "v1"), TagRule(None, 2)),
    **dict.fromkeys(("breaking", "breaking change"), TagRule(None, 0, breaking=True)),
}

# Reasons the tags give when they carry no type of their own: default types for "[Misc] ...".
TAG_DEFAULT_TYPES: dict[str, ChangeType] = {"misc": T.CHORE, "minor": T.CHORE, "trivial": T.CHORE}

# When several tags carry types, the more specific wins ("[Misc][Bugfix]" is a fix).
TYPE_PRIORITY: tuple[ChangeType, ...] = (
    T.SECURITY, T.REVERT, T.FIX, T.PERF, T.FEATURE, T.REFACTOR, T.DEPS,
    T.TEST, T.CI, T.BUILD, T.DOCS, T.STYLE, T.CHORE, T.OTHER,
)  # fmt: skip

# Verbs and nouns in the title -> type, for titles without an explicit type. The leftmost word in the
# title wins ("Add fix" is a feature), except that style nouns beat verbs ("fix lint" is style).
WORD_TYPES: tuple[tuple[ChangeType, str], ...] = (
    (
        T.FIX,
        r"fix(?:e[sd]|ing)?|bug(?:fix)?s?|hotfix|resolve[sd]?|correct(?:s|ed|ly)?|repair(?:s|ed)?"
        r"|workaround|avoid(?:s|ed)?|prevent(?:s|ed)?",
    ),
    (
        T.PERF,
        r"optimi[sz](?:e[sd]?|ation|ing)|speed(?:s|ing)?[ -]?up|faster|accelerat\w+|perf|performance"
        r"|tun(?:e|ed|ing)|reduce[sd]? (?:latency|overhead|memory)",
    ),
    (T.STYLE, r"lint(?:ing|er)?|reformat\w*|formatting|ruff|isort|clang-format"),
    (T.CHORE, r"clean(?:s|ed)?[ -]?up|tidy|house ?keeping"),
    (
        T.REFACTOR,
        r"refactor\w*|restructur\w*|reorgani[sz]\w*|renam\w*|mov(?:e[sd]?|ing)|extract\w*"
        r"|simplif\w*|unif(?:y|ies|ied)|consolidat\w*|decoupl\w*|deduplicat\w*|remov(?:e[sd]?|ing)"
        r"|delet(?:e[sd]?|ing)|drop(?:s|ped)?|deprecat\w*|replac(?:e[sd]?|ing)",
    ),
    (
        T.FEATURE,
        r"add(?:s|ed|ing)?|support(?:s|ed|ing)?|introduc\w+|implement\w*|enabl(?:e[sd]?|ing)"
        r"|allow(?:s|ed)?|new|initial|expos(?:e[sd]?|ing)|integrat\w+",
    ),
    (T.DOCS, r"docs?|documentation|readme|tutorial"),
    (T.TEST, r"tests?|testing|e2e"),
    (T.CI, r"ci"),
)
_WORD_RE = re.compile("|".join(rf"(?P<{kind.name}>\b(?:{pattern})\b)" for kind, pattern in WORD_TYPES), re.IGNORECASE)

# "fix lint", "fix formatting": the noun says more than the verb.
_STYLE_WORD_RE = re.compile(rf"(?P<STYLE>\b(?:{dict(WORD_TYPES)[T.STYLE]})\b)", re.IGNORECASE)

_TAGS_RE = re.compile(r"\s*\[([^\[\]]{1,40})\]\s*")
_CONVENTIONAL_RE = re.compile(r"(?P<type>[A-Za-z]+)\s*(?:\((?P<scope>[^()]{0,60})\))?\s*(?P<bang>!)?\s*:\s*")
_BODY_REVERT_RE = re.compile(r"^This reverts commit [0-9a-f]{7,40}", re.MULTILINE)
_PR_SUFFIX_RE = re.compile(r"\s*\(#\d+\)\s*$")

SECURITY_PATTERNS: tuple[str, ...] = (
    r"CVE-\d{4}-\d{4,}",
    r"GHSA(?:-[0-9a-z]{4}){3}",
    r"RUSTSEC-\d{4}-\d{4}",
    r"CWE-\d+",
    r"vulnerabilit(?:y|ies)",
    r"vulnerable",
    r"security(?![-_ ]?(?:context|group|groups|team)\b)",
    r"XSS|CSRF|SSRF|RCE|ReDoS",
    r"(?:remote|arbitrary) code execution",
    r"(?:sql|command|code|shell|header|template|prompt|html|ldap|xml|xpath|crlf|os)[ -]injection",
    r"injection (?:attack|vulnerabilit\w*|flaw)",
    r"(?:path|directory) traversal",
    r"privilege escalation",
    r"auth(?:entication|orization)? bypass",
    r"denial[ -]of[ -]service",
    r"unsafe deserialization",
    r"sandbox escape",
    r"leak(?:ed|s|ing)? (?:of )?(?:secrets?|tokens?|credentials?|api keys?|passwords?)",
)
_SECURITY_RE = re.compile(r"\b(?:" + "|".join(SECURITY_PATTERNS) + r")\b", re.IGNORECASE)
# In a body only precise identifiers count: PR templates mention "security" in passing.
_SECURITY_ID_RE = re.compile(r"\b(?:CVE-\d{4}-\d{4,}|GHSA(?:-[0-9a-z]{4}){3}|RUSTSEC-\d{4}-\d{4})\b", re.I)

_SEVERE_RE = re.compile(
    r"\b(?:crash(?:es|ed|ing)?|segfaults?|segmentation fault|panic(?:s|ked|king)?|hang(?:s|ing)?|deadlocks?"
    r"|race condition|data race|memory leaks?|leaks?|oom|out of memory|illegal memory access|cuda error"
    r"|corrupt(?:ion|ed|s)?|nans?|incorrect (?:outputs?|results?|answers?|logits)"
    r"|wrong (?:outputs?|results?|answers?)|garbage outputs?|accuracy (?:drop|regression|issue|bug)s?"
    r"|regression|data loss|infinite loop|use[- ]after[- ]free|double free)\b",
    re.IGNORECASE,
)
_TRIVIAL_RE = re.compile(
    r"\b(?:typos?|spelling|grammar|wording|whitespace|docstrings?|comments?|log messages?|nits?)\b",
    re.IGNORECASE,
)
_BREAKING_TITLE_RE = re.compile(r"(?<!non-)(?<!no )(?<!not a )(?<!without )\bbreaking[ -]changes?\b", re.I)
_BREAKING_FOOTER_RE = re.compile(r"^\s*BREAKING[ -]CHANGES?\s*:\s*(?!none\b|n/?a\b|no\b)\S", re.I | re.M)
_BREAKING_CHECKBOX_RE = re.compile(r"^\s*[-*]\s*\[[xX]\]\s*breaking", re.I | re.M)

# "Bump X from 1.2 to 1.3", "upgrade torch to 2.6", "update bytes crate version to latest",
# "update dependency @types/node to v20", "update rust crate serde to 1.0.200", "downgrading X version".
_VERSION = r"v?\d[\w.+-]*|latest|main|master|head|nightly"
_DEP_VERBS = r"bump(?:s|ed|ing)?|updat(?:e[sd]?|ing)|upgrad(?:e[sd]?|ing)|downgrad(?:e[sd]?|ing)|pin(?:s|ned)?"
_DEP_KINDS = r"rust crate|crate|dependency|dependencies|package|module|gem|npm package|pip package|library|lib"
_DEP_RE = re.compile(
    rf"\b(?:{_DEP_VERBS})\s+(?:the\s+)?(?:(?:{_DEP_KINDS})\s+)?(?P<name>[@\w][\w@./+-]*?)"
    rf"(?:\s+(?:{_DEP_KINDS}|version|versions|requirements?|pin))*"
    rf"(?:\s+from\s+(?P<old>{_VERSION}))?\s+to\s+(?P<new>{_VERSION})(?![\w.])",
    re.IGNORECASE,
)
_DEP_NOVERSION_RE = re.compile(
    rf"\b(?:{_DEP_VERBS})\s+(?:the\s+)?(?P<name>[@\w][\w@./+-]*)\s+(?:{_DEP_KINDS}|version|group)\b",
    re.IGNORECASE,
)
_DEP_TO_RE = re.compile(
    rf"\b(?:{_DEP_VERBS})\s+to\s+(?P<name>[A-Za-z][\w.+-]*?)\s+(?P<new>{_VERSION})(?![\w.])", re.IGNORECASE
)
# "bump version to 0.1.9", "version bump", "release v1.2.0", "bump to v0.5.0": a release, not a dependency.
_RELEASE_RE = re.compile(
    rf"^(?:bump(?:ing)?\s+(?:the\s+)?version(?:\s+(?:to|for)\s+(?P<v1>{_VERSION}))?"
    rf"|(?:prepare\s+)?release\s+(?:of\s+)?(?P<v2>{_VERSION})"
    rf"|version\s+bump(?:\s+to\s+(?P<v3>{_VERSION}))?"
    rf"|bump(?:ing)?\s+to\s+(?P<v4>{_VERSION}))(?![\w.])",
    re.IGNORECASE,
)
# Names the dependency patterns must not take for a package.
NOT_DEPENDENCIES = frozenset({
    "version", "versions", "docs", "doc", "readme", "the", "it", "this", "code", "tests", "test",
    "changelog", "release", "copyright", "license", "comments", "examples", "logic", "default", "defaults",
})  # fmt: skip

# Dependencies whose update changes the behaviour of an ML serving stack (or any stack).
CORE_DEPENDENCIES = frozenset({
    "torch", "pytorch", "cuda", "cudnn", "nccl", "triton", "transformers", "flashinfer", "xformers",
    "flash-attn", "flash_attn", "vllm", "sglang", "tensorrt", "tensorrt-llm", "tensorrt_llm", "trtllm",
    "nixl", "ucx", "cutlass", "deepgemm", "deep_gemm", "deepep", "sgl-kernel", "python", "jax",
    "onnxruntime",
})  # fmt: skip

BOT_AUTHORS: tuple[str, ...] = ("dependabot", "renovate", "pre-commit-ci", "github-actions", "mergify")
DEPENDENCY_BOTS: tuple[str, ...] = ("dependabot", "renovate")

# PR labels (lower case; "type: bug" and "kind/bug" are read as "bug").
LABEL_TYPES: dict[str, ChangeType] = {
    "bug": T.FIX, "bugfix": T.FIX, "fix": T.FIX,
    "enhancement": T.FEATURE, "feature": T.FEATURE, "new feature": T.FEATURE, "feature request": T.FEATURE,
    "documentation": T.DOCS, "docs": T.DOCS,
    "performance": T.PERF, "perf": T.PERF,
    "security": T.SECURITY,
    "dependencies": T.DEPS, "deps": T.DEPS,
    "ci": T.CI, "github_actions": T.CI,
    "test": T.TEST, "tests": T.TEST, "testing": T.TEST,
    "refactor": T.REFACTOR, "refactoring": T.REFACTOR,
    "chore": T.CHORE, "build": T.BUILD, "style": T.STYLE, "revert": T.REVERT,
}  # fmt: skip
BREAKING_LABELS = frozenset({"breaking-change", "breaking change", "breaking", "semver-major", "semver: major"})
RAISING_LABELS = frozenset({
    "critical", "p0", "p1", "priority: high", "priority/high", "high-priority", "high priority", "urgent",
    "blocker", "release-blocker", "regression",
})  # fmt: skip
LOWERING_LABELS = frozenset({"trivial", "minor", "good first issue", "typo"})

# --- files -------------------------------------------------------------------------------------------

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
    {"vendor", "vendored", "third_party", "third-party", "thirdparty", "3rdparty", "node_modules"}
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
CI_DIRS = frozenset({".github", ".buildkite", ".circleci", ".gitlab", ".ci", "ci", ".woodpecker", ".tekton"})
TEST_DIRS = frozenset({
    "tests", "test", "testing", "__tests__", "spec", "specs", "testdata", "test_data", "test-data", "e2e",
    "benchmarks", "benchmark", "bench", "benches", "integration_tests", "unittests", "unit_tests",
})  # fmt: skip
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
    "module.bazel", "workspace", "chart.yaml", ".gitmodules", "vcpkg.json", "conanfile.txt",
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


class _Path:
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


def _is_requirements(path: _Path) -> bool:
    """``requirements*.txt``, ``constraints.txt``, ``requirements/cuda.txt``."""
    return path.ext in ("txt", "in") and (
        path.name.startswith(("requirements", "constraints")) or "requirements" in path.dirs
    )


def _is_build_file(path: _Path) -> bool:
    name = path.name
    return (
        name in BUILD_NAMES or path.ext in BUILD_EXTENSIONS or name.startswith("dockerfile") or _is_requirements(path)
    )


def _is_generated(path: _Path) -> bool:
    name = path.name
    return (
        (path.ext in _GENERATED_EXTENSIONS and name.endswith(GENERATED_SUFFIXES))
        or ".generated." in name
        or name.startswith("zz_generated")
        or not GENERATED_DIRS.isdisjoint(path.dirs)
    )


def _is_test(path: _Path) -> bool:
    return (
        not TEST_DIRS.isdisjoint(path.dirs)
        or _TEST_NAME_RE.match(path.name) is not None
        or _JVM_TEST_RE.search(path.parts[-1]) is not None
    )


def _classify(path: _Path, binary: bool) -> FileCategory:
    if not path.parts:
        return C.OTHER
    name, ext, dirs = path.name, path.ext, path.dirs
    if binary or ext in BINARY_EXTENSIONS:
        return C.BINARY
    if not VENDORED_DIRS.isdisjoint(dirs):
        return C.VENDORED
    if _is_generated(path):
        return C.GENERATED
    if name in LOCKFILE_NAMES or ext in ("lock", "lockfile"):
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
    return _classify(_Path(path), binary)


def _is_dependency_manifest(path: _Path) -> bool:
    return path.name in DEPENDENCY_MANIFESTS or path.name.startswith("dockerfile") or _is_requirements(path)


def _area(path: _Path) -> str:
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


def _is_core_path(path: _Path) -> bool:
    return path.stem in CORE_NAMES or not CORE_NAMES.isdisjoint(path.dirs)


def _is_api_file(path: _Path) -> bool:
    return path.ext in API_EXTENSIONS or path.stem in API_STEMS or not API_DIRS.isdisjoint(path.dirs)


def _dir_stats(
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
    return _dir_stats(files, categories, [_area(_Path(f.path)) for f in files], limit)


# --- title parsing -----------------------------------------------------------------------------------


@dataclass(slots=True)
class _Title:
    """What the subject line says, with its prefixes taken apart."""

    text: str  # the rest of the subject after tags and the Conventional Commits prefix
    tags: list[str] = field(default_factory=list)  # as written, without brackets
    prefix: str = ""  # "feat(mocker)!" as written
    conventional: ChangeType | None = None
    scope: str = ""
    bang: bool = False
    reverted: str | None = None  # the subject a revert names
    relanded: str | None = None  # the subject a reland names


_REVERT_PREFIX_RE = re.compile(r"""^revert(?:s|ed)?(?=[\s:("'“!]|$)[\s:!]*(?:\([^()]*\)[\s:!]*)?""", re.I)
_RELAND_PREFIX_RE = re.compile(r"""^(?:reland|reapply|re-land|re-apply)(?=[\s:"'“])[\s:]*""", re.I)
_QUOTES = "\"'“”‘’"


def _normalise_tag(tag: str) -> str:
    return " ".join(tag.lower().replace("_", " ").replace("-", " ").split())


def _take_tags(text: str, tags: list[str]) -> str:
    while match := _TAGS_RE.match(text):
        tags.append(match.group(1).strip())
        text = text[match.end() :]
    return text


def _parse_title(subject: str, depth: int = 0) -> _Title:
    text = _PR_SUFFIX_RE.sub("", subject.strip())
    if depth < 3:
        for pattern, attribute in ((_REVERT_PREFIX_RE, "reverted"), (_RELAND_PREFIX_RE, "relanded")):
            if match := pattern.match(text):
                named = _PR_SUFFIX_RE.sub("", text[match.end() :].strip(_QUOTES + " "))
                inner = _parse_title(named, depth + 1)
                setattr(inner, attribute, named or text)
                return inner
    parsed = _Title(text="")
    text = _take_tags(text, parsed.tags)
    match = _CONVENTIONAL_RE.match(text)
    if match and match.group("type").lower() in CONVENTIONAL_TYPES:
        parsed.conventional = CONVENTIONAL_TYPES[match.group("type").lower()]
        parsed.scope = (match.group("scope") or "").strip()
        parsed.bang = bool(match.group("bang"))
        parsed.prefix = text[: match.end()].rstrip().rstrip(":").rstrip()
        text = _take_tags(text[match.end() :], parsed.tags)  # "fix: [Bugfix] ..." happens too
    parsed.text = text
    return parsed


# --- the decision ------------------------------------------------------------------------------------


def _r(key: str, weight: int = 0, **args: object) -> Reason:
    return Reason(key, tuple((name, str(args[name])) for name in REASON_KEYS[key]), weight)


def _bucket(value: int, table: Sequence[tuple[int, int]]) -> int:
    for minimum, weight in table:
        if value >= minimum:
            return weight
    return 0


def importance_for(score: int) -> Importance:
    """The level of a score (see the module docstring for the scale)."""
    if score >= HIGH_THRESHOLD:
        return Importance.HIGH
    if score >= MEDIUM_THRESHOLD:
        return Importance.MEDIUM
    return Importance.LOW


@dataclass(slots=True)
class _Files:
    """What the files of a commit add up to."""

    categories: tuple[FileCategory, ...]
    count: int = 0
    source_lines: int = 0
    source_files: int = 0
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
    composition: ChangeType | None = None  # the type of a docs/tests/CI/build/config-only change
    composition_key: str | None = None


# A commit whose files all fall in one of these sets is typed (or weighed) by them.
_COMPOSITIONS: tuple[tuple[frozenset[FileCategory], ChangeType, str], ...] = (
    (frozenset({C.DOCS}), T.DOCS, "only_docs"),
    (frozenset({C.TEST}), T.TEST, "only_tests"),
    (frozenset({C.CI}), T.CI, "only_ci"),
    (frozenset({C.BUILD, C.LOCKFILE}), T.BUILD, "only_build"),
    (frozenset({C.CONFIG}), T.CHORE, "only_config"),
    (frozenset({C.GENERATED, C.VENDORED, C.BINARY, C.LOCKFILE}), T.CHORE, "only_generated"),
)
# File-typed changes that overrule a code type named in the title.
_OVERRULING = frozenset({T.DOCS, T.TEST, T.CI})


def _summarise_files(files: Sequence[FileChange]) -> _Files:
    paths = [_Path(f.path) for f in files]
    categories = tuple(_classify(path, f.binary) for path, f in zip(paths, files, strict=True))
    summary = _Files(categories, count=len(files))
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
    summary.source_areas = sorted(area_lines, key=lambda a: (-area_lines[a], a))
    present = frozenset(categories)
    for allowed, kind, key in _COMPOSITIONS:
        if present and present <= allowed:
            summary.composition, summary.composition_key = kind, key
            break
    return summary


@dataclass(slots=True)
class _Decision:
    """The change type and the reasons so far. The first rule that names a type decides and carries
    the type's weight; later rules that name a type are kept as explanations with weight 0."""

    change_type: ChangeType | None = None
    deciding: Reason | None = None
    explained: list[Reason] = field(default_factory=list)
    signals: list[Reason] = field(default_factory=list)
    breaking: str | None = None

    def decide(self, kind: ChangeType, key: str, **args: object) -> None:
        if self.change_type is None:
            self.change_type = kind
            self.deciding = _r(key, TYPE_WEIGHTS[kind], **args)
        else:
            self.explained.append(_r(key, 0, **args))

    def overrule(self, kind: ChangeType, key: str, **args: object) -> None:
        if self.deciding is not None:
            self.explained.insert(0, Reason(self.deciding.key, self.deciding.args, 0))
        self.change_type = kind
        self.deciding = _r(key, TYPE_WEIGHTS[kind], **args)

    def signal(self, key: str, weight: int, **args: object) -> None:
        self.signals.append(_r(key, weight, **args))

    def mark_breaking(self, marker: str) -> None:
        self.breaking = self.breaking or marker

    def reasons(self) -> tuple[Reason, ...]:
        first = (self.deciding,) if self.deciding is not None else ()
        return (*first, *self.explained, *self.signals)


@dataclass(slots=True)
class _Context:
    commit: Commit
    title: _Title
    files: _Files
    labels: list[tuple[str, str]]  # (full, short): "type: bug" -> ("type: bug", "bug")
    bot: bool
    dependency_bot: bool
    decision: _Decision = field(default_factory=_Decision)

    @property
    def scope_type(self) -> ChangeType | None:
        return SCOPE_TYPES.get(self.title.scope.lower()) if self.title.scope else None


def _label_key(label: str) -> tuple[str, str]:
    full = " ".join(label.strip().lower().split())
    return full, re.split(r"[:/]\s*", full)[-1].strip()


def _bot_kind(name: str, email: str) -> tuple[bool, bool]:
    """(is a bot, is a dependency bot)."""
    who = f"{name} {email}".lower()
    dependency_bot = any(bot in who for bot in DEPENDENCY_BOTS)
    return dependency_bot or "[bot]" in who or any(bot in who for bot in BOT_AUTHORS), dependency_bot


def _tag_type(tags: Iterable[str]) -> tuple[ChangeType | None, str]:
    """The type the tags name (the most specific one) and the tag that named it."""
    found: dict[ChangeType, str] = {}
    for tag in tags:
        rule = TAG_RULES.get(_normalise_tag(tag))
        if rule is not None and rule.type is not None:
            found.setdefault(rule.type, tag)
    for kind in TYPE_PRIORITY:
        if kind in found:
            return kind, found[kind]
    return None, ""


def _dependency_named(text: str) -> tuple[str, str, str] | None:
    """(name, old, new) of a dependency update named in a title; versions may be empty."""
    for pattern in (_DEP_RE, _DEP_TO_RE, _DEP_NOVERSION_RE):
        match = pattern.search(text)
        if match and match.group("name").lower() not in NOT_DEPENDENCIES:
            groups = match.groupdict()
            return match.group("name"), groups.get("old") or "", groups.get("new") or ""
    return None


def _version_key(version: str) -> tuple[int, int] | None:
    match = re.match(r"v?(\d+)(?:\.(\d+))?", version)
    return (int(match.group(1)), int(match.group(2) or 0)) if match else None


def _is_major_bump(old: str, new: str) -> bool:
    before, after = _version_key(old), _version_key(new)
    if before is None or after is None:
        return False
    if before[0] == after[0] == 0:  # 0.x: a minor bump may break
        return after[1] > before[1]
    return after[0] > before[0]


# Each step reads the context and records type decisions and signals.


def _history_step(ctx: _Context) -> None:
    commit, title, decision = ctx.commit, ctx.title, ctx.decision
    if commit.is_merge:
        decision.decide(T.MERGE, "merge_commit", parents=len(commit.parents))
    reverted = (
        title.reverted is not None
        or title.conventional is T.REVERT
        or _tag_type(title.tags)[0] is T.REVERT
        or bool(_BODY_REVERT_RE.search(commit.body[:20000]))
    )
    if reverted:
        decision.decide(T.REVERT, "revert", reverted=(title.reverted or title.text)[:100])
    if title.relanded is not None:
        decision.signal("reland", RELAND_WEIGHT, original=title.relanded[:100])


def _security_step(ctx: _Context) -> None:
    match = _SECURITY_RE.search(ctx.commit.subject) or _SECURITY_ID_RE.search(ctx.commit.body[:20000])
    word = match.group(0) if match else next((full for full, short in ctx.labels if short == "security"), None)
    if word is None:
        return
    if ctx.files.composition is T.DOCS:  # a security policy or advisory page: still docs
        ctx.decision.signal("security_word", SECURITY_IN_DOCS_WEIGHT, word=word)
    else:
        ctx.decision.decide(T.SECURITY, "security_word", word=word)


def _dependency_step(ctx: _Context) -> None:
    files, decision = ctx.files, ctx.decision
    if release := _RELEASE_RE.match(ctx.title.text.strip()):
        decision.decide(T.CHORE, "release_bump", version=next((v for v in release.groups() if v), "?"))
        return
    scope_deps = ctx.scope_type is T.DEPS
    named = _dependency_named(ctx.title.text)
    # Manifests, lockfiles, vendored trees and CI workflows (which pin actions and tools) hold versions.
    evidence = files.manifest_lines > 0 or files.has_lockfile or files.has_vendored or files.has_ci
    evidence = evidence or not files.count
    if named and (evidence or ctx.dependency_bot or scope_deps):
        name, old, new = named
        decision.decide(T.DEPS, "dependency_bump", name=name)
        if old and new and _is_major_bump(old, new):
            decision.signal("major_version_bump", MAJOR_BUMP_WEIGHT, name=name, old=old, new=new)
        if name.lower().rsplit("/", 1)[-1] in CORE_DEPENDENCIES:
            decision.signal("core_dependency", CORE_DEPENDENCY_WEIGHT, name=name)
    elif files.only_dependency_files and (files.has_lockfile or ctx.dependency_bot or scope_deps):
        decision.decide(T.DEPS, "only_dependency_files", files=files.count)


def _title_step(ctx: _Context) -> None:
    title, decision = ctx.title, ctx.decision
    if title.conventional is not None:
        scope_type = ctx.scope_type
        if scope_type is not None and title.conventional not in (T.SECURITY, T.REVERT):
            decision.decide(scope_type, "scope_type", scope=title.scope, type=scope_type.value)
            decision.explained.append(_r("conventional_type", 0, prefix=title.prefix, type=title.conventional.value))
        else:
            decision.decide(title.conventional, "conventional_type", prefix=title.prefix, type=title.conventional.value)
        if title.bang:
            decision.mark_breaking(f"{title.prefix}:")
    kind, tag = _tag_type(title.tags)
    if kind is not None:
        decision.decide(kind, "bracket_tags", tags=f"[{tag}]", type=kind.value)
    marks = [(tag, f"[{tag}]") for tag in title.tags]
    if title.scope:  # "feat(kernel):" weighs like "[Kernel]"
        marks.append((title.scope, f"({title.scope})"))
    for raw, shown in marks:
        rule = TAG_RULES.get(_normalise_tag(raw))
        if rule is None:
            continue
        if rule.weight and decision.change_type is not T.REVERT:  # a revert's tags are the original's
            decision.signal("tag_raises" if rule.weight > 0 else "tag_lowers", rule.weight, tag=shown)
        if rule.breaking:
            decision.mark_breaking(shown)


def _label_step(ctx: _Context) -> None:
    decision = ctx.decision
    for full, short in ctx.labels:
        kind = LABEL_TYPES.get(full) or LABEL_TYPES.get(short)
        if kind is not None and kind is not T.SECURITY:  # security labels are read by _security_step
            decision.decide(kind, "pr_label", label=full, type=kind.value)
        if full in BREAKING_LABELS or short in BREAKING_LABELS:
            decision.mark_breaking(f"label {full}")
        elif full in RAISING_LABELS or short in RAISING_LABELS:
            decision.signal("label_raises", LABEL_RAISE_WEIGHT, label=full)
        elif full in LOWERING_LABELS or short in LOWERING_LABELS:
            decision.signal("label_lowers", LABEL_LOWER_WEIGHT, label=full)


def _word_step(ctx: _Context) -> None:
    decision = ctx.decision
    word = _STYLE_WORD_RE.search(ctx.title.text) or _WORD_RE.search(ctx.title.text)
    if word and word.lastgroup:
        kind = ChangeType[word.lastgroup]
        decision.decide(kind, "title_word", word=word.group(0), type=kind.value)
    for tag in ctx.title.tags:  # "[Misc] ..." with no verb we know
        if (default := TAG_DEFAULT_TYPES.get(_normalise_tag(tag))) is not None:
            decision.decide(default, "bracket_tags", tags=f"[{tag}]", type=default.value)
            break


def _files_step(ctx: _Context) -> None:
    files, decision = ctx.files, ctx.decision
    if not files.count:
        decision.signal("no_files", 0)
    kind, key = files.composition, files.composition_key
    if kind is not None and key is not None:
        current = decision.change_type
        if current is None:
            decision.decide(kind, key, files=files.count)
        elif kind in _OVERRULING and current in CODE_TYPES and current is not kind:
            decision.overrule(kind, key, files=files.count)
        elif kind in _OVERRULING and current is not kind:  # a revert or a bump of docs only: weighs less
            decision.signal(key, COMPOSITION_PENALTY[kind], files=files.count)
        else:
            decision.explained.append(_r(key, 0, files=files.count))
    if decision.change_type is None:
        decision.decide(T.OTHER, "no_type_signal")


def _breaking_step(ctx: _Context) -> None:
    decision, body = ctx.decision, ctx.commit.body[:20000]
    if match := _BREAKING_TITLE_RE.search(ctx.commit.subject):
        decision.mark_breaking(match.group(0))
    if match := _BREAKING_FOOTER_RE.search(body):
        decision.mark_breaking(match.group(0).split(":")[0].strip() + ":")
    if _BREAKING_CHECKBOX_RE.search(body):
        decision.mark_breaking("[x] Breaking change")
    if decision.breaking is not None:
        decision.signal("breaking", BREAKING_WEIGHT, marker=decision.breaking)


def _wording_step(ctx: _Context) -> None:
    decision, kind = ctx.decision, ctx.decision.change_type
    if kind in BEHAVIOUR_TYPES and kind is not T.SECURITY and (severe := _SEVERE_RE.search(ctx.title.text)):
        decision.signal("severe_bug", SEVERE_BUG_WEIGHT, word=severe.group(0))
    if kind in CODE_TYPES and (trivial := _TRIVIAL_RE.search(ctx.title.text)):
        decision.signal("trivial_word", TRIVIAL_WORD_WEIGHT, word=trivial.group(0))


def _size_step(ctx: _Context) -> None:
    files, decision, kind = ctx.files, ctx.decision, ctx.decision.change_type
    if kind is T.DEPS:
        if files.source_files:
            decision.signal("dependency_with_code", DEPENDENCY_WITH_CODE_WEIGHT, files=files.source_files)
        if files.manifest_lines >= MANY_DEPENDENCIES_LINES:
            decision.signal("many_dependencies", MANY_DEPENDENCIES_WEIGHT, lines=files.manifest_lines)
    if files.source_files:
        weight = _bucket(files.source_lines, SOURCE_LINE_WEIGHTS)
        decision.signal("source_lines", weight, lines=files.source_lines, files=files.source_files)
        spread = _bucket(len(files.source_areas), SPREAD_WEIGHTS)
        if spread and files.source_lines >= SPREAD_MIN_LINES:
            areas = ", ".join(files.source_areas[:3])
            decision.signal("source_spread", spread, count=len(files.source_areas), areas=areas)
        core_enough = files.core_lines >= min(CORE_MIN_LINES, files.source_lines)
        if files.core_path is not None and core_enough and kind in BEHAVIOUR_TYPES:
            decision.signal("core_path", CORE_PATH_WEIGHT, path=files.core_path)
    elif files.count and kind in BEHAVIOUR_TYPES - {T.SECURITY, T.REVERT} and files.composition not in _OVERRULING:
        decision.signal("no_source_changes", NO_SOURCE_WEIGHT, files=files.count)
    if files.api_path is not None and kind not in (T.DOCS, T.TEST, T.CI, T.STYLE, T.DEPS):
        decision.signal("api_file", API_FILE_WEIGHT, path=files.api_path)
    if other := _bucket(files.other_lines, OTHER_LINE_WEIGHTS):
        decision.signal("large_change", other, lines=files.other_lines, files=files.other_files)


_STEPS = (
    _history_step,
    _security_step,
    _dependency_step,
    _title_step,
    _label_step,
    _word_step,
    _files_step,
    _breaking_step,
    _wording_step,
    _size_step,
)


def triage(commit: Commit, labels: Sequence[str] = ()) -> Triage:
    """Classify one commit: change type, importance, score, reasons, file categories and top dirs.

    ``labels`` are the pull request's labels when known. Pure and deterministic.
    """
    files = _summarise_files(commit.files)
    bot, dependency_bot = _bot_kind(commit.author.name, commit.author.email)
    ctx = _Context(
        commit=commit,
        title=_parse_title(commit.subject),
        files=files,
        labels=[_label_key(label) for label in labels if label.strip()],
        bot=bot,
        dependency_bot=dependency_bot,
    )
    if bot:
        ctx.decision.signal("bot_author", 0, author=commit.author.name or commit.author.email)
    for step in _STEPS:
        step(ctx)
    reasons = ctx.decision.reasons()
    score = max(0, min(100, BASE_SCORE + sum(reason.weight for reason in reasons)))
    return Triage(
        change_type=ctx.decision.change_type or T.OTHER,
        importance=importance_for(score),
        score=score,
        reasons=reasons,
        categories=files.categories,
        top_dirs=_dir_stats(commit.files, files.categories, files.areas, TOP_DIRS_LIMIT),
        breaking=ctx.decision.breaking is not None,
        bot=bot,
    )
