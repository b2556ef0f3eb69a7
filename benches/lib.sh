# What the benchmark scripts share; sourced, not run.

# best CMD...: the best wall time (s) of RUNS runs of CMD. When BEFORE is set, it is run
# (with sh, untimed) before each run: e.g. to remove the output file of the run before, so
# that no run is timed freeing the pages of another's output.
best() {
    local best_ns= start end ns
    for _ in $(seq "$RUNS"); do
        if [ -n "${BEFORE:-}" ]; then sh -c "$BEFORE"; fi
        start=$(date +%s%N)
        "$@"
        end=$(date +%s%N)
        ns=$((end - start))
        if [ -z "$best_ns" ] || [ "$ns" -lt "$best_ns" ]; then best_ns=$ns; fi
    done
    awk -v ns="$best_ns" 'BEGIN { printf "%.3f", ns / 1e9 }'
}
