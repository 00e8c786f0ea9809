"""Triage: how real projects title commits, what their files are, and how much a change matters.

The table below holds subjects in the styles of vLLM, SGLang and Dynamo (all 31 commits of the sample
day, with plausible file lists) and the type and level a careful reader would give them. The sample's
own levels came from a scorer with known defects (see DESIGN.md) and are not the expectations here.
"""

from __future__ import annotations

import re
import string
import sys
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from commitwatch.models import ChangeType, Commit, FileCategory, FileChange, Importance, Person, Reason
from commitwatch.triage import (
    HIGH_THRESHOLD,
    MEDIUM_THRESHOLD,
    REASON_KEYS,
    classify_file,
    importance_for,
    top_dirs,
    triage,
)
from tests.fakes import FileSpec
from tests.fakes import triage_commit as make_commit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

T = ChangeType
C = FileCategory
HIGH, MEDIUM, LOW = Importance.HIGH, Importance.MEDIUM, Importance.LOW
WHEN = datetime(2026, 2, 7, 3, 0, tzinfo=timezone.utc)
LOCALES = Path(__file__).resolve().parents[1] / "src" / "commitwatch" / "locales"

def keys(result_reasons: tuple[Reason, ...]) -> set[str]:
    return {reason.key for reason in result_reasons}


# --- the table -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    subject: str
    files: tuple[FileSpec, ...]
    type: ChangeType
    level: Importance


def case(id: str, subject: str, files: list[FileSpec], type: ChangeType, level: Importance) -> Case:
    return Case(id, subject, tuple(files), type, level)


FERN_MIGRATION = [
    *[(f"fern/pages/section{i // 20}/page{i}.mdx", 220, 0) for i in range(120)],
    ("fern/docs.yml", 400, 0),
    ("fern/versions/next.yml", 600, 0),
    *[(f"fern/assets/img{i}.png", 0, 0) for i in range(8)],
]

