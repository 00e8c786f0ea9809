"""Interface changes read from the diff: CLI flags, environment variables, config keys, public symbols and
HTTP routes that a commit adds, removes, renames or whose default it changes.

Each reader looks at the removed (``-``) and added (``+``) lines of a file's patch and names what they
declare. Across the whole commit, a name declared only on removed lines is *removed*; only on added
lines, *added*; on both with another default, *default_changed*. In one file, exactly one removed and one
added name of the same kind is a *rename*. Names that move between files are neither.

Readers (by shape, not by project):

- CLI flags: argparse ``add_argument("--x", default=…)``, click ``@click.option("--x")``, typer
  ``typer.Option(…, "--x")`` and ``name: T = typer.Option(…)``, fields of a ``…Args`` dataclass (SGLang's
  ``ServerArgs``: ``field: int = 8`` under a hunk whose context is ``class ServerArgs``), clap
  ``#[arg(long …)]`` with its field, Go ``flag.String("x", …)``, cobra ``Flags().StringVar(&v, "x", …)``,
  kingpin ``.Flag("x", …)``.
- Environment variables: ``os.environ[…]``/``os.environ.get``/``os.getenv``, registries (``envs.py``
  dict keys, ``env_vars.rs``/``environment_names.rs`` string constants), ``std::env::var``,
  ``os.Getenv``/``os.LookupEnv``, ``process.env.X``.
- Config keys: fields of ``…Config``/``…Settings``/``…Options`` dataclasses, serde ``rename``, Go
  struct tags ``yaml:"key"``/``json:"key"``.
- Public symbols: top-level Python ``def``/``class`` (parsed with ``ast`` where the hunk parses, by
  line otherwise) outside private and test modules, Rust ``pub fn``/``pub struct``, exported Go funcs.
- Outside Python and Rust: CMake ``option(NAME "…" ON)`` (a config key whose default is ON/OFF), gflags
  ``DEFINE_bool(name, default, …)`` and absl ``ABSL_FLAG(type, name, default, …)`` (CLI flags), Java
  ``@Option(name = "x", defaultValue = "y")`` over several lines (Bazel, picocli) and Spring
  ``@Value("${key:default}")``.
- HTTP routes: ``@app.get("/x")``/``@router.post``/``.route("/x")``/``HandleFunc("/x")``/``app.get('/x'``.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from commitwatch.models import Commit, FileCategory, InterfaceChange
from commitwatch.signals.patches import Hunk, hunks, patched_files
from commitwatch.triage import classify_file

MAX_CHANGES = 40  # per commit: a sweeping change is summarised by its first ones


@dataclass(frozen=True, slots=True)
class _Decl:
    kind: str
    name: str
    default: str | None
    path: str


_Q = r"""["']"""
_FLAG = r"--[A-Za-z0-9][\w.-]*"
_VALUE = r"""(?P<default>"[^"]*"|[^,]+)"""  # a positional default: a string or anything up to the next comma
_DEFAULT = r"""default(?:_value)?\s*=\s*(?P<default>"[^"]*"|'[^']*'|[^,)\s]+)"""

_ARGPARSE_RE = re.compile(rf"add_argument\(\s*(?:{_Q}-\w{_Q}\s*,\s*)?{_Q}(?P<name>{_FLAG}){_Q}(?P<rest>.*)")
_CLICK_RE = re.compile(rf"(?:click|typer)\.(?:option|Option)\((?P<rest>.*?){_Q}(?P<name>{_FLAG}){_Q}")
_TYPER_PARAM_RE = re.compile(r"^\s*(?P<name>[a-z_]\w*)\s*:\s*[^=]+=\s*typer\.Option\((?P<rest>.*)")
_FIELD_RE = re.compile(r"^\s{4}(?P<name>[a-z_]\w*)\s*:\s*[^=#]+?(?:=\s*(?P<default>[^#]+?))?\s*(?:#.*)?$")
_ARGS_CLASS_RE = re.compile(r"\bclass\s+\w*(?:Args|Arguments)\b")
_CONFIG_CLASS_RE = re.compile(r"\bclass\s+\w*(?:Config|Settings|Options)\b")
_CLAP_RE = re.compile(r"#\[(?:arg|clap)\((?P<attrs>[^\]]*\blong\b[^\]]*)\)\]")
_CLAP_LONG_RE = re.compile(r'\blong\s*=\s*"(?P<name>[\w-]+)"')
_CLAP_DEFAULT_RE = re.compile(r'\bdefault_value(?:_t)?\s*=\s*(?P<default>"[^"]*"|[^,)\]]+)')
_RUST_FIELD_RE = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?P<name>[a-z_]\w*)\s*:")
_GO_FLAG_RE = re.compile(
    r"\bflag\.(?:String|Int|Int64|Uint|Uint64|Bool|Duration|Float64)(?:Var)?\(\s*(?:&[\w.]+\s*,\s*)?"
    rf'"(?P<name>[\w.-]+)"\s*,\s*{_VALUE}'
)
_COBRA_RE = re.compile(
    r"\.(?:Persistent)?Flags\(\)\.\w+?(?:Var)?P?\(\s*(?:&[\w.]+\s*,\s*)?"
    rf'"(?P<name>[\w.-]+)"\s*,\s*(?:"\w?"\s*,\s*)?{_VALUE}'
)
_KINGPIN_RE = re.compile(r'\.Flag\(\s*"(?P<name>[\w.-]+)"(?P<rest>.*)')
_KINGPIN_DEFAULT_RE = re.compile(r'\.Default\(\s*(?P<default>"[^"]*"|[^)]+)\)')

