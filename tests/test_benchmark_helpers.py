"""Helpers the benchmark scripts share: what they print must not claim more than was measured."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from quality import mean_se_cell  # noqa: E402


def test_one_seed_has_no_standard_error():
    assert mean_se_cell([0.5]) == "0.500 (1 seed)"  # not "0.500 ± 0.000"
    assert mean_se_cell([0.5, 0.7]) == "0.600 ± 0.100"
