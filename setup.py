"""Build the Cython training kernels (see pyproject.toml for the metadata).

The kernels are built from one source (gensim_losses/kernels/*.pxi) for
the baseline instruction set and, on x86-64, also for AVX2+FMA (which,
inlined and vectorised, runs the dot products about 1.3x faster) and for
AVX-512 (F, BW, DQ, VL: 16 floats a register).
gensim_losses/kernels/__init__.py picks the module to load (AVX2+FMA where the CPU has it:
the AVX-512 build measured slower) and GENSIM_LOSSES_KERNELS can force any.
"""
import glob
import os
import platform

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

# -O3 with re-association lets gcc vectorise the dot products; unlike
# -ffast-math it keeps NaN/inf checks meaningful.
FLAGS = ["-O3", "-fno-math-errno", "-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math"]
VARIANTS = {"baseline": []}
if platform.machine().lower() in ("x86_64", "amd64") and os.name != "nt":
    VARIANTS["avx2"] = ["-mavx2", "-mfma"]
    # gcc's tuning would otherwise keep AVX-512 code to 256-bit vectors
    VARIANTS["avx512"] = ["-mavx2", "-mfma", "-mavx512f", "-mavx512bw", "-mavx512dq", "-mavx512vl",
                          "-mprefer-vector-width=512"]


def kernel(variant, extra):
    return Extension(
        f"gensim_losses.kernels._{variant}",
        [f"gensim_losses/kernels/_{variant}.pyx"],
        include_dirs=[numpy.get_include(), "gensim_losses/kernels"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=FLAGS + extra,
        depends=sorted(glob.glob("gensim_losses/kernels/*.pxi") + glob.glob("gensim_losses/kernels/*.h")),
    )


# the variants translate and compile side by side, one per core (they share no object file); pip shows what
# each step does with -v
JOBS = min(len(VARIANTS), os.cpu_count() or 1)
print(f"gensim-losses: compiling the training kernels for {', '.join(VARIANTS)}, {JOBS} at a time (the step pip "
      f"shows as 'still running')", flush=True)
setup(ext_modules=cythonize([kernel(v, f) for v, f in VARIANTS.items()], nthreads=JOBS,
                            compiler_directives={"language_level": "3"}),
      options={"build_ext": {"parallel": JOBS}})
