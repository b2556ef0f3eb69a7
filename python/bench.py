"""The Python package beside the Rust core, in one run, as ratios.

    python python/bench.py            # from the checkout's root, with the wheel installed
    MB=100 RUNS=5 python python/bench.py

1. The pipeline — parse, validate, print — on the benches' realistic corpus (1,000 queries,
   `examples/pipeline.rs`): from Python (`driftql.parse`, `.validate()`, `.canonical`) against
   the same loop in Rust (`pipeline time`), per query, best of RUNS rounds each.
2. `Matcher.filter` over a generated export of MB megabytes (`examples/gen_reports.rs`; every
   matching report becomes a dict), `Matcher.filter(raw=True)` (bytes) and `Matcher.count`,
   against `driftql filter --count`, best wall time of RUNS each, for a selective query and one
   that matches most reports.

Builds what it needs in release mode (`cargo build --release`); measure with a wheel built
in release mode too (`pip install ./python`), not the test suite's dev build.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List

# The installed wheel, not the source folder beside this script.
sys.path = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
import driftql  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
MB = int(os.environ.get("MB", "100"))
RUNS = int(os.environ.get("RUNS", "5"))


def best(runs: int, work: Callable[[], object]) -> float:
    times: List[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    subprocess.run(
        ["cargo", "build", "--release", "--quiet", "--bin", "driftql", "--example", "pipeline",
         "--example", "gen_reports"],
        cwd=ROOT, check=True,
    )
    release = ROOT / "target" / "release"
    queries = subprocess.run(
        [release / "examples" / "pipeline", "print", "1000"], check=True, capture_output=True, text=True
    ).stdout.splitlines()

    def pipeline() -> None:
        for text in queries:
            q = driftql.parse(text)
            q.validate()
            q.canonical

    py_ns = best(RUNS * 2, pipeline) / len(queries) * 1e9
    rust_ns = float(
        subprocess.run([release / "examples" / "pipeline", "time", "1000"], check=True,
                       capture_output=True, text=True).stdout
    )
    print(f"pipeline, {len(queries)} queries: Python {py_ns:,.0f} ns/query, Rust {rust_ns:,.0f} ns/query, "
          f"ratio {py_ns / rust_ns:.2f}x")

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scan.ndjson"
        with path.open("wb") as out:
            subprocess.run([release / "examples" / "gen_reports", str(MB)], stdout=out,
                           stderr=subprocess.DEVNULL, check=True)
        size = path.stat().st_size
        path.read_bytes()  # into the page cache
        for query in ("port-tcp:443", "not port-tcp:443"):
            m = driftql.Matcher(query)
            n = sum(1 for _ in m.filter(path))
            cli = subprocess.run([release / "driftql", "filter", "--count", query, str(path)],
                                 check=True, capture_output=True, text=True).stdout.strip()
            assert int(cli) == n == m.count(path), (cli, n)
            t_filter = best(RUNS, lambda: sum(1 for _ in m.filter(path)))
            t_raw = best(RUNS, lambda: sum(1 for _ in m.filter(path, raw=True)))
            t_count = best(RUNS, lambda: m.count(path))
            t_cli = best(RUNS, lambda: subprocess.run(
                [release / "driftql", "filter", "--count", query, str(path)],
                check=True, stdout=subprocess.DEVNULL))
            print(f"{query!r} over {size / 1e6:.0f} MB, {n:,} matches: driftql filter --count "
                  f"{t_cli:.3f} s; Matcher.filter {t_filter:.3f} s ({t_filter / t_cli:.2f}x), "
                  f"raw=True {t_raw:.3f} s ({t_raw / t_cli:.2f}x), "
                  f"Matcher.count {t_count:.3f} s ({t_count / t_cli:.2f}x)")


if __name__ == "__main__":
    sys.exit(main())