DYNAMO = [
    case("dynamo-6050-fern-migration", "docs: full migration of docs/ to fern format in fern/ (#6050)",
         FERN_MIGRATION, T.DOCS, MEDIUM),
    case("dynamo-5861-nats-threshold", "fix: reduce NATS consumer inactive_threshold from 1h to 2min (#5861)",
         [("lib/runtime/src/transports/nats.rs", 6, 3)], T.FIX, MEDIUM),
    case("dynamo-6052-mocker-trace", "feat(mocker): add optional KV cache allocation/eviction trace (#6052)",
         [("lib/mocker/src/kv_manager.rs", 95, 12), ("lib/mocker/Cargo.toml", 1, 0),
          ("lib/runtime/src/config/environment_names.rs", 8, 0), ("Cargo.lock", 1, 0),
          ("lib/bindings/python/Cargo.lock", 1, 0), ("components/src/dynamo/mocker/README.md", 14, 0)],
         T.FEATURE, MEDIUM),
    case("dynamo-6057-router-sglang-dp", "fix: Router + SGLang DP testing (#6057)",
         [("components/src/dynamo/sglang/publisher.py", 12, 3),
          ("tests/router/test_router_e2e_with_sglang.py", 40, 5)], T.FIX, MEDIUM),
    case("dynamo-6055-kvbm-notes", "docs: add notes and instruction for latest trtllm kvbm disagg (#6055)",
         [("docs/kvbm/trtllm-setup.md", 40, 2)], T.DOCS, LOW),
    case("dynamo-5815-ec-epd", "feat: EC E/PD workflow in TRT-LLM (#5815)",
         [("components/src/dynamo/trtllm/request_handlers/aggregated_handler.py", 180, 0),
          ("components/src/dynamo/trtllm/request_handlers/handler_base.py", 60, 20),
          ("components/src/dynamo/trtllm/request_handlers/handlers.py", 90, 30),
          ("components/src/dynamo/trtllm/multimodal/hasher.py", 4, 4),
          ("components/src/dynamo/trtllm/utils/trtllm_utils.py", 25, 0),
          ("components/src/dynamo/trtllm/main.py", 40, 10),
          ("components/src/dynamo/trtllm/tests/test_aggregated_handler.py", 220, 0),
          ("components/src/dynamo/trtllm/tests/utils.py", 90, 0),
          ("examples/backends/trtllm/engine_configs/llava-v1.6-mistral-7b-hf/agg.yaml", 30, 0),
          ("examples/backends/trtllm/launch/e_pd_disagg.sh", 70, 0)], T.FEATURE, HIGH),
    case("dynamo-5051-component-ready", "fix: fix missing update DynamoComponentReady condition (#5051)",
         [("deploy/operator/internal/controller/dynamocomponentdeployment_controller.go", 18, 4),
          ("deploy/operator/internal/controller/dynamocomponentdeployment_controller_test.go", 45, 10)],
         T.FIX, MEDIUM),
    case("dynamo-6053-lru-doc", "docs: clarify the usage of LRU for mocker evictor (#6053)",
         [("docs/mocker/mocker.md", 6, 2)], T.DOCS, LOW),
    case("dynamo-4821-pull-policy", "fix: operator chart imagePullPolicy (#4821)",
         [("deploy/helm/charts/platform/components/operator/templates/deployment.yaml", 2, 0),
          ("deploy/helm/charts/platform/components/operator/values.yaml", 4, 0)], T.FIX, MEDIUM),
    case("dynamo-4954-gb200-recipe", "feat: GB200 GPT-oss disagg recipe (#4954)",
         [("recipes/gpt-oss-120b/trtllm/disagg/deploy.yaml", 220, 0),
          ("recipes/gpt-oss-120b/trtllm/disagg/perf.yaml", 120, 0),
          ("recipes/gpt-oss-120b/trtllm/disagg/README.md", 40, 0),
          ("recipes/gpt-oss-120b/trtllm/disagg/prefill.yaml", 0, 60),
          ("recipes/gpt-oss-120b/trtllm/disagg/decode.yaml", 0, 60)], T.FEATURE, MEDIUM),
    case("dynamo-5995-blinker", "fix(sglang): remove apt-installed python3-blinker (#5995)",
         [("container/Dockerfile.sglang", 1, 1)], T.FIX, MEDIUM),
    case("dynamo-5953-gpu-counts", "fix(recipes): correct GPU counts in DeepSeek-R1 READMEs (#5953)",
         [("recipes/deepseek-r1/sglang/README.md", 8, 8), ("recipes/deepseek-r1/vllm/disagg/README.md", 4, 4)],
         T.DOCS, LOW),
    case("dynamo-6043-quick-start", "docs: add quick start sections to KVBM and Router guides (#6043)",
         [("docs/kvbm/kvbm_guide.md", 60, 0), ("docs/router/router_guide.md", 55, 0)], T.DOCS, LOW),
    case("dynamo-5874-deploy-tests", "ci: Transition deploy tests to pytest framework (#5874)",
         [(".github/workflows/pr.yaml", 60, 80), (".github/actions/dynamo-deploy-test/action.yml", 40, 120),
          (".github/workflows/upload_complete_workflow_metrics.py", 6, 0), ("tests/deploy/test_deploy.py", 250, 0),
          ("tests/deploy/conftest.py", 120, 0), ("tests/utils/managed_deployment.py", 180, 40),
          ("tests/utils/client.py", 30, 0), ("tests/conftest.py", 10, 0), ("pyproject.toml", 1, 0),
          ("container/deps/requirements.test.txt", 3, 0)], T.CI, MEDIUM),
    case("dynamo-6049-runtime-spec", "fix: downgrading opencontainers/runtime-spec version to fix compatibility "
         "issue with containerd (#6049)", [("deploy/chrek/go.mod", 1, 1), ("deploy/chrek/go.sum", 2, 2)],
         T.DEPS, LOW),
    case("dynamo-5918-migration-limit", "refactor: Move --migration-limit flag from backend to frontend (#5918)",
         [("components/src/dynamo/frontend/main.py", 25, 0), ("components/src/dynamo/sglang/args.py", 0, 20),
          ("components/src/dynamo/sglang/main.py", 0, 6), ("components/src/dynamo/trtllm/utils/trtllm_utils.py", 0, 18),
          ("components/src/dynamo/trtllm/main.py", 0, 5), ("components/src/dynamo/vllm/args.py", 0, 22),
          ("components/src/dynamo/vllm/main.py", 0, 8), ("lib/llm/src/discovery/watcher.rs", 30, 8),
          ("lib/llm/src/local_model.rs", 20, 15), ("lib/llm/src/migration.rs", 12, 6),
          ("lib/llm/src/entrypoint/input/common.rs", 10, 4), ("lib/bindings/python/rust/llm/entrypoint.rs", 8, 12),
          ("lib/bindings/python/src/dynamo/_core.pyi", 2, 4), ("lib/bindings/c/src/lib.rs", 3, 6),
          ("docs/fault_tolerance/request_migration.md", 10, 14),
          ("tests/fault_tolerance/migration/test_vllm.py", 20, 30)], T.FEATURE, HIGH),
    case("dynamo-6041-bytes", "fix: update bytes crate version to latest (#6041)",
         [("Cargo.lock", 2, 2), ("lib/bindings/python/Cargo.lock", 30, 2), ("lib/bindings/kvbm/Cargo.lock", 30, 2),
          ("lib/runtime/examples/Cargo.lock", 2, 2), ("Cargo.toml", 1, 1)], T.DEPS, LOW),
    case("dynamo-6045-envsubst", "fix: remove envsubst for logging-dashboard.yaml to preserve Grafana template "
         "variables (#6045)", [("docs/kubernetes/observability/logging.md", 3, 3),
                               ("fern/pages/kubernetes/observability/logging.mdx", 3, 3)], T.DOCS, LOW),
    case("dynamo-6026-go-to-definition", "feat: enable go-to-definition for dynamo.runtime, dynamo.nixl and "
         "external dependencies (#6026)", [("pyproject.toml", 9, 0)], T.FEATURE, MEDIUM),
    case("dynamo-5993-design-docs", "docs: Update disagg and request flow design docs based on latest code (#5993)",
         [("docs/design_docs/disagg_serving.md", 80, 60), ("docs/design_docs/request_flow.md", 40, 30)],
         T.DOCS, LOW),
    case("dynamo-6039-docs-deploy", "ci: remove release branch docs deploy workflow (#6039)",
         [(".github/workflows/deploy-docs-release.yml", 0, 95)], T.CI, LOW),
    case("dynamo-6015-grove", "feat: update grove dependency to 0.1.0-alpha.6 (#6015)",
         [("deploy/helm/charts/platform/Chart.yaml", 3, 3), ("deploy/helm/charts/platform/values.yaml", 4, 4),
          ("deploy/helm/charts/platform/README.md", 2, 2), ("deploy/operator/go.mod", 2, 2),
          ("deploy/operator/go.sum", 4, 4), ("deploy/operator/cmd/main.go", 3, 3),
          *[(f"deploy/operator/internal/controller/c{i}.go", 2, 2) for i in range(6)],
          ("deploy/operator/internal/dynamo/graph.go", 4, 4), ("deploy/operator/internal/dynamo/grove.go", 4, 4)],
         T.DEPS, MEDIUM),
    case("dynamo-6040-chrek-gomod", "fix: fix ChReK go.mod stale dependencies (#6040)",
         [("deploy/chrek/go.mod", 40, 38), ("deploy/chrek/go.sum", 120, 110)], T.DEPS, LOW),
    case("dynamo-6028-kv-router-cleanup", "chore: clean ups in kv_router.rs (#6028)",
         [("lib/llm/src/kv_router.rs", 60, 40), ("lib/llm/src/preprocessor/media/loader.rs", 2, 0),
          ("launch/dynamo-run/src/flags.rs", 15, 20), ("lib/bindings/c/src/lib.rs", 5, 12),
          ("lib/mocker/src/protocols.rs", 30, 5), ("lib/mocker/src/scheduler.rs", 10, 4),
          ("lib/mocker/src/sequence.rs", 8, 6), ("Cargo.toml", 1, 0), ("lib/llm/Cargo.toml", 1, 0),
          ("Cargo.lock", 20, 0)], T.CHORE, MEDIUM),
    case("dynamo-6024-toctree", "docs: clean up toctree navigation and add disaggregated serving guide (#6024)",
         [("docs/index.rst", 40, 60), ("docs/hidden_toctree.rst", 30, 40),
          ("docs/features/disaggregated_serving/README.md", 350, 0),
          *[(f"docs/images/disagg_{i}.svg", 200, 0) for i in range(4)],
          *[(f"docs/fault_tolerance/page{i}.md", 0, 120) for i in range(5)],
          ("docs/performance/aiconfigurator.md", 0, 200), ("docs/MIGRATION_GUIDE.md", 0, 150)], T.DOCS, LOW),
    case("dynamo-5524-fern-actions", "ci: add GitHub actions for linting and cutting versioned docs for Fern (#5524)",
         [(".github/workflows/fern-docs.yml", 260, 0), (".github/actions/changed-files/action.yml", 6, 0),
          (".github/filters.yaml", 8, 2), ("fern/convert_callouts.py", 140, 0),
          *[(f"docs/guides/page{i}.md", 10, 10) for i in range(4)]], T.CI, LOW),
    case("dynamo-6021-batch-images", "feat: batch process images in encode worker. Add qwen3 to supported models "
         "(#6021)", [("components/src/dynamo/vllm/multimodal_handlers/encode_worker_handler.py", 160, 70),
                     ("components/src/dynamo/vllm/multimodal_handlers/preprocessed_handler.py", 40, 10),
                     ("components/src/dynamo/vllm/multimodal_utils/embedding_cache.py", 60, 0),
                     ("components/src/dynamo/vllm/multimodal_utils/model.py", 25, 5)], T.FEATURE, MEDIUM),
    case("dynamo-6016-unify-bindings", "chore: remove and unify bindings in kv.rs (#6016)",
         [("lib/bindings/python/rust/llm/kv.rs", 180, 620), ("lib/bindings/python/rust/lib.rs", 2, 6),
          ("lib/bindings/python/src/dynamo/_core.pyi", 30, 80), ("components/src/dynamo/sglang/publisher.py", 20, 35),
          ("components/src/dynamo/vllm/main.py", 15, 30), ("components/src/dynamo/trtllm/publisher.py", 12, 25),
          ("examples/custom_backend/worker.py", 10, 20), ("docs/integrations/kv_events_custom_engines.md", 30, 50)],
         T.CHORE, HIGH),
    case("dynamo-6038-labels", "fix: Fix clashing labels (#6038)", [(".github/labeler.yml", 4, 4)], T.CI, LOW),
    case("dynamo-6035-bash-wrapper", "fix: remove bash wrapper for vllm dsr1 recipe (#6035)",
         [("recipes/deepseek-r1/vllm/disagg/deploy_hopper_16gpu.yaml", 40, 30)], T.FIX, MEDIUM),
    case("dynamo-6014-dp-rank", "fix: Correctly pass DP rank from Dynamo router into vLLM engine (#6014)",
         [("components/src/dynamo/vllm/handlers.py", 25, 8)], T.FIX, MEDIUM),
]  # fmt: skip

