"""Runs compiled queries on a real engine, for the differential tests in tests/engines.rs.

    python run.py ENGINE JOB.json

ENGINE is duckdb or clickhouse (chDB, ClickHouse's engine in process). The job holds the schema
`driftql schema` prints, the path of an NDJSON export, and the queries `driftql compile` wrote.
The schema is run statement by statement, the export loaded as the schema's comment says, and
each query run; standard output gets one JSON object: {"results": [{"ids": [...]} or
{"error": "..."}, ...]}, in the order of the queries.
"""

import json
import sys
import tempfile


def statements(schema):
    for chunk in schema.split(";\n"):
        lines = [l for l in chunk.splitlines() if not l.startswith("--")]
        text = "\n".join(lines).strip()
        if text:
            yield text


def run_duckdb(job):
    import duckdb

    con = duckdb.connect()
    con.execute("SET threads = 2")
    for s in statements(job["schema"]):
        con.execute(s)
    con.execute("INSERT INTO reports SELECT * FROM driftql_load(?)", [job["data"]])

    def query(sql):
        return [r[0] for r in con.execute(f"SELECT id FROM ({sql})").fetchall()]

    return query


def run_clickhouse(job):
    from chdb import session

    s = session.Session(tempfile.mkdtemp(prefix="driftql-chdb-"))
    for st in statements(job["schema"]):
        s.query(st)
    with open(job["data"], encoding="utf-8") as f:
        data = f.read()
    s.query("INSERT INTO reports FORMAT JSONEachRow\n" + data)

    def query(sql):
        out = s.query(f"SELECT id FROM ({sql})", "JSONCompactEachRow")
        text = out.bytes().decode("utf-8")
        return [json.loads(line)[0] for line in text.splitlines() if line]

    return query


def main():
    engine, job_path = sys.argv[1], sys.argv[2]
    with open(job_path, encoding="utf-8") as f:
        job = json.load(f)
    query = {"duckdb": run_duckdb, "clickhouse": run_clickhouse}[engine](job)
    results = []
    for sql in job["queries"]:
        try:
            results.append({"ids": query(sql)})
        except Exception as e:  # the test prints it with the query
            results.append({"error": f"{type(e).__name__}: {e}"})
    json.dump({"results": results}, sys.stdout)


if __name__ == "__main__":
    main()
