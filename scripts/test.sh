#!/usr/bin/env bash
# Every test suite of the project, set up from nothing: a virtual environment of its own
# (target/python-venv) with the engines the compiled SQL runs on (DuckDB, and chDB for
# ClickHouse) and the Python package's test tools; the crate's tests (cargo), the engines'
# included; then the Python package — built from python/ and installed into that environment,
# its tests run with pytest against the installed wheel, and its types checked with mypy --strict.
#
# Needs a Rust toolchain and Python 3.9 or later (`python3`, or $PYTHON). The wheel is built
# with cargo's dev profile, so it shares the build the crate's tests made.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
venv=target/python-venv

echo "== the virtual environment: the engines and the Python test tools"
if [[ ! -x $venv/bin/python ]]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet -r tests/engines/requirements.txt -r python/requirements-test.txt

echo "== the crate's tests"
DRIFTQL_ENGINES_PYTHON="$PWD/$venv/bin/python" cargo test --all-features

echo "== the Python package"
# maturin runs from the environment's bin; the build backend finds it on PATH.
PATH="$PWD/$venv/bin:$PATH" MATURIN_PEP517_ARGS="--profile dev" \
    "$venv/bin/python" -m pip install --quiet --no-build-isolation --force-reinstall --no-deps ./python

# The tests of the installed wheel, with the binary the crate's tests built.
status=0
DRIFTQL_BIN="$PWD/target/debug/driftql" "$venv/bin/python" -m pytest -q -p no:cacheprovider \
    --rootdir python python/tests || status=$?
if [[ $status -eq 5 ]]; then
    echo "pytest collected no test: the Python suite did not run" >&2
    exit 1
elif [[ $status -ne 0 ]]; then
    exit "$status"
fi
(cd python/tests && "../../$venv/bin/python" -m mypy --strict --no-incremental .)
echo "== every suite passed"
