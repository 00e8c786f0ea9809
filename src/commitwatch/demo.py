"""The embedded default: a real git repository modelled on one real day of ai-dynamo/dynamo.

``commitwatch demo`` builds it (with ``git fast-import``, deterministic SHAs) under the cache dir and
reports on it with the rules analyzer: no network, no keys. It is modelled on the Asia/Shanghai day
2026-02-07: the 31 subjects, authors, landing times (in each committer's own offset) and every file of
every commit, with its status (added, modified, deleted, renamed), its line counts and whether it is
binary, are the real ones (``data/dynamo-2026-02-07-files.tsv``), so the rules rate the demo as they
rate the real day. The file contents are synthetic, and the commits have no message bodies (the real
ones are not in the reference data, and the demo invents nothing the real day lacks).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from importlib import resources
from pathlib import Path

from .errors import SourceError

DEMO_DAY = date(2026, 2, 7)
DEMO_TZ = "Asia/Shanghai"
DEMO_NAME = "dynamo-sample"
DEMO_VERSION = "2"
_CST = timezone(timedelta(hours=8))  # bump when the data below changes, so cached copies are rebuilt


#: The real day's file list: one row per file of each of the 31 commits (status, line counts, path, old
#: path), as git reports them for ai-dynamo/dynamo (``git log -M --numstat``), in the package's data.
FILES_TSV = "dynamo-2026-02-07-files.tsv"

#: The real subjects, by landing time on the demo day (+08:00). The real messages' bodies are not part
#: of the reference data, so the demo commits have none: nothing in them is invented.
_SUBJECTS: dict[str, str] = {
    "01:48:53": "fix: Correctly pass DP rank from Dynamo router into vLLM engine (#6014)",
    "02:11:17": "fix: remove bash wrapper for vllm dsr1 recipe (#6035)",
    "02:35:36": "fix: Fix clashing labels (#6038)",
    "02:44:46": "chore: remove and unify bindings in kv.rs (#6016)",
    "02:51:37": "feat: batch process images in encode worker. Add qwen3 to supported models (#6021)",
    "03:01:09": "ci: add GitHub actions for linting and cutting versioned docs for Fern (#5524)",
    "03:20:36": "docs: clean up toctree navigation and add disaggregated serving guide (#6024)",
    "03:27:44": "chore: clean ups in kv_router.rs (#6028)",
    "03:35:13": "fix: fix ChReK go.mod stale dependencies (#6040)",
    "03:35:42": "feat: update grove dependency to 0.1.0-alpha.6 (#6015)",
    "03:39:23": "ci: remove release branch docs deploy workflow (#6039)",
    "04:01:13": "docs: Update disagg and request flow design docs based on latest code (#5993)",
    "04:01:29": "feat: enable go-to-definition for dynamo.runtime, dynamo.nixl and external dependencies (#6026)",
    "04:07:31": "fix: remove envsubst for logging-dashboard.yaml to preserve Grafana template variables (#6045)",
    "04:11:04": "fix: update bytes crate version to latest (#6041)",
    "04:50:55": "refactor: Move --migration-limit flag from backend to frontend (#5918)",
    "04:51:37": "fix: downgrading opencontainers/runtime-spec version to fix compatibility issue with containerd (#6049)",  # noqa: E501
    "05:09:34": "ci: Transition deploy tests to pytest framework (#5874)",
    "05:17:21": "docs: add quick start sections to KVBM and Router guides (#6043)",
    "07:07:30": "fix(recipes): correct GPU counts in DeepSeek-R1 READMEs (#5953)",
    "07:07:40": "fix(sglang): remove apt-installed python3-blinker (#5995)",
    "07:08:17": "feat: GB200 GPT-oss disagg recipe (#4954)",
    "07:08:27": "fix: operator chart imagePullPolicy (#4821)",
    "07:08:41": "docs: clarify the usage of LRU for mocker evictor (#6053)",
    "07:14:47": "fix: fix missing update DynamoComponentReady condition (#5051)",
    "07:32:52": "feat: EC E/PD workflow in TRT-LLM (#5815)",
    "09:03:07": "docs: add notes and instruction for latest trtllm kvbm disagg (#6055)",
    "10:39:28": "fix: Router + SGLang DP testing (#6057)",
    "11:02:28": "feat(mocker): add optional KV cache allocation/eviction trace (#6052)",
    "11:02:45": "fix: reduce NATS consumer inactive_threshold from 1h to 2min (#5861)",
    "11:25:02": "docs: full migration of docs/ to fern format in fern/ (#6050)",
}


@dataclass(frozen=True)
class _Row:
    """One file of one commit of the real day."""

    status: str  # A, M, D, R
    path: str
    old_path: str
    additions: int
    deletions: int
    binary: bool


@dataclass(frozen=True)
class _Day:
    when: datetime  # in the committer's own offset
    author: str
    rows: tuple[_Row, ...]


def _real_day() -> list[_Day]:
    """The real day's commits from the packaged TSV, oldest first."""
    text = resources.files("commitwatch").joinpath("data").joinpath(FILES_TSV).read_text(encoding="utf-8")
    commits: dict[str, _Day] = {}
    for line in text.splitlines()[1:]:
        sha, when, author, status, additions, deletions, path, old_path = line.split("\t")
        binary = additions == "-"
        row = _Row(status, path, old_path, 0 if binary else int(additions), 0 if binary else int(deletions), binary)
        day = commits.get(sha) or _Day(datetime.fromisoformat(when), author, ())
        commits[sha] = _Day(day.when, day.author, (*day.rows, row))
    return sorted(commits.values(), key=lambda day: day.when)


