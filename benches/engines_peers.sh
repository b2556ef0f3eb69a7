#!/usr/bin/env bash
# Compiled queries on the engines beside `driftql filter`, in one run, on one generated NDJSON
# export: the export is loaded once into ClickHouse (chDB, ClickHouse's engine in process) and
# DuckDB with the schemas `driftql schema` prints (the load is timed), then each query is
# compiled with `driftql compile` and timed on both engines (best of RUNS, the data loaded, 2
# threads) and with `driftql filter --count` on the file (best of RUNS, the file in the page
# cache). Every tool must count the same reports.
#
#   bash benches/engines_peers.sh             # MB=1000 RUNS=3
#   MB=200 RUNS=5 bash benches/engines_peers.sh
#
# The engines are installed into a virtual environment under target/ (`python3 -m venv`, then
# `pip install -r tests/engines/requirements.txt`); their data lives in a temporary directory,
# removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

MB=${MB:-1000}
RUNS=${RUNS:-3}

VENV=target/bench-venv
if ! [ -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import duckdb, chdb' 2>/dev/null; then
    echo "engines_peers: installing the engines into $VENV" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q -r tests/engines/requirements.txt
fi

cargo build --release --quiet --bin driftql --example gen_reports
DRIFTQL=target/release/driftql
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
file=$tmp/scan.ndjson
target/release/examples/gen_reports "$MB" >"$file" 2>/dev/null
bytes=$(stat -c %s "$file")

QUERIES=(
    'port-tcp:443'
    'product-tag:hikvision*'
    'host:example.com'
    'not port-tcp:443'
    'search-term:login'
    'geo-country=US and not product-tag:nginx'
    'ip:10.0.0.0/8 or ip:192.168.0.0/16'
    'title:"index of"'
)

# The queries, compiled for each engine (one per line: the SQL holds no newline).
for q in "${QUERIES[@]}"; do "$DRIFTQL" compile --target clickhouse "$q"; done >"$tmp/clickhouse.sql"
for q in "${QUERIES[@]}"; do "$DRIFTQL" compile --target duckdb "$q"; done >"$tmp/duckdb.sql"
"$DRIFTQL" schema --target clickhouse >"$tmp/clickhouse.schema"
"$DRIFTQL" schema --target duckdb >"$tmp/duckdb.schema"

cat >"$tmp/engine.py" <<'PYTHON'
import json, sys, time
engine, schema_path, sql_path, data, workdir, runs = sys.argv[1:7]
runs = int(runs)
schema = open(schema_path, encoding="utf-8").read()
statements = []
for chunk in schema.split(";\n"):
    text = "\n".join(l for l in chunk.splitlines() if not l.startswith("--")).strip()
    if text:
        statements.append(text)
queries = [l for l in open(sql_path, encoding="utf-8").read().splitlines() if l]
if engine == "duckdb":
    import duckdb
    con = duckdb.connect(f"{workdir}/duck.db")
    con.execute("SET threads = 2")
    for s in statements:
        con.execute(s)
    start = time.perf_counter()
    con.execute("INSERT INTO reports SELECT * FROM driftql_load(?)", [data])
    load = time.perf_counter() - start
    def count(sql):
        return con.execute(f"SELECT count(*) FROM ({sql})").fetchone()[0]
else:
    from chdb import session
    s = session.Session(f"{workdir}/chdb")
    s.query("SET max_threads = 2")
    for st in statements:
        s.query(st)
    start = time.perf_counter()
    s.query(
        "INSERT INTO reports (date, id, items) SELECT * FROM file('" + data + "', 'JSONEachRow', "
        "'date Date32, id String, items Array(Tuple(type String, context String, value String, is_metadata Bool))') "
        "SETTINGS max_threads = 2"
    )
    load = time.perf_counter() - start
    def count(sql):
        # Without the query condition cache, which would answer a repeated filter from memory.
        out = s.query(f"SELECT count(*) FROM ({sql}) SETTINGS max_threads = 2, use_query_condition_cache = 0", "CSV")
        return int(out.bytes().decode().strip())
results = []
for sql in queries:
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        n = count(sql)
        t = time.perf_counter() - start
        best = t if best is None or t < best else best
    results.append({"count": n, "seconds": best})
print(json.dumps({"load": load, "queries": results}))
PYTHON

echo "engines_peers: loading $((bytes / 1000000)) MB into chDB and DuckDB" >&2
mkdir -p "$tmp/ch" "$tmp/dd"
"$VENV/bin/python" "$tmp/engine.py" clickhouse "$tmp/clickhouse.schema" "$tmp/clickhouse.sql" "$file" "$tmp/ch" "$RUNS" >"$tmp/ch.json"
"$VENV/bin/python" "$tmp/engine.py" duckdb "$tmp/duckdb.schema" "$tmp/duckdb.sql" "$file" "$tmp/dd" "$RUNS" >"$tmp/dd.json"

. benches/lib.sh # best CMD...: the best wall time of RUNS runs

cat "$file" >/dev/null
for n in "${!QUERIES[@]}"; do
    q=${QUERIES[$n]}
    t=$(best sh -c '"$0" filter --count "$1" "$2" >"$3" 2>/dev/null' "$DRIFTQL" "$q" "$file" "$tmp/count")
    printf '%s\t%s\t%s\n' "$q" "$(cat "$tmp/count")" "$t"
done >"$tmp/filter.tsv"

"$VENV/bin/python" - "$tmp/filter.tsv" "$tmp/ch.json" "$tmp/dd.json" "$bytes" "$RUNS" <<'PYTHON'
import json, os, sys
filter_tsv, ch_path, dd_path, size, runs = sys.argv[1:6]
rows = [l.split("\t") for l in open(filter_tsv).read().splitlines()]
ch, dd = json.load(open(ch_path)), json.load(open(dd_path))
import chdb, duckdb, subprocess
print(f"Compiled queries on the engines beside driftql filter, best of {runs} runs, one run of this script")
print(f"  machine: {os.cpu_count()} cores; chdb {chdb.__version__}, duckdb {duckdb.__version__}")
print(f"  file: {int(size) // 1000000} MB, {sum(1 for _ in open(sys.argv[1]))} queries")
print(f"  load: chDB {ch['load']:.1f} s, DuckDB {dd['load']:.1f} s (once; then each query runs on the loaded table)")
print()
print(f"{'query':44} {'matches':>8} | {'filter':>8} {'chdb':>8} {'duckdb':>8} | {'filter/chdb':>11} {'filter/duckdb':>13}")
bad = False
for (q, n, t), c, d in zip(rows, ch["queries"], dd["queries"]):
    n, t = int(n), float(t)
    if not (n == c["count"] == d["count"]):
        print(f"engines_peers: the counts disagree on {q!r}: filter {n}, chdb {c['count']}, duckdb {d['count']}", file=sys.stderr)
        bad = True
    print(f"{q:44} {n:8d} | {t:7.3f}s {c['seconds']:7.3f}s {d['seconds']:7.3f}s | {t / c['seconds']:10.1f}x {t / d['seconds']:12.1f}x")
print()
print("filter/engine: driftql filter's time over the engine's (higher: the engine is faster once loaded)")
sys.exit(1 if bad else 0)
PYTHON