VLLM = [
    case("vllm-bugfix-moe-crash", "[Bugfix] Fix FP8 MoE kernel crash on H100 (#12345)",
         [("vllm/model_executor/layers/fused_moe/fused_moe.py", 12, 4), ("csrc/moe/moe_align_sum_kernels.cu", 8, 3),
          ("tests/kernels/moe/test_moe.py", 30, 0)], T.FIX, HIGH),
    case("vllm-kernel-b200-config", "[Kernel] Add fused MoE Triton config for B200 (#12346)",
         [("vllm/model_executor/layers/fused_moe/configs/E=128,N=768,device_name=NVIDIA_B200.json", 146, 0)],
         T.FEATURE, MEDIUM),
    case("vllm-doc-typo", "[Doc] Fix typo (#12347)", [("docs/serving/engine_args.md", 1, 1)], T.DOCS, LOW),
    case("vllm-bump-torch", "[CI/Build] Bump torch to 2.6 (#12348)",
         [("requirements/cuda.txt", 1, 1), ("requirements/build.txt", 1, 1), ("pyproject.toml", 1, 1),
          ("CMakeLists.txt", 1, 1), ("docker/Dockerfile", 2, 2)], T.DEPS, MEDIUM),
    case("vllm-misc-imports", "[Misc] Clean up unused imports (#12349)",
         [(f"vllm/{area}/module.py", 0, 2) for area in ("v1/engine", "v1/core", "entrypoints", "config",
                                                          "model_executor", "worker", "lora", "utils")],
         T.CHORE, LOW),
    case("vllm-model-qwen3-next", "[Model] Support Qwen3-Next (#12350)",
         [("vllm/model_executor/models/qwen3_next.py", 1250, 0), ("vllm/model_executor/models/registry.py", 2, 0),
          ("vllm/transformers_utils/configs/qwen3_next.py", 280, 0),
          ("vllm/transformers_utils/configs/__init__.py", 2, 0), ("docs/models/supported_models.md", 1, 0),
          ("tests/models/registry.py", 3, 0)], T.FEATURE, HIGH),
    case("vllm-amd-fp8", "[Hardware][AMD] Enable FP8 on MI300X (#12351)",
         [("vllm/platforms/rocm.py", 20, 4), ("vllm/model_executor/layers/quantization/fp8.py", 35, 10)],
         T.FEATURE, MEDIUM),
    case("vllm-paged-attention-ima", "[Bugfix][Kernel] Fix illegal memory access in paged attention (#12352)",
         [("csrc/attention/paged_attention_v1.cu", 10, 6), ("csrc/attention/attention_kernels.cuh", 4, 2)],
         T.FIX, HIGH),
    case("vllm-core-scheduler", "[Core] Optimize scheduler for prefix caching (#12353)",
         [("vllm/v1/core/sched/scheduler.py", 90, 40), ("vllm/v1/core/kv_cache_manager.py", 30, 10),
          ("tests/v1/core/test_scheduler.py", 60, 0)], T.PERF, HIGH),
    case("vllm-frontend-tool-choice", "[Frontend] Add --enable-auto-tool-choice support for Llama 4 (#12354)",
         [("vllm/entrypoints/openai/tool_parsers/llama4_pythonic_tool_parser.py", 150, 0),
          ("vllm/entrypoints/openai/cli_args.py", 6, 0), ("docs/features/tool_calling.md", 20, 0),
          ("tests/entrypoints/openai/tool_parsers/test_llama4.py", 80, 0)], T.FEATURE, MEDIUM),
    case("vllm-eagle3", "[V1][Spec Decode] Add EAGLE-3 support (#12355)",
         [("vllm/v1/spec_decode/eagle.py", 220, 40), ("vllm/model_executor/models/llama_eagle3.py", 260, 0),
          ("vllm/v1/worker/gpu_model_runner.py", 40, 10), ("vllm/config.py", 25, 5),
          ("tests/v1/spec_decode/test_eagle.py", 120, 0)], T.FEATURE, HIGH),
    case("vllm-mxfp4", "[Quantization] Add MXFP4 support for MoE (#12356)",
         [("vllm/model_executor/layers/quantization/mxfp4.py", 320, 0),
          ("vllm/model_executor/layers/fused_moe/layer.py", 40, 10), ("csrc/quantization/mxfp4/mxfp4_gemm.cu", 280, 0)],
         T.FEATURE, HIGH),
    case("vllm-minor-typo", "[Minor] Fix typo in log message (#12357)", [("vllm/v1/engine/core.py", 1, 1)],
         T.FIX, LOW),
    case("vllm-security-ssrf", "[Security] Fix SSRF in media URL loading (#12358)",
         [("vllm/multimodal/utils.py", 40, 5), ("vllm/envs.py", 8, 0), ("tests/multimodal/test_utils.py", 50, 0)],
         T.SECURITY, HIGH),
    case("vllm-perf-detok", "[Perf] Speed up detokenization by 2x (#12359)",
         [("vllm/v1/engine/detokenizer.py", 60, 30)], T.PERF, MEDIUM),
    case("vllm-test-tool-parser", "[Test] Add tests for tool parser (#12360)",
         [("tests/tool_use/test_parser.py", 150, 0)], T.TEST, LOW),
    case("vllm-ci-flaky", "[CI] Fix flaky test_chunked_prefill (#12361)",
         [("tests/basic_correctness/test_chunked_prefill.py", 5, 3), (".buildkite/test-pipeline.yaml", 2, 1)],
         T.CI, LOW),
    case("vllm-revert-async-sched", 'Revert "[Core] Use async scheduling by default (#20000)" (#20100)',
         [("vllm/config.py", 3, 3), ("vllm/v1/engine/core.py", 20, 45),
          ("vllm/v1/core/sched/async_scheduler.py", 0, 10)], T.REVERT, MEDIUM),
    case("vllm-refactor-sampling", "[Refactor] Move sampling params validation into processor (#12362)",
         [("vllm/v1/engine/processor.py", 80, 10), ("vllm/sampling_params.py", 10, 70),
          ("tests/v1/engine/test_processor.py", 40, 0)], T.REFACTOR, MEDIUM),
    case("vllm-docs-k8s", "[Docs] Add deployment guide for Kubernetes (#12363)",
         [("docs/deployment/k8s.md", 240, 0)], T.DOCS, LOW),
    case("vllm-bug-deadlock", "[Bug] Fix deadlock in async output processor (#12364)",
         [("vllm/v1/engine/async_llm.py", 15, 6)], T.FIX, HIGH),
    case("vllm-benchmark", "[Benchmark] Add serving benchmark for structured output (#12365)",
         [("benchmarks/benchmark_serving_structured_output.py", 400, 0)], T.TEST, LOW),
    case("vllm-ci-build-precommit", "[CI/Build] Update pre-commit hooks (#12366)",
         [(".pre-commit-config.yaml", 4, 4)], T.CI, LOW),
]  # fmt: skip

