#!/usr/bin/env bash
# Runs the fuzz targets, each for SECONDS, one after the other: `bash fuzz/run.sh SECONDS
# [TARGET...]` (every target when none is named). Needs a nightly toolchain and cargo-fuzz.
#
# Each target starts from its corpus in fuzz/corpus/TARGET (kept between runs, not in git) and
# the seeds in fuzz/seeds/, with the dictionary fuzz/driftql.dict. A crash, a timeout or running
# out of memory stops that target and leaves the input in fuzz/artifacts/TARGET/; the script
# goes on with the other targets and exits non-zero at the end. libFuzzer's output goes to
# fuzz/artifacts/TARGET.log; its final statistics are printed for every target.
set -uo pipefail
cd "$(dirname "$0")"

if [[ $# -lt 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: bash fuzz/run.sh SECONDS [TARGET...]" >&2
    exit 2
fi
seconds=$1
shift
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    targets=(parse roundtrip ast validate eval recover)
fi

# The structure-aware targets read a tree from their bytes: let their inputs grow from the start.
extra_of() {
    case $1 in
        ast | eval) echo -len_control=0 ;;
        *) ;;
    esac
}

seeds_of() {
    case $1 in
        parse | roundtrip | validate) echo seeds/expr ;;
        eval) echo seeds/eval ;;
        *) ;;
    esac
}

cargo +nightly fuzz build || exit 1

failed=()
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    seeds=$(seeds_of "$t")
    extra=$(extra_of "$t")
    echo "== fuzzing $t for ${seconds}s"
    # shellcheck disable=SC2086 # $seeds and $extra are one word or nothing
    cargo +nightly fuzz run "$t" "corpus/$t" $seeds -- $extra \
        -max_total_time="$seconds" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -dict=driftql.dict -print_final_stats=1 >"artifacts/$t.log" 2>&1
    status=$?
    grep -E '^(stat::|Done |INFO: -max_total_time)' "artifacts/$t.log" | sed "s/^/  $t: /"
    grep -E 'corp: ' "artifacts/$t.log" | tail -n 1 | sed "s/^/  $t: /"
    if [[ $status -ne 0 ]]; then
        echo "!! $t failed (exit $status); the end of artifacts/$t.log:" >&2
        tail -n 40 "artifacts/$t.log" >&2
        failed+=("$t")
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzzing found problems in: ${failed[*]}" >&2
    exit 1
fi
echo "fuzzing: no crash in ${targets[*]} (${seconds}s each)"
