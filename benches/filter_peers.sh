#!/usr/bin/env bash
# `driftql filter` side by side with its peers, in one run, on one generated NDJSON export:
# `grep` for the query's literal (the floor: a byte scan that reads no JSON), DuckDB
# (`read_ndjson` with the same predicate, 2 threads, from its Python package) and `jq`, for six
# queries, three selective and three that are not. Prints each tool's best wall time of RUNS,
# driftql's throughput, and driftql's ratios to the others.
#
#   bash benches/filter_peers.sh              # MB=200 RUNS=5
#   MB=500 RUNS=3 bash benches/filter_peers.sh
#
# Every tool writes the matching reports to a new file (the one of its run before is removed,
# untimed, as that run's pages are freed then); their counts must agree (the DuckDB and jq
# predicates are written to mean what the driftql query means on this data). The file comes from
# `examples/gen_reports.rs` and is removed at the end; it is read into the page cache first, so
# the figures are of the tools, not of the disk. DuckDB is installed into a virtual environment
# under target/ (`python3 -m venv`, then `pip install duckdb`), jq with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

MB=${MB:-200}
RUNS=${RUNS:-5}

as_root_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
    apt-get install -y -qq "$1" >/dev/null 2>&1 ||
        { apt-get update -qq >/dev/null && apt-get install -y -qq "$1" >/dev/null; }
}
command -v jq >/dev/null || as_root_install jq || { echo "filter_peers: needs jq" >&2; exit 1; }
VENV=target/bench-venv
if ! [ -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
    echo "filter_peers: installing duckdb into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q duckdb
fi

cargo build --release --quiet --bin driftql --example gen_reports
DRIFTQL=target/release/driftql
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
file=$tmp/scan.ndjson
target/release/examples/gen_reports "$MB" >"$file" 2>/dev/null
bytes=$(stat -c %s "$file")
cat "$file" >/dev/null

# The DuckDB side: one process per run, as for the others; it writes the matching reports to
# a file, as every tool here does.
cat >"$tmp/duck.py" <<'PYTHON'
import sys, duckdb
path, predicate, out = sys.argv[1], sys.argv[2], sys.argv[3]
con = duckdb.connect()
con.execute("SET threads TO 2")
con.execute(
    f"COPY (SELECT * FROM read_ndjson('{path}', format='newline_delimited') WHERE {predicate}) "
    f"TO '{out}' (FORMAT json)"
)
PYTHON

. benches/lib.sh # best CMD...: the best wall time of RUNS runs

echo "driftql filter and its peers on one file: each writes the matching reports (grep: the lines"
echo "holding the literal) to a file; best of $RUNS runs"
echo "  machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "  $("$DRIFTQL" --version), $(grep --version | head -1), $(jq --version)," \
    "duckdb $("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')"
echo "  file: $((bytes / 1000000)) MB, $(wc -l <"$file") reports"
printf "\n%-40s %8s %10s | %7s %7s %7s | %6s %7s %6s\n" query matches driftql grep duckdb jq "/grep" "duckdb/" "jq/"

# query EXPR GREP-ARGS... -- DUCKDB-PREDICATE JQ-PREDICATE: one row of the table. The DuckDB
# and jq predicates mean what the driftql query means on this data; grep looks for the query's
# literal, the floor.
query() {
    local expr=$1
    shift
    local grep_args=()
    while [ "$1" != -- ]; do
        grep_args+=("$1")
        shift
    done
    local duck=$2 jqp=$3
    local t_dq t_grep t_duck t_jq n_dq n_duck n_jq
    # Each run writes a new file: the one of the run before is removed first, untimed.
    t_dq=$(BEFORE="rm -f '$tmp/dq.out'" best sh -c '"$0" filter "$1" "$2" >"$3" 2>/dev/null' "$DRIFTQL" "$expr" "$file" "$tmp/dq.out")
    n_dq=$(wc -l <"$tmp/dq.out")
    t_grep=$(BEFORE="rm -f '$tmp/grep.out'" best sh -c 'out=$0; shift; grep "$@" >"$out" || true' "$tmp/grep.out" "${grep_args[@]}" "$file")
    t_duck=$(BEFORE="rm -f '$tmp/duck.out'" best "$VENV/bin/python" "$tmp/duck.py" "$file" "$duck" "$tmp/duck.out")
    n_duck=$(wc -l <"$tmp/duck.out")
    t_jq=$(BEFORE="rm -f '$tmp/jq.out'" best sh -c 'jq -c "select($0)" "$1" >"$2"' "$jqp" "$file" "$tmp/jq.out")
    n_jq=$(wc -l <"$tmp/jq.out")
    if [ "$n_dq" != "$n_duck" ] || [ "$n_dq" != "$n_jq" ]; then
        echo "filter_peers: the counts disagree on '$expr': driftql $n_dq, duckdb $n_duck, jq $n_jq" >&2
        exit 1
    fi
    awk -v e="$expr" -v n="$n_dq" -v b="$bytes" -v dq="$t_dq" -v g="$t_grep" -v d="$t_duck" -v j="$t_jq" 'BEGIN {
        printf "%-40s %8d %5.0f MB/s | %6.2fs %6.2fs %6.2fs | %5.1fx %6.1fx %5.1fx\n",
            e, n, b / 1e6 / dq, g, d, j, dq / g, d / dq, j / dq
    }'
}

any="len(list_filter(items, lambda i: "
start='(^|[^a-z0-9])'
end='($|[^a-z0-9])'
query 'port-tcp:443' -F '"443"' -- \
    "${any}lower(i.type) = 'port-tcp' and i.value = '443')) > 0" \
    'any(.items[]; .type == "port-tcp" and .value == "443")'
query 'product-tag:hikvision*' -Fi hikvision -- \
    "${any}lower(i.type) = 'product-tag' and regexp_matches(lower(i.value), '${start}hikvision'))) > 0" \
    'any(.items[]; .type == "product-tag" and (.value | ascii_downcase | test("(^|[^a-z0-9])hikvision")))'
query 'host:example.com' -Fi example.com -- \
    "${any}lower(i.type) = 'host' and (lower(i.value) = 'example.com' or lower(i.value) like '%.example.com'))) > 0" \
    'any(.items[]; .type == "host" and (.value | ascii_downcase | (. == "example.com" or endswith(".example.com"))))'
query 'not port-tcp:443' -Fv '"443"' -- \
    "not (${any}lower(i.type) = 'port-tcp' and i.value = '443')) > 0)" \
    'any(.items[]; .type == "port-tcp" and .value == "443") | not'
query 'search-term:login' -Fi login -- \
    "${any}regexp_matches(lower(i.value), '${start}login${end}'))) > 0" \
    'any(.items[]; .value | ascii_downcase | test("(^|[^a-z0-9])login($|[^a-z0-9])"))'
query 'geo-country=US and not product-tag:nginx' -F '"US"' -- \
    "${any}lower(i.type) = 'geo-country' and lower(i.value) = 'us')) > 0 and not (${any}lower(i.type) = 'product-tag' and regexp_matches(lower(i.value), '${start}nginx${end}'))) > 0)" \
    'any(.items[]; .type == "geo-country" and (.value | ascii_downcase) == "us") and (any(.items[]; .type == "product-tag" and (.value | ascii_downcase | test("(^|[^a-z0-9])nginx($|[^a-z0-9])"))) | not)'

echo
echo "driftql in MB/s; /grep: driftql's time over grep's (grep is the floor: lower is better);"
echo "duckdb/ and jq/: their time over driftql's (higher is better)."
