"""Helpers the benchmark scripts share: what they print must not claim more than was measured."""

import importlib.util
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def load(name):
    """A benchmark module by its file, without putting benchmarks/ on sys.path (its distributed.py would
    shadow Dask's ``distributed`` package for every test after this one)."""
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_one_seed_has_no_standard_error():
    mean_se_cell = load("quality").mean_se_cell
    assert mean_se_cell([0.5]) == "0.500 (1 seed)"  # not "0.500 ± 0.000"
    assert mean_se_cell([0.5, 0.7]) == "0.600 ± 0.100"


def test_loading_a_benchmark_leaves_dask_importable():
    load("quality")
    assert not any(Path(p or ".").resolve() == BENCHMARKS for p in sys.path)
