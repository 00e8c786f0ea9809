"""Print triage's accuracy on the labelled set (tests/labelled/*.commits.toml) with its confusion matrices.

    .venv/bin/python scripts/triage_accuracy.py

docs/triage.md shows this output.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.labelled import measure, report

if __name__ == "__main__":
    print(report(measure()))
