"""Fixtures: the `driftql` binary of this checkout and a `driftql serve --sample` around a test.

The tests run against the installed wheel (``import driftql``); the binary is the one cargo
built (``DRIFTQL_BIN``, else ``target/debug`` or ``target/release`` of the checkout, else
``driftql`` on ``PATH``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Iterator, NamedTuple

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFORMANCE = ROOT.parent / "shared" / "spec" / "conformance"
TOKEN = "SECRET-TOKEN-123456"


def _binary() -> str:
    given = os.environ.get("DRIFTQL_BIN")
    if given:
        return given
    for profile in ("debug", "release"):
        candidate = ROOT / "target" / profile / "driftql"
        if candidate.exists():
            return str(candidate)
    found = shutil.which("driftql")
    if found is None:
        raise RuntimeError("no driftql binary: build it with `cargo build` or set DRIFTQL_BIN")
    return found


@pytest.fixture(scope="session")
def driftql_bin() -> str:
    return _binary()


class Served(NamedTuple):
    url: str
    token: str


@pytest.fixture(scope="session")
def server(driftql_bin: str) -> Iterator[Served]:
    """`driftql serve` over its 3,000-report sample, on a free loopback port, with a token."""
    child = subprocess.Popen(
        [driftql_bin, "serve", "--sample", "3000", "--addr", "127.0.0.1:0", "--token", TOKEN],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        marker = " on http://"
        assert marker in line, f"unexpected first line from driftql serve: {line!r}"
        address = line.split(marker, 1)[1].split()[0]
        yield Served(f"http://{address}", TOKEN)
    finally:
        child.terminate()
        child.wait(timeout=30)


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No token or URL from the environment."""
    monkeypatch.delenv("DRIFTNET_API_TOKEN", raising=False)
    monkeypatch.delenv("DRIFTNET_API_URL", raising=False)


def pytest_configure(config: pytest.Config) -> None:
    """The tests are of the installed wheel, never of the source folder beside them."""
    import driftql

    where = Path(driftql.__file__).resolve()
    if ROOT / "python" / "driftql" in where.parents:
        raise pytest.UsageError(
            f"driftql is imported from the source folder ({where}), not the installed wheel: "
            "run `pytest python/tests` from the checkout's root, after `pip install ./python`"
        )
