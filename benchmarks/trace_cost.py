"""What the hybrid path spends per job in Python: tracing the tutorial's ``CustomLoss`` again.

A Python term that reads neither ``target`` nor ``batch`` is traced again for
every job on probe examples (docs/losses.md, "When it is traced"), under the
GIL, by the worker that is about to train the job. This script trains one
small model with the term to get a real run and job, then times
``PythonTerms.for_job`` (the trace, the cache lookup of its program) and the
trace alone, ``--calls`` calls per repetition, and prints the medians in
microseconds per job.

    python benchmarks/trace_cost.py --reps 5
    PYTHONPATH=/path/to/other/checkout python benchmarks/trace_cost.py   # the same for another version
"""

import argparse
import statistics
import time

from gensim.test.utils import common_texts

from gensim_losses import Word2Vec
from gensim_losses.losses import tracing
from gensim_losses.tools.bench import TutorialLoss
from gensim_losses.training import hybrid


def captured_job(vector_size):
    """``(PythonTerms, run, job)`` of the first job of a real training run with the tutorial loss."""
    seen = {}
    for_job = hybrid.PythonTerms.for_job

    def spy(self, run, job):
        seen.setdefault("job", (self, run, job))
        return for_job(self, run, job)

    hybrid.PythonTerms.for_job = spy
    try:
        Word2Vec(common_texts, vector_size=vector_size, min_count=1, workers=1, epochs=1, loss=TutorialLoss(0.1))
    finally:
        hybrid.PythonTerms.for_job = for_job
    return seen["job"]


def per_call(fn, calls):
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls * 1e6


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--calls", type=int, default=500)
    parser.add_argument("--vector-size", type=int, default=100)
    args = parser.parse_args(argv)
    terms, run, job = captured_job(args.vector_size)

    def trace_only():
        watched = tracing.WatchedTargets(terms._probe(hybrid.PROBE_EXAMPLES))
        tracing.trace(terms.compiled, watched, terms.hidden)

    rows = {"for_job (per job)": lambda: terms.for_job(run, job), "trace alone": trace_only}
    times = {name: [] for name in rows}
    for _ in range(args.reps):  # interleaved
        for name, fn in rows.items():
            times[name].append(per_call(fn, args.calls))
    print(f"tutorial CustomLoss(0.1), vector_size {args.vector_size}, "
          f"{args.calls} calls x {args.reps} repetitions")
    print("| what | microseconds per job (median) | repetitions |")
    print("|---|---|---|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.0f} | {' '.join(f'{v:.0f}' for v in values)} |")


if __name__ == "__main__":
    main()
