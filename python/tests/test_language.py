"""The language from Python: parsing, the canonical form, findings, fixes and errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, List

import pytest

import driftql

from conftest import CONFORMANCE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - the CI runs 3.11
    import tomli as tomllib


def _cases() -> List[Dict[str, Any]]:
    files = sorted(CONFORMANCE.glob("*.toml"))
    assert files, f"no conformance file in {CONFORMANCE}"
    cases: List[Dict[str, Any]] = []
    for path in files:
        with path.open("rb") as f:
            cases.extend(tomllib.load(f).get("case", []))
    assert cases
    return cases


@pytest.mark.parametrize("case", _cases(), ids=lambda c: str(c["input"]))
def test_conformance(case: Dict[str, Any]) -> None:
    text = case["input"]
    if case.get("syntax_error"):
        with pytest.raises(driftql.SyntaxError):
            driftql.parse(text)
        assert any(d.is_error for d in driftql.check(text))
        return
    query = driftql.parse(text)
    assert str(query) == case["canonical"]
    assert query.canonical == case["canonical"]
    assert driftql.fmt(text) == case["canonical"]
    assert driftql.fmt(case["canonical"]) == case["canonical"]
    assert sorted(d.code for d in query.validate()) == sorted(case.get("codes", []))
    assert sorted(d.code for d in driftql.check(text)) == sorted(case.get("codes", []))


def test_a_syntax_error_is_a_value_error_with_its_position() -> None:
    with pytest.raises(driftql.SyntaxError) as caught:
        driftql.parse("title: foo")
    e = caught.value
    assert isinstance(e, ValueError) and isinstance(e, driftql.Error)
    assert e.code == "space-in-term"
    assert (e.line, e.column) == (1, 7)
    assert e.span[0] == 6
    assert e.help
    rendered = str(e)
    assert "title: foo" in rendered and "^" in rendered and "space-in-term" in rendered


def test_positions_count_characters() -> None:
    text = 'title:"ünïcødé" and title: x'
    (d,) = driftql.check(text)
    assert d.code == "space-in-term"
    # Characters, not UTF-8 bytes (the bytes put it at 30).
    assert d.span == (26, 27) and text[d.span[0]] == " "
    assert (d.line, d.column) == (1, 27)
    q = driftql.parse('title:"ünïcødé" and geo-country=us')
    (w,) = q.validate()
    assert w.code == "country-case" and q.source[w.span[0] : w.span[1]] == "us"
    assert w.fix is not None and w.fix.replacement == "US"
    start, end = w.fix.span
    mended = q.source[:start] + w.fix.replacement + q.source[end:]
    assert mended == 'title:"ünïcødé" and geo-country=US'
    assert driftql.parse(mended) == q.fix()


def test_check_reports_every_error_and_the_lints_of_the_rest() -> None:
    text = "geo-country:ru and title: login or port-tcp:443 )"
    found = driftql.check(text)
    assert [(d.code, d.severity) for d in found] == [
        ("keyword-only-type", "error"),
        ("country-case", "warning"),
        ("space-in-term", "error"),
        ("unbalanced-parenthesis", "error"),
    ]
    assert [d.span[0] for d in found] == [11, 12, 25, len(text) - 1]
    assert [text[d.span[0]] for d in found] == [":", "r", " ", ")"]
    assert driftql.check("port-tcp:443") == []


def test_fix_applies_every_machine_applicable_fix() -> None:
    q = driftql.parse("geo-country=us and not not port-tcp:22")
    assert {d.code for d in q.validate()} == {"country-case", "double-negation"}
    fixed = q.fix()
    assert str(fixed) == "(geo-country=US and port-tcp:22)"
    assert fixed.validate() == []


def test_equality_and_hash_are_by_tree() -> None:
    a = driftql.parse("PORT-TCP:443  AND  (geo-country=US)")
    b = driftql.parse("port-tcp:443 and geo-country=US")
    assert a == b and hash(a) == hash(b)
    assert a.source != b.source
    assert a != driftql.parse("port-tcp:443")
    assert a != "port-tcp:443 and geo-country=US"
    assert len({a, b}) == 1


@pytest.mark.parametrize("text", ["a:1 and not b;c=2*", 'title:"ünï code" or (ip;:10.0.0.0/8 and x=1)'])
def test_ast_is_what_driftql_ast_prints(driftql_bin: str, text: str) -> None:
    printed = subprocess.run([driftql_bin, "ast", text], check=True, capture_output=True, text=True)
    assert driftql.parse(text).ast == json.loads(printed.stdout)


def test_repr_shows_the_canonical_form() -> None:
    q = driftql.parse("a:1 OR b:'2'")
    assert repr(q) == "Query(\"(a:1 or b:'2')\")"
    assert eval(repr(q)[6:-1]) == str(q)
    d = driftql.check("port-tcp:abc")[0]
    assert repr(d).startswith("Diagnostic(code='invalid-port', severity='error', span=(9, 12)")
    assert str(d).startswith("error[invalid-port] at line 1, column 10: ")


def test_the_module_docstring_example() -> None:
    import doctest

    failures, tried = doctest.testmod(driftql, verbose=False)
    assert tried >= 3 and failures == 0