SGLANG = [
    case("sglang-fix-nan", "[Fix] Fix deepseek v3 nan output under dp attention (#9000)",
         [("python/sglang/srt/models/deepseek_v2.py", 15, 5), ("python/sglang/srt/layers/dp_attention.py", 20, 6)],
         T.FIX, HIGH),
    case("sglang-feature-mooncake", "[Feature] Support PD disaggregation with Mooncake transfer engine (#9001)",
         [("python/sglang/srt/disaggregation/mooncake/conn.py", 600, 0),
          ("python/sglang/srt/disaggregation/utils.py", 80, 10), ("python/sglang/srt/server_args.py", 30, 0),
          ("docs/backend/pd_disaggregation.md", 120, 0), ("test/srt/test_disaggregation.py", 200, 0)],
         T.FEATURE, HIGH),
    case("sglang-pd-timeout", "[PD] Fix KV transfer timeout handling (#9002)",
         [("python/sglang/srt/disaggregation/mooncake/conn.py", 30, 12)], T.FIX, MEDIUM),
    case("sglang-revert-overlap", 'Revert "[Feature] Overlap scheduler for DP attention (#8000)" (#9003)',
         [("python/sglang/srt/managers/scheduler.py", 40, 180),
          ("python/sglang/srt/managers/tp_worker_overlap_thread.py", 0, 60)], T.REVERT, HIGH),
    case("sglang-router-policy", "[router] Add cache-aware load balancing policy (#9004)",
         [("sgl-router/src/policies/cache_aware.rs", 420, 0), ("sgl-router/src/policies/mod.rs", 10, 0),
          ("sgl-router/src/config/types.rs", 30, 0), ("sgl-router/py_src/sglang_router/launch_router.py", 20, 0),
          ("sgl-router/tests/test_cache_aware.rs", 150, 0)], T.FEATURE, MEDIUM),
    case("sglang-router-version", "[router] bump version to 0.1.9 (#9005)",
         [("sgl-router/Cargo.toml", 1, 1), ("sgl-router/py_src/sglang_router/version.py", 1, 1),
          ("sgl-router/pyproject.toml", 1, 1)], T.CHORE, LOW),
    case("sglang-bump-kernel", "chore: bump sgl-kernel to 0.3.5 (#9006)",
         [("python/pyproject.toml", 1, 1), ("docker/Dockerfile", 1, 1),
          ("python/sglang/srt/entrypoints/engine.py", 1, 1)], T.DEPS, MEDIUM),
    case("sglang-minor-lint", "[Minor] fix lint (#9007)", [("python/sglang/srt/utils.py", 3, 3)], T.STYLE, LOW),
    case("sglang-ci-nightly", "[CI] Add nightly eval for DeepSeek-V3 (#9008)",
         [(".github/workflows/nightly-eval.yml", 80, 0), ("test/srt/test_nightly_eval_dsv3.py", 120, 0)],
         T.CI, LOW),
    case("sglang-doc-server-args", "[Doc] Update server arguments doc (#9009)",
         [("docs/backend/server_arguments.md", 12, 3)], T.DOCS, LOW),
    case("sglang-perf-moe-align", "[Perf] Optimize MoE align block size kernel (#9010)",
         [("sgl-kernel/csrc/moe/moe_align_kernel.cu", 200, 120)], T.PERF, HIGH),
    case("sglang-amd-aiter", "[AMD] Add aiter backend for attention (#9011)",
         [("python/sglang/srt/layers/attention/aiter_backend.py", 450, 0), ("python/sglang/srt/server_args.py", 10, 0)],
         T.FEATURE, HIGH),
]  # fmt: skip

CASES = [*DYNAMO, *VLLM, *SGLANG]


def test_the_table_is_large_and_covers_the_sample_day() -> None:
    assert len(CASES) >= 40
    assert len(DYNAMO) == 31
    assert len({c.id for c in CASES}) == len(CASES)
    assert {c.level for c in CASES} == set(Importance)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_real_world_subjects(c: Case) -> None:
    result = triage(make_commit(c.subject, c.files))
    explanation = [(r.key, r.args, r.weight) for r in result.reasons]
    assert (result.change_type, result.importance) == (c.type, c.level), (result.score, explanation)
    assert importance_for(result.score) is result.importance
    assert len(result.categories) == len(c.files)


def test_sample_day_spreads_over_levels() -> None:
    """The old scorer put 9 of 31 at high, including dependency bumps; ours keeps high for big code changes."""
    levels = [triage(make_commit(c.subject, c.files)).importance for c in DYNAMO]
    assert levels.count(HIGH) == 3
    assert levels.count(LOW) > levels.count(HIGH)


# --- reasons ---------------------------------------------------------------------------------------


def test_score_is_base_plus_reason_weights() -> None:
    for c in CASES:
        result = triage(make_commit(c.subject, c.files))
        raw = 30 + sum(r.weight for r in result.reasons)
        assert result.score == max(0, min(100, raw)), c.id