# Outside Python and Rust: CMake options, gflags/absl flags, Java option annotations and Spring properties.
_CMAKE_OPTION_RE = re.compile(
    r'^\s*(?:option|cmake_dependent_option)\s*\(\s*(?P<name>[A-Za-z_]\w*)\s+"[^"]*"\s+(?P<default>[\w${}]+)', re.I
)
_GFLAGS_RE = re.compile(
    rf"\bDEFINE_(?:bool|int32|int64|uint32|uint64|double|string)\(\s*(?P<name>[a-z_]\w*)\s*,\s*{_VALUE}"
)
_ABSL_FLAG_RE = re.compile(rf"\bABSL_FLAG\(\s*[\w:<> ]+?\s*,\s*(?P<name>[a-z_]\w*)\s*,\s*{_VALUE}")
_SPRING_VALUE_RE = re.compile(r'@Value\(\s*"\$\{(?P<name>[\w.-]+):(?P<default>[^}]*)\}"')
_JAVA_OPTION_RE = re.compile(r"@Option\(")
_JAVA_NAME_RE = re.compile(r'\bname\s*=\s*"(?P<name>[\w.-]+)"')
_JAVA_DEFAULT_RE = re.compile(r'\bdefaultValue\s*=\s*"(?P<default>[^"]*)"')
_JAVA_MEMBER_RE = re.compile(r"^\s*(?:public|private|protected)\b")

_ENV = r"[A-Z][A-Z0-9]*_[A-Z0-9_]+"
# inside an explicit read, a name may mix cases ("NVTE_FUSED_ATTN_USE_FAv2_BWD")
_ENV_READ = r"[A-Z][A-Z0-9]*_[A-Za-z0-9_]*[A-Z0-9]"
_ENV_USE_RE = re.compile(
    rf"(?:os\.environ(?:\.get)?\s*[\[(]\s*|os\.getenv\(\s*|env::var(?:_os)?\(\s*|os\.(?:Getenv|LookupEnv)\(\s*)"
    rf"{_Q}(?P<name>{_ENV_READ}){_Q}(?:\s*,\s*(?P<default>[^)\]]+))?|process\.env\.(?P<js>{_ENV})"
)
_ENV_REGISTRY_RE = re.compile(rf"^\s*(?:{_Q}(?P<key>{_ENV}){_Q}\s*:|pub const \w+\s*:\s*&(?:'static )?str\s*="
                              rf'\s*"(?P<const>{_ENV})"|(?P<assign>{_ENV})\s*(?::[^=]+)?=)')  # fmt: skip
_ENV_FILES = ("envs.py", "env.py", "environment.py", "env_vars.rs", "environment_names.rs", "envs.rs", "env.go")

_SERDE_RE = re.compile(r'#\[serde\([^\]]*\brename\s*=\s*"(?P<name>[\w.-]+)"')
_GO_TAG_RE = re.compile(r'`[^`]*\b(?:yaml|json|toml|mapstructure):"(?P<name>[\w.-]+)[,"]')

