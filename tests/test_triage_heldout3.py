"""Triage against the third held-out set (tests/data/triage_heldout3.toml): how well the rules generalise.

Like the first two held-out sets, it was written and labelled blind -- without reading the triage rules,
the signals, their tables, the labelled set, the other held-out sets or docs/triage.md -- and committed
alone before it was ever run. It holds 304 commits in the style of 61 projects that neither the labelled
set nor the other held-out sets has (pytest, click, matplotlib, SciPy, Dask, PEFT, TGI, Lightning,
Megatron-LM, NeMo, TransformerEngine, lmdeploy, MLC LLM, Triton server, KServe, llm-compressor, NCCL,
XLA, clap, ripgrep, hyper, nushell, Helix, Biome, TiKV, SWC, Moby, Vault, CockroachDB, Hugo, Caddy,
Traefik, Argo CD, the OpenTelemetry collector, golangci-lint, Playwright, Prettier, Babel, Nest,
Tailwind CSS, Vitest, Bun, Hono, OpenCV, Bitcoin Core, Arrow, systemd, QEMU, FFmpeg, fmt, GoogleTest,
Kafka, Elasticsearch, Spring Boot, Gradle, Elixir, .NET runtime, Flutter), plus about 25 from
huggingface/trl, huggingface/diffusers and rust-lang/rust-analyzer, which issue 13 names. It has since
been tuned on (it is no longer blind): each of its misses was fixed by the general rule behind it, with
a unit test of another shape in tests/test_triage_rules2.py, and the floors below guard against
regressions. tests/test_triage_heldout4.py is the blind measure now.

Run with ``-s`` to see the accuracies, the most frequent confusions and the misses.
"""

from __future__ import annotations

from pathlib import Path

from tests.labelled import Labelled, accuracy, check_accuracy, check_heldout_shape, load, measure, new_projects
from tests.test_triage_heldout import HELDOUT as HELDOUT1
from tests.test_triage_heldout2 import HELDOUT2

HELDOUT3 = Path(__file__).resolve().parent / "data" / "triage_heldout3.toml"

# Measured when the set landed: 75.3% type, 85.5% importance (the same on 7d33a6e, the rules before the
# set existed; 75.7% / 86.8% on main when it was tuned on). After tuning on it: 98.0% type, 99.3%
# importance; the floors are those figures minus 3 points.
TYPE_FLOOR = 0.950
IMPORTANCE_FLOOR = 0.963


def _cases() -> list[Labelled]:
    return load([HELDOUT3])


def _others() -> list[list[Labelled]]:
    return [load(), load([HELDOUT1]), load([HELDOUT2])]


def test_the_third_heldout_set_is_large_and_mixed() -> None:
    # every one of its projects is new to the labelled set and both other held-out sets
    check_heldout_shape(_cases(), size=230, projects=45, high=0.18, others=_others(), new_projects=61)


def test_overlap() -> None:
    """Accuracy on the projects that none of the other sets has (printed): all of them, today."""
    fresh = new_projects(_cases(), _others())
    type_accuracy, importance_accuracy = accuracy(measure(fresh))
    print(
        f"\nheld-out 3, {len(fresh)} commits of projects new to the other sets: "
        f"type {type_accuracy:.1%}, importance {importance_accuracy:.1%}"
    )


def test_third_heldout_accuracy_meets_the_floor() -> None:
    check_accuracy("held-out 3", _cases(), TYPE_FLOOR, IMPORTANCE_FLOOR)