@pytest.mark.parametrize(
    ("subject", "files", "expected"),
    [
        ("feat(mocker): add trace", [("lib/mocker/src/a.rs", 50, 0)], {"conventional_type", "source_lines"}),
        ("[Kernel] Add fused MoE config", [("csrc/moe/a.cu", 50, 0)], {"title_word", "tag_raises", "core_path"}),
        ("[Misc] Tidy", [("vllm/a.py", 2, 2)], {"title_word", "tag_lowers"}),
        ("docs: fix typo", [("docs/a.md", 1, 1)], {"conventional_type", "only_docs"}),
        ("fix: typo in README", [("README.md", 1, 1)], {"only_docs"}),
        ("Bump serde from 1.0.1 to 2.0.0", [("Cargo.toml", 1, 1), ("Cargo.lock", 4, 4)],
         {"dependency_bump", "major_version_bump"}),
        ("fix: bump torch to 2.6", [("requirements.txt", 1, 1)], {"dependency_bump", "core_dependency"}),
        ("fix: CVE-2026-1234 in parser", [("src/parser.py", 5, 1)], {"security_word"}),
        ("feat!: new config format", [("src/config.py", 200, 100)], {"breaking", "source_lines"}),
        ('Revert "feat: thing"', [("src/a.py", 1, 10)], {"revert"}),
        ("fix: crash on empty prompt", [("engine/x.py", 3, 1)], {"severe_bug", "core_path"}),
        ("feat: protocol v2", [("proto/api.proto", 40, 0)], {"api_file"}),
        ("feat: add a lot", [(f"area{i}/m.py", 50, 0) for i in range(6)], {"source_spread"}),
        ("Update things", [("a/b.py", 1, 1), ("docs/x.md", 1, 1)], {"no_type_signal"}),
        ("fix: config", [("deploy/values.yaml", 1, 1)], {"no_source_changes"}),
        ("ci: rework everything", [(".github/workflows/a.yml", 900, 300)], {"large_change"}),
        ("chore: regenerate", [("api/x_pb2.py", 900, 300)], {"only_generated"}),
        ("Something", [], {"no_files", "no_type_signal"}),
    ],
)  # fmt: skip
def test_reasons_present_for_each_decision(subject: str, files: list[FileSpec], expected: set[str]) -> None:
    result = triage(make_commit(subject, files))
    assert expected <= keys(result.reasons), [(r.key, r.args, r.weight) for r in result.reasons]


def test_reason_args_are_strings_matching_the_catalog_of_keys() -> None:
    for c in CASES:
        for reason in triage(make_commit(c.subject, c.files)).reasons:
            assert reason.key in REASON_KEYS
            assert tuple(name for name, _ in reason.args) == REASON_KEYS[reason.key]
            assert all(isinstance(value, str) for _, value in reason.args)


def test_exactly_one_reason_decides_the_type() -> None:
    """The type's weight is carried once: overruled type reasons are kept with weight 0."""
    result = triage(make_commit("fix(recipes): correct GPU counts", [("recipes/a/README.md", 2, 2)]))
    assert result.change_type is T.DOCS
    by_key = {r.key: r for r in result.reasons}
    assert by_key["conventional_type"].weight == 0
    assert by_key["only_docs"].weight < 0
    assert result.reasons[0].key == "only_docs"


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_reason_key_has_a_message_with_the_same_placeholders(language: str) -> None:
    catalog = tomllib.loads((LOCALES / language / "reasons.toml").read_text(encoding="utf-8"))
    assert set(catalog) >= set(REASON_KEYS), set(REASON_KEYS) - set(catalog)
    for key, args in REASON_KEYS.items():
        message = catalog[key]
        assert isinstance(message, str) and message.strip()
        assert set(re.findall(r"\{(\w+)\}", message)) == set(args), (language, key, message)


def test_chinese_messages_are_chinese() -> None:
    catalog = tomllib.loads((LOCALES / "zh-CN" / "reasons.toml").read_text(encoding="utf-8"))
    for key, message in catalog.items():
        assert re.search(r"[\u4e00-\u9fff]", message), key


# --- titles ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "type", "breaking"),
    [
        ("feat(mocker): add trace", T.FEATURE, False),
        ("Fix: handle empty input", T.FIX, False),
        ("FIX: handle empty input", T.FIX, False),
        ("refactor!: split the engine", T.REFACTOR, True),
        ("FEAT(api)!: remove v1 routes", T.FEATURE, True),
        ("feat (api) : spaced out", T.FEATURE, False),
        ("perf: faster tokenizer", T.PERF, False),
        ("build(deps): bump serde from 1.0.1 to 1.0.2", T.DEPS, False),
        ("chore(deps): bump serde from 1.0.1 to 1.0.2", T.DEPS, False),
        ("ci: cache wheels", T.CI, False),
        ("docs: explain config", T.DOCS, False),
        ("test: cover parser", T.TEST, False),
        ("chore: tidy", T.CHORE, False),
        ("style: ruff format", T.STYLE, False),
        ("revert: feat: add trace", T.REVERT, False),
        ('Revert "feat: add trace"', T.REVERT, False),
        ('Revert "[Core] Use async scheduling (#1)" (#2)', T.REVERT, False),
        ("fix(ci): retry flaky job", T.CI, False),
        ("[Bugfix][Kernel] Fix race", T.FIX, False),
        ("[bugfix] lower case tag", T.FIX, False),
        ("[BUGFIX] upper case tag", T.FIX, False),
        ("[Feature] [Model] spaced tags", T.FEATURE, False),
        ("[Misc][Bugfix] the specific tag wins", T.FIX, False),
        ("[Hardware][AMD] Enable FP8", T.FEATURE, False),
        ("[Spec Decode] Speed up proposer", T.PERF, False),
        ("[CI/Build] Add arm64 wheels", T.CI, False),
        ("[Doc] Add example", T.DOCS, False),
        ("[Docs] Add example", T.DOCS, False),
        ("[Perf] Faster sampler", T.PERF, False),
        ("[Refactor] Split module", T.REFACTOR, False),
        ("[Test] Cover sampler", T.TEST, False),
        ("[Security] Harden loader", T.SECURITY, False),
        ("[Misc] Tidy the thing", T.CHORE, False),
        ("[Misc] Add helper", T.FEATURE, False),
        ("[Breaking] Remove legacy flag", T.FEATURE, True),
        ("[1/N] Refactor scheduler", T.REFACTOR, False),
        ("fix: [Bugfix] tags after the prefix", T.FIX, False),
        ("Add support for Gemma 3", T.FEATURE, False),
        ("Remove the legacy code path", T.REFACTOR, False),
        ("Optimize the sampler", T.PERF, False),
        ("speed up loading", T.PERF, False),
        ("Refactor sampler", T.REFACTOR, False),
        ("fix lint", T.STYLE, False),
        ("net/http: fix header parsing", T.FIX, False),
        ("Reland \"[Core] Add async scheduling\"", T.FEATURE, False),
        ("This is a breaking change to the config", T.OTHER, True),
        ("No breaking changes here", T.OTHER, False),
        ("Fix breaking build on CUDA 12", T.FIX, False),
        ("Upgrade to Python 3.12", T.DEPS, False),
        ("Bump version to 1.2.3", T.CHORE, False),
        ("release v2.0.0", T.CHORE, False),
    ],
)  # fmt: skip
def test_title_variants(subject: str, type: ChangeType, breaking: bool) -> None:
    result = triage(make_commit(subject, [("src/pkg/module.py", 20, 5), ("pyproject.toml", 1, 1)]))
    assert (result.change_type, result.breaking) == (type, breaking), [(r.key, r.args) for r in result.reasons]


