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

This file is included by ``_kernels_baseline.pyx`` and ``_kernels_avx2.pyx``:
the same source compiled for the baseline instruction set and for AVX2+FMA;
``gensim_losses._kernels`` imports the best one the CPU runs.
"""

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

from gensim_losses import bounds
from gensim_losses.corpus import Sentence, parts as corpus_parts

cdef extern from "_vecmath.h" nogil:
    float gl_dot(int n, const float *x, const float *y)
    void gl_axpy(int n, float a, const float *x, float *y)
    void gl_scale(int n, float a, float *x)
    float gl_axpy_diff(int n, float a, const float *x, const float *r, float *y)
    float gl_sqdist(int n, const float *x, const float *r)

include "_program.pxi"

cdef extern from "stdio.h" nogil:
    ssize_t getline(char **lineptr, size_t *n, FILE *stream)
    int fseeko(FILE *stream, long long offset, int whence)
    int SEEK_SET

# gensim's LineSentence and corpus_file reader split longer lines into
# sentences of this many raw words; we keep the same cut.
MAX_SENTENCE_WORDS = 10000
cdef int MAX_WORDS = 10000

# The loss terms a kernel tallies, in the order of Config.loss.
cdef enum:
    T_NS, T_HS, T_SOFTMAX, T_NORM, T_L2, T_ANCHOR, T_DIRECTION, T_GLOBAL, T_GROUP, T_LEXICON, N_TERMS
TERMS = ("ns", "hs", "softmax", "norm", "l2", "anchor", "direction", "global_context", "group_negative",
         "lexicon")

# Sigmoid and softplus, interleaved as (sigmoid, softplus) pairs, sampled on
# [-MAX_EXP, MAX_EXP] and read with linear interpolation (error < 2e-6).
# Beyond 16 both are flat to within 1.2e-7 of their limits, so the loss is
# never clipped and a confidently wrong score still gets its full gradient.
cdef enum:
    TABLE_SIZE = 4096
cdef float MAX_EXP = 16.0
cdef float TABLE_SCALE = TABLE_SIZE / (2.0 * 16.0)
cdef float TABLE[2 * (TABLE_SIZE + 1)]
# A term whose prediction is already right to within this (gensim skips
# |x| > 6, i.e. sigmoid(-6)) is counted in the loss but not applied: its
# step is negligible and skipping saves two vector updates.
cdef float GRAD_EPS = 0.0024726
SKIP_BELOW = GRAD_EPS


cdef void _fill_table():
    cdef int i
    cdef double x
    for i in range(TABLE_SIZE + 1):
        x = -MAX_EXP + i / <double>TABLE_SCALE
        TABLE[2 * i] = <float>(1.0 / (1.0 + exp(-x)))
        TABLE[2 * i + 1] = <float>((x if x > 0 else 0.0) + log1p(exp(-fabs(x))))


_fill_table()


# Linear congruential generator of word2vec.c and java.util.Random: cheap,
# per-thread state, no GIL. Returns the upper 32 of its 48 bits.
cdef inline uint64_t next_rand(uint64_t *state) noexcept nogil:
    cdef uint64_t r = state[0] >> 16
    state[0] = (state[0] * <uint64_t>25214903917ULL + 11) & <uint64_t>281474976710655ULL
    return r


# The models one engine trains; they differ in the rows that form an example's h.
cdef enum:
    M_WORD2VEC, M_FASTTEXT, M_DOC2VEC
MODELS = {"word2vec": M_WORD2VEC, "fasttext": M_FASTTEXT, "doc2vec": M_DOC2VEC}
# what an input row is a row of (reported by Job.collect for the Python paths)
cdef enum:
    R_WORD, R_NGRAM, R_DOC


cdef struct Collect:
    # Job.collect: every example of a job as the kernels see it, instead of training it
    int64_t n_examples, n_rows       # counted on a first pass, then filled
    uint32_t *target
    int64_t *position
    float *form                      # h = form * (the sum of the input rows)
    float *update                    # each row's step = update * lockf * (the error of h)
    int64_t *row_start               # example e's rows: [row_start[e], row_start[e + 1])
    uint8_t *row_kind                # R_WORD, R_NGRAM, R_DOC
    uint32_t *row_index


cdef struct Config:
    int model, sg, size, window, shrink_windows, cbow_mean, sample, compute_loss
    int negative
    float weight[N_TERMS]  # 0 turns a term off; objectives may be scaled
    float alpha
    int64_t vocab_size
    float *syn0          # input vectors, wv.vectors
    float *syn1          # HS output layer (inner nodes of the Huffman tree)
    float *syn1neg       # NS output layer
    float *syn1softmax   # full-softmax output layer
    const float *lockf   # per-word update factor (gensim's vectors_lockf)
    uint32_t lockf_len
    const uint32_t *cum_table  # cumulative unigram^ns_exponent table
    uint64_t cum_len
    const uint32_t *sample_ints  # keep word w if sample_ints[w] >= a 32-bit draw
    # Huffman paths of all words, flattened: word w owns [offsets[w], offsets[w+1])
    const uint32_t *points
    const uint8_t *codes
    const int64_t *code_offsets
    # penalties
    const float *anchor_ref      # (vocab, size) reference vectors
    const uint8_t *anchor_mask   # 1 where the word has a reference vector
    const float *directions      # (n_directions, size)
    int n_directions
    int any_penalty
    # Penalties and Python terms get the exact chain rule through CBOW's
    # mean/sum, not gensim's learning-rate convention for the objectives:
    # their step is scaled by this to undo what cbow_example does to c.work.
    float pen_scale
    # the current sentence: its weight scales every term of its examples;
    # its context words (GlobalContextLoss), when that term is on
    float sw
    const uint32_t *ctx
    int64_t n_ctx
    # GroupNegativeLoss: word w's group is word_group[w] (-1: none, or alone
    # in it); group g's members are group_members[group_starts[g]:group_starts[g + 1]],
    # with their cumulative count^exponent table at the same offsets in group_cum
    const int32_t *word_group
    const int64_t *group_starts
    const uint32_t *group_members
    const uint32_t *group_cum
    int group_negative
    # LexiconPenalty: word w's partners are lex_partners[lex_starts[w]:lex_starts[w + 1]]
    const int64_t *lex_starts
    const uint32_t *lex_partners
    const uint8_t *lex_antonym
    float lex_margin[2]  # synonyms attract while cos < [0]; antonyms repel while cos > [1]
    # Python terms (the hybrid path), applied at every example's own h: the
    # compiled ones run in the kernel (_program.pxi), the others are called
    # back in Python (py_callback, with the GIL). ext_next counts the job's
    # examples: the row of the current one in the per-example arrays
    const gl_program *prog
    const TermOutputs *prog_out
    float **prog_ptr
    void *py_callback
    int32_t n_compiled
    int64_t ext_next
    double py_loss[MAX_PYTHON_TERMS]
    int py_error         # PY_* of the first failing example (c.diverged is set too)
    int32_t py_term      # which term failed
    # the current example's input rows: h = form * their sum; each row's
    # update factor (lockf, 0 when it must not learn), what it is a row of,
    # and its word (for the anchor penalty) or -1
    float **in_rows
    float *in_lockf
    uint8_t *in_kind
    uint32_t *in_index
    int64_t n_in
    # FastText: word w's n-gram buckets are ngram_ids[ngram_starts[w]:ngram_starts[w + 1]], rows of syn0_ngrams
    float *syn0_ngrams
    const float *ngram_lockf
    uint32_t ngram_lockf_len
    const int64_t *ngram_starts
    const uint32_t *ngram_ids
    # Doc2Vec: document vectors and the current document's tags; PV-DM or PV-DBOW
    float *doc_vectors
    const float *doc_lockf
    uint32_t doc_lockf_len
    const uint32_t *tags
    int64_t n_tags
    int dm, train_words
    # PV-DM with concatenation (dm_concat): h is the document's dm_tag_count tag rows, then the
    # 2 * window word rows of the window (null_word where it runs off the document), side by side
    int concat, dm_tag_count
    uint32_t null_word
    # the width of h, of c.work and of an output row: size, or (dm_tag_count + 2 * window) * size
    # with concat, which the objectives see as c.size while they run (concat_example)
    int layer1_size
    # whether the output layers learn (infer_vector holds them; it holds the words by a zero lockf)
    int learn_hidden
    # nothing learns (evaluate_loss): the objectives count each example's loss and take no step
    int frozen
    Collect *col        # not NULL: record the examples instead of training them
    int64_t centre      # the position whose examples are being trained, in its sentence
    int64_t sentence_start  # the sentence's first position in its job
    # per-thread scratch
    float *work          # -alpha * dLoss/dh of the current example
    float *neu1          # CBOW hidden vector
    float *scores        # full-softmax scores, vocab_size floats
    uint64_t next_random
    # per-job records, merged by the caller
    double loss[N_TERMS]
    int64_t examples
    int diverged         # a score was NaN or infinite: the job stops (see logistic_grad)
    # shared_negatives: one draw of negatives per skip-gram window (sg_window), or
    # per cbow_uses CBOW positions of a job, cbow_stride apart (engine.cbow_sharing)
    int shared
    int64_t cbow_uses
    int64_t cbow_stride
    uint32_t *cbow_slots      # per-job scratch: cbow_stride draws of ``negative`` rows
    const uint32_t *ns_draws  # not NULL: negative sampling takes these ``negative`` draws
    # skip-gram's per-job scratch for the window's rows, labels, steps and deltas
    uint32_t *win_rows
    float *win_label
    float *win_step
    float *win_din       # (2 * window) x size: deltas of the context words' input vectors
    float *win_dout      # (1 + negative + group_negative) x size: deltas of the output rows


cdef inline float logistic_grad(Config *c, float x, float label, double *loss) noexcept nogil:
    """Return ``label - sigmoid(x)``; add ``-log P(label | x) = softplus(x) - label * x`` to loss.

    A NaN or infinite score means the vectors have diverged: it marks the job
    (``c.diverged``) and returns 0, so nothing is learnt from it.
    """
    cdef float t, frac, sig, sp
    cdef int i
    if -MAX_EXP < x < MAX_EXP:  # false for NaN
        t = (x + MAX_EXP) * TABLE_SCALE
        i = <int>t
        if i > TABLE_SIZE - 1:  # a score just below MAX_EXP rounds t up to TABLE_SIZE
            i = TABLE_SIZE - 1
        frac = t - i
        sig = TABLE[2 * i] + frac * (TABLE[2 * i + 2] - TABLE[2 * i])
        sp = TABLE[2 * i + 1] + frac * (TABLE[2 * i + 3] - TABLE[2 * i + 1])
    elif MAX_EXP <= x <= FLT_MAX:
        sig = 1.0
        sp = x
    elif -FLT_MAX <= x <= -MAX_EXP:
        sig = 0.0
        sp = 0.0
    else:
        c.diverged = 1
        return 0.0
    if c.compute_loss:
        loss[0] += sp - label * x
    return label - sig


def logistic(float x, float label):
    """The kernels' ``logistic_grad`` for one score, for checking the table:
    ``(label - sigmoid(x), -log P(label | x), diverged)``."""
    cdef Config c
    cdef double loss = 0.0
    memset(&c, 0, sizeof(Config))
    c.compute_loss = 1
    g = logistic_grad(&c, x, label, &loss)
    return g, loss, bool(c.diverged)


cdef inline int64_t draw_from(Config *c, const uint32_t *cum, int64_t n) noexcept nogil:
    """Inverse-CDF draw from a cumulative table ``cum[0:n]``: its index (binary search)."""
    cdef uint64_t x = next_rand(&c.next_random) % cum[n - 1]
    cdef int64_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if cum[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


cdef inline void binary_term(Config *c, const float *h, float *row, float label, float step,
                             double *loss) noexcept nogil:
    """One binary-logistic term of ``h`` against an output ``row``: add its loss,
    and (unless skipped, see GRAD_EPS) its step on h into c.work and on the row."""
    cdef float g = logistic_grad(c, gl_dot(c.size, h, row), label, loss)
    if fabs(g) < GRAD_EPS or c.frozen:
        return
    g *= step
    gl_axpy(c.size, g, row, c.work)
    if c.learn_hidden:
        gl_axpy(c.size, g, h, row)


cdef double ns_term(Config *c, uint32_t target, const float *h, float scale) noexcept nogil:
    """Negative sampling for one example, times ``scale``:
    ``-log s(u_t.h) - sum_k log s(-u_k.h)`` over ``negative`` draws."""
    cdef double loss = 0.0
    cdef float step = c.alpha * scale
    cdef uint32_t w
    cdef int d
    binary_term(c, h, c.syn1neg + <int64_t>target * c.size, 1.0, step, &loss)
    for d in range(c.negative):
        w = c.ns_draws[d] if c.ns_draws != NULL else <uint32_t>draw_from(c, c.cum_table, c.cum_len)
        if w != target:
            binary_term(c, h, c.syn1neg + <int64_t>w * c.size, 0.0, step, &loss)
    return loss * scale


cdef double group_term(Config *c, uint32_t target, const float *h, float scale) noexcept nogil:
    """GroupNegativeLoss for one example, times ``scale``: ``-sum_k log s(-u_k.h)``
    over ``group_negative`` draws from the target's own group."""
    cdef double loss = 0.0
    cdef float step = c.alpha * scale
    cdef int32_t g = c.word_group[target]
    cdef int64_t first, n
    cdef uint32_t w
    cdef int d
    if g < 0:
        return 0.0
    first = c.group_starts[g]
    n = c.group_starts[g + 1] - first
    for d in range(c.group_negative):
        w = c.group_members[first + draw_from(c, c.group_cum + first, n)]
        if w != target:
            binary_term(c, h, c.syn1neg + <int64_t>w * c.size, 0.0, step, &loss)
    return loss * scale


