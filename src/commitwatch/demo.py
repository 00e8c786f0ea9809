"""The embedded default: a real git repository modelled on one real day of ai-dynamo/dynamo.

``commitwatch demo`` builds it (with ``git fast-import``, deterministic SHAs) under the cache dir and
reports on it with the rules analyzer: no network, no keys. The 31 subjects, authors and landing times
are those of the Asia/Shanghai day 2026-02-07; the file lists are modelled on what those commits
touched, and the file contents are synthetic.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from .errors import SourceError

DEMO_DAY = date(2026, 2, 7)
DEMO_TZ = "Asia/Shanghai"
DEMO_NAME = "dynamo-sample"
DEMO_VERSION = "1"
_CST = timezone(timedelta(hours=8))  # bump when the data below changes, so cached copies are rebuilt


@dataclass(frozen=True)
class _Change:
    path: str
    add: int = 0
    delete: int = 0
    op: str = "M"  # M (modify/add), D (delete), R (rename from ``old``), B (binary)
    old: str = ""


def _m(path: str, add: int, delete: int = 0) -> _Change:
    return _Change(path, add, delete)


_DOCS_MIGRATION = [
    _m(f"fern/pages/{section}/{name}.mdx", 90 + (i * 7) % 60)
    for i, (section, name) in enumerate(
        (s, f"{n}-{k}")
        for s in ("getting-started", "architecture", "guides", "kvbm", "router", "backends", "deploy",
                  "observability", "api", "reference")
        for k, n in enumerate(("overview", "install", "config", "usage", "faq", "examples", "tuning",
                               "troubleshooting", "design", "migration", "cli", "env", "limits"))
    )
] + [_m("fern/docs.yml", 240), _m("fern/fern.config.json", 4)]

# (time in +08:00, author, subject, body, changes) — newest last
_COMMITS: list[tuple[str, str, str, str, list[_Change]]] = [
    ("01:48:53", "Karen Chung", "fix: Correctly pass DP rank from Dynamo router into vLLM engine (#6014)",
     "The router selected a data-parallel rank but the vLLM handler dropped it.",
     [_m("components/src/dynamo/vllm/handlers.py", 18, 4), _m("components/src/dynamo/vllm/main.py", 6, 1),
      _m("tests/router/test_router_e2e_with_vllm.py", 40)]),
    ("02:11:17", "Hongkuan Zhou", "fix: remove bash wrapper for vllm dsr1 recipe (#6035)", "",
     [_m("recipes/deepseek-r1/vllm/disagg/deploy.yaml", 12, 20), _m("recipes/deepseek-r1/vllm/run.sh", 0, 35)]),
    ("02:35:36", "Dillon Cullinan", "fix: Fix clashing labels (#6038)", "",
     [_m(".github/labeler.yml", 6, 6)]),
    ("02:44:46", "Yan Ru Pei", "chore: remove and unify bindings in kv.rs (#6016)",
     "Removes duplicated Python bindings for the KV router.",
     [_m("lib/bindings/python/rust/llm/kv.rs", 60, 210), _m("lib/bindings/python/src/dynamo/_core.pyi", 4, 30)]),
    ("02:51:37", "GuanLuo", "feat: batch process images in encode worker. Add qwen3 to supported models (#6021)", "",
     [_m("components/src/dynamo/vllm/multimodal_handlers/encode_worker_handler.py", 95, 40),
      _m("components/src/dynamo/vllm/multimodal_utils/model.py", 12, 2),
      _m("examples/multimodal/README.md", 8, 1)]),
    ("03:01:09", "Jonathan Tong", "ci: add GitHub actions for linting and cutting versioned docs for Fern (#5524)", "",
     [_m(".github/workflows/fern-docs.yml", 110), _m(".github/workflows/fern-version.yml", 85)]),
    ("03:20:36", "dagil-nvidia", "docs: clean up toctree navigation and add disaggregated serving guide (#6024)", "",
     [_m("docs/index.rst", 40, 55), _m("docs/guides/disagg_serving.md", 180)]),
    ("03:27:44", "Yan Ru Pei", "chore: clean ups in kv_router.rs (#6028)", "",
     [_m("lib/llm/src/kv_router.rs", 45, 80), _m("lib/llm/src/kv_router/scheduler.rs", 10, 12)]),
    ("03:35:13", "Julien Mancuso", "fix: fix ChReK go.mod stale dependencies (#6040)", "",
     [_m("deploy/chrek/go.mod", 6, 9), _m("deploy/chrek/go.sum", 20, 31)]),
    ("03:35:42", "Julien Mancuso", "feat: update grove dependency to 0.1.0-alpha.6 (#6015)", "",
     [_m("deploy/cloud/operator/go.mod", 2, 2), _m("deploy/cloud/operator/go.sum", 4, 4),
      _m("deploy/cloud/operator/internal/dynamo/grove.go", 14, 6)]),
    ("03:39:23", "Anant Sharma", "ci: remove release branch docs deploy workflow (#6039)", "",
     [_Change(".github/workflows/deploy-docs-release.yml", 0, 64, "D")]),
    ("04:01:13", "Ryan McCormick", "docs: Update disagg and request flow design docs based on latest code (#5993)", "",
     [_m("docs/design_docs/disagg_serving.md", 60, 45), _m("docs/design_docs/request_flow.md", 30, 22)]),
    ("04:01:29", "Qi Wang",
     "feat: enable go-to-definition for dynamo.runtime, dynamo.nixl and external dependencies (#6026)", "",
     [_m("pyrightconfig.json", 14), _m(".vscode/settings.json", 6, 1)]),
    ("04:07:31", "mohammedabdulwahhab",
     "fix: remove envsubst for logging-dashboard.yaml to preserve Grafana template variables (#6045)", "",
     [_m("deploy/observability/k8s/install.sh", 2, 3)]),
    ("04:11:04", "Anant Sharma", "fix: update bytes crate version to latest (#6041)",
     "bytes 1.10.1 addresses RUSTSEC-2026-0007.",
     [_m("Cargo.toml", 1, 1), _m("Cargo.lock", 5, 5), _m("lib/bindings/python/Cargo.lock", 5, 5)]),
    ("04:50:55", "Jacky", "refactor: Move --migration-limit flag from backend to frontend (#5918)",
     "BREAKING CHANGE: --migration-limit is now a frontend flag; backends reject it.",
     [_m("components/src/dynamo/frontend/main.py", 22, 2), _m("components/src/dynamo/vllm/args.py", 3, 18),
      _m("components/src/dynamo/sglang/args.py", 2, 15), _m("lib/llm/src/entrypoint/input/common.rs", 30, 12),
      _m("lib/llm/src/migration.rs", 16, 20)]),
    ("04:51:37", "Julien Mancuso",
     "fix: downgrading opencontainers/runtime-spec version to fix compatibility issue with containerd (#6049)", "",
     [_m("deploy/cloud/operator/go.mod", 1, 1), _m("deploy/cloud/operator/go.sum", 2, 2)]),
    ("05:09:34", "Tushar Sharma", "ci: Transition deploy tests to pytest framework (#5874)", "",
     [_m("tests/deploy/test_deploy.py", 210), _m("tests/deploy/conftest.py", 60),
      _Change(".github/workflows/deploy-tests.yml", 20, 45)]),
    ("05:17:21", "akshatha-k", "docs: add quick start sections to KVBM and Router guides (#6043)", "",
     [_m("docs/kvbm/kvbm_intro.md", 40), _m("docs/router/README.md", 36)]),
    ("07:07:30", "Ben Hamm", "fix(recipes): correct GPU counts in DeepSeek-R1 READMEs (#5953)", "",
     [_m("recipes/deepseek-r1/README.md", 6, 6), _m("recipes/deepseek-r1/sglang/README.md", 4, 4)]),
    ("07:07:40", "KrishnanPrash", "fix(sglang): remove apt-installed python3-blinker (#5995)", "",
     [_m("container/Dockerfile.sglang", 1, 3)]),
    ("07:08:17", "jthomson04", "feat: GB200 GPT-oss disagg recipe (#4954)", "",
     [_m("recipes/gpt-oss-120b/trtllm/disagg/gb200/deploy.yaml", 140),
      _m("recipes/gpt-oss-120b/trtllm/disagg/gb200/prefill.yaml", 40),
      _m("recipes/gpt-oss-120b/trtllm/disagg/gb200/decode.yaml", 40)]),
    ("07:08:27", "ls-2018", "fix: operator chart imagePullPolicy (#4821)", "",
     [_m("deploy/cloud/helm/platform/components/operator/templates/manager.yaml", 1, 1),
      _m("deploy/cloud/helm/platform/components/operator/values.yaml", 2)]),
    ("07:08:41", "Yan Ru Pei", "docs: clarify the usage of LRU for mocker evictor (#6053)", "",
     [_m("lib/mocker/src/evictor.rs", 8, 2)]),
    ("07:14:47", "Xavier Chang", "fix: fix missing update DynamoComponentReady condition (#5051)", "",
     [_m("deploy/cloud/operator/internal/controller/dynamocomponentdeployment_controller.go", 38, 9),
      _m("deploy/cloud/operator/internal/controller/dynamocomponentdeployment_controller_test.go", 64)]),
    ("07:32:52", "Qi Wang", "feat: EC E/PD workflow in TRT-LLM (#5815)", "",
     [_m("components/src/dynamo/trtllm/request_handlers/aggregated_handler.py", 160),
      _m("components/src/dynamo/trtllm/request_handlers/handler_base.py", 40, 12),
      _m("components/src/dynamo/trtllm/request_handlers/handlers.py", 55, 20),
      _m("components/src/dynamo/trtllm/encode_helper.py", 70, 10),
      _m("components/src/dynamo/trtllm/tests/test_aggregated_handler.py", 120),
      _m("examples/backends/trtllm/launch/epd_agg.sh", 45)]),
    ("09:03:07", "Richard Huo", "docs: add notes and instruction for latest trtllm kvbm disagg (#6055)", "",
     [_m("docs/kvbm/trtllm-setup.md", 25, 3)]),
    ("10:39:28", "Karen Chung", "fix: Router + SGLang DP testing (#6057)", "",
     [_m("tests/router/test_router_e2e_with_sglang.py", 70, 12), _m("tests/router/common.py", 15, 4)]),
    ("11:02:28", "Yongming Ding", "feat(mocker): add optional KV cache allocation/eviction trace (#6052)",
     "Set DYN_MOCKER_KV_CACHE_TRACE=1 to log every allocation and eviction.",
     [_m("lib/mocker/src/kv_manager.rs", 48, 9), _m("lib/mocker/Cargo.toml", 1),
      _m("lib/runtime/src/config/environment_names.rs", 6), _m("Cargo.lock", 1),
      _m("components/src/dynamo/mocker/README.md", 12)]),
    ("11:02:45", "Konstantin Korolev", "fix: reduce NATS consumer inactive_threshold from 1h to 2min (#5861)", "",
     [_m("lib/runtime/src/transports/nats.rs", 3, 3), _m("lib/runtime/src/transports/nats/consumer.rs", 10, 2)]),
    ("11:25:02", "dagil-nvidia", "docs: full migration of docs/ to fern format in fern/ (#6050)",
     "Moves every page of docs/ to Fern MDX.", _DOCS_MIGRATION),
]


def _email(name: str) -> str:
    return "".join(ch for ch in name.lower().replace(" ", ".") if ch.isalnum() or ch in ".-") + "@example.com"


def _line(path: str, n: int, tag: str) -> str:
    return f"{tag} line {n} of {path}\n"


def _stream() -> Iterator[bytes]:
    """A git fast-import stream: a base commit on the previous day, then the 31 commits."""
    files: dict[str, list[str]] = {}
    mark = 0

    def data(text: str) -> bytes:
        raw = text.encode()
        return b"data %d\n" % len(raw) + raw + b"\n"

    def commit(when: str, author: str, message: str, ops: list[tuple[str, str, str]]) -> bytes:
        nonlocal mark
        mark += 1
        ident = f"{author} <{_email(author)}> {when}"
        out = [f"commit refs/heads/main\nmark :{mark}\nauthor {ident}\ncommitter {ident}\n".encode(),
               data(message)]
        if mark > 1:
            out.append(f"from :{mark - 1}\n".encode())
        for op, path, content in ops:
            if op == "D":
                out.append(f"D {path}\n".encode())
            else:
                out.append(f"M 100644 inline {path}\n".encode() + data(content))
        return b"".join(out)

    base_paths = sorted({c.path for *_, changes in _COMMITS for c in changes
                         if c.delete and c.op != "R"} | {"README.md"})
    base_ops = []
    for path in base_paths:
        files[path] = [_line(path, n, "base") for n in range(1, 241)]
        base_ops.append(("M", path, "".join(files[path])))
    base_epoch = int(datetime(2026, 2, 6, 18, 0, tzinfo=_CST).timestamp())
    yield commit(f"{base_epoch} +0800", "Dynamo Bot", "chore: baseline before 2026-02-07\n", base_ops)

    for index, (clock, author, subject, body, changes) in enumerate(_COMMITS, start=1):
        hh, mm, ss = (int(part) for part in clock.split(":"))
        epoch = int(datetime(2026, 2, 7, hh, mm, ss, tzinfo=_CST).timestamp())
        ops: list[tuple[str, str, str]] = []
        for change in changes:
            lines = files.setdefault(change.path, [])
            if change.op == "D":
                files.pop(change.path)
                ops.append(("D", change.path, ""))
                continue
            del lines[: change.delete]
            lines.extend(_line(change.path, n, f"c{index}") for n in range(change.add))
            ops.append(("M", change.path, "".join(lines)))
        message = subject + ("\n\n" + body if body else "") + "\n"
        yield commit(f"{epoch} +0800", author, message, ops)


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