def _email(name: str) -> str:
    return "".join(ch for ch in name.lower().replace(" ", ".") if ch.isalnum() or ch in ".-") + "@example.com"


def _line(path: str, n: int, tag: str) -> str:
    return f"{tag} line {n} of {path}\n"


def _binary(path: str, tag: str) -> bytes:
    seed = f"{tag}:{path}".encode()
    return b"\x89PNG\r\n\x1a\n\0" + b"".join(bytes([(i * 37 + sum(seed)) % 256]) * 3 for i in range(64)) + seed


def _base_lines(commits: list[_Day]) -> dict[str, int]:
    """How many lines each file that exists before the day needs, so that every change of the day has
    exactly the real counts: a file the day deletes ends with exactly its deleted lines; a renamed file
    is long enough for git to see the rename."""
    ops: dict[str, list[_Row]] = {}
    born: set[str] = set()
    for day in commits:
        for row in day.rows:
            source = row.old_path if row.status == "R" else row.path
            if row.status == "A":
                born.add(row.path)
            elif source not in born:
                ops.setdefault(source, []).append(row)
            if row.status == "R":
                born.add(row.path)
    needed: dict[str, int] = {}
    for path, rows in ops.items():
        first = rows[0]
        if first.status == "D":
            needed[path] = first.deletions
        elif first.status == "R":
            needed[path] = max(4 * (first.additions + first.deletions), 60, first.deletions)
        else:
            needed[path] = first.deletions + 40
    return needed


def _stream() -> Iterator[bytes]:
    """A git fast-import stream: a base commit on the previous day, then the 31 commits, whose files,
    statuses and line counts are the real ones (the content is synthetic)."""
    commits = _real_day()
    files: dict[str, list[str] | bytes] = {}
    mark = 0

    def data(raw: bytes) -> bytes:
        return b"data %d\n" % len(raw) + raw + b"\n"

    def commit(when: datetime, author: str, message: str, ops: list[bytes]) -> bytes:
        nonlocal mark
        mark += 1
        offset = when.strftime("%z")
        ident = f"{author} <{_email(author)}> {int(when.timestamp())} {offset}"
        out = [f"commit refs/heads/main\nmark :{mark}\nauthor {ident}\ncommitter {ident}\n".encode(),
               data(message.encode())]  # fmt: skip
        if mark > 1:
            out.append(f"from :{mark - 1}\n".encode())
        return b"".join([*out, *ops])

    def put(path: str) -> bytes:
        content = files[path]
        raw = content if isinstance(content, bytes) else "".join(content).encode()
        return f"M 100644 inline {path}\n".encode() + data(raw)

    binaries = {row.old_path if row.status == "R" else row.path for day in commits for row in day.rows if row.binary}
    base_ops = []
    for path, count in sorted(_base_lines(commits).items()):
        files[path] = _binary(path, "base") if path in binaries else [_line(path, n, "base") for n in range(count)]
        base_ops.append(put(path))
    files["README.md"] = ["# dynamo (commitwatch demo)\n"]
    base_ops.append(put("README.md"))
    base = datetime(2026, 2, 6, 18, 0, tzinfo=_CST)
    yield commit(base, "Dynamo Bot", "chore: baseline before 2026-02-07\n", base_ops)

    for index, day in enumerate(commits, start=1):
        ops: list[bytes] = []
        for row in day.rows:
            tag = f"c{index}"
            if row.status == "D":
                files.pop(row.path)
                ops.append(f"D {row.path}\n".encode())
                continue
            if row.status == "R":
                files[row.path] = files.pop(row.old_path)
                ops.append(f"D {row.old_path}\n".encode())
            if row.binary:
                files[row.path] = _binary(row.path, tag)
            else:
                lines = files.get(row.path, [])
                assert isinstance(lines, list)
                files[row.path] = lines[row.deletions :] + [_line(row.path, n, tag) for n in range(row.additions)]
            ops.append(put(row.path))
        clock = day.when.astimezone(_CST).strftime("%H:%M:%S")
        yield commit(day.when, day.author, _SUBJECTS[clock] + "\n", ops)


def build_demo_repo(cache_dir: Path) -> Path:
    """Create (or reuse) the demo repository and return its path."""
    target = cache_dir / "demo" / f"{DEMO_NAME}"
    stamp = target / ".git" / "commitwatch-demo-version"
    if stamp.is_file() and stamp.read_text() == DEMO_VERSION:
        return target
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "LC_ALL": "C", "HOME": str(target)}
    try:
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=target, env=env, check=True, capture_output=True)
        subprocess.run(["git", "fast-import", "--quiet"], cwd=target, env=env, check=True, capture_output=True,
                       input=b"".join(_stream()))
        subprocess.run(["git", "reset", "-q", "--hard", "main"], cwd=target, env=env, check=True,
                       capture_output=True)
    except FileNotFoundError as e:
        raise SourceError("git is not installed", hint="Install git (2.30 or newer) and try again.") from e
    except subprocess.CalledProcessError as e:
        raise SourceError(f"could not build the demo repository: {e.stderr.decode(errors='replace').strip()}",
                          hint=f"Check that {target} is writable.") from e
    stamp.write_text(DEMO_VERSION)
    return target