cdef double hs_term(Config *c, uint32_t target, const float *h, float scale) noexcept nogil:
    """Hierarchical softmax for one example, times ``scale``:
    ``-sum_b log s((1 - 2 code_b) u_b.h)`` along the target's Huffman path."""
    cdef double loss = 0.0
    cdef float step = c.alpha * scale
    cdef int64_t b
    for b in range(c.code_offsets[target], c.code_offsets[target + 1]):
        binary_term(c, h, c.syn1 + <int64_t>c.points[b] * c.size, 1.0 - c.codes[b], step, &loss)
    return loss * scale


cdef double softmax_term(Config *c, uint32_t target, const float *h, float scale) noexcept nogil:
    """Full softmax for one example, times ``scale``: ``log sum_v exp(w_v.h) - w_t.h``.
    Costs O(vocabulary * size): meant for small vocabularies (item2vec)."""
    cdef int64_t v
    cdef double top = -1e300, total = 0.0, lse
    cdef float g, step = c.alpha * scale
    cdef float *row
    for v in range(c.vocab_size):
        c.scores[v] = gl_dot(c.size, h, c.syn1softmax + v * c.size)
        if c.scores[v] > top:
            top = c.scores[v]
    for v in range(c.vocab_size):
        total += exp(c.scores[v] - top)
    lse = top + log(total)
    if not (-DBL_MAX <= lse <= DBL_MAX):  # a NaN or infinite score: diverged, as in logistic_grad
        c.diverged = 1
        return 0.0
    if c.frozen:
        return (lse - c.scores[target]) * scale
    for v in range(c.vocab_size):
        g = <float>((1.0 if v == target else 0.0) - exp(c.scores[v] - lse)) * step
        row = c.syn1softmax + v * c.size
        gl_axpy(c.size, g, row, c.work)
        if c.learn_hidden:
            gl_axpy(c.size, g, h, row)
    return (lse - c.scores[target]) * scale


cdef inline void predict(Config *c, uint32_t target, const float *h, float scale, double *into) noexcept nogil:
    """The model's objectives for predicting ``target`` from ``h``, each with
    its weight, times ``scale``; their losses are added to ``into[T_HS]``,
    ``into[T_NS]``, ``into[T_SOFTMAX]``."""
    if c.weight[T_HS] != 0:
        into[T_HS] += hs_term(c, target, h, c.weight[T_HS] * scale)
    if c.weight[T_NS] != 0:
        into[T_NS] += ns_term(c, target, h, c.weight[T_NS] * scale)
    if c.weight[T_SOFTMAX] != 0:
        into[T_SOFTMAX] += softmax_term(c, target, h, c.weight[T_SOFTMAX] * scale)


cdef void penalty_terms(Config *c, const float *h, int64_t word) noexcept nogil:
    """Built-in penalties on h; ``word`` is h's own word, or -1 (CBOW)."""
    cdef double sq, nrm, proj
    cdef float w, sw = c.sw, step = c.alpha * c.pen_scale * c.sw
    cdef int j
    cdef const float *d
    if c.weight[T_NORM] > 0 or c.weight[T_L2] > 0:
        sq = gl_dot(c.size, h, h)
        w = c.weight[T_NORM]
        if w > 0 and sq > 0:
            nrm = sqrt(sq)
            c.loss[T_NORM] += sw * w * nrm
            gl_axpy(c.size, <float>(-step * w / nrm), h, c.work)
        w = c.weight[T_L2]
        if w > 0:
            c.loss[T_L2] += sw * 0.5 * w * sq
            gl_axpy(c.size, -step * w, h, c.work)
    w = c.weight[T_DIRECTION]
    if w > 0:
        for j in range(c.n_directions):
            d = c.directions + j * c.size
            proj = gl_dot(c.size, h, d)
            c.loss[T_DIRECTION] += sw * 0.5 * w * proj * proj
            gl_axpy(c.size, <float>(-step * w * proj), d, c.work)
    w = c.weight[T_ANCHOR]
    if w > 0 and word >= 0 and c.anchor_mask[word]:
        c.loss[T_ANCHOR] += sw * 0.5 * w * gl_axpy_diff(
            c.size, -step * w, h, c.anchor_ref + word * c.size, c.work)


cdef void python_callback(Config *c, int64_t row, uint32_t target, const float *h) noexcept with gil:
    """The Python terms that did not compile, called in Python for this example (hybrid.PerExample)."""
    cdef cnp.ndarray grad
    cdef int32_t k
    caller = <object>c.py_callback
    try:
        hidden = np.empty(c.size, dtype=np.float32)
        memcpy(cnp.PyArray_DATA(hidden), h, c.size * sizeof(float))
        losses, grad = caller(row, target, hidden)
        if grad.dtype != np.float32 or grad.shape[0] != c.size or not grad.flags.c_contiguous:
            raise ValueError(f"a per-example Python term must return a float32 gradient of {c.size}")
        for k in range(len(losses)):
            c.py_loss[c.n_compiled + k] += c.sw * losses[k]
        gl_axpy(c.size, -c.alpha * c.pen_scale * c.sw, <float *>cnp.PyArray_DATA(grad), c.work)
    except BaseException as exc:
        caller.error = exc
        c.py_error = PY_EXCEPTION
        c.diverged = 1


cdef inline void python_terms(Config *c, uint32_t target, const float *h) noexcept nogil:
    """The Python terms of one example, at its h: losses into c.py_loss, steps into c.work.
    A NaN or inf stops the job (c.diverged, c.py_error) before anything has changed."""
    cdef int64_t row = c.ext_next
    cdef int status
    c.ext_next += 1
    if c.prog != NULL:
        status = program_example(c.prog, c.prog_ptr, c.prog_out, h, row, c.compute_loss,
                                 -c.alpha * c.pen_scale * c.sw, c.sw, c.py_loss, c.work, &c.py_term)
        if status:
            c.py_error = status
            c.diverged = 1
            return
    if c.py_callback != NULL:
        python_callback(c, row, target, h)


cdef inline void objectives(Config *c, uint32_t target, const float *h, int64_t word,
                            int64_t position) noexcept nogil:
    """All loss terms of one example; c.work must be zero on entry. The Python
    terms run first, so that a failing one stops the example before any row moves."""
    if c.prog != NULL or c.py_callback != NULL:
        python_terms(c, target, h)
        if c.diverged:
            return
    predict(c, target, h, c.sw, c.loss)
    if c.group_negative:
        c.loss[T_GROUP] += group_term(c, target, h, c.weight[T_GROUP] * c.sw)
    if c.diverged:
        return
    if c.any_penalty:
        penalty_terms(c, h, word)
    c.examples += 1


cdef inline void add_input(Config *c, float *row, float lockf, uint8_t kind, uint32_t index) noexcept nogil:
    c.in_rows[c.n_in] = row
    c.in_lockf[c.n_in] = lockf
    c.in_kind[c.n_in] = kind
    c.in_index[c.n_in] = index
    c.n_in += 1


cdef inline void add_word(Config *c, uint32_t w) noexcept nogil:
    """The input rows of word ``w``: its vector, and in FastText its n-gram buckets' vectors."""
    cdef int64_t b
    cdef uint32_t g
    add_input(c, c.syn0 + <int64_t>w * c.size, c.lockf[w % c.lockf_len], R_WORD, w)
    if c.model == M_FASTTEXT:
        for b in range(c.ngram_starts[w], c.ngram_starts[w + 1]):
            g = c.ngram_ids[b]
            add_input(c, c.syn0_ngrams + <int64_t>g * c.size,
                      c.ngram_lockf[g % c.ngram_lockf_len], R_NGRAM, g)


cdef inline void add_doc(Config *c, uint32_t tag) noexcept nogil:
    add_input(c, c.doc_vectors + <int64_t>tag * c.size, c.doc_lockf[tag % c.doc_lockf_len], R_DOC, tag)


cdef void collect(Config *c, uint32_t target, float form, float update, int64_t position) noexcept nogil:
    """Record the current example (Job.collect) instead of training it."""
    cdef Collect *col = c.col
    cdef int64_t e = col.n_examples, r
    if col.target != NULL:
        col.target[e] = target
        col.position[e] = c.sentence_start + c.centre
        col.form[e] = form
        col.update[e] = update
        col.row_start[e] = col.n_rows
        for r in range(c.n_in):
            col.row_kind[col.n_rows + r] = c.in_kind[r]
            col.row_index[col.n_rows + r] = c.in_index[r]
        col.row_start[e + 1] = col.n_rows + c.n_in
    col.n_examples += 1
    col.n_rows += c.n_in


