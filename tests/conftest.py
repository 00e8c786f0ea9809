"""Shared pytest options and fixtures."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite the files in tests/golden/ from the current output instead of comparing",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden(name, text)``: compare ``text`` with ``tests/golden/<name>`` (``.json`` files as data), or
    rewrite the file when pytest runs with ``--update-golden``."""
    update = request.config.getoption("--update-golden")

    def check(name: str, actual: str) -> None:
        path = GOLDEN_DIR / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; run pytest --update-golden and review the diff")
        expected = path.read_text(encoding="utf-8")
        if name.endswith(".json"):
            assert json.loads(actual) == json.loads(expected), f"{name} differs; --update-golden rewrites it"
        else:
            assert actual == expected, f"{name} differs; --update-golden rewrites it"

    return check