def test_breaking_change_footer_and_checkbox() -> None:
    files = [("src/a.py", 10, 10)]
    footer = triage(make_commit("feat: new client", files, body="Details.\n\nBREAKING CHANGE: raises on 4xx"))
    assert footer.breaking and "breaking" in keys(footer.reasons)
    checkbox = triage(make_commit("feat: new client", files, body="- [x] Breaking change\n- [ ] Docs"))
    assert checkbox.breaking
    unchecked = triage(make_commit("feat: new client", files, body="- [ ] Breaking change (would break users)"))
    assert not unchecked.breaking
    none = triage(make_commit("feat: new client", files, body="BREAKING CHANGE: none"))
    assert not none.breaking
    assert footer.score - triage(make_commit("feat: new client", files)).score == 25


@pytest.mark.parametrize(
    ("subject", "body", "security"),
    [
        ("fix: CVE-2026-1234 in parser", "", True),
        ("Fix SSRF when fetching media", "", True),
        ("fix: sanitize input to prevent XSS in viewer", "", True),
        ("Patch RCE in pickle loader", "", True),
        ("fix: command injection in launcher", "", True),
        ("Fix path traversal in file server", "", True),
        ("fix: address vulnerability in tokenizer", "", True),
        ("Update security headers", "", True),
        ("fix: bump parser", "Fixes GHSA-abcd-efgh-ijkl.", True),
        ("docs: fix typo in securityContext example", "", False),
        ("fix: set security-context for pods", "", False),
        ("feat: add dependency injection container", "", False),
        ("fix: fault injection test", "", False),
        ("feat: add tracing", "## Security considerations\nNone", False),
    ],
)
def test_security_words(subject: str, body: str, security: bool) -> None:
    result = triage(make_commit(subject, [("src/server.py", 20, 5)], body=body))
    assert (result.change_type is T.SECURITY) is security, [(r.key, r.args) for r in result.reasons]
    if security:
        assert result.importance is HIGH


def test_security_policy_docs_stay_docs() -> None:
    result = triage(make_commit("docs: update security policy", [("SECURITY.md", 10, 2)]))
    assert result.change_type is T.DOCS
    assert "security_word" in keys(result.reasons)


@pytest.mark.parametrize(
    ("subject", "files", "name"),
    [
        ("Bump actions/checkout from 4 to 5", [(".github/workflows/ci.yml", 1, 1)], "actions/checkout"),
        ("update bytes crate version to latest", [("Cargo.lock", 2, 2)], "bytes"),
        ("upgrade torch to 2.6", [("requirements/cuda.txt", 1, 1)], "torch"),
        ("Update dependency @types/node to v20.11.5", [("package.json", 1, 1)], "@types/node"),
        ("chore(deps): update rust crate serde to 1.0.210", [("Cargo.toml", 1, 1)], "serde"),
        ("fix(deps): update module github.com/x/y to v1.2.3", [("go.mod", 1, 1)], "github.com/x/y"),
        ("Bump the pip group across 1 directory with 3 updates", [("requirements.txt", 3, 3)], "pip"),
        ("Update cutlass to v3.9", [("third_party/cutlass", 1, 1)], "cutlass"),
    ],
)
def test_dependency_bumps(subject: str, files: list[FileSpec], name: str) -> None:
    result = triage(make_commit(subject, files))
    assert result.change_type is T.DEPS
    bump = next(r for r in result.reasons if r.key == "dependency_bump")
    assert bump.arg_dict() == {"name": name}


def test_dependency_words_without_manifest_changes_are_not_bumps() -> None:
    result = triage(make_commit("Update README to v2 format", [("src/readme_tool.py", 10, 2)]))
    assert result.change_type is not T.DEPS
    result = triage(make_commit("update parser to 2 passes", [("src/parser.py", 40, 10)]))
    assert result.change_type is not T.DEPS


def test_lockfile_only_changes_are_dependency_updates() -> None:
    result = triage(make_commit("Regenerate lockfile", [("uv.lock", 300, 280)]))
    assert (result.change_type, result.importance) == (T.DEPS, LOW)


def test_dependency_bump_levels() -> None:
    minor = triage(make_commit("Bump serde from 1.0.1 to 1.0.2", [("Cargo.toml", 1, 1), ("Cargo.lock", 2, 2)]))
    major = triage(make_commit("Bump serde from 1.0.1 to 2.0.0", [("Cargo.toml", 1, 1), ("Cargo.lock", 2, 2)]))
    zero = triage(make_commit("Bump grove from 0.1.3 to 0.2.0", [("go.mod", 1, 1), ("go.sum", 2, 2)]))
    secure = triage(make_commit("Bump serde from 1.0.1 to 1.0.2 (fixes CVE-2026-0001)", [("Cargo.lock", 2, 2)]))
    assert minor.importance is LOW
    assert major.importance is MEDIUM and major.score > minor.score
    assert minor.score < zero.score < major.score  # a 0.x minor bump may break, and often does not
    assert (secure.change_type, secure.importance) == (T.SECURITY, HIGH)


def test_merge_commits() -> None:
    result = triage(make_commit("Merge pull request #42 from org/feature-x", [("src/a.py", 30, 5)], parents=2))
    assert result.change_type is T.MERGE
    assert next(r for r in result.reasons if r.key == "merge_commit").arg_dict() == {"parents": "2"}
    single = triage(make_commit("Merge branch 'main'", [("src/a.py", 30, 5)]))
    assert single.change_type is not T.MERGE


def test_revert_detected_from_body() -> None:
    result = triage(make_commit("Undo the thing", [("src/a.py", 3, 9)], body="This reverts commit abcdef1234567."))
    assert result.change_type is T.REVERT
    assert result.importance is MEDIUM


# --- bots and labels -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "email"),
    [
        ("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
        ("renovate[bot]", "29139614+renovate[bot]@users.noreply.github.com"),
        ("pre-commit-ci[bot]", "66853113+pre-commit-ci[bot]@users.noreply.github.com"),
        ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com"),
        ("github-actions", "github-actions@github.com"),
        ("Renovate Bot", "bot@renovateapp.com"),
    ],
)
def test_bots(name: str, email: str) -> None:
    result = triage(make_commit("chore: update", [("README.md", 1, 1)], author=(name, email)))
    assert result.bot
    assert "bot_author" in keys(result.reasons)


def test_humans_are_not_bots() -> None:
    assert not triage(make_commit("fix: x", [("a.py", 1, 1)], author=("Robert Bottoms", "rb@x.org"))).bot


def test_dependabot_bump_is_deps_and_low() -> None:
    commit = make_commit(
        "Bump actions/checkout from 4 to 5",
        [(".github/workflows/ci.yml", 1, 1), (".github/workflows/release.yml", 1, 1)],
        author=("dependabot[bot]", "49699333+dependabot[bot]@users.noreply.github.com"),
    )
    result = triage(commit)
    assert (result.change_type, result.importance, result.bot) == (T.DEPS, LOW, True)
    assert "major_version_bump" in keys(result.reasons)


def test_pre_commit_ci_autoupdate() -> None:
    commit = make_commit(
        "[pre-commit.ci] pre-commit autoupdate",
        [(".pre-commit-config.yaml", 3, 3)],
        author=("pre-commit-ci[bot]", "66853113+pre-commit-ci[bot]@users.noreply.github.com"),
    )
    result = triage(commit)
    assert (result.change_type, result.importance, result.bot) == (T.CI, LOW, True)