cdef void input_example(Config *c, uint32_t target, float form, float update, int64_t position) noexcept nogil:
    """One training example of any model: h is ``form`` times the sum of the
    input rows (c.in_rows), trained on every loss term of the example
    (``objectives``); then each input row takes ``update`` times its lockf
    times the error of h. gensim's convention for a window: the mean's error
    goes whole to every row (form 1/n, update 1), the sum's is shared out
    (form 1, update 1/n). Penalties and Python terms get the exact chain rule
    instead (``pen_scale`` = form / update undoes the convention for them)."""
    cdef float *h
    cdef int64_t r, word = -1
    cdef float anchor
    if c.col != NULL:
        collect(c, target, form, update, position)
        return
    if c.n_in == 1 and form == 1.0:
        h = c.in_rows[0]  # skip-gram and PV-DBOW: h is the row itself, no copy
        if c.in_kind[0] == R_WORD:
            word = c.in_index[0]
    else:
        h = c.neu1
        memset(h, 0, c.size * sizeof(float))
        for r in range(c.n_in):
            gl_axpy(c.size, 1.0, c.in_rows[r], h)
        if form != 1.0:
            gl_scale(c.size, form, h)
    c.pen_scale = form / update
    memset(c.work, 0, c.size * sizeof(float))
    objectives(c, target, h, word, position)
    if c.diverged:
        return
    if update != 1.0:
        gl_scale(c.size, update, c.work)
    anchor = c.alpha * c.sw * c.weight[T_ANCHOR] / c.n_in
    for r in range(c.n_in):
        if word < 0 and c.weight[T_ANCHOR] > 0:
            # several rows form h: the anchor acts on each word vector among them, shared over the rows
            anchor_row(c, r, anchor)
        if c.in_lockf[r] != 0:  # a row held fixed is never written (infer_vector's may be a read-only mmap)
            gl_axpy(c.size, c.in_lockf[r], c.work, c.in_rows[r])


cdef inline void anchor_row(Config *c, int64_t r, float anchor) noexcept nogil:
    """The AnchorPenalty on input row ``r`` of an example of several rows: its share of the loss, counted
    whether or not the row learns (a frozen evaluation counts it as training does), and its step."""
    cdef uint32_t w = c.in_index[r]
    cdef const float *ref
    if c.in_kind[r] != R_WORD or not c.anchor_mask[w]:
        return
    ref = c.anchor_ref + <int64_t>w * c.size
    if c.in_lockf[r] == 0:
        c.loss[T_ANCHOR] += c.sw * 0.5 * c.weight[T_ANCHOR] / c.n_in * gl_sqdist(c.size, c.in_rows[r], ref)
    else:
        c.loss[T_ANCHOR] += c.sw * 0.5 * c.weight[T_ANCHOR] / c.n_in * gl_axpy_diff(
            c.size, -anchor * c.in_lockf[r], c.in_rows[r], ref, c.in_rows[r])


cdef void concat_example(Config *c, uint32_t target, int64_t position) noexcept nogil:
    """One example of PV-DM with concatenation (dm_concat): h is the input rows
    side by side, row r in ``h[r * size:(r + 1) * size]`` (c.layer1_size floats),
    trained on every loss term of the example; then row r takes its lockf times
    its own slice of the error of h, as in gensim. Penalties act on the whole
    h (its exact gradient: form and update are 1); the anchor, as in a window
    of several rows, on each word row, shared over the rows."""
    cdef int row_size = c.size
    cdef int64_t r
    cdef float anchor
    if c.col != NULL:
        collect(c, target, 1.0, 1.0, position)
        return
    for r in range(c.n_in):
        memcpy(c.neu1 + r * row_size, c.in_rows[r], row_size * sizeof(float))
    c.pen_scale = 1.0
    c.size = c.layer1_size  # what the objectives and penalties read as the width of h and of an output row
    memset(c.work, 0, c.size * sizeof(float))
    objectives(c, target, c.neu1, -1, position)
    c.size = row_size
    if c.diverged:
        return
    anchor = c.alpha * c.sw * c.weight[T_ANCHOR] / c.n_in
    for r in range(c.n_in):
        if c.weight[T_ANCHOR] > 0:
            anchor_row(c, r, anchor)
        if c.in_lockf[r] != 0:
            gl_axpy(c.size, c.in_lockf[r], c.work + r * row_size, c.in_rows[r])


cdef void concat_window(Config *c, const uint32_t *idx, int64_t i, int64_t n) noexcept nogil:
    """PV-DM with concatenation at position ``i`` of a document of ``n`` positions:
    its tags, then the full window (never shrunk) before and after ``i``, the
    null word standing for positions off the document. A document that has not
    exactly dm_tag_count tags trains nothing, as in gensim."""
    cdef int64_t m, t
    if c.n_tags != c.dm_tag_count:
        return
    c.n_in = 0
    for t in range(c.n_tags):
        add_doc(c, c.tags[t])
    for m in range(i - c.window, i + c.window + 1):
        if m != i:
            add_word(c, idx[m] if 0 <= m < n else c.null_word)
    concat_example(c, idx[i], i)


cdef void skipgram_pairs(Config *c, const uint32_t *idx, int64_t i, int64_t j, int64_t k) noexcept nogil:
    """The skip-gram examples of position ``i``, one per context word. Word2Vec
    and Doc2Vec (gensim's convention): the context word's vector predicts the
    centre word. FastText (gensim's too): the centre word's vector and n-grams,
    summed and divided by the n-gram count, predict the context word."""
    cdef int64_t m, n_grams
    for m in range(j, k):
        if m == i:
            continue
        c.n_in = 0
        if c.model == M_FASTTEXT:
            add_word(c, idx[i])
            n_grams = c.n_in - 1
            input_example(c, idx[m], 1.0 / n_grams if n_grams else 1.0, 1.0, m)
        else:
            add_word(c, idx[m])
            input_example(c, idx[i], 1.0, 1.0, m)
        if c.diverged:
            return


cdef void sg_window(Config *c, const uint32_t *idx, int64_t i, int64_t j, int64_t k) noexcept nogil:
    """Skip-gram negative sampling for every context word of position ``i`` at
    once, with one draw of negatives for the whole window (the estimator of
    HogBatch, Ji et al. 2016). Scores and gradients read the rows as they are
    at the window's start; the deltas collect in c.win_din/c.win_dout and are
    added back at its end (Hogwild), so a window that diverges changes nothing.
    Each (context, centre) pair is still one example with its own NS loss."""
    cdef uint32_t target = idx[i], w
    cdef int64_t m, a = 0, b, n_out = 1, first, size
    cdef int d
    cdef int32_t group
    cdef float g
    cdef double ns_loss = 0.0, group_loss = 0.0
    cdef const float *h
    cdef float *din
    cdef float *row
    cdef float *work = c.work
    # the output rows: the target, the shared negatives, then the shared group negatives
    c.win_rows[0] = target
    c.win_label[0] = 1.0
    c.win_step[0] = c.alpha * c.weight[T_NS] * c.sw
    for d in range(c.negative):
        w = <uint32_t>draw_from(c, c.cum_table, c.cum_len)
        if w != target:
            c.win_rows[n_out] = w
            c.win_label[n_out] = 0.0
            c.win_step[n_out] = c.win_step[0]
            n_out += 1
    cdef int64_t n_ns = n_out
    if c.group_negative and c.word_group[target] >= 0:
        group = c.word_group[target]
        first = c.group_starts[group]
        size = c.group_starts[group + 1] - first
        for d in range(c.group_negative):
            w = c.group_members[first + draw_from(c, c.group_cum + first, size)]
            if w != target:
                c.win_rows[n_out] = w
                c.win_label[n_out] = 0.0
                c.win_step[n_out] = c.alpha * c.weight[T_GROUP] * c.sw
                n_out += 1
    memset(c.win_dout, 0, n_out * c.size * sizeof(float))
    for m in range(j, k):
        if m == i:
            continue
        h = c.syn0 + <int64_t>idx[m] * c.size
        din = c.win_din + a * c.size
        memset(din, 0, c.size * sizeof(float))
        for b in range(n_out):
            row = c.syn1neg + <int64_t>c.win_rows[b] * c.size
            g = logistic_grad(c, gl_dot(c.size, h, row), c.win_label[b], &ns_loss if b < n_ns else &group_loss)
            if fabs(g) < GRAD_EPS or c.frozen:
                continue
            g *= c.win_step[b]
            gl_axpy(c.size, g, row, din)
            gl_axpy(c.size, g, h, c.win_dout + b * c.size)
        c.work = din  # the penalties and Python terms of this example add to its own delta
        if c.any_penalty:
            penalty_terms(c, h, idx[m])
        if c.prog != NULL or c.py_callback != NULL:
            python_terms(c, target, h)
        a += 1
    c.work = work
    if c.diverged:
        return
    c.loss[T_NS] += ns_loss * c.weight[T_NS] * c.sw
    c.loss[T_GROUP] += group_loss * c.weight[T_GROUP] * c.sw
    c.examples += a
    if c.learn_hidden:
        for b in range(n_out):
            gl_axpy(c.size, 1.0, c.win_dout + b * c.size, c.syn1neg + <int64_t>c.win_rows[b] * c.size)
    a = 0
    for m in range(j, k):
        if m != i:
            if c.lockf[idx[m] % c.lockf_len] != 0:
                gl_axpy(c.size, c.lockf[idx[m] % c.lockf_len], c.win_din + a * c.size,
                        c.syn0 + <int64_t>idx[m] * c.size)
            a += 1


cdef void global_context(Config *c, uint32_t word) noexcept nogil:
    """GlobalContextLoss at one centre position: the centre word's input vector
    predicts every word of its sentence's context, through the model's objectives."""
    cdef float *h = c.syn0 + <int64_t>word * c.size
    cdef double part[N_TERMS]
    cdef int64_t t
    memset(part, 0, sizeof(part))
    memset(c.work, 0, c.size * sizeof(float))
    for t in range(c.n_ctx):
        predict(c, c.ctx[t], h, c.weight[T_GLOBAL] * c.sw, part)
    c.loss[T_GLOBAL] += part[T_HS] + part[T_NS] + part[T_SOFTMAX]
    if not c.diverged and c.lockf[word % c.lockf_len] != 0:
        gl_axpy(c.size, c.lockf[word % c.lockf_len], c.work, h)


cdef void lexicon_term(Config *c, uint32_t word) noexcept nogil:
    """LexiconPenalty for one word: its input vector takes one step on the
    penalty of each of its pairs, all from the same vector, the partners held
    fixed: a cosine hinge, synonyms ``l max(0, m_s - cos)``, antonyms
    ``l max(0, cos - m_a)``."""
    cdef float *v = c.syn0 + <int64_t>word * c.size
    cdef const float *u
    cdef float lam = c.weight[T_LEXICON] * c.sw, step = c.alpha * lam
    cdef double vv, uu, cos, norms, sign, margin
    cdef int64_t p
    memset(c.work, 0, c.size * sizeof(float))
    vv = gl_dot(c.size, v, v)
    for p in range(c.lex_starts[word], c.lex_starts[word + 1]):
        u = c.syn0 + <int64_t>c.lex_partners[p] * c.size
        uu = gl_dot(c.size, u, u)
        if vv <= 0 or uu <= 0:
            continue
        norms = sqrt(vv * uu)
        cos = gl_dot(c.size, v, u) / norms
        sign = 1.0 if c.lex_antonym[p] else -1.0  # antonyms lower their cosine, synonyms raise it
        margin = c.lex_margin[c.lex_antonym[p]]
        if sign * (cos - margin) > 0:
            # d cos / dv = u / (|v||u|) - cos v / |v|^2
            c.loss[T_LEXICON] += lam * sign * (cos - margin)
            gl_axpy(c.size, <float>(-step * sign / norms), u, c.work)
            gl_axpy(c.size, <float>(step * sign * cos / vv), v, c.work)
    if c.lockf[word % c.lockf_len] != 0:
        gl_axpy(c.size, c.lockf[word % c.lockf_len], c.work, v)


