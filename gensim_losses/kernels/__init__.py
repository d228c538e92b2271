"""The training kernels built for the best instruction set this CPU runs.

``GENSIM_LOSSES_KERNELS=baseline`` forces the portable build (tests compare
the two).
"""

import os


def _cpu_has(*features):
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__
    return all(__cpu_features__.get(f, False) for f in features)


def _load():
    wanted = os.environ.get("GENSIM_LOSSES_KERNELS", "auto")
    if wanted not in ("auto", "baseline", "avx2"):
        raise ImportError(f"GENSIM_LOSSES_KERNELS={wanted!r}: expected auto, baseline or avx2")
    if wanted in ("auto", "avx2") and _cpu_has("AVX2", "FMA3"):
        try:
            from gensim_losses.kernels import _avx2 as module
            return module, "avx2"
        except ImportError:
            if wanted == "avx2":
                raise
    from gensim_losses.kernels import _baseline as module
    return module, "baseline"


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
