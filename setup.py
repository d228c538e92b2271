"""Build the Cython training kernels (see pyproject.toml for the metadata)."""
import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup

# -O3 with re-association lets gcc vectorise the dot products; unlike
# -ffast-math it keeps NaN/inf checks meaningful.
FLAGS = ["-O3", "-fno-math-errno", "-fassociative-math", "-fno-signed-zeros", "-fno-trapping-math"]

extensions = [
    Extension(
        "gensim_losses._kernels",
        ["gensim_losses/_kernels.pyx"],
        include_dirs=[numpy.get_include(), "gensim_losses"],
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        extra_compile_args=FLAGS,
    ),
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": "3"}))
