# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
# The training kernels, built for the avx512 instruction set (see _kernels.pxi).
include "_kernels.pxi"
