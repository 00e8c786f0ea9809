"""Synthetic repositories for the benchmarks: ``repos`` × ``commits`` per day × ``files`` per commit ×
``lines`` changed per file, built with ``git fast-import`` (seconds for thousands of commits) and cached
under ``bench/.work/`` by their parameters.

    paths = build_repos(repos=10, commits=30, files=3, lines=20)     # one day, 2026-02-07 (Asia/Shanghai)
    paths = build_repos(repos=1, commits=31, files=3, lines=20, big_kb=960)   # one commit of ~960 KB

Every repository starts with one base commit the day before (the files its day's commits edit), then
``commits`` commits spread over the day, each rewriting ``lines`` lines in each of ``files`` files.
Subjects cycle through Conventional Commits types and scopes, so triage rates them differently. With
``big_kb``, the middle commit also adds a docs file of that size (the reference day's 963 KB docs
migration). Also a command: ``python bench/synth.py --repos 10 --commits 30`` prints the paths.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "bench" / ".work"
DAY = "2026-02-07"
TZ = "Asia/Shanghai"
_CST = timezone(timedelta(hours=8))
_TYPES = ("feat", "fix", "perf", "refactor", "docs", "test", "chore", "fix", "feat", "ci")
_SCOPES = ("router", "kv", "planner", "runtime", "frontend", "llm", "metrics", "deploy")
FILE_LINES = 120


def _env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin:/usr/local/bin", "HOME": str(WORK), "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": "/dev/null", "LC_ALL": "C"}


def _line(repo: int, file: int, row: int, version: int) -> str:
    return f"    value_{file}_{row} = compute({repo}, {row}, {version})  # step {version} of row {row}\n"


def _file(repo: int, file: int, version_of_row: list[int]) -> bytes:
    head = f'"""Module {file} of synthetic repository {repo}."""\n\n\ndef run():\n'
    return (head + "".join(_line(repo, file, row, v) for row, v in enumerate(version_of_row))).encode()


def _blob(path: str, content: bytes) -> bytes:
    return b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(content), content)


def _commit(out: list[bytes], mark: int, when: datetime, message: str, files: list[bytes], parent: int | None) -> None:
    stamp = f"{int(when.timestamp())} +0800"
    data = message.encode()
    out.append(f"commit refs/heads/main\nmark :{mark}\n".encode())
    out.append(f"author Ada Lovelace <ada@example.com> {stamp}\ncommitter Grace Hopper <grace@example.com> {stamp}\n"
               .encode())
    out.append(b"data %d\n%s\n" % (len(data), data))
    if parent is not None:
        out.append(f"from :{parent}\n".encode())
    out.extend(files)


def stream(repo: int, commits: int, files: int, lines: int, big_kb: int) -> bytes:
    """The fast-import stream of one repository."""
    nfiles = max(files * 4, 8)
    versions = [[0] * FILE_LINES for _ in range(nfiles)]
    out: list[bytes] = []
    start = datetime.fromisoformat(f"{DAY}T00:00:00").replace(tzinfo=_CST)
    _commit(out, 1, start - timedelta(hours=6), "chore: initial import",
            [_blob(f"src/pkg{f % 8}/mod{f}.py", _file(repo, f, versions[f])) for f in range(nfiles)], None)
    step = timedelta(seconds=(24 * 3600 - 120) / max(commits, 1))
    for i in range(commits):
        when = start + timedelta(seconds=60) + step * i
        kind, scope = _TYPES[(i + repo) % len(_TYPES)], _SCOPES[(i * 3 + repo) % len(_SCOPES)]
        message = f"{kind}({scope}): change {i} of repository {repo}\n\nWhy: synthetic change {i}.\n"
        changed: list[bytes] = []
        for k in range(files):
            f = (i * files + k) % nfiles
            for row in range(lines):
                r = (i * 7 + k * 13 + row) % FILE_LINES
                versions[f][r] += 1
            changed.append(_blob(f"src/pkg{f % 8}/mod{f}.py", _file(repo, f, versions[f])))
        if big_kb and i == commits // 2:
            text = "".join(f"Line {n} of the migrated documentation page, with enough words to be prose.\n"
                           for n in range(big_kb * 1024 // 76))
            changed.append(_blob("docs/migrated/guide.md", text.encode()))
        _commit(out, i + 2, when, message, changed, i + 1)
    return b"".join(out)


def build_repos(*, repos: int, commits: int, files: int = 3, lines: int = 20, big_kb: int = 0) -> list[Path]:
    """The repositories (built once, then reused from ``bench/.work``)."""
    base = WORK / f"synth-{repos}x{commits}-f{files}-l{lines}-b{big_kb}"
    paths = [base / f"repo{r:03d}" for r in range(repos)]
    if (base / "done").exists():
        return paths
    shutil.rmtree(base, ignore_errors=True)
    for r, path in enumerate(paths):
        path.mkdir(parents=True)
        subprocess.run(["git", "init", "-q", "-b", "main", str(path)], env=_env(), check=True)
        subprocess.run(["git", "fast-import", "--quiet"], cwd=path, input=stream(r, commits, files, lines, big_kb),
                       env=_env(), check=True)
        subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=path, env=_env(), check=True)
    (base / "done").write_text("ok\n")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repos", type=int, default=10)
    parser.add_argument("--commits", type=int, default=30)
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--big-kb", type=int, default=0)
    args = parser.parse_args()
    for path in build_repos(repos=args.repos, commits=args.commits, files=args.files, lines=args.lines,
                            big_kb=args.big_kb):
        print(path)


if __name__ == "__main__":
    main()