cdef void lexicon_pass(Config *c, const uint32_t *idx, const int64_t *ends, const float *weights, int64_t n_sent,
                       int32_t *slot, uint32_t *order, float *best) noexcept nogil:
    """LexiconPenalty, once per job: every distinct word of the job that has
    pairs takes one step on them (``lexicon_term``), in order of first
    occurrence, scaled by the largest weight of the sentences it occurs in.
    ``slot`` (vocabulary-sized, all -1) maps a word to its place in ``order``."""
    cdef int64_t s, q, start = 0, n = 0
    cdef uint32_t w
    for s in range(n_sent):
        for q in range(start, ends[s]):
            w = idx[q]
            if c.lex_starts[w + 1] == c.lex_starts[w]:
                continue
            if slot[w] < 0:
                slot[w] = <int32_t>n
                order[n] = w
                best[n] = weights[s]
                n += 1
            elif weights[s] > best[slot[w]]:
                best[slot[w]] = weights[s]
        start = ends[s]
    for q in range(n):
        c.sw = best[q]
        lexicon_term(c, order[q])


cdef inline void window_of(int64_t window, int64_t shrink, int64_t i, int64_t start, int64_t end,
                           int64_t *j, int64_t *k) noexcept nogil:
    """Window ``[j, k)`` of position ``i`` (its window shrunk by ``shrink``) in the sentence ``[start, end)``."""
    j[0] = max(i - window + shrink, start)
    k[0] = min(i + window + 1 - shrink, end)


