#!/usr/bin/env bash
# Mutation testing of the core with cargo-mutants: each named file (default: every core file)
# mutated in place, one mutant at a time, against the tests that cover it; then a summary per
# file (mutants, caught, missed, timeouts, unviable) from cargo-mutants' own outcomes.
#
#   bash scripts/mutants.sh                    # every core file (hours on 2 cores)
#   bash scripts/mutants.sh src/types.rs       # one file
#   bash scripts/mutants.sh src/parse.rs -- -F first_word   # what follows -- goes to cargo mutants
#                                              # (here: only the mutants of one function)
#
# Run it in a clean clone with ../shared beside it (cargo-mutants edits the files in place and
# puts them back; the script refuses a checkout with uncommitted changes). Mutants that no input
# can tell from the original are listed, with the reason, in .cargo/mutants.toml. Not in CI: too
# slow for 2 cores; the README has the last figures.
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ -n $(git status --porcelain --untracked-files=no) ]]; then
    echo "mutants: the checkout has uncommitted changes; run this in a clean clone" >&2
    exit 2
fi
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked

# The files of the parse, validate, print and evaluate core, and the library pieces beside it.
core=(src/print.rs src/types.rs src/validate.rs src/parse.rs src/eval.rs src/lint.rs
    src/diagnostic.rs src/recover.rs src/query.rs src/ast.rs src/report.rs src/text.rs
    src/models/mod.rs
    src/models/params.rs src/models/search.rs src/models/answers.rs src/compile/mod.rs
    src/compile/sql.rs src/compile/opensearch.rs src/compile/unicode.rs
    src/export/documents.rs src/export/line.rs src/export/lines.rs src/export/mod.rs
    src/export/prefilter.rs src/export/filter.rs src/export/parallel.rs src/export/table.rs
    src/client/plan/window.rs src/client/plan/checkpoint.rs src/client/plan/harvest.rs
    src/client/plan/mod.rs)
files=()
extra=()
while [[ $# -gt 0 ]]; do
    if [[ $1 == -- ]]; then
        shift
        extra=("$@")
        break
    fi
    files+=("$1")
    shift
done
[[ ${#files[@]} -gt 0 ]] || files=("${core[@]}")

# The tests that cover the core, built with the features they need and nothing more (the
# language server's hover shows the registry's rows; the export reader's prefilter is built from the
# evaluator's compiled terms): a mutant costs one small build.
features=render,lsp,export
core_tests=(--lib --test conformance --test corpus --test lints --test eval --test eval_props
    --test properties --test fix_props --test fuzz_regressions --test deep --test docs
    --test lsp)
# The wire model (src/models/) is covered by its own unit tests: the client's and the server's
# tests, which use it too, need their features built, and the core's twelve test programs
# would be linked for every mutant for tests that hardly read these files.
model_tests=(--lib)
# The compile backends: the library's unit tests and tests/compile.rs (the SQL and DSL of each
# rule as snapshots, the DSL's structure, literals under hostile values). What the SQL means on
# the engines is proven by tests/engines.rs in CI, about a minute a run: too slow per mutant.
compile_features=compile
compile_tests=(--lib --test compile)
# The export reader: the library's unit tests (lines, documents, bounds, the prefilter's
# soundness as a property); the filter's threads, its output and its tables also by
# tests/export_filter.rs (the parallel filter against reading and matching, byte for byte).
export_features=export
export_tests=(--lib)
export_filter_tests=(--lib --test export_filter)
# The plan past the cap: the client's unit tests and tests/plan.rs (the library against a
# server on loopback, and proxies that misbehave). tests/everything.rs, which runs the
# command line over the same plan, needs the binary: too slow per mutant.
plan_features=client,server
plan_tests=(--lib --test plan)

# Without debug information a mutant's build has less to link; the first build of a run (the
# baseline) is then a full one.
export CARGO_PROFILE_DEV_DEBUG=0

summary=()
for file in "${files[@]}"; do
    name=${file//\//_}
    out=target/mutants/${name%.rs}
    mkdir -p "$out"
    tests=("${core_tests[@]}")
    with=$features
    [[ $file == src/models/* ]] && tests=("${model_tests[@]}")
    [[ $file == src/compile/* ]] && tests=("${compile_tests[@]}") && with=$compile_features
    [[ $file == src/export/* ]] && tests=("${export_tests[@]}") && with=$export_features
    # Most test sets run in about 10 s or less on 2 cores: a mutant still running after 40 s
    # loops forever (the automatic limit, five times the first run's time, is over a minute when
    # that run shared the machine). tests/export_filter.rs takes about 10 s: 60 s for it.
    # tests/plan.rs with the library's unit tests takes about 6 s, 15 s on a busy machine: 60 s.
    timeout=40
    [[ $file =~ ^src/export/(filter|parallel|table)\.rs$ ]] &&
        tests=("${export_filter_tests[@]}") && timeout=60
    [[ $file == src/client/plan/* ]] && tests=("${plan_tests[@]}") && with=$plan_features &&
        timeout=60
    args=()
    for t in "${tests[@]}"; do args+=(--cargo-test-arg="$t"); done
    # cargo-mutants exits 2 when a mutant is missed and 3 on timeouts, which the summary
    # tells; 1 (usage) and 4 (the unmutated tree fails its tests, or takes over the timeout)
    # mean nothing was tested. A mutant that fails a property test must not leave its seed in
    # proptest-regressions/.
    rc=0
    PROPTEST_DISABLE_FAILURE_PERSISTENCE=1 \
        cargo mutants --in-place --no-shuffle --no-default-features --features "$with" \
            -p driftql -f "$file" --timeout "$timeout" \
            --output "$out" "${args[@]}" ${extra[@]+"${extra[@]}"} || rc=$?
    outcomes=$out/mutants.out/outcomes.json
    if [[ $rc == 1 || $rc == 4 ]]; then
        summary+=("$file: nothing tested: cargo-mutants exited $rc (see $out/mutants.out/)")
    elif [[ -f $outcomes ]]; then
        summary+=("$(python3 - "$file" "$outcomes" <<'PYTHON'
import json, sys
file, path = sys.argv[1], sys.argv[2]
data = json.load(open(path))
print(f"{file}: {data['total_mutants']} mutants, {data['caught']} caught, {data['missed']} missed, "
      f"{data['timeout']} timeouts, {data['unviable']} unviable")
PYTHON
)")
    else
        summary+=("$file: no outcome (see $out)")
    fi
done
printf '%s\n' "${summary[@]}"
for file in "${files[@]}"; do
    name=${file//\//_}
    missed=target/mutants/${name%.rs}/mutants.out/missed.txt
    [[ -s $missed ]] && { echo "missed in $file:"; cat "$missed"; }
done
exit 0
