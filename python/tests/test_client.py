"""`Client` against `driftql serve --sample 3000` on loopback."""

from __future__ import annotations

import datetime
import warnings
from typing import List

import pytest

import driftql
from conftest import TOKEN, Served


@pytest.fixture
def client(server: Served, no_env: None) -> driftql.Client:
    return driftql.Client(server.token, server.url, max_retries=0)


def test_a_page_and_its_counts(client: driftql.Client) -> None:
    page = client.search("port-tcp:443")
    assert page.page == 0
    assert page.result_count > 100
    assert page.pages == -(-page.result_count // 100)
    assert len(page.results) == 100
    assert all(any(i["type"] == "port-tcp" and i["value"] == "443" for i in r["items"]) for r in page.results)
    second = client.search(driftql.parse("PORT-TCP:443"), page=1)
    assert second.page == 1
    assert not {r["id"] for r in page.results} & {r["id"] for r in second.results}
    assert "result_count=" in repr(page)


def test_every_report_once_across_pages(client: driftql.Client) -> None:
    count = client.search("geo-country=US").result_count
    assert 100 < count < 10_000
    ids: List[str] = [r["id"] for r in client.reports("geo-country=US")]
    assert len(ids) == count == len(set(ids))
    by_pages: List[str] = []
    for n in range(-(-count // 100)):
        by_pages.extend(r["id"] for r in client.search("geo-country=US", page=n).results)
    assert ids == by_pages


def test_a_page_budget_warns_of_what_it_leaves(client: driftql.Client) -> None:
    count = client.search("port-tcp:443").result_count
    with pytest.warns(driftql.TruncatedWarning, match=f"{count:,}|{count}") as caught:
        got = list(client.reports("port-tcp:443", max_pages=2))
    assert len(got) == 200
    (warning,) = caught.list
    assert warning.filename == __file__, "the warning points at the caller's line"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        everything = [r["id"] for r in client.reports("geo-country=US")]
    assert len(everything) == len(set(everything))
    # A warning turned into an error loses no report: the iteration goes on after it.
    with warnings.catch_warnings():
        warnings.simplefilter("error", driftql.TruncatedWarning)
        it = client.reports("port-tcp:443", max_pages=2)
        ids: List[str] = []
        with pytest.raises(driftql.TruncatedWarning):
            for r in it:
                ids.append(r["id"])
        ids.extend(r["id"] for r in it)
    assert ids == [r["id"] for r in got]


def test_parameters_by_name(client: driftql.Client) -> None:
    everything = client.search("port-tcp:443").result_count
    dated = client.search("port-tcp:443", from_=datetime.date(2024, 1, 1), to="2024-12-31")
    assert 0 < dated.result_count < everything
    assert all("2024-01-01" <= r["date"] <= "2024-12-31" for r in dated.results)
    either = client.search("port-tcp:443", filter=["geo-country=RU", "geo-country=IR"]).result_count
    ru = client.search("port-tcp:443", filter="geo-country=RU").result_count
    ir = client.search("port-tcp:443 and geo-country=IR").result_count
    assert 0 < ru < either and either == ru + ir
    assert client.search("port-tcp:443", most_recent=True).result_count <= everything


def test_summaries(client: driftql.Client) -> None:
    summary = client.summarize("port-tcp:443", field="geo-country", limit=3)
    assert {"values", "other"} <= set(summary)
    values = summary["values"]
    assert 0 < len(values) <= 3
    counts = list(values.values())
    assert counts == sorted(counts, reverse=True)
    top = next(iter(values))
    assert client.search(f"port-tcp:443 and geo-country={top}").result_count == values[top]


def test_the_account_without_its_token(client: driftql.Client) -> None:
    account = client.quota()
    assert "quota" in account
    assert TOKEN not in repr(account)
    assert TOKEN not in repr(client)
    assert repr(client).startswith("Client(api_url=")


def test_typed_errors_never_show_the_token(server: Served, no_env: None) -> None:
    wrong = driftql.Client("WRONG-TOKEN-987654", server.url, max_retries=0)
    with pytest.raises(driftql.Unauthorized) as caught:
        wrong.search("port-tcp:443")
    e = caught.value
    assert e.status == 401 and isinstance(e, driftql.ApiError)
    for text in (str(e), repr(e), str(e.args)):
        assert "WRONG-TOKEN-987654" not in text
    client = driftql.Client(server.token, server.url, max_retries=0)
    with pytest.raises(driftql.InvalidQuery):
        client.search("port-tcp:abc")
    with pytest.raises(driftql.SyntaxError):
        client.search("title: x")
    with pytest.raises(driftql.InvalidRequest) as bad:
        client.search("port-tcp:443", from_="2024-13-01")
    assert "from" in str(bad.value)
    with pytest.raises(driftql.InvalidRequest):
        client.search()
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        client.search("port-tcp:443", colour="red")
    with pytest.raises(TypeError, match="sha1"):
        client.search("port-tcp:443", sha1="00")


def test_set_up_errors(no_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(driftql.ConfigError, match="DRIFTNET_API_TOKEN"):
        driftql.Client()
    with pytest.raises(driftql.ConfigError, match="shorter"):
        driftql.Client("short")
    with pytest.raises(driftql.ConfigError, match="plain http"):
        driftql.Client("A-LONG-ENOUGH-TOKEN", "http://example.com")
    monkeypatch.setenv("DRIFTNET_API_TOKEN", "FROM-THE-ENVIRONMENT-1")
    c = driftql.Client(api_url="http://127.0.0.1:9")
    assert "FROM-THE-ENVIRONMENT-1" not in repr(c)
    with pytest.raises(driftql.TransportError) as caught:
        driftql.Client(api_url="http://127.0.0.1:9", max_retries=0).quota()
    assert "FROM-THE-ENVIRONMENT-1" not in str(caught.value)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert driftql.Client(api_url="http://127.0.0.1:9").api_url == "http://127.0.0.1:9/"