_PY_TOP_RE = re.compile(r"^(?:async\s+)?(?:def|class)\s+(?P<name>[A-Za-z]\w*)")
_RUST_PUB_RE = re.compile(r"^\s*pub\s+(?:async\s+)?(?:fn|struct|enum|trait)\s+(?P<name>[A-Za-z]\w*)")
_GO_EXPORTED_RE = re.compile(r"^func\s+(?:\([^)]*\)\s*)?(?P<name>[A-Z]\w*)\s*\(")

_ROUTE_RE = re.compile(
    rf"@\w+\.(?P<method>get|post|put|delete|patch|route|api_route)\(\s*{_Q}(?P<path>/[^\"']*){_Q}"
    rf"|\.(?P<method2>GET|POST|PUT|DELETE|PATCH|Get|Post|Put|Delete|Patch|HandleFunc|Handle|route)\(\s*"
    rf"{_Q}(?P<path2>/[^\"']*){_Q}"
    rf"|\b(?:app|router)\.(?P<method3>get|post|put|delete|patch)\(\s*{_Q}(?P<path3>/[^\"']*){_Q}"
)


def _clean_default(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip().rstrip(",").strip()
    return value[:60] or None


def _python_private(path: str) -> bool:
    parts = path.split("/")
    return any(part.startswith("_") and part not in ("__init__.py",) for part in parts) or any(
        part in ("internal", "tests", "test", "testing", "examples", "benchmarks", "scripts") for part in parts[:-1]
    )


_CLASS_RE = re.compile(r"^\s*class\s+\w+")


def _flag_decls(side: list[tuple[bool, str]], hunk: Hunk, path: str) -> Iterator[_Decl]:
    """Flags and config keys declared on one side of a hunk; ``side`` is that side's lines with whether
    each one changed. Only changed lines declare, except that a clap attribute and the field under it
    count together when either changed."""
    owner = hunk.header
    pending_clap: tuple[re.Match[str], bool] | None = None
    # a Java ``@Option(name = "x", defaultValue = "y", ...)`` spread over lines: [name, default, touched]
    java: list[object] | None = [None, None, False] if _JAVA_OPTION_RE.search(hunk.header) else None
    for touched, line in side:
        if _JAVA_OPTION_RE.search(line):
            java = [None, None, False]
        if java is not None:
            if name_match := _JAVA_NAME_RE.search(line):
                java[0] = name_match.group("name")
                java[2] = bool(java[2]) or touched
            if default_match := _JAVA_DEFAULT_RE.search(line):
                java[1] = f'"{default_match.group("default")}"'
                java[2] = bool(java[2]) or touched
            if java[0] is not None and java[1] is not None:
                if java[2]:
                    yield _Decl("cli_flag", f"--{java[0]}", str(java[1]), path)
                java = None
            elif _JAVA_MEMBER_RE.match(line):
                java = None
        if _CLASS_RE.match(line):
            owner = line
        args_class = _ARGS_CLASS_RE.search(owner) is not None
        config_class = not args_class and _CONFIG_CLASS_RE.search(owner) is not None
        if clap := _CLAP_RE.search(line):
            long = _CLAP_LONG_RE.search(clap.group("attrs"))
            if long and touched:
                default = _CLAP_DEFAULT_RE.search(clap.group("attrs"))
                yield _Decl("cli_flag", "--" + long.group("name"), default and default.group("default"), path)
            elif not long:
                pending_clap = (clap, touched)
            continue
        if pending_clap is not None and (field := _RUST_FIELD_RE.match(line)):
            attrs, attr_touched = pending_clap
            pending_clap = None
            if attr_touched or touched:
                default = _CLAP_DEFAULT_RE.search(attrs.group("attrs"))
                name = "--" + field.group("name").replace("_", "-")
                yield _Decl("cli_flag", name, default and default.group("default"), path)
            continue
        if not line.strip().startswith(("#[", "///", "//")):
            pending_clap = None
        if not touched:
            continue
        if (match := _ARGPARSE_RE.search(line)) and _depth(line[match.start() :]) > 0:
            pass  # a call spread over lines: read whole by _argparse_calls
        elif match:
            default = re.search(_DEFAULT, match.group("rest"))
            yield _Decl("cli_flag", match.group("name"), default and default.group("default"), path)
        elif match := _CLICK_RE.search(line):
            yield _Decl("cli_flag", match.group("name"), None, path)
        elif match := _TYPER_PARAM_RE.search(line):
            default = re.match(r"\s*(?P<default>[^,)]+)", match.group("rest"))
            flags = re.findall(rf"{_Q}({_FLAG}){_Q}", match.group("rest"))
            name = flags[0] if flags else "--" + match.group("name").replace("_", "-")
            yield _Decl("cli_flag", name, default and default.group("default"), path)
        elif match := (
            _GO_FLAG_RE.search(line) or _COBRA_RE.search(line) or _GFLAGS_RE.search(line) or _ABSL_FLAG_RE.search(line)
        ):
            yield _Decl("cli_flag", "--" + match.group("name"), match.group("default"), path)
        elif match := _CMAKE_OPTION_RE.match(line):
            yield _Decl("config_key", match.group("name"), match.group("default").upper(), path)
        elif match := _SPRING_VALUE_RE.search(line):
            yield _Decl("config_key", match.group("name"), match.group("default"), path)
        elif match := _KINGPIN_RE.search(line):
            default = _KINGPIN_DEFAULT_RE.search(match.group("rest"))
            yield _Decl("cli_flag", "--" + match.group("name"), default and default.group("default"), path)
        elif (args_class or config_class) and (field := _FIELD_RE.match(line)) and path.endswith(".py"):
            if not field.group("name").startswith("_"):
                kind = "cli_flag" if args_class else "config_key"
                name = "--" + field.group("name").replace("_", "-") if args_class else field.group("name")
                yield _Decl(kind, name, field.group("default"), path)
        elif (match := _SERDE_RE.search(line) or _GO_TAG_RE.search(line)) and match.group("name") != "-":
            yield _Decl("config_key", match.group("name"), None, path)


_ARGPARSE_OPEN_RE = re.compile(r"add_argument\(\s*$")
_FLAG_ARG_RE = re.compile(rf"^\s*(?:{_Q}-\w{_Q}\s*,\s*)?{_Q}(?P<name>{_FLAG}){_Q}")


def _depth(text: str) -> int:
    return text.count("(") - text.count(")")


def _argparse_calls(side: list[tuple[bool, str]], path: str) -> Iterator[_Decl]:
    """argparse ``add_argument("--x",`` calls spread over lines, declared when any of their lines
    changed: a ``default=0.5`` changed under an unchanged ``add_argument("--cache-ratio",`` is a new
    default of that flag."""
    call: tuple[str, list[str], bool, int] | None = None
    for index, (touched, line) in enumerate(side):
        if call is not None:
            name, parts, hit, depth = call
            if not name and (flag := _FLAG_ARG_RE.match(line)):  # the flag on the line after the paren
                name = flag.group("name")
            call = (name, [*parts, line], hit or touched, depth + _depth(line))
        elif (match := _ARGPARSE_RE.search(line)) and (depth := _depth(line[match.start() :])) > 0:
            call = (match.group("name"), [match.group("rest")], touched, depth)
        elif match := _ARGPARSE_OPEN_RE.search(line):
            call = ("", [], touched, _depth(line[match.start() :]))
        if call is not None and (call[3] <= 0 or index == len(side) - 1):  # closed, or the hunk ends
            name, parts, hit, _ = call
            if hit and name:
                default = re.search(_DEFAULT, " ".join(parts))
                yield _Decl("cli_flag", name, default and default.group("default"), path)
            call = None


def _env_decls(lines: list[str], path: str) -> Iterator[_Decl]:
    registry = path.rsplit("/", 1)[-1] in _ENV_FILES
    for line in lines:
        for match in _ENV_USE_RE.finditer(line):
            yield _Decl("env_var", match.group("name") or match.group("js"), match.group("default"), path)
        if registry and (entry := _ENV_REGISTRY_RE.match(line)):
            yield _Decl("env_var", entry.group("key") or entry.group("const") or entry.group("assign"), None, path)


def _route_decls(lines: list[str], path: str) -> Iterator[_Decl]:
    for line in lines:
        for match in _ROUTE_RE.finditer(line):
            method = (match.group("method") or match.group("method2") or match.group("method3") or "").upper()
            route = match.group("path") or match.group("path2") or match.group("path3")
            shown = route if method in ("ROUTE", "API_ROUTE", "HANDLEFUNC", "HANDLE", "") else f"{method} {route}"
            yield _Decl("http_route", shown, None, path)


def _python_names(text: str) -> set[str] | None:
    """Top-level public names a piece of Python declares, or None when it does not parse."""
    try:
        tree = ast.parse(textwrap.dedent(text))
    except (SyntaxError, ValueError):
        return None
    nodes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {node.name for node in tree.body if isinstance(node, nodes) and not node.name.startswith("_")}


def _symbol_decls(hunk: Hunk, sign: str, path: str) -> Iterator[_Decl]:
    lines = [line[1:] for line in hunk.lines if line[:1] == sign]
    if path.endswith(".py"):
        if _python_private(path):
            return
        touched = {m.group("name") for line in lines if (m := _PY_TOP_RE.match(line))}
        if not touched:  # no top-level declaration changed on this side: nothing to parse for
            return
        names = _python_names("\n".join(hunk.side(sign)))
        if names is None:  # a hunk cut in the middle of a block: read its top-level lines
            names = touched
        else:  # what the hunk declares on this side, only where that side changed the declaration
            names &= touched
        for name in sorted(n for n in names if not n.startswith("_")):
            yield _Decl("symbol", name, None, path)
    elif path.endswith(".rs") and "/tests/" not in f"/{path}":
        for line in lines:
            if match := _RUST_PUB_RE.match(line):
                yield _Decl("symbol", match.group("name"), None, path)
    elif path.endswith(".go") and not path.endswith("_test.go") and "/internal/" not in f"/{path}":
        for line in lines:
            if match := _GO_EXPORTED_RE.match(line):
                yield _Decl("symbol", match.group("name"), None, path)


def _declarations(commit: Commit) -> tuple[list[_Decl], list[_Decl]]:
    removed: list[_Decl] = []
    added: list[_Decl] = []
    for change in patched_files(commit):
        category = classify_file(change.path, change.binary)
        if category not in (FileCategory.SOURCE, FileCategory.CONFIG, FileCategory.BUILD):
            continue
        assert change.patch is not None
        for hunk in hunks(change.patch):
            for sign, out in (("-", removed), ("+", added)):
                lines = [line[1:] for line in hunk.lines if line[:1] == sign]
                if not lines:
                    continue
                side = [(line[:1] == sign, line[1:]) for line in hunk.lines if line[:1] in (" ", sign)]
                out.extend(_flag_decls(side, hunk, change.path))
                out.extend(_argparse_calls(side, change.path))
                out.extend(_env_decls(lines, change.path))
                out.extend(_route_decls(lines, change.path))
                if category is FileCategory.SOURCE:
                    out.extend(_symbol_decls(hunk, sign, change.path))
    return removed, added


def _first(decls: Iterable[_Decl]) -> dict[tuple[str, str], _Decl]:
    found: dict[tuple[str, str], _Decl] = {}
    for decl in decls:
        found.setdefault((decl.kind, decl.name), decl)
    return found


def interface_changes(commit: Commit) -> tuple[InterfaceChange, ...]:
    """What the commit adds, removes, renames or re-defaults among the interfaces its patches declare."""
    removed_decls, added_decls = _declarations(commit)
    before, after = _first(removed_decls), _first(added_decls)
    gone = [key for key in before if key not in after]
    new = [key for key in after if key not in before]
    changes: list[InterfaceChange] = []
    # a rename: in one file, one name of a kind goes and one comes
    for kind in sorted({k for k, _ in gone}):
        for path in sorted({before[key].path for key in gone if key[0] == kind}):
            went = [key for key in gone if key[0] == kind and before[key].path == path]
            came = [key for key in new if key[0] == kind and after[key].path == path]
            if len(went) == 1 and len(came) == 1:
                old, fresh = before[went[0]], after[came[0]]
                changes.append(InterfaceChange(kind, old.name, "renamed", path, new_name=fresh.name))
                gone.remove(went[0])
                new.remove(came[0])
    changes += [InterfaceChange(key[0], key[1], "removed", before[key].path) for key in gone]
    for key, decl in before.items():
        if key in after:
            old_default, new_default = _clean_default(decl.default), _clean_default(after[key].default)
            if old_default != new_default and old_default is not None and new_default is not None:
                changes.append(
                    InterfaceChange(key[0], key[1], "default_changed", after[key].path, None, old_default, new_default)
                )
    changes += [InterfaceChange(key[0], key[1], "added", after[key].path) for key in new]
    order = {"removed": 0, "renamed": 1, "default_changed": 2, "added": 3}
    changes.sort(key=lambda c: (order[c.change], c.kind, c.name))
    return tuple(changes[:MAX_CHANGES])
