"""Throughput of gensim_losses against stock gensim, side by side in one process.

The benchmark lives in the package (:mod:`gensim_losses.tools.bench`, also
``gensim-losses bench``); this script runs it from a source checkout. Its
options and examples: ``python benchmarks/speed.py --help``.
"""

from gensim_losses.tools.bench import main

if __name__ == "__main__":
    main()
