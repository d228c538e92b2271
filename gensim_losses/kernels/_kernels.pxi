"""Training kernels: skip-gram and CBOW with negative sampling, hierarchical
softmax and/or full softmax, penalties on the hidden vector, and exact
per-example loss accounting.

Layout, from the inside out:

* ``logistic_grad``: one binary-logistic term; returns ``label - sigmoid(x)``
  and adds ``-log P(label | x)`` to the caller's float64 loss.
* ``ns_term`` / ``hs_term`` / ``softmax_term``: one routine per objective.
  Each trains its output layer for one example, accumulates
  ``-alpha * dLoss/dh`` into ``c.work`` and returns the example's loss.
* ``penalty_terms``: the built-in penalties on h (norm, l2, anchor,
  direction), and ``python_terms``: the terms written in Python, at every
  example's h, compiled into a program the kernel runs (``_program.pxi``,
  ``_program.h``) or called back in Python (the hybrid path).
* ``objectives``: where all terms of one example meet. Every term adds into
  ``c.work`` before the input side is updated once.
* ``input_example``: form h from the example's input rows (their sum, or
  for ``dm_concat`` their concatenation, ``concat_example``), call
  ``objectives``, push ``c.work`` back into the input rows.
* ``train_sentence``: windows over one prepared sentence.

A training job is a ``Job``: the vocabulary indices of some sentences, already
subsampled, with each position's window already drawn. ``prepare_batch``
fills one from tokenised sentences (iterable input), ``LineReader.fill`` from
a ``corpus_file`` without the GIL; ``train_job`` trains it. Between the two,
the Python paths can read every example the job holds (``Job.collect``).

Everything the kernels touch is a plain pointer in one ``Config`` struct,
copied from a ``KernelModel`` once per job; no GIL below the entry points.

This file is included by ``_baseline.pyx`` and ``_avx2.pyx``: the same
source compiled for the baseline instruction set and for AVX2+FMA;
``gensim_losses.kernels`` imports the best one the CPU runs. It holds the
imports and includes one file per concern, below (docs/architecture.md).
"""

import threading

import numpy as np

cimport numpy as cnp
from cpython.dict cimport PyDict_GetItemWithError
from cpython.ref cimport PyObject
from libc.float cimport DBL_MAX, FLT_MAX
from libc.math cimport exp, fabs, log, log1p, sqrt
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdio cimport FILE, fopen, fclose
from libc.stdlib cimport calloc, malloc, realloc, free
from libc.string cimport memcmp, memcpy, memset

cnp.import_array()

from gensim_losses.kernels import bounds
from gensim_losses.text.corpus import Sentence, parts as corpus_parts
from gensim_losses.text.vocab import cum_guide

cdef extern from "_vecmath.h" nogil:
    float gl_dot(int n, const float *x, const float *y)
    void gl_axpy(int n, float a, const float *x, float *y)
    void gl_scale(int n, float a, float *x)
    float gl_axpy_diff(int n, float a, const float *x, const float *r, float *y)
    float gl_sqdist(int n, const float *x, const float *r)

cdef extern from "_tiles.h" nogil:
    void gl_scores(int n, const float *xbase, const uint32_t *xid, int na,
                   const float *ybase, const uint32_t *yid, int nb, float *s, int ld)
    void gl_combine(int n, float *z, const uint32_t *zid, int nd, const float *ybase, const uint32_t *yid,
                    int ns, const float *coef, int cd, int cs)
    void gl_prefetch(const float *p, int n)
    void gl_copy(int n, const float *x, float *y)
    void gl_dots(int n, const float *x, const float *ybase, const uint32_t *yid, int nb, float *s)
    void gl_axpys(int n, float *z, const float *ybase, const uint32_t *yid, int ns, const float *coef)

include "_program.pxi"

cdef extern from "stdio.h" nogil:
    ssize_t getline(char **lineptr, size_t *n, FILE *stream)
    int fseeko(FILE *stream, long long offset, int whence)
    int SEEK_SET

include "_config.pxi"
include "_math.pxi"
include "_objectives.pxi"
include "_terms.pxi"
include "_inputs.pxi"
include "_windows.pxi"
include "_model.pxi"
include "_job.pxi"
include "_train.pxi"
include "_tokens.pxi"
include "_reader.pxi"
include "_counter.pxi"
