"""The training kernels built for the best instruction set this CPU runs.

``GENSIM_LOSSES_KERNELS`` forces a variant: ``baseline`` (the portable
build), ``avx2`` (AVX2+FMA) or ``avx512`` (AVX-512 F/BW/DQ/VL); tests compare
each with the baseline. ``ISA`` names the one loaded.

Left to itself the package loads AVX2+FMA where the CPU has it, even on a
CPU with AVX-512. On an AMD EPYC with AVX-512 (dim 100) the AVX-512 build
trained skip-gram with shared negatives at 0.85x the AVX2 build's speed. On
an Intel Xeon it was 1.09x faster there, but no faster per pair
(docs/benchmarks.md, "Per kernel variant" and "... on an Intel Xeon").
"""

import os


def _cpu_has(*features):
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    return all(__cpu_features__.get(f, False) for f in features)


# the variants setup.py builds, with the CPU features (numpy's names) each needs, in the order "auto" tries
# them: AVX2 before AVX-512, which measured slower (see above)
VARIANTS = (("avx2", ("AVX2", "FMA3")),
            ("avx512", ("AVX512F", "AVX512BW", "AVX512DQ", "AVX512VL", "AVX2", "FMA3")),
            ("baseline", ()))


def runnable():
    """The variants this CPU can run and this installation has, in the order "auto" tries them."""
    import importlib

    out = []
    for name, features in VARIANTS:
        if _cpu_has(*features):
            try:
                importlib.import_module(f"gensim_losses.kernels._{name}")
            except ImportError:  # not built here (another architecture, or an old build)
                continue
            out.append(name)
    return out


def _load():
    import importlib

    names = [name for name, _ in VARIANTS]
    wanted = os.environ.get("GENSIM_LOSSES_KERNELS", "auto")
    if wanted not in ("auto",) + tuple(names):
        raise ImportError(f"GENSIM_LOSSES_KERNELS={wanted!r}: expected auto, {', '.join(names)}")
    for name, features in VARIANTS:
        if wanted not in ("auto", name):
            continue
        if not _cpu_has(*features):
            if wanted == name:
                raise ImportError(f"GENSIM_LOSSES_KERNELS={name}: this CPU lacks "
                                  f"{', '.join(f for f in features if not _cpu_has(f))}")
            continue
        try:
            return importlib.import_module(f"gensim_losses.kernels._{name}"), name
        except ImportError:
            if wanted == name:
                raise
    raise ImportError("no build of the training kernels imports here: reinstall gensim-losses")


_module, ISA = _load()
KernelModel = _module.KernelModel
TokenIndex = _module.TokenIndex
LineReader = _module.LineReader
Job = _module.Job
prepare_batch = _module.prepare_batch
train_job = _module.train_job
group_sample = _module.group_sample
compose_words = _module.compose_words
WordCounter = _module.WordCounter
TERMS = _module.TERMS
CompiledTerms = _module.CompiledTerms
PROGRAM_OPS = _module.PROGRAM_OPS
PY_NONFINITE, PY_ROWS, PY_EXCEPTION = (_module.PYTHON_STATUS[k] for k in ("nonfinite", "rows", "exception"))
MAX_SENTENCE_WORDS = _module.MAX_SENTENCE_WORDS
