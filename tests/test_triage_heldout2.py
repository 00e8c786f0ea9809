"""Triage against the second held-out set (tests/data/triage_heldout2.toml): how well the rules generalise.

Like the first held-out set (tests/test_triage_heldout.py), it was written and labelled blind -- without
reading the triage rules, their tables, the labelled set or the first held-out set -- and committed alone
before it was ever run. It holds 219 commits in the style of ~50 projects (Kubernetes, etcd, containerd,
tokio, axum, serde, tauri, zed, wasmtime, PyTorch, JAX, onnxruntime, llama.cpp, ollama, Airflow, Celery,
SQLAlchemy, pip, mypy, Angular, Vue, webpack, TypeScript, ESLint, Redis, Postgres, SQLite, ClickHouse,
Envoy, Istio, Bazel, CMake, protobuf, folly, abseil, CUTLASS, FlashInfer, vLLM, SGLang ...). Some of them
also appear in the labelled set or the first held-out set (the commits do not); ``test_overlap`` prints
the accuracy on the projects new to both. Its misses were then read and the general rules behind them
fixed (issue 13: severity by harm and blast radius, advisory merges, release and rollback shapes,
interface flips outside Python and Rust), so it is no longer blind: tests/data/triage_heldout3.toml is the
blind measure now. The floors below only guard against regressions.

Run with ``-s`` to see the accuracies, the most frequent confusions and the misses.
"""

from __future__ import annotations

from pathlib import Path

from tests.labelled import Labelled, accuracy, check_accuracy, check_heldout_shape, load, measure, new_projects
from tests.test_triage_heldout import HELDOUT as HELDOUT1

HELDOUT2 = Path(__file__).resolve().parent / "data" / "triage_heldout2.toml"

# Measured when the set was written: 79.9% type, 84.5% importance. The rules were then tuned on its misses
# (issue 13; it is no longer blind): 88.6% type, 92.7% importance. The floors are those minus 3 points,
# and never above 90% unless the measured figure is above 93%.
TYPE_FLOOR = 0.856
IMPORTANCE_FLOOR = 0.897


def _cases() -> list[Labelled]:
    return load([HELDOUT2])


def _others() -> list[list[Labelled]]:
    return [load(), load([HELDOUT1])]


def test_the_second_heldout_set_is_large_and_mixed() -> None:
    # most of its projects are in neither the labelled set nor the first held-out set
    check_heldout_shape(_cases(), size=150, projects=40, high=0.15, others=_others(), new_projects=30)


def test_overlap() -> None:
    """Accuracy on the projects that neither the labelled set nor the first held-out set has (printed)."""
    fresh = new_projects(_cases(), _others())
    type_accuracy, importance_accuracy = accuracy(measure(fresh))
    print(
        f"\nheld-out 2, {len(fresh)} commits of projects new to both other sets: "
        f"type {type_accuracy:.1%}, importance {importance_accuracy:.1%}"
    )


def test_second_heldout_accuracy_meets_the_floor() -> None:
    check_accuracy("held-out 2", _cases(), TYPE_FLOOR, IMPORTANCE_FLOOR)