@pytest.mark.parametrize(
    ("labels", "type"),
    [
        (["bug"], T.FIX),
        (["enhancement"], T.FEATURE),
        (["documentation"], T.DOCS),
        (["performance"], T.PERF),
        (["type: bug"], T.FIX),
        (["kind/feature"], T.FEATURE),
        (["dependencies"], T.DEPS),
        (["security"], T.SECURITY),
        ([], T.OTHER),
    ],
)
def test_labels_type_a_silent_title(labels: list[str], type: ChangeType) -> None:
    result = triage(make_commit("Scheduler changes", [("src/sched.py", 30, 10)]), labels)
    assert result.change_type is type
    if labels and type is not T.SECURITY:
        assert "pr_label" in keys(result.reasons)


def test_title_type_wins_over_labels_and_labels_raise() -> None:
    result = triage(make_commit("feat: scheduler", [("src/sched.py", 30, 10)]), ["bug", "breaking-change"])
    assert result.change_type is T.FEATURE
    assert result.breaking
    plain = triage(make_commit("feat: scheduler", [("src/sched.py", 30, 10)]))
    critical = triage(make_commit("feat: scheduler", [("src/sched.py", 30, 10)]), ["critical"])
    assert critical.score > plain.score
    assert "label_raises" in keys(critical.reasons)


# --- files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "category"),
    [
        # tests before source
        ("tests/test_engine.py", C.TEST),
        ("src/pkg/test_utils.py", C.TEST),
        ("pkg/server/handler_test.go", C.TEST),
        ("web/src/app.test.ts", C.TEST),
        ("web/src/app.spec.tsx", C.TEST),
        ("src/parser_test.rs", C.TEST),
        ("spec/models/user_spec.rb", C.TEST),
        ("web/__tests__/app.js", C.TEST),
        ("pkg/parser/testdata/input.json", C.TEST),
        ("conftest.py", C.TEST),
        ("benchmarks/benchmark_serving.py", C.TEST),
        ("components/src/dynamo/trtllm/tests/utils.py", C.TEST),
        ("src/test/java/org/FooTest.java", C.TEST),
        ("app/src/main/java/org/LatestValue.java", C.SOURCE),
        # source, including GPU kernels, protocols and Cython
        ("csrc/attention/paged_attention.cu", C.SOURCE),
        ("csrc/attention/kernels.cuh", C.SOURCE),
        ("mlx/backend/metal/kernels/gemm.metal", C.SOURCE),
        ("proto/dynamo/v1/api.proto", C.SOURCE),
        ("vllm/_C/ops.pyx", C.SOURCE),
        ("vllm/_C/ops.pxd", C.SOURCE),
        ("lib/runtime/src/lib.rs", C.SOURCE),
        ("deploy/operator/cmd/main.go", C.SOURCE),
        ("include/dynamo/api.h", C.SOURCE),
        ("src/a.cpp", C.SOURCE),
        ("scripts/install.sh", C.SOURCE),
        ("lib/bindings/python/src/dynamo/_core.pyi", C.SOURCE),
        # docs
        ("docs/guide.md", C.DOCS),
        ("docs/conf.py", C.DOCS),
        ("docs/images/arch.svg", C.DOCS),
        ("fern/pages/intro.mdx", C.DOCS),
        ("fern/docs.yml", C.DOCS),
        ("README.md", C.DOCS),
        ("README", C.DOCS),
        ("CHANGELOG.md", C.DOCS),
        ("LICENSE", C.DOCS),
        ("guide/index.rst", C.DOCS),
        (".github/ISSUE_TEMPLATE/bug.md", C.DOCS),
        # CI
        (".github/workflows/ci.yml", C.CI),
        (".github/labeler.yml", C.CI),
        (".gitlab-ci.yml", C.CI),
        (".buildkite/test-pipeline.yaml", C.CI),
        ("Jenkinsfile", C.CI),
        (".circleci/config.yml", C.CI),
        (".pre-commit-config.yaml", C.CI),
        # build
        ("Dockerfile", C.BUILD),
        ("container/Dockerfile.sglang", C.BUILD),
        ("CMakeLists.txt", C.BUILD),
        ("cmake/utils.cmake", C.BUILD),
        ("Makefile", C.BUILD),
        ("setup.py", C.BUILD),
        ("pyproject.toml", C.BUILD),
        ("Cargo.toml", C.BUILD),
        ("go.mod", C.BUILD),
        ("package.json", C.BUILD),
        ("requirements-dev.txt", C.BUILD),
        ("requirements/cuda.txt", C.BUILD),
        ("bazel/deps.bzl", C.BUILD),
        # generated, vendored, binary
        ("api/service_pb2.py", C.GENERATED),
        ("api/service.pb.go", C.GENERATED),
        ("static/app.min.js", C.GENERATED),
        ("src/types.generated.ts", C.GENERATED),
        ("pkg/apis/zz_generated.deepcopy.go", C.GENERATED),
        ("src/generated/client.ts", C.GENERATED),
        ("tests/__snapshots__/report.snap", C.GENERATED),
        ("vendor/github.com/x/y.go", C.VENDORED),
        ("third_party/cutlass/include/x.h", C.VENDORED),
        ("3rdparty/json.hpp", C.VENDORED),
        ("web/node_modules/x/index.js", C.VENDORED),
        ("docs/images/arch.png", C.BINARY),
        ("assets/logo.jpg", C.BINARY),
        ("paper.pdf", C.BINARY),
        ("lib/libfoo.so", C.BINARY),
        ("model.safetensors", C.BINARY),
        ("dist/pkg-1.0-py3-none-any.whl", C.BINARY),
        ("release.tar.gz", C.BINARY),
        # config
        ("deploy/helm/values.yaml", C.CONFIG),
        ("deploy/helm/charts/platform/templates/deployment.yaml", C.CONFIG),
        ("deploy/helm/charts/platform/templates/_helpers.tpl", C.CONFIG),
        ("config.toml", C.CONFIG),
        ("settings.json", C.CONFIG),
        ("setup.ini", C.CONFIG),
        (".env", C.CONFIG),
        (".gitignore", C.CONFIG),
        # odd paths
        ("", C.OTHER),
        ("./src/a.py", C.SOURCE),
        ("weird name with spaces.py", C.SOURCE),
        ("data/\\xff\\xfe.bin", C.BINARY),
        ("NOTES.unknownext", C.OTHER),
    ],
)
def test_classify_file(path: str, category: FileCategory) -> None:
    assert classify_file(path) is category


@pytest.mark.parametrize(
    "name",
    [
        "Cargo.lock", "go.sum", "uv.lock", "package-lock.json", "yarn.lock", "pnpm-lock.yaml", "poetry.lock",
        "Pipfile.lock", "composer.lock", "Gemfile.lock", "flake.lock", "Chart.lock", "npm-shrinkwrap.json",
    ],
)  # fmt: skip
def test_each_lockfile(name: str) -> None:
    assert classify_file(name) is C.LOCKFILE
    assert classify_file(f"lib/bindings/python/{name}") is C.LOCKFILE


