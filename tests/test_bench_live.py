"""The live benchmark runs at the smallest sizes (`--quick`) and prints each of its figures:
what a person waits for in a real browser (tests/test_bench.py checks the other benchmarks)."""

import pytest

from tests.test_bench import check_quick_benchmark


@pytest.mark.slow
def test_the_live_benchmark_prints_its_figures(tmp_path, capsys):
    check_quick_benchmark("live", tmp_path, capsys)