cdef void train_sentence(Config *c, const uint32_t *idx, const int32_t *shrink, int64_t n) noexcept nogil:
    """Train one sentence (a document in Doc2Vec), position by position: the
    position's examples, then its global context. Stop at the first divergence.

    Skip-gram: one example per context word (``skipgram_pairs``, or a whole
    window at once with shared negatives). CBOW and PV-DM: one example, the
    window's words (and the document's tags) predicting the centre word
    (with shared negatives, from its slot's draw: engine.cbow_sharing);
    with dm_concat, their concatenation (``concat_window``). PV-DBOW:
    each tag of the document predicts the word, after the word's
    skip-gram pairs when ``dbow_words``."""
    cdef int64_t i, j, k, m, t
    cdef float n_rows
    cdef uint32_t *slot
    for i in range(n):
        c.centre = i
        window_of(c.window, shrink[i], i, 0, n, &j, &k)
        if c.model == M_DOC2VEC and not c.dm:
            if c.train_words:
                skipgram_pairs(c, idx, i, j, k)
            for t in range(c.n_tags):
                c.n_in = 0
                add_doc(c, c.tags[t])
                input_example(c, idx[i], 1.0, 1.0, i)
        elif c.concat:
            concat_window(c, idx, i, n)
        elif c.sg:
            if c.shared and c.col == NULL:
                sg_window(c, idx, i, j, k)
            else:
                skipgram_pairs(c, idx, i, j, k)
        else:
            c.n_in = 0
            for m in range(j, k):
                if m != i:
                    add_word(c, idx[m])
            if c.model == M_DOC2VEC:
                for t in range(c.n_tags):
                    add_doc(c, c.tags[t])
            if c.shared and c.col == NULL:
                # shared negatives: job position p takes slot p % stride, drawn afresh at its first
                # use and after every cbow_uses uses, whether or not p trains (the reference replays this)
                slot = c.cbow_slots + ((c.sentence_start + i) % c.cbow_stride) * c.negative
                if ((c.sentence_start + i) // c.cbow_stride) % c.cbow_uses == 0:
                    for t in range(c.negative):
                        slot[t] = <uint32_t>draw_from(c, c.cum_table, c.cum_len)
                c.ns_draws = slot
            # CBOW needs a context (word2vec.c skips it too); PV-DM's tags are one
            if c.n_in and (k - j > 1 or c.model == M_DOC2VEC):
                n_rows = c.n_in
                if c.cbow_mean:
                    input_example(c, idx[i], 1.0 / n_rows, 1.0, i)
                else:
                    input_example(c, idx[i], 1.0, 1.0 / n_rows, i)
            c.ns_draws = NULL  # the global context draws its own
        if c.diverged:
            return
        if c.n_ctx and c.col == NULL:
            global_context(c, idx[i])
            if c.diverged:
                return


cdef float *_float_ptr(cnp.ndarray a, str name, bint writeable=True) except NULL:
    """The data of float32 array ``a``; ``writeable``: the kernels will write it."""
    if a.dtype != np.float32 or not a.flags.c_contiguous:
        raise ValueError(f"{name} must be a C-contiguous float32 array, got {a.dtype} "
                         f"(contiguous={a.flags.c_contiguous})")
    if writeable and not a.flags.writeable:
        raise ValueError(f"{name}: a read-only array (loaded with mmap='r'?), and training writes it: load "
                         f"without mmap, or with mmap='c' (copy-on-write), or copy the arrays first")
    return <float *>cnp.PyArray_DATA(a)


cdef bint _learns(cnp.ndarray lockf):
    """Whether rows under update factors ``lockf`` are written: a factor of 0 holds its row fixed."""
    return bool(np.any(lockf != 0))


cdef class KernelModel:
    """The model's arrays, checked and flattened once per ``train()`` call.

    ``weights`` maps term names (``TERMS``) to their weights; a missing or
    zero weight turns the term off. ``kind`` is one of ``MODELS`` and
    ``inputs`` gives its input rows: ``words`` ``(vectors, lockf)``, for
    FastText ``ngrams`` ``(vectors, lockf, starts, ids)`` (word ``w``'s buckets
    are ``ids[starts[w]:starts[w + 1]]``), for Doc2Vec ``docs`` ``(vectors,
    lockf, dm, dbow_words, concat)``, ``concat`` None or, for PV-DM with
    concatenation, ``(dm_tag_count, null_word)``: then h and the output rows
    are ``layer1_size = (dm_tag_count + 2 * window) * vector_size`` wide.
    ``shared``: Word2Vec negative sampling with
    shared draws, in CBOW as ``cbow_sharing`` ``(uses, stride)`` says
    (``engine.cbow_sharing``). Holds references to every array the kernels
    read, so the pointers in ``base`` stay valid while jobs run.

    Every index a job can carry is checked against the arrays it will touch
    (:mod:`gensim_losses.bounds`): here, the shapes and the tables of row
    numbers, once; a job's own indices where they are made (``prepare_batch``,
    ``LineReader``) and once per job (``train_job``). A mismatch raises
    ``ValueError`` naming the array, its shape and the index or size expected.
    """
    cdef Config base
    cdef readonly dict key_to_index
    cdef readonly tuple arrays
    cdef readonly int max_inputs  # input rows of one example, at most (besides a document's tags)
    cdef readonly int layer1_size  # the width of h and of the output rows
    cdef readonly bint concat      # h is the concatenation of the input rows (dm_concat), not form * their sum
    cdef readonly object doc_index  # Doc2Vec: the tags of a TaggedDocument -> their document vector rows
    cdef readonly int64_t doc_rows  # Doc2Vec: rows of the document vectors; every tag row of a job is below
    cdef readonly str words_name, doc_name  # the input arrays' names on the model, for errors
    cdef readonly tuple words_shape, doc_shape

    def __init__(self, model, bint compute_loss, dict weights, dict inputs, str kind="word2vec", anchor=None,
                 directions=None, groups=None, lexicon=None, bint shared=False, cbow_sharing=None,
                 bint learn_hidden=True, doc_index=None, bint frozen=False):
        wv = model.wv
        cdef int size = wv.vector_size
        cdef int t
        if model.window < 1:
            raise ValueError(f"window must be >= 1, got {model.window}")
        unknown = set(weights) - set(TERMS)
        if unknown:
            raise ValueError(f"unknown kernel terms {sorted(unknown)}; expected some of {TERMS}")
        memset(&self.base, 0, sizeof(Config))
        c = &self.base
        for t, name in enumerate(TERMS):
            c.weight[t] = weights.get(name, 0.0)
        if not (c.weight[T_NS] or c.weight[T_HS] or c.weight[T_SOFTMAX]):
            raise ValueError("nothing to train: no objective (negative sampling, hierarchical or full softmax)")
        c.sg = 1 if model.sg else 0
        c.pen_scale = 1.0
        c.size = size
        c.window = model.window
        c.shrink_windows = 1 if model.shrink_windows else 0
        c.cbow_mean = 1 if model.cbow_mean else 0
        c.negative = model.negative
        c.compute_loss = compute_loss
        c.sample = 1 if model.sample else 0
        c.vocab_size = len(wv.index_to_key)
        self.key_to_index = wv.key_to_index
        if kind not in MODELS:
            raise ValueError(f"kind must be one of {sorted(MODELS)}, got {kind!r}")
        c.model = MODELS[kind]
        c.learn_hidden = learn_hidden
        if frozen and learn_hidden:
            raise ValueError("frozen=True (evaluation) needs learn_hidden=False and input rows that do not learn")
        c.frozen = frozen
        self.doc_index = doc_index

        vectors, lockf = inputs["words"]
        shape = (c.vocab_size, size)
        words = self.words_name = bounds.name_of(model, vectors, "the word vectors")
        self.words_shape = tuple(np.shape(vectors))
        vocab_rows = f"one row per word of the vocabulary, {c.vocab_size} words"
        bounds.rows(vectors, words, shape, f"{vocab_rows}: call build_vocab() first")
        bounds.factors(lockf, bounds.name_of(model, lockf, f"the lockf of {words}"), c.vocab_size, words)
        lockf = np.ascontiguousarray(lockf, dtype=np.float32)
        # arrays that are only read may be read-only (a model loaded with mmap='r'): the rows a zero
        # lockf holds and the output layers without learn_hidden (infer_vector) are never written
        c.syn0 = _float_ptr(vectors, "the word vectors", _learns(lockf))
        c.lockf = _float_ptr(lockf, "the word vectors' lockf", False)
        c.lockf_len = lockf.size
        arrays = [vectors, lockf]
        max_grams = 0
        if c.model == M_FASTTEXT:
            grams, gram_lockf, starts, ids = inputs["ngrams"]
            name = bounds.name_of(model, grams, "the n-gram vectors")
            bounds.width(grams, name, size, "one row per n-gram bucket")
            bounds.factors(gram_lockf, bounds.name_of(model, gram_lockf, f"the lockf of {name}"), grams.shape[0], name)
            gram_lockf = np.ascontiguousarray(gram_lockf, dtype=np.float32)
            advice = "the n-gram buckets do not match the vocabulary: call wv.recalc_char_ngram_buckets()"
            bounds.offsets(starts, c.vocab_size, np.size(ids), "the FastText bucket offsets (of wv.buckets_word)",
                           "the bucket ids", advice)
            bounds.below(ids, grams.shape[0], "the FastText bucket ids (wv.buckets_word)", name, grams.shape, advice)
            starts = np.ascontiguousarray(starts, dtype=np.int64)
            ids = np.ascontiguousarray(ids, dtype=np.uint32)
            c.syn0_ngrams = _float_ptr(grams, "the n-gram vectors", _learns(gram_lockf))
            c.ngram_lockf = _float_ptr(gram_lockf, "the n-gram lockf", False)
            c.ngram_lockf_len = gram_lockf.size
            c.ngram_starts = <int64_t *>cnp.PyArray_DATA(starts)
            c.ngram_ids = <uint32_t *>cnp.PyArray_DATA(ids)
            max_grams = int(np.max(np.diff(starts))) if c.vocab_size else 0
            arrays += [grams, gram_lockf, starts, ids]
        elif c.model == M_DOC2VEC:
            docs, doc_lockf, dm, dbow_words, concat = inputs["docs"]
            name = self.doc_name = bounds.name_of(model, docs, "the document vectors")
            bounds.width(docs, name, size, "one row per document tag")
            bounds.factors(doc_lockf, bounds.name_of(model, doc_lockf, f"the lockf of {name}"), docs.shape[0], name)
            self.doc_rows, self.doc_shape = docs.shape[0], tuple(docs.shape)
            doc_lockf = np.ascontiguousarray(doc_lockf, dtype=np.float32)
            c.doc_vectors = _float_ptr(docs, "the document vectors", _learns(doc_lockf))
            c.doc_lockf = _float_ptr(doc_lockf, "the document vectors' lockf", False)
            c.doc_lockf_len = doc_lockf.size
            c.dm = dm
            c.train_words = dbow_words
            arrays += [docs, doc_lockf]
            if dm and concat is not None:
                c.concat = 1
                c.dm_tag_count, null_word = concat
                if c.dm_tag_count < 1 or not 0 <= null_word < c.vocab_size:
                    raise ValueError(f"dm_concat needs dm_tag_count >= 1 and the null word in the vocabulary, got "
                                     f"dm_tag_count={c.dm_tag_count}, null word index {null_word}: build the "
                                     f"vocabulary again")
                c.null_word = null_word
        self.max_inputs = 2 * c.window * (1 + max_grams) + 1
        c.layer1_size = (c.dm_tag_count + 2 * c.window) * size if c.concat else size
        self.layer1_size = c.layer1_size
        self.concat = c.concat
        out_shape = (c.vocab_size, c.layer1_size)  # the output layers' rows are h's width

        if c.weight[T_NS]:
            if c.negative < 1:
                raise ValueError(f"negative sampling needs negative >= 1, got {c.negative}")
            bounds.rows(model.syn1neg, "syn1neg", out_shape, f"negative sampling's output layer, {vocab_rows}")
            c.syn1neg = _float_ptr(model.syn1neg, "syn1neg", learn_hidden)
            cum = np.ascontiguousarray(model.cum_table, dtype=np.uint32)
            if cum.shape != (c.vocab_size,) or (cum.size and cum[cum.size - 1] == 0):
                raise ValueError(f"cum_table has shape {np.shape(model.cum_table)}, expected ({c.vocab_size},) "
                                 f"(one entry per word, ending above 0): call make_cum_table()")
            c.cum_table = <uint32_t *>cnp.PyArray_DATA(cum)
            c.cum_len = cum.size
            arrays += [model.syn1neg, cum]
        if c.weight[T_HS]:
            bounds.rows(model.syn1, "syn1", out_shape, f"hierarchical softmax's output layer, {vocab_rows}")
            c.syn1 = _float_ptr(model.syn1, "syn1", learn_hidden)
            codes = wv.expandos['code']
            points = wv.expandos['point']
            lengths = bounds.huffman(codes, points, c.vocab_size, model.syn1.shape)
            offsets = np.zeros(len(codes) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            flat_codes = np.ascontiguousarray(np.concatenate(list(codes)), dtype=np.uint8)
            flat_points = np.concatenate(list(points))
            bounds.below(flat_points, model.syn1.shape[0], "wv's Huffman points (the 'point' vecattr)", "syn1",
                         model.syn1.shape, "call model.create_binary_tree() (build_vocab does)")
            flat_points = np.ascontiguousarray(flat_points, dtype=np.uint32)
            c.codes = <uint8_t *>cnp.PyArray_DATA(flat_codes)
            c.points = <uint32_t *>cnp.PyArray_DATA(flat_points)
            c.code_offsets = <int64_t *>cnp.PyArray_DATA(offsets)
            arrays += [model.syn1, flat_codes, flat_points, offsets]
        if c.weight[T_SOFTMAX]:
            bounds.rows(model.syn1softmax, "syn1softmax", out_shape, f"the full softmax's output layer, {vocab_rows}")
            c.syn1softmax = _float_ptr(model.syn1softmax, "syn1softmax", learn_hidden)
            arrays.append(model.syn1softmax)
        if c.sample:
            sample_ints = np.ascontiguousarray(wv.expandos['sample_int'], dtype=np.uint32)
            if sample_ints.shape != (c.vocab_size,):
                raise ValueError(f"wv's 'sample_int' vecattr has shape {sample_ints.shape}, expected "
                                 f"({c.vocab_size},) (one per word of the vocabulary): call build_vocab()")
            c.sample_ints = <uint32_t *>cnp.PyArray_DATA(sample_ints)
            arrays.append(sample_ints)
        if c.weight[T_ANCHOR]:
            ref, mask = anchor
            ref = np.ascontiguousarray(ref, dtype=np.float32)
            mask = np.ascontiguousarray(mask, dtype=np.uint8)
            bounds.rows(ref, "the AnchorPenalty's reference vectors", shape, vocab_rows)
            bounds.rows(mask, "the AnchorPenalty's mask", (c.vocab_size,), "one flag per word of the vocabulary")
            c.anchor_ref = _float_ptr(ref, "anchor reference", False)
            c.anchor_mask = <uint8_t *>cnp.PyArray_DATA(mask)
            arrays += [ref, mask]
        if c.weight[T_DIRECTION]:
            dirs = np.ascontiguousarray(directions, dtype=np.float32)
            if dirs.ndim != 2 or dirs.shape[1] != c.layer1_size:  # a penalty on h
                raise ValueError(f"directions have shape {dirs.shape}, expected (m, {c.layer1_size})")
            c.directions = _float_ptr(dirs, "directions", False)
            c.n_directions = dirs.shape[0]
            arrays.append(dirs)
        if c.weight[T_GROUP]:
            (word_group, starts, members, cum), negative = groups
            word_group = np.ascontiguousarray(word_group, dtype=np.int32)
            starts = np.ascontiguousarray(starts, dtype=np.int64)
            members = np.ascontiguousarray(members, dtype=np.uint32)
            cum = np.ascontiguousarray(cum, dtype=np.uint32)
            bounds.group_tables(word_group, starts, members, cum, c.vocab_size)
            if negative < 0:
                raise ValueError(f"group negatives must be >= 0, got {negative}")
            if not c.weight[T_NS]:
                raise ValueError("group negatives need negative sampling's output layer (NEGSamplingLoss)")
            c.word_group = <int32_t *>cnp.PyArray_DATA(word_group)
            c.group_starts = <int64_t *>cnp.PyArray_DATA(starts)
            c.group_members = <uint32_t *>cnp.PyArray_DATA(members)
            c.group_cum = <uint32_t *>cnp.PyArray_DATA(cum)
            c.group_negative = negative
            arrays += [word_group, starts, members, cum]
        if c.weight[T_LEXICON]:
            (lex_starts, partners, antonym), margin = lexicon
            lex_starts = np.ascontiguousarray(lex_starts, dtype=np.int64)
            partners = np.ascontiguousarray(partners, dtype=np.uint32)
            antonym = np.ascontiguousarray(antonym, dtype=np.uint8)
            bounds.lexicon_pairs(lex_starts, partners, antonym, c.vocab_size)
            c.lex_starts = <int64_t *>cnp.PyArray_DATA(lex_starts)
            c.lex_partners = <uint32_t *>cnp.PyArray_DATA(partners)
            c.lex_antonym = <uint8_t *>cnp.PyArray_DATA(antonym)
            c.lex_margin[0], c.lex_margin[1] = margin
            arrays += [lex_starts, partners, antonym]
        c.any_penalty = (c.weight[T_NORM] > 0 or c.weight[T_L2] > 0 or c.weight[T_DIRECTION] > 0
                         or (c.weight[T_ANCHOR] > 0 and c.sg))
        c.sw = 1.0
        if shared and not (c.model == M_WORD2VEC and c.weight[T_NS] and not c.weight[T_HS]
                           and not c.weight[T_SOFTMAX]):
            raise ValueError("shared negatives serve Word2Vec's negative sampling alone")
        if shared and not c.sg:
            if cbow_sharing is None or min(cbow_sharing) < 1:
                raise ValueError(f"CBOW's shared negatives need cbow_sharing=(uses, stride), both >= 1, "
                                 f"got {cbow_sharing!r}")
            c.cbow_uses, c.cbow_stride = cbow_sharing
        c.shared = shared
        self.arrays = tuple(arrays)

    @property
    def vector_size(self):
        return self.base.size


cdef void *_grow(void *p, size_t nbytes) except NULL:
    cdef void *q = realloc(p, nbytes)
    if q == NULL:
        raise MemoryError()
    return q


cdef inline int _room(void **array, int64_t *cap, int64_t needed, size_t item) noexcept nogil:
    """Grow ``*array`` (doubling ``*cap``) until it holds ``needed`` items; -1 when out of memory."""
    cdef int64_t new_cap = cap[0]
    cdef void *q
    if needed <= cap[0]:
        return 0
    while new_cap < needed:
        new_cap *= 2
    q = realloc(array[0], new_cap * item)
    if q == NULL:
        return -1
    array[0] = q
    cap[0] = new_cap
    return 0


cdef class InputScratch:
    """A job's room for one example's input rows (Config.in_*)."""
    cdef cnp.ndarray rows, floats, kinds, indices

    def __init__(self, int64_t capacity):
        self.rows = np.empty(capacity, dtype=np.uintp)
        self.floats = np.empty(capacity, dtype=np.float32)
        self.kinds = np.empty(capacity, dtype=np.uint8)
        self.indices = np.empty(capacity, dtype=np.uint32)

    cdef void use(self, Config *c):
        c.in_rows = <float **>self.rows.data
        c.in_lockf = <float *>self.floats.data
        c.in_kind = <uint8_t *>self.kinds.data
        c.in_index = <uint32_t *>self.indices.data


cdef class Job:
    """Sentences of one training job: vocabulary indices after subsampling,
    with each position's window shrink already drawn, and each sentence's
    weight and context words."""
    cdef uint32_t *idx
    cdef int32_t *shrink
    cdef int64_t *ends       # end position of each sentence
    cdef float *weights      # weight of each sentence
    cdef int64_t *ctx_ends   # end of each sentence's context words in ctx
    cdef uint32_t *ctx
    cdef int64_t *tag_ends   # Doc2Vec: end of each document's tags (document vector rows) in tags
    cdef uint32_t *tags
    cdef int64_t n, cap, n_sent, sent_cap, n_ctx, ctx_cap, n_tags, tags_cap, max_tags
    cdef int64_t word_end, tag_end  # 1 + the largest word index (context words too) and tag row pushed
    cdef readonly int64_t raw_words, sentences
    cdef int64_t window
    cdef uint64_t next_random

    def __cinit__(self):
        self.cap = 16384
        self.sent_cap = 1024
        self.ctx_cap = 16
        self.tags_cap = 16
        self.idx = <uint32_t *>malloc(self.cap * sizeof(uint32_t))
        self.shrink = NULL
        self.ends = <int64_t *>malloc(self.sent_cap * sizeof(int64_t))
        self.weights = <float *>malloc(self.sent_cap * sizeof(float))
        self.ctx_ends = <int64_t *>malloc(self.sent_cap * sizeof(int64_t))
        self.ctx = <uint32_t *>malloc(self.ctx_cap * sizeof(uint32_t))
        self.tag_ends = <int64_t *>malloc(self.sent_cap * sizeof(int64_t))
        self.tags = <uint32_t *>malloc(self.tags_cap * sizeof(uint32_t))
        if (self.idx == NULL or self.ends == NULL or self.weights == NULL or self.ctx_ends == NULL
                or self.ctx == NULL or self.tag_ends == NULL or self.tags == NULL):
            raise MemoryError()

    def __dealloc__(self):
        free(self.idx)
        free(self.shrink)
        free(self.ends)
        free(self.weights)
        free(self.ctx_ends)
        free(self.ctx)
        free(self.tag_ends)
        free(self.tags)

    cdef int push(self, uint32_t word) noexcept nogil:
        """Append a word; -1 when out of memory (callers raise MemoryError)."""
        if _room(<void **>&self.idx, &self.cap, self.n + 1, sizeof(uint32_t)):
            return -1
        self.idx[self.n] = word
        self.n += 1
        if word >= self.word_end:
            self.word_end = <int64_t>word + 1
        return 0

    cdef int push_context(self, uint32_t word) noexcept nogil:
        """Append a context word to the current sentence; -1 when out of memory."""
        if _room(<void **>&self.ctx, &self.ctx_cap, self.n_ctx + 1, sizeof(uint32_t)):
            return -1
        self.ctx[self.n_ctx] = word
        self.n_ctx += 1
        if word >= self.word_end:
            self.word_end = <int64_t>word + 1
        return 0

    cdef int push_tag(self, uint32_t row) noexcept nogil:
        """Append a document vector row to the current document's tags; -1 when out of memory."""
        if _room(<void **>&self.tags, &self.tags_cap, self.n_tags + 1, sizeof(uint32_t)):
            return -1
        self.tags[self.n_tags] = row
        self.n_tags += 1
        if row >= self.tag_end:
            self.tag_end = <int64_t>row + 1
        return 0

    cdef int end_sentence(self, int64_t raw, float weight) noexcept nogil:
        """Close the current sentence of ``raw`` raw words; -1 when out of memory."""
        cdef int64_t cap_w = self.sent_cap, cap_c = self.sent_cap, cap_t = self.sent_cap  # the four grow alike
        cdef int64_t first_tag = self.tag_ends[self.n_sent - 1] if self.n_sent else 0
        if (_room(<void **>&self.weights, &cap_w, self.n_sent + 1, sizeof(float))
                or _room(<void **>&self.ctx_ends, &cap_c, self.n_sent + 1, sizeof(int64_t))
                or _room(<void **>&self.tag_ends, &cap_t, self.n_sent + 1, sizeof(int64_t))
                or _room(<void **>&self.ends, &self.sent_cap, self.n_sent + 1, sizeof(int64_t))):
            return -1
        self.ends[self.n_sent] = self.n
        self.weights[self.n_sent] = weight
        self.ctx_ends[self.n_sent] = self.n_ctx
        self.tag_ends[self.n_sent] = self.n_tags
        self.max_tags = max(self.max_tags, self.n_tags - first_tag)
        self.n_sent += 1
        self.count(raw)
        return 0

    cdef inline void count(self, int64_t raw) noexcept nogil:
        """Count ``raw`` raw words of one sentence in the progress totals (a
        sentence of weight 0 is counted without being trained)."""
        self.raw_words += raw
        if raw:
            self.sentences += 1

    @property
    def rng_state(self):
        """The state of the kernels' random generator when training of this job begins
        (the reference path replays the kernels' draws from it)."""
        return self.next_random

    cdef int finish(self, Config *c) except -1:
        """Subsample every sentence and draw the windows (uses c.next_random)."""
        cdef int64_t s, i, start = 0, kept = 0
        self.shrink = <int32_t *>_grow(self.shrink, max(self.n, 1) * sizeof(int32_t))
        with nogil:
            for s in range(self.n_sent):
                for i in range(start, self.ends[s]):
                    if not c.sample or c.sample_ints[self.idx[i]] >= next_rand(&c.next_random):
                        self.idx[kept] = self.idx[i]
                        kept += 1
                start = self.ends[s]
                self.ends[s] = kept
            self.n = kept
            for i in range(kept):
                self.shrink[i] = <int32_t>(next_rand(&c.next_random) % c.window) if c.shrink_windows else 0
        self.next_random = c.next_random
        return 0

    @property
    def effective_words(self):
        return self.n

    def collect(self, KernelModel km):
        """Every example of the job, in training order, as the kernels see it,
        without training: a dict of arrays ``target``, ``position`` (of the
        example's centre word in ``words()``), ``form``, ``update`` (h is form
        times the sum of the input rows, each row's step is update times its
        lockf times the error of h), ``row_start`` (example ``e``'s rows are
        ``row_start[e]:row_start[e + 1]``), ``row_kind`` (0 a word vector, 1 a
        FastText n-gram bucket, 2 a Doc2Vec document vector) and ``row_index``.
        With ``km.concat`` (dm_concat), h is the concatenation of the rows in
        their order instead of form times their sum, and row ``r`` takes its
        lockf times slice ``r`` of the error (form and update are 1).
        The hybrid and reference paths read jobs this way."""
        check_job(km, self)
        cdef Config c = km.base
        cdef Collect col
        cdef InputScratch scratch = InputScratch(km.max_inputs + self.max_tags)
        scratch.use(&c)
        memset(&col, 0, sizeof(Collect))
        c.col = &col
        self._walk(&c)  # counts the examples and their rows
        n, n_rows = col.n_examples, col.n_rows
        out = dict(target=np.empty(n, np.uint32), position=np.empty(n, np.int64), form=np.empty(n, np.float32),
                   update=np.empty(n, np.float32), row_start=np.empty(n + 1, np.int64),
                   row_kind=np.empty(n_rows, np.uint8), row_index=np.empty(n_rows, np.uint32))
        out["row_start"][0] = 0
        col.target = <uint32_t *>cnp.PyArray_DATA(out["target"])
        col.position = <int64_t *>cnp.PyArray_DATA(out["position"])
        col.form = <float *>cnp.PyArray_DATA(out["form"])
        col.update = <float *>cnp.PyArray_DATA(out["update"])
        col.row_start = <int64_t *>cnp.PyArray_DATA(out["row_start"])
        col.row_kind = <uint8_t *>cnp.PyArray_DATA(out["row_kind"])
        col.row_index = <uint32_t *>cnp.PyArray_DATA(out["row_index"])
        col.n_examples = col.n_rows = 0
        self._walk(&c)
        return out

    cdef void _walk(self, Config *c) noexcept nogil:
        """Go through the job's sentences as train_job does (c.col: recording, not training)."""
        cdef int64_t s, start = 0
        for s in range(self.n_sent):
            self._sentence(c, s)
            train_sentence(c, self.idx + start, self.shrink + start, self.ends[s] - start)
            if c.diverged:
                return
            start = self.ends[s]

    cdef inline void _sentence(self, Config *c, int64_t s) noexcept nogil:
        """Point ``c`` at sentence ``s``'s weight, context and tags."""
        cdef int64_t first
        c.sentence_start = self.ends[s - 1] if s else 0
        c.sw = self.weights[s]
        if c.weight[T_GLOBAL]:
            first = self.ctx_ends[s - 1] if s else 0
            c.ctx = self.ctx + first
            c.n_ctx = self.ctx_ends[s] - first
        first = self.tag_ends[s - 1] if s else 0
        c.tags = self.tags + first
        c.n_tags = self.tag_ends[s] - first

    def sentences_of(self):
        """Per sentence: ``(ends, weights, context_ids, context_offsets)``;
        sentence ``s`` holds the positions ``[ends[s - 1], ends[s])`` (from 0)
        and the context words ``context_ids[context_offsets[s]:context_offsets[s + 1]]``."""
        n = self.n_sent
        ends = np.array(<int64_t[:n]>self.ends, copy=True) if n else np.zeros(0, np.int64)
        weights = np.array(<float[:n]>self.weights, copy=True) if n else np.zeros(0, np.float32)
        offsets = np.zeros(n + 1, dtype=np.int64)
        if n:
            offsets[1:] = <int64_t[:n]>self.ctx_ends
        ctx = np.array(<uint32_t[:self.n_ctx]>self.ctx, copy=True) if self.n_ctx else np.zeros(0, np.uint32)
        return ends, weights, ctx, offsets

    def words(self):
        """The job's vocabulary indices after subsampling."""
        return np.array(<uint32_t[:self.n]>self.idx, copy=True) if self.n else np.empty(0, np.uint32)

    cdef inline void _window(self, int64_t i, int64_t start, int64_t end, int64_t *j, int64_t *k) noexcept nogil:
        window_of(self.window, self.shrink[i], i, start, end, j, k)


cdef int check_job(KernelModel km, Job job) except -1:
    """O(1) per job: the job's largest word index and document row are rows of the
    arrays ``km`` trains (a job filled for another model fails here, not in memory)."""
    if job.word_end > km.base.vocab_size:
        raise ValueError(f"the job holds word index {job.word_end - 1}, but {km.words_name} has "
                         f"{km.base.vocab_size} rows (shape {km.words_shape}): it was filled for another "
                         f"model or vocabulary than the KernelModel it is trained with")
    if job.tag_end > km.doc_rows:
        raise ValueError(f"the job holds document row {job.tag_end - 1}, but {km.doc_name or 'the model'} has "
                         f"{km.doc_rows} document rows (shape {km.doc_shape}): it was filled for another "
                         f"model than the KernelModel it is trained with")
    return 0


cdef str _new_tags_advice = ("dv holds more tags than document vectors (gensim's own build_vocab(update=True) "
                             "does that): add new documents with this package's build_vocab(update=True), which "
                             "gives their tags rows, or use infer_vector() for new documents")


cdef inline uint32_t _word_row(KernelModel km, object token, object index, object item) except? 0xFFFFFFFF:
    """A token's vocabulary index from ``km.key_to_index``, checked against the word rows."""
    cdef int64_t i = index
    if i < 0 or i >= km.base.vocab_size:
        where = "" if item is None else f" (corpus item {item})"
        raise ValueError(f"wv.key_to_index maps {token!r}{where} to {i}, but {km.words_name} has "
                         f"{km.base.vocab_size} rows (shape {km.words_shape}): the vocabulary's index and its "
                         f"vectors disagree; build the vocabulary again")
    return <uint32_t>i


def prepare_batch(KernelModel km, sentences, uint64_t seed, first_index=None):
    """A ``Job`` from corpus items: token lists or ``Sentence`` items (checked
    here; ``first_index``, the corpus index of the first item, goes into
    their error messages). Out-of-vocabulary tokens are dropped (which widens
    the window, as in gensim); a sentence of weight 0 is counted, not trained.

    Every index is checked as it is made: a token's against the word rows, a
    document's tag rows against the document vectors' (``ValueError``)."""
    cdef Job job = Job()
    cdef Config c = km.base
    cdef dict k2i = km.key_to_index
    cdef PyObject *found
    cdef int64_t raw
    cdef float weight
    c.next_random = seed
    job.window = c.window
    for n, sentence in enumerate(sentences):
        item = None if first_index is None else first_index + n
        if c.model == M_DOC2VEC:  # a TaggedDocument: its words, and its tags' document vectors
            for row in km.doc_index(sentence.tags):
                if not 0 <= row < km.doc_rows:
                    raise ValueError(f"document{'' if item is None else ' ' + str(item)} has tags "
                                     f"{list(sentence.tags)!r:.80}, one of them at row {row} of {km.doc_name}, which "
                                     f"has {km.doc_rows} rows (shape {km.doc_shape}): every tag needs a row of the "
                                     f"document vectors; {_new_tags_advice}")
                if job.push_tag(<uint32_t>row):
                    raise MemoryError()
            sentence, weight = sentence.words, 1.0
        elif type(sentence) is Sentence:
            sentence, weight, context = corpus_parts(sentence, item)
            if weight == 0:
                job.count(len(sentence))
                continue
            for token in context:
                found = PyDict_GetItemWithError(k2i, token)
                if found != NULL and job.push_context(_word_row(km, token, <object>found, item)):
                    raise MemoryError()
        else:
            weight = 1.0
        raw = 0
        for token in sentence:
            raw += 1
            found = PyDict_GetItemWithError(k2i, token)  # raises for unhashable tokens
            if found != NULL and job.push(_word_row(km, token, <object>found, item)):
                raise MemoryError()
        if job.end_sentence(raw, weight):
            raise MemoryError()
    job.finish(&c)
    return job


def train_job(KernelModel km, Job job, float alpha, cnp.ndarray work, cnp.ndarray neu1,
              cnp.ndarray scores=None, CompiledTerms compiled=None, callback=None, int n_callback=0):
    """Train one job. The Python terms of the loss run at every example's h:
    ``compiled`` (a :class:`CompiledTerms`) in the kernel, ``callback`` (for
    ``n_callback`` terms that did not compile) in Python, called as
    ``callback(example, target, h) -> (losses, gradient)``; an exception it
    raises is kept in its ``error`` attribute and stops the job.

    Returns ``(examples, losses, diverged, python)``: ``losses`` are float64
    sums over this job's examples, in the order of ``TERMS``. ``diverged``: a
    score, a loss or a Python term became NaN or infinite (or a callback
    raised); the job stopped at that example, which changed no input vector
    (see ``logistic_grad``). ``python``: ``(losses of the Python terms, the
    compiled ones first; PY_* status; the failing term)``.
    """
    cdef Config c = km.base
    cdef int64_t s, start = 0
    cdef int32_t *slot_p
    cdef uint32_t *order_p
    cdef float *best_p
    cdef cnp.ndarray registers = None, scratch_regs = None
    check_job(km, job)
    if work.shape[0] < c.layer1_size or neu1.shape[0] < c.layer1_size:
        raise ValueError(f"work buffers must hold {c.layer1_size} floats")
    c.alpha = alpha
    c.work = _float_ptr(work, "work")
    c.neu1 = _float_ptr(neu1, "neu1")
    if c.weight[T_SOFTMAX]:
        if scores is None or scores.shape[0] < c.vocab_size:
            raise ValueError(f"full softmax needs a scores buffer of {c.vocab_size} floats")
        c.scores = _float_ptr(scores, "scores")
    n_python = n_callback + (compiled.n_terms if compiled is not None else 0)
    if n_python > MAX_PYTHON_TERMS:
        raise ValueError(f"at most {MAX_PYTHON_TERMS} Python terms, got {n_python}: combine some")
    if compiled is not None:
        if compiled.hidden_size != c.layer1_size:
            raise ValueError(f"the compiled Python terms are for h of width {compiled.hidden_size}, "
                             f"the model's is {c.layer1_size}")
        registers, scratch_regs = compiled.registers()
        c.prog = &compiled.prog
        c.prog_out = &compiled.out
        c.prog_ptr = <float **>cnp.PyArray_DATA(registers)
        gl_program_bind(c.prog, c.prog_ptr, <float *>cnp.PyArray_DATA(scratch_regs))
        c.n_compiled = compiled.n_terms
    if callback is not None:
        c.py_callback = <void *>callback
    c.next_random = job.next_random
    cdef InputScratch inputs = InputScratch(km.max_inputs + job.max_tags)
    inputs.use(&c)
    cdef int64_t n_out = 1 + c.negative + c.group_negative
    scratch = None
    if c.shared and not c.sg:
        scratch = np.empty(c.cbow_stride * c.negative, dtype=np.uint32)
        c.cbow_slots = <uint32_t *>cnp.PyArray_DATA(scratch)
    elif c.shared:
        scratch = np.empty(n_out * (3 + c.size) + 2 * c.window * c.size, dtype=np.float32)
        c.win_rows = <uint32_t *>cnp.PyArray_DATA(scratch)  # float32 and uint32 share the element size
        c.win_label = (<float *>cnp.PyArray_DATA(scratch)) + n_out
        c.win_step = c.win_label + n_out
        c.win_dout = c.win_step + n_out
        c.win_din = c.win_dout + n_out * c.size
    with nogil:
        for s in range(job.n_sent):
            job._sentence(&c, s)
            train_sentence(&c, job.idx + start, job.shrink + start, job.ends[s] - start)
            if c.diverged:
                break
            start = job.ends[s]
    cdef cnp.ndarray slots, order, best
    if c.lex_starts != NULL and not c.diverged:
        slots = np.full(c.vocab_size, -1, dtype=np.int32)
        order = np.empty(max(job.n, 1), dtype=np.uint32)
        best = np.empty(max(job.n, 1), dtype=np.float32)
        slot_p, order_p, best_p = <int32_t *>slots.data, <uint32_t *>order.data, <float *>best.data
        with nogil:
            lexicon_pass(&c, job.idx, job.ends, job.weights, job.n_sent, slot_p, order_p, best_p)
    job.next_random = c.next_random
    losses = tuple(c.loss[t] for t in range(N_TERMS))
    python = tuple(c.py_loss[t] for t in range(n_python))
    # a penalty's loss overflows without any score doing so (e.g. l2 of a huge h)
    diverged = bool(c.diverged) or not all(-DBL_MAX <= v <= DBL_MAX for v in losses + python)
    return c.examples, losses, diverged, (python, c.py_error, c.py_term)


def compose_words(float[:, ::1] out, const float[:, ::1] words, const float[:, ::1] grams,
                  const int64_t[::1] starts, const uint32_t[::1] ids):
    """FastText's word vectors for look-up: ``out[w]`` = the mean of word ``w``'s
    own row and its n-gram buckets' rows (``ids[starts[w]:starts[w + 1]]``),
    written in place, without the GIL and without a temporary matrix."""
    cdef int64_t w, b, n = out.shape[0]
    cdef int size = out.shape[1], d
    cdef float count
    if words.shape[0] != n or words.shape[1] != size or grams.shape[1] != size or starts.shape[0] != n + 1:
        raise ValueError("compose_words: the word, n-gram and output matrices do not match")
    if ids.shape[0] and np.asarray(ids).max() >= grams.shape[0]:
        raise ValueError("compose_words: an n-gram bucket points past the n-gram matrix")
    with nogil:
        for w in range(n):
            memcpy(&out[w, 0], &words[w, 0], size * sizeof(float))
            for b in range(starts[w], starts[w + 1]):
                gl_axpy(size, 1.0, &grams[ids[b], 0], &out[w, 0])
            count = starts[w + 1] - starts[w] + 1
            for d in range(size):  # a division, as gensim's adjust_vectors: the same floats to the bit
                out[w, d] = out[w, d] / count


def group_sample(KernelModel km, uint32_t target, int64_t n, uint64_t seed):
    """``n`` draws of the kernels' group sampler for ``target``'s group (before
    a draw equal to the target is dropped); empty when it draws nothing."""
    cdef Config c = km.base
    cdef int32_t g
    cdef int64_t first, size, i
    if c.word_group == NULL or target >= c.vocab_size or c.word_group[target] < 0:
        return np.zeros(0, dtype=np.uint32)
    g = c.word_group[target]
    first = c.group_starts[g]
    size = c.group_starts[g + 1] - first
    c.next_random = seed
    out = np.empty(n, dtype=np.uint32)
    cdef uint32_t[:] ov = out
    for i in range(n):
        ov[i] = c.group_members[first + draw_from(&c, c.group_cum + first, size)]
    return out


cdef class TokenIndex:
    """Vocabulary look-up by UTF-8 bytes without the GIL: open addressing
    over FNV-1a hashes, for reading ``corpus_file`` in C."""
    cdef bytes blob
    cdef const char *keys
    cdef int64_t[:] starts
    cdef int32_t[:] slots
    cdef uint64_t mask
    cdef readonly int64_t size  # the words it holds; a look-up gives an index below

    def __init__(self, index_to_key):
        encoded = [str(k).encode('utf8') for k in index_to_key]
        self.size = len(encoded)
        self.blob = b''.join(encoded)
        self.keys = self.blob
        starts = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=starts[1:])
        self.starts = starts
        size = 16
        while size < 2 * len(encoded):
            size *= 2
        self.mask = size - 1
        self.slots = np.full(size, -1, dtype=np.int32)
        cdef int64_t i
        cdef uint64_t h
        for i in range(len(encoded)):
            h = fnv1a(self.keys + self.starts[i], self.starts[i + 1] - self.starts[i]) & self.mask
            while self.slots[h] >= 0:
                h = (h + 1) & self.mask
            self.slots[h] = <int32_t>i

    cdef inline int32_t lookup(self, const char *s, int64_t n) noexcept nogil:
        cdef uint64_t h = fnv1a(s, n) & self.mask
        cdef int32_t i
        while True:
            i = self.slots[h]
            if i < 0:
                return -1
            if (self.starts[i + 1] - self.starts[i] == n
                    and memcmp(self.keys + self.starts[i], s, n) == 0):
                return i
            h = (h + 1) & self.mask

    def __getitem__(self, key):
        data = key.encode('utf8')
        return self.lookup(data, len(data))


cdef inline uint64_t fnv1a(const char *s, int64_t n) noexcept nogil:
    cdef uint64_t h = 14695981039346656037ULL
    cdef int64_t i
    for i in range(n):
        h = (h ^ <uint8_t>s[i]) * 1099511628211ULL
    return h


cdef inline int space_len(const char *p, const char *end) noexcept nogil:
    """The length in bytes of the whitespace character at ``p``, or 0: the
    whitespace of Python's ``str.split()`` (which gensim's LineSentence uses),
    in UTF-8. A continuation byte never matches, so bytes can be stepped one
    at a time through a token."""
    cdef unsigned char c = <unsigned char>p[0], c1, c2
    if c < 0x80:
        return 1 if (c == 0x20 or 0x09 <= c <= 0x0D or 0x1C <= c <= 0x1F) else 0
    if p + 1 >= end:
        return 0
    c1 = <unsigned char>p[1]
    if c == 0xC2:
        return 2 if (c1 == 0x85 or c1 == 0xA0) else 0
    if p + 2 >= end or c < 0xE1 or c > 0xE3:
        return 0
    c2 = <unsigned char>p[2]
    if c == 0xE1:  # U+1680
        return 3 if (c1 == 0x9A and c2 == 0x80) else 0
    if c == 0xE3:  # U+3000
        return 3 if (c1 == 0x80 and c2 == 0x80) else 0
    if c1 == 0x80:  # U+2000-200A, U+2028, U+2029, U+202F
        return 3 if (0x80 <= c2 <= 0x8A or c2 == 0xA8 or c2 == 0xA9 or c2 == 0xAF) else 0
    return 3 if (c1 == 0x81 and c2 == 0x9F) else 0  # U+205F


cdef inline const char *next_token(const char *p, const char *end, const char **start) noexcept nogil:
    """Skip the whitespace at ``p``; set ``*start`` to the next token and return
    its end (``*start == end`` when the line has no more tokens)."""
    cdef int n
    while p < end:
        n = space_len(p, end)
        if n == 0:
            break
        p += n
    start[0] = p
    while p < end and space_len(p, end) == 0:
        p += 1
    return p


cdef int64_t utf8_error(const char *s, int64_t n) noexcept nogil:
    """The offset of the first byte of ``s[:n]`` that is not valid UTF-8, or -1."""
    cdef int64_t i = 0, need, k
    cdef unsigned char c
    cdef uint32_t cp
    while i < n:
        c = <unsigned char>s[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            need, cp = 1, c & 0x1F
        elif 0xE0 <= c <= 0xEF:
            need, cp = 2, c & 0x0F
        elif 0xF0 <= c <= 0xF4:
            need, cp = 3, c & 0x07
        else:
            return i
        if i + need >= n:  # the sequence is cut off by the end of the line
            return i
        for k in range(1, need + 1):
            if (<unsigned char>s[i + k]) & 0xC0 != 0x80:
                return i
            cp = (cp << 6) | ((<unsigned char>s[i + k]) & 0x3F)
        # overlong forms, surrogates and code points past U+10FFFF, as Python's decoder refuses them
        if (need == 2 and (cp < 0x800 or 0xD800 <= cp <= 0xDFFF)) or (need == 3 and not 0x10000 <= cp <= 0x10FFFF):
            return i
        i += need + 1
    return -1


cdef struct WordTable:
    # open addressing over FNV-1a hashes; slots hold entry index + 1 (0: empty)
    int64_t *slots
    uint64_t mask
    # entries in the order of first occurrence: key bytes in the arena, count
    int64_t *key_start
    int64_t *count
    uint64_t *hash
    int64_t n, cap
    char *arena
    int64_t arena_len, arena_cap


cdef int table_init(WordTable *t) noexcept nogil:
    memset(t, 0, sizeof(WordTable))
    t.mask = (1 << 16) - 1
    t.cap = 1 << 15
    t.arena_cap = 1 << 20
    t.slots = <int64_t *>calloc(t.mask + 1, sizeof(int64_t))
    t.key_start = <int64_t *>malloc((t.cap + 1) * sizeof(int64_t))
    t.count = <int64_t *>malloc(t.cap * sizeof(int64_t))
    t.hash = <uint64_t *>malloc(t.cap * sizeof(uint64_t))
    t.arena = <char *>malloc(t.arena_cap)
    if t.slots == NULL or t.key_start == NULL or t.count == NULL or t.hash == NULL or t.arena == NULL:
        return -1
    t.key_start[0] = 0
    return 0


cdef void table_free(WordTable *t) noexcept nogil:
    free(t.slots)
    free(t.key_start)
    free(t.count)
    free(t.hash)
    free(t.arena)
    memset(t, 0, sizeof(WordTable))


cdef int table_add(WordTable *t, const char *s, int64_t n) noexcept nogil:
    """Count one occurrence of the word ``s[:n]``; -1 when out of memory."""
    cdef uint64_t h = fnv1a(s, n), i
    cdef int64_t e, slot
    cdef int64_t *slots
    i = h & t.mask
    while True:
        slot = t.slots[i]
        if slot == 0:
            break
        e = slot - 1
        if (t.hash[e] == h and t.key_start[e + 1] - t.key_start[e] == n
                and memcmp(t.arena + t.key_start[e], s, n) == 0):
            t.count[e] += 1
            return 0
        i = (i + 1) & t.mask
    # a new word
    cdef int64_t cap_s = t.cap, cap_h = t.cap, cap_k = t.cap + 1
    if (_room(<void **>&t.count, &cap_s, t.n + 1, sizeof(int64_t))
            or _room(<void **>&t.hash, &cap_h, t.n + 1, sizeof(uint64_t))
            or _room(<void **>&t.key_start, &cap_k, t.n + 2, sizeof(int64_t))
            or _room(<void **>&t.arena, &t.arena_cap, t.arena_len + n, 1)):
        return -1
    t.cap = cap_s
    memcpy(t.arena + t.arena_len, s, n)
    t.arena_len += n
    e = t.n
    t.key_start[e + 1] = t.arena_len
    t.count[e] = 1
    t.hash[e] = h
    t.n += 1
    t.slots[i] = e + 1
    if 2 * t.n > <int64_t>t.mask:  # keep the load under a half: rehash into twice the slots
        slots = <int64_t *>calloc(2 * (t.mask + 1), sizeof(int64_t))
        if slots == NULL:
            return -1
        free(t.slots)
        t.slots = slots
        t.mask = 2 * t.mask + 1
        for e in range(t.n):
            i = t.hash[e] & t.mask
            while t.slots[i] != 0:
                i = (i + 1) & t.mask
            t.slots[i] = e + 1
    return 0


cdef class WordCounter:
    """Counts the words of a byte range of a text file without the GIL, as
    gensim's LineSentence splits them (lines of at most ``max_words`` words
    each make one sentence), keeping each word's first occurrence order."""
    cdef WordTable table
    cdef readonly int64_t sentences, words

    def __cinit__(self):
        if table_init(&self.table):
            table_free(&self.table)
            raise MemoryError()

    def __dealloc__(self):
        table_free(&self.table)

    def scan(self, str path, int64_t start, int64_t end, int64_t max_words):
        """Count the lines that begin in ``[start, end)`` (``start`` at a line start).

        Raises UnicodeDecodeError, as gensim's reading of the file would, at
        the first byte that is not UTF-8."""
        cdef FILE *fh = fopen(path.encode(), "rb")
        if fh == NULL:
            raise OSError(f"cannot open {path!r}")
        cdef char *line = NULL
        cdef size_t cap = 0
        cdef ssize_t length
        cdef const char *p
        cdef const char *tok
        cdef const char *line_end
        cdef int64_t pos = start, n_raw, bad = -1, bad_line = 0
        cdef int status = 0
        fseeko(fh, start, SEEK_SET)
        with nogil:
            while pos < end and status == 0:
                length = getline(&line, &cap, fh)
                if length < 0:
                    break
                bad = utf8_error(line, length)
                if bad >= 0:
                    bad_line = pos
                    break
                pos += length
                p = line
                line_end = line + length
                n_raw = 0
                while True:
                    p = next_token(p, line_end, &tok)
                    if tok == line_end:
                        break
                    status = table_add(&self.table, tok, p - tok)
                    if status:
                        break
                    n_raw += 1
                    self.words += 1
                    if n_raw == max_words:
                        self.sentences += 1
                        n_raw = 0
                if n_raw:
                    self.sentences += 1
        fclose(fh)
        if bad >= 0:
            text = bytes(line[:length])
            free(line)
            raise UnicodeDecodeError("utf-8", text, bad, bad + 1,
                                     f"invalid UTF-8 in {path!r} at byte {bad_line + bad}")
        free(line)
        if status:
            raise MemoryError()

    def items(self):
        """``(word, count)`` in order of first occurrence."""
        cdef int64_t e
        cdef WordTable *t = &self.table
        for e in range(t.n):
            yield t.arena[t.key_start[e]:t.key_start[e + 1]].decode("utf8"), t.count[e]


cdef class LineReader:
    """Reads the lines of a ``corpus_file`` that begin in ``[start, end)``
    into jobs, without the GIL. ``start`` must be the beginning of a line.

    ``first_doc`` >= 0 (Doc2Vec): every line is one document, whatever its
    length, tagged with its line number in the file (``first_doc`` being the
    number of the range's first line), as gensim numbers them. A line whose
    number is not a row of the document vectors raises ``ValueError``."""
    cdef FILE *fh
    cdef char *line
    cdef size_t line_cap
    cdef readonly int64_t start, end, pos, lines, first_doc
    cdef readonly str path
    cdef TokenIndex vocab

    def __cinit__(self, str path, int64_t start, int64_t end, TokenIndex vocab, int64_t first_doc=-1):
        self.fh = fopen(path.encode(), "rb")
        if self.fh == NULL:
            raise OSError(f"cannot open corpus_file {path!r}")
        self.path = path
        self.start = self.pos = start
        self.end = end
        self.vocab = vocab
        self.first_doc = first_doc
        fseeko(self.fh, start, SEEK_SET)

    def __dealloc__(self):
        if self.fh != NULL:
            fclose(self.fh)
        free(self.line)

    @property
    def progress(self):
        """Fraction of this reader's byte range read so far."""
        return (self.pos - self.start) / <double>max(self.end - self.start, 1)

    def fill(self, KernelModel km, int64_t job_words, uint64_t seed):
        """The next job of at least ``job_words`` raw words (fewer at the end),
        or None when the range is read. Lines longer than MAX_WORDS words are
        cut into several sentences, as LineSentence does.

        Bounds (O(1) per job and per line): the vocabulary's look-up must not
        give indices past ``km``'s word rows, and a Doc2Vec line's number
        (its document's tag) must be a row of ``km``'s document vectors."""
        cdef Job job = Job()
        cdef Config c = km.base
        cdef ssize_t length
        cdef char *p
        cdef char *line_end
        cdef char *tok
        cdef int32_t word
        cdef int64_t n_raw, doc_rows = km.doc_rows
        cdef int status = 0
        if self.vocab.size > c.vocab_size:
            raise ValueError(f"the corpus_file reader looks words up in a vocabulary of {self.vocab.size} words, "
                             f"but {km.words_name} has {c.vocab_size} rows (shape {km.words_shape}): build its "
                             f"TokenIndex from this model's wv.index_to_key")
        c.next_random = seed
        job.window = c.window
        with nogil:
            while self.pos < self.end and job.raw_words < job_words and status == 0:
                length = getline(&self.line, &self.line_cap, self.fh)
                if length < 0:
                    break
                self.pos += length
                p = self.line
                line_end = self.line + length
                n_raw = 0
                if self.first_doc >= 0:
                    if self.first_doc + self.lines >= doc_rows:
                        status = -2  # past the document vectors: raised below
                        break
                    status = job.push_tag(<uint32_t>(self.first_doc + self.lines))
                self.lines += 1
                while status == 0:
                    p = <char *>next_token(p, line_end, <const char **>&tok)
                    if tok == line_end:
                        break
                    word = self.vocab.lookup(tok, p - tok)
                    n_raw += 1
                    if word >= 0:
                        status = job.push(<uint32_t>word)
                    if n_raw == MAX_WORDS and self.first_doc < 0:
                        status = status or job.end_sentence(n_raw, 1.0)
                        n_raw = 0
                if n_raw or self.first_doc >= 0:
                    status = status or job.end_sentence(n_raw, 1.0)
        if status == -2:
            line = self.first_doc + self.lines
            raise ValueError(f"line {line + 1} of corpus_file {self.path!r} is document {line} (Doc2Vec tags each "
                             f"line with its number), but {km.doc_name or 'the model'} has {doc_rows} rows (shape "
                             f"{km.doc_shape}): the vocabulary was built on {doc_rows} documents; "
                             f"{_new_tags_advice}")
        if status:
            raise MemoryError()
        if job.raw_words == 0:
            return None
        job.finish(&c)
        return job
