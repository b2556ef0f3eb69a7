"""The README's Python example, run as written against `driftql serve`."""

from __future__ import annotations

import re

import pytest

from conftest import ROOT, Served


def _example() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## From Python\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the README's Python section has one example"
    return str(blocks[0])


def test_the_readme_example_runs(
    server: Served, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRIFTNET_API_URL", server.url)
    monkeypatch.setenv("DRIFTNET_API_TOKEN", server.token)
    exec(compile(_example(), "README.md", "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == [
        "warning country-case (12, 14) write `RU`",
        "error space-in-term (25, 26) remove the space: `title:login`",
        "space-in-term 1 7",
    ]
    count, on_page = map(int, printed[3].split())
    assert 0 < on_page <= min(count, 100)
    assert printed[4].startswith("{") and "'api_usage'" in printed[5]
    assert not any(server.token in line for line in printed)
