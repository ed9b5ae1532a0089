"""bench/prefix_agreement.py: a cached system prompt's effect, analytic against simulated."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.script_loading import load_script

SCRIPT = Path(__file__).resolve().parents[2] / "bench" / "prefix_agreement.py"


def one_row(monkeypatch: pytest.MonkeyPatch, *argv: str) -> None:
    """The bench on one row: 8B on an H100, a 2,000-token prefix, 30 % load, 300 requests."""
    bench = load_script("prefix_agreement", SCRIPT)
    monkeypatch.setattr(bench, "SHAPES", {"8B bf16 H100": bench.SHAPES["8B bf16 H100"]})
    monkeypatch.setattr(bench, "PREFIXES", (2000,))
    monkeypatch.setattr(bench, "LOADS", (0.3,))
    monkeypatch.setattr(bench, "REQUESTS", 300)
    bench.main(list(argv))


def test_the_table_compares_both_modes_with_and_without_the_cache(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    one_row(monkeypatch, "--engine", "sglang", "--history", "500")
    rows = capsys.readouterr().out.splitlines()
    assert rows[0].split()[:3] == ["shape", "prefix", "sat"]
    cells = rows[1].split()
    cached, in_full = float(cells[4]), float(cells[5])
    assert cells[3] == "2,000" and cached > in_full > 0
    assert rows[-1].startswith("worst |analytic/simulated - 1|")


def test_several_prefixes_print_the_share_of_requests_that_find_theirs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    one_row(monkeypatch, "--prefixes", "300")
    cells = capsys.readouterr().out.splitlines()[1].split()
    assert cells[6] == "30%"
    assert 0 < int(cells[7].rstrip("%")) < 100


@pytest.mark.parametrize(("routing", "found"), [("random", "53%"), ("prefix-aware", "100%")])
def test_one_of_several_replicas_prints_the_share_of_the_history_found(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], routing: str,
    found: str,
) -> None:
    one_row(monkeypatch, "--history", "1500", "--replicas", "4", "--routing", routing,
            "--turns", "8")
    rows = capsys.readouterr().out.splitlines()
    assert rows[1].split()[7] == found  # one prefix: no "hits", the history's share
