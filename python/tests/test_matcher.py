"""`Matcher` against `driftql filter` on the same generated export."""

from __future__ import annotations

import json
import os
import subprocess
import time
import warnings
from pathlib import Path
from typing import Any, Dict, List

import pytest

import driftql
from exports import reports, write_ndjson

QUERIES = [
    ("port-tcp:443", 0, False),
    ("product-tag:hikvision*", 0, False),
    ("host:example.com", 0, False),
    ("host:example.com", 0, True),
    ("host;cert-dns-name:example.com", 0, False),
    ("not port-tcp:443", 0, False),
    ("geo-country=RU or geo-country=IR", 0, False),
    ('title:"remote login"', 0, False),
    ('title:"remote login"', 2, False),
    ("title:LOGIN and not product-tag=nginx", 0, False),
    ("ip:10.0.0.0/8", 0, False),
    ("ip;:10.0.0.0/8", 0, False),
    ("ip:2001:db8::/32", 0, False),
    ("search-term:login", 0, False),
    ("url:example.com", 0, False),
]

ROWS = reports(3000)


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_ndjson(tmp_path_factory.mktemp("export") / "reports.ndjson", ROWS)


def _filter_ids(driftql_bin: str, path: Path, query: str, slop: int, host_in_url: bool) -> List[str]:
    args = [driftql_bin, "filter", "--slop", str(slop)]
    if host_in_url:
        args.append("--host-in-url")
    done = subprocess.run(args + [query, str(path)], capture_output=True, text=True, check=True)
    return [json.loads(line)["id"] for line in done.stdout.splitlines()]


@pytest.mark.parametrize("query,slop,host_in_url", QUERIES)
def test_the_same_reports_as_driftql_filter(
    driftql_bin: str, export: Path, query: str, slop: int, host_in_url: bool
) -> None:
    expected = _filter_ids(driftql_bin, export, query, slop, host_in_url)
    assert 0 < len(expected) < len(ROWS), f"{query}: a case that tells nothing ({len(expected)})"
    m = driftql.Matcher(query, slop=slop, host_in_url=host_in_url)
    from_file = [r["id"] for r in m.filter(export)]
    from_str_path = [r["id"] for r in m.filter(str(export))]
    from_dicts = [r["id"] for r in m.filter(iter(ROWS))]
    one_by_one = [r["id"] for r in ROWS if m.matches(r)]
    assert from_file == expected
    assert from_str_path == expected
    assert from_dicts == expected
    assert one_by_one == expected
    assert m.count(export) == len(expected)
    raw = list(m.filter(export, raw=True))
    assert [json.loads(line)["id"] for line in raw] == expected


def test_filter_yields_the_reports_as_written(export: Path) -> None:
    m = driftql.Matcher("port-tcp:443")
    first = next(iter(m.filter(export)))
    assert first == next(r for r in ROWS if m.matches(r))
    # Dicts from an iterable are yielded as given, the same objects.
    rows: List[Dict[str, Any]] = ROWS[:50]
    assert all(any(r is s for s in rows) for r in m.filter(rows))


def test_bad_lines_warn_raise_or_are_skipped(tmp_path: Path) -> None:
    path = write_ndjson(tmp_path / "bad.ndjson", ROWS[:100], bad_every=25)
    m = driftql.Matcher("port-tcp:443 or not port-tcp:443")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        found = list(m.filter(path, strict=True))
    assert len(found) == 100
    bad = [w for w in caught if issubclass(w.category, driftql.BadReportWarning)]
    assert len(bad) == 4
    assert str(path) in str(bad[0].message) and ":26:" in str(bad[0].message)
    with pytest.raises(driftql.ReportError, match=":26:"):
        list(m.filter(path, errors="raise", strict=True))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(list(m.filter(path, errors="ignore"))) == 100
    with pytest.raises(driftql.ReportError):
        m.matches({"date": "2024-01-01"})
    deep: List[Any] = []
    for _ in range(100_000):
        deep = [deep]
    with pytest.raises(driftql.ReportError):
        m.matches({"date": "2024-01-01", "id": "x", "items": [], "extra": deep})
    with pytest.raises(driftql.ReportError, match="not a report"):
        m.matches({"date": "2024-01-01", "id": "x", "items": [], "when": object()})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert [r["id"] for r in m.filter([{"id": "x"}, ROWS[0]])] == [ROWS[0]["id"]]
    assert any(issubclass(w.category, driftql.BadReportWarning) for w in caught)


def test_other_layouts_of_an_export(tmp_path: Path) -> None:
    m = driftql.Matcher("port-tcp:443")
    expected = [r["id"] for r in ROWS[:200] if m.matches(r)]
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"page": 0, "pages": 1, "result_count": 200, "results": ROWS[:200]}))
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps(ROWS[:200], indent=2))
    assert [r["id"] for r in m.filter(page)] == expected
    assert [r["id"] for r in m.filter(pretty)] == expected


def test_errors_in_the_query_or_the_path() -> None:
    with pytest.raises(driftql.SyntaxError):
        driftql.Matcher("title: x")
    with pytest.raises(driftql.InvalidQuery) as caught:
        driftql.Matcher("port-tcp:abc")
    assert [d.code for d in caught.value.diagnostics] == ["invalid-port"]
    assert "invalid-port" in str(caught.value)
    with pytest.raises(FileNotFoundError) as missing:
        driftql.Matcher("port-tcp:443").filter("/nonexistent/reports.ndjson")
    assert missing.value.filename == "/nonexistent/reports.ndjson"
    with pytest.raises(ValueError, match="raw=True reads a file"):
        driftql.Matcher("port-tcp:443").filter([], raw=True)  # type: ignore[call-overload]
    with pytest.raises(ValueError, match="errors must be"):
        driftql.Matcher("port-tcp:443").filter([], errors="loud")  # type: ignore[call-overload]


def _threads() -> int:
    return len(os.listdir("/proc/self/task"))


def test_a_dropped_iterator_stops_the_reading(export: Path) -> None:
    m = driftql.Matcher("port-tcp:443 or not port-tcp:443")
    before = _threads()
    for _ in range(20):
        it = m.filter(export)
        assert next(it)["id"] == ROWS[0]["id"]
        del it
    deadline = time.monotonic() + 10
    while _threads() > before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _threads() <= before, "the reading threads of dropped iterators ended"
    q = driftql.parse("port-tcp:443")
    assert driftql.Matcher(q).query == q
    assert repr(driftql.Matcher(q, slop=1)) == "Matcher('port-tcp:443', slop=1, host_in_url=False)"
