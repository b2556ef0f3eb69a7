"""The builder: values are raw strings, and no string changes a query's structure."""

from __future__ import annotations

from typing import Any, Dict, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import driftql

values = st.text(max_size=40)
contexts = st.one_of(st.none(), st.text(max_size=12))
ops = st.sampled_from([":", "="])


def _term_of(ast: Dict[str, Any]) -> Dict[str, Any]:
    assert list(ast) == ["term"], ast
    term: Dict[str, Any] = ast["term"]
    return term


@settings(max_examples=300, deadline=None)
@given(value=values, context=contexts, op=ops, prefix=st.booleans())
def test_a_term_holds_its_value_whatever_it_is(
    value: str, context: Optional[str], op: str, prefix: bool
) -> None:
    q = driftql.Term("title", op, value, context=context, prefix=prefix)  # type: ignore[arg-type]
    term = _term_of(q.ast)
    assert term["value"] == value
    assert term["context"] == context
    assert term["prefix"] == prefix
    assert term["op"] == ("match" if op == ":" else "keyword")
    # The text it prints parses back to the same tree.
    assert driftql.parse(str(q)) == q


@settings(max_examples=200, deadline=None)
@given(a=values, b=values, c=values)
def test_combining_keeps_the_structure(a: str, b: str, c: str) -> None:
    x = driftql.Term("title", ":", a)
    y = driftql.Term("host", "=", b)
    z = driftql.Term("geo-country", "=", c)
    q = (x & ~y) | z
    ast = q.ast
    assert list(ast) == ["or"]
    left, right = ast["or"]
    assert list(left) == ["and"]
    first, negated = left["and"]
    assert _term_of(first)["value"] == a
    assert _term_of(negated["not"]["operand"])["value"] == b
    assert _term_of(right)["value"] == c
    assert driftql.parse(str(q)) == q


def test_operators_flatten_like_the_canonical_form() -> None:
    a, b, c = (driftql.Term("port-tcp", ":", p) for p in ("22", "80", "443"))
    assert str(a & b & c) == "(port-tcp:22 and port-tcp:80 and port-tcp:443)"
    assert str((a | b) & c) == "((port-tcp:22 or port-tcp:80) and port-tcp:443)"
    assert str(~(a | b)) == "not (port-tcp:22 or port-tcp:80)"
    mixed = driftql.parse("geo-country=RU or geo-country=IR") & driftql.Term("product-tag", ":", "dahua")
    assert str(mixed) == "((geo-country=RU or geo-country=IR) and product-tag:dahua)"


def test_injection_stays_a_value() -> None:
    q = driftql.Term("title", ":", 'x") or (port-tcp:22')
    assert str(q) == 'title:"x\\") or (port-tcp:22"'
    assert q.validate() == []


def test_context_and_prefix() -> None:
    assert str(driftql.Term("host", ":", "example.com", context="cert-dns-name")) == "host;cert-dns-name:example.com"
    assert str(driftql.Term("ip", ":", "10.0.0.1", context="")) == "ip;:10.0.0.1"
    assert str(driftql.Term("product-tag", ":", "hikvision", prefix=True)) == "product-tag:hikvision*"


def test_bad_types_and_operators_are_refused() -> None:
    with pytest.raises(ValueError, match="type"):
        driftql.Term("ti tle", ":", "x")
    with pytest.raises(ValueError, match="op must be"):
        driftql.Term("title", "~", "x")  # type: ignore[arg-type]