def test_binary_flag_wins() -> None:
    assert classify_file("src/weights.py", binary=True) is C.BINARY


def test_cuda_changes_count_as_source_lines() -> None:
    """The old scorer ignored .cu files: a kernel-only fix must weigh like code."""
    result = triage(make_commit("[Bugfix] Fix overflow in kernel", [("csrc/quant/fp8.cu", 60, 20)]))
    source = next(r for r in result.reasons if r.key == "source_lines")
    assert source.arg_dict() == {"lines": "80", "files": "1"}
    assert result.importance is not LOW


def test_docs_only_commits_are_low_unless_huge() -> None:
    small = triage(make_commit("docs: tweak", [("docs/a.md", 20, 5)]))
    huge = triage(make_commit("docs: migrate", [(f"docs/p{i}.md", 200, 0) for i in range(60)]))
    assert (small.importance, huge.importance) == (LOW, MEDIUM)
    assert huge.score < HIGH_THRESHOLD


def test_large_ci_change_can_be_medium() -> None:
    small = triage(make_commit("ci: bump cache key", [(".github/workflows/ci.yml", 2, 2)]))
    large = triage(make_commit("ci: rework pipelines", [(".github/workflows/ci.yml", 700, 400)]))
    assert (small.importance, large.importance) == (LOW, MEDIUM)


def test_lockfiles_do_not_count_as_source_size() -> None:
    with_lock = triage(make_commit("feat: x", [("src/a.py", 10, 0), ("Cargo.lock", 5000, 4000)]))
    without = triage(make_commit("feat: x", [("src/a.py", 10, 0)]))
    assert with_lock.score == without.score


# --- top_dirs --------------------------------------------------------------------------------------


def test_top_dirs_groups_by_meaningful_directories() -> None:
    files = [
        FileChange("lib/mocker/src/kv_manager.rs", "M", 95, 12),
        FileChange("lib/mocker/Cargo.toml", "M", 1, 0),
        FileChange("lib/runtime/src/config/environment_names.rs", "M", 8, 0),
        FileChange("components/src/dynamo/trtllm/request_handlers/handlers.py", "M", 40, 10),
        FileChange("components/src/dynamo/trtllm/main.py", "M", 5, 5),
        FileChange("vllm/model_executor/layers/fused_moe/layer.py", "M", 30, 0),
        FileChange("deploy/operator/internal/controller/c.go", "M", 7, 0),
        FileChange("tests/conftest.py", "M", 3, 0),
        FileChange("pyproject.toml", "M", 1, 1),
        FileChange("Cargo.lock", "M", 900, 800),
    ]
    categories = [classify_file(f.path) for f in files]
    result = top_dirs(files, categories, limit=None)
    assert [(d.path, d.files, d.additions, d.deletions) for d in result] == [
        ("lib/mocker", 2, 96, 12),
        ("components/src/dynamo/trtllm", 2, 45, 15),
        ("vllm/model_executor", 1, 30, 0),
        ("lib/runtime", 1, 8, 0),
        ("deploy/operator", 1, 7, 0),
        ("tests", 1, 3, 0),
        (".", 1, 1, 1),
    ]
    assert len(top_dirs(files, categories, limit=3)) == 3


def test_top_dirs_ties_sort_by_path_and_noise_only_commits_still_show() -> None:
    files = [FileChange("b/x.py", "M", 5, 0), FileChange("a/y.py", "M", 2, 3)]
    assert [d.path for d in top_dirs(files, [C.SOURCE, C.SOURCE])] == ["a", "b"]
    locks = [FileChange("Cargo.lock", "M", 3, 3), FileChange("lib/bindings/python/Cargo.lock", "M", 1, 1)]
    result = top_dirs(locks, [C.LOCKFILE, C.LOCKFILE])
    assert [d.path for d in result] == [".", "lib/bindings"]


def test_triage_reports_top_dirs_and_categories() -> None:
    commit = make_commit("feat: x", [("lib/llm/src/a.rs", 10, 0), ("docs/a.md", 1, 0)])
    result = triage(commit)
    assert result.categories == (C.SOURCE, C.DOCS)
    assert [d.path for d in result.top_dirs] == ["lib/llm", "docs"]


# --- scale, speed, robustness ----------------------------------------------------------------------


def test_thresholds() -> None:
    assert importance_for(HIGH_THRESHOLD) is HIGH
    assert importance_for(HIGH_THRESHOLD - 1) is MEDIUM
    assert importance_for(MEDIUM_THRESHOLD) is MEDIUM
    assert importance_for(MEDIUM_THRESHOLD - 1) is LOW
    assert importance_for(0) is LOW and importance_for(100) is HIGH


def test_deterministic() -> None:
    commit = make_commit(DYNAMO[15].subject, DYNAMO[15].files)
    assert triage(commit) == triage(commit)


def test_five_thousand_files() -> None:
    # Speed is measured by bench/, not here; this checks that a huge commit is classified whole.
    kinds = ["src/pkg{}/m{}.py", "tests/t{}/test_{}.py", "docs/d{}/p{}.md", "vendor/v{}/x{}.go", "a{}/b{}.lock"]
    files = [(kinds[i % 5].format(i % 97, i), i % 40, i % 7) for i in range(5000)]
    result = triage(make_commit("feat: regenerate everything", files))
    assert len(result.categories) == 5000
    assert result.categories.count(FileCategory.VENDORED) == 1000
    assert 0 < len(result.top_dirs) <= 8
    assert result.change_type is ChangeType.FEATURE


_path_text = st.text(alphabet=string.printable + "éü中文\\", max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    subject=st.text(max_size=200),
    body=st.text(max_size=300),
    paths=st.lists(st.tuples(_path_text, st.integers(0, 10**6), st.integers(0, 10**6), st.booleans()), max_size=8),
    labels=st.lists(st.text(max_size=20), max_size=4),
    parents=st.integers(0, 3),
    author=st.text(max_size=30),
)
def test_triage_never_raises(
    subject: str,
    body: str,
    paths: list[tuple[str, int, int, bool]],
    labels: list[str],
    parents: int,
    author: str,
) -> None:
    person = Person(author, f"{author}@x")
    commit = Commit(
        sha="b" * 40,
        parents=tuple("c" * 40 for _ in range(parents)),
        author=person,
        authored_at=WHEN,
        committer=person,
        committed_at=WHEN,
        subject=subject,
        body=body,
        files=tuple(FileChange(p, "M", a, d, binary=b) for p, a, d, b in paths),
    )
    result = triage(commit, labels)
    assert 0 <= result.score <= 100
    assert result.importance is importance_for(result.score)
    assert len(result.categories) == len(commit.files)
    assert result.reasons and all(r.key in REASON_KEYS for r in result.reasons)
    assert all(d.path for d in result.top_dirs)


@settings(max_examples=300, deadline=None)
@given(path=_path_text, binary=st.booleans())
def test_classify_file_never_raises(path: str, binary: bool) -> None:
    assert isinstance(classify_file(path, binary), FileCategory)
