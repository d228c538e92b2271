"""Training kernels: skip-gram and CBOW with negative sampling and/or
hierarchical softmax, and exact per-example loss accounting.

Layout, from the inside out:

* ``logistic_grad``: one binary-logistic term; returns ``label - sigmoid(x)``
  and adds ``-log P(label | x)`` to the caller's float64 loss.
* ``ns_term`` / ``hs_term``: one routine per objective. Each trains the
  output layer for one example and accumulates ``alpha * dLoss/dh`` (with the
  sign of a descent step) into ``c.work``; it returns the example's loss.
* ``objectives``: where the terms of one example meet. Every term adds into
  ``c.work`` before the input side is updated once, so further terms (the
  penalties of the next layer up) join the gradient here.
* ``sg_example`` / ``cbow_example``: form the hidden vector h, call
  ``objectives``, push ``c.work`` back into the input vectors.
* ``train_sentence``: windows over one sentence of vocabulary indices.
* ``train_batch`` (iterable input, one job of sentences) and ``train_epoch``
  (``corpus_file`` input, one worker's share of the file for one epoch) are
  the entry points; both end in ``subsample`` + ``train_sentence``.

Everything below the two entry points runs without the GIL on plain pointers
held in one ``Config`` struct, copied from a ``KernelModel`` once per job.

This file is included by ``_kernels_baseline.pyx`` and ``_kernels_avx2.pyx``:
the same source compiled for the baseline instruction set and for AVX2+FMA;
``gensim_losses._kernels`` imports the best one the CPU runs.
"""

import numpy as np

cimport numpy as cnp
from cpython.dict cimport PyDict_GetItemWithError
from cpython.ref cimport PyObject
from libc.math cimport exp, fabs, log1p
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdio cimport FILE, fopen, fclose
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memset, memcmp

cnp.import_array()

cdef extern from "_vecmath.h" nogil:
    float gl_dot(int n, const float *x, const float *y)
    void gl_axpy(int n, float a, const float *x, float *y)
    void gl_scale(int n, float a, float *x)

cdef extern from "stdio.h" nogil:
    ssize_t getline(char **lineptr, size_t *n, FILE *stream)
    int fseeko(FILE *stream, long long offset, int whence)
    int SEEK_SET

# gensim's LineSentence and corpus_file reader split longer lines into
# sentences of this many raw words; we keep the same cut.
MAX_SENTENCE_WORDS = 10000
cdef int MAX_WORDS = 10000

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


cdef void _fill_table():
    cdef int i
    cdef double x
    for i in range(TABLE_SIZE + 1):
        x = -MAX_EXP + i / <double>TABLE_SCALE
        TABLE[2 * i] = <float>(1.0 / (1.0 + exp(-x)))
        TABLE[2 * i + 1] = <float>((x if x > 0 else 0.0) + log1p(exp(-fabs(x))))


_fill_table()


cdef inline float logistic_grad(float x, float label, int compute_loss, double *loss) noexcept nogil:
    """Return ``label - sigmoid(x)``; add ``-log P(label | x) = softplus(x) - label * x`` to loss."""
    cdef float t, frac, sig, sp
    cdef int i
    if x >= MAX_EXP:
        sig = 1.0
        sp = x
    elif x <= -MAX_EXP:
        sig = 0.0
        sp = 0.0
    else:
        t = (x + MAX_EXP) * TABLE_SCALE
        i = <int>t
        frac = t - i
        sig = TABLE[2 * i] + frac * (TABLE[2 * i + 2] - TABLE[2 * i])
        sp = TABLE[2 * i + 1] + frac * (TABLE[2 * i + 3] - TABLE[2 * i + 1])
    if compute_loss:
        loss[0] += sp - label * x
    return label - sig


# Linear congruential generator of word2vec.c and java.util.Random: cheap,
# per-thread state, no GIL. Returns the upper 32 of its 48 bits.
cdef inline uint64_t next_rand(uint64_t *state) noexcept nogil:
    cdef uint64_t r = state[0] >> 16
    state[0] = (state[0] * <uint64_t>25214903917ULL + 11) & <uint64_t>281474976710655ULL
    return r


cdef struct Config:
    int sg, size, window, shrink_windows, cbow_mean, hs, negative, sample, compute_loss
    float alpha
    float *syn0          # input vectors, wv.vectors
    float *syn1          # HS output layer (inner nodes of the Huffman tree)
    float *syn1neg       # NS output layer
    const float *lockf   # per-word update factor (gensim's vectors_lockf)
    uint32_t lockf_len
    const uint32_t *cum_table  # cumulative unigram^ns_exponent table
    uint64_t cum_len
    const uint32_t *sample_ints  # keep word w if sample_ints[w] >= a 32-bit draw
    # Huffman paths of all words, flattened: word w owns [offsets[w], offsets[w+1])
    const uint32_t *points
    const uint8_t *codes
    const int64_t *code_offsets
    float *work          # alpha * -dLoss/dh of the current example
    float *neu1          # CBOW hidden vector
    uint64_t next_random
    # per-job records, merged by the caller
    double loss_ns
    double loss_hs
    int64_t examples


cdef inline uint32_t draw_negative(Config *c) noexcept nogil:
    """Inverse-CDF draw from the unigram^ns_exponent table (binary search)."""
    cdef uint64_t x = next_rand(&c.next_random) % c.cum_table[c.cum_len - 1]
    cdef uint64_t lo = 0, hi = c.cum_len, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if c.cum_table[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return <uint32_t>lo


cdef double ns_term(Config *c, uint32_t target, const float *h) noexcept nogil:
    """Negative sampling for one example:
    ``-log s(u_t.h) - sum_k log s(-u_k.h)`` over ``negative`` draws."""
    cdef double loss = 0.0
    cdef float label, g
    cdef uint32_t w
    cdef float *row
    cdef int d
    for d in range(c.negative + 1):
        if d == 0:
            w = target
            label = 1.0
        else:
            w = draw_negative(c)
            if w == target:
                continue
            label = 0.0
        row = c.syn1neg + <int64_t>w * c.size
        g = logistic_grad(gl_dot(c.size, h, row), label, c.compute_loss, &loss)
        if fabs(g) < GRAD_EPS:
            continue
        g *= c.alpha
        gl_axpy(c.size, g, row, c.work)
        gl_axpy(c.size, g, h, row)
    return loss


cdef double hs_term(Config *c, uint32_t target, const float *h) noexcept nogil:
    """Hierarchical softmax for one example:
    ``-sum_b log s((1 - 2 code_b) u_b.h)`` along the target's Huffman path."""
    cdef double loss = 0.0
    cdef float g
    cdef float *row
    cdef int64_t b
    for b in range(c.code_offsets[target], c.code_offsets[target + 1]):
        row = c.syn1 + <int64_t>c.points[b] * c.size
        g = logistic_grad(gl_dot(c.size, h, row), 1.0 - c.codes[b], c.compute_loss, &loss)
        if fabs(g) < GRAD_EPS:
            continue
        g *= c.alpha
        gl_axpy(c.size, g, row, c.work)
        gl_axpy(c.size, g, h, row)
    return loss


cdef inline void objectives(Config *c, uint32_t target, const float *h) noexcept nogil:
    """All loss terms of one example; c.work must be zero on entry."""
    if c.hs:
        c.loss_hs += hs_term(c, target, h)
    if c.negative:
        c.loss_ns += ns_term(c, target, h)
    c.examples += 1


cdef inline void sg_example(Config *c, uint32_t target, uint32_t context) noexcept nogil:
    # gensim's convention: the context word's input vector predicts the centre word
    cdef float *h = c.syn0 + <int64_t>context * c.size
    memset(c.work, 0, c.size * sizeof(float))
    objectives(c, target, h)
    gl_axpy(c.size, c.lockf[context % c.lockf_len], c.work, h)


cdef inline void cbow_example(Config *c, const uint32_t *idx, int i, int j, int k) noexcept nogil:
    cdef int m
    cdef int count = k - j - 1
    if count <= 0:
        return  # no context to predict from (word2vec.c skips it too)
    memset(c.neu1, 0, c.size * sizeof(float))
    for m in range(j, k):
        if m != i:
            gl_axpy(c.size, 1.0, c.syn0 + <int64_t>idx[m] * c.size, c.neu1)
    if c.cbow_mean:
        gl_scale(c.size, 1.0 / count, c.neu1)
    memset(c.work, 0, c.size * sizeof(float))
    objectives(c, idx[i], c.neu1)
    # gensim's update convention: the mean's error goes whole to every
    # context word, the sum's error is shared out among them.
    if not c.cbow_mean:
        gl_scale(c.size, 1.0 / count, c.work)
    for m in range(j, k):
        if m != i:
            gl_axpy(c.size, c.lockf[idx[m] % c.lockf_len], c.work, c.syn0 + <int64_t>idx[m] * c.size)


cdef int subsample(Config *c, uint32_t *idx, int n) noexcept nogil:
    """Drop frequent words in place (Mikolov et al. 2013); return the new length."""
    cdef int i, kept = 0
    if not c.sample:
        return n
    for i in range(n):
        if c.sample_ints[idx[i]] >= next_rand(&c.next_random):
            idx[kept] = idx[i]
            kept += 1
    return kept


cdef void train_sentence(Config *c, const uint32_t *idx, int n) noexcept nogil:
    cdef int i, j, k, m, shrink
    for i in range(n):
        shrink = <int>(next_rand(&c.next_random) % c.window) if c.shrink_windows else 0
        j = i - c.window + shrink
        if j < 0:
            j = 0
        k = i + c.window + 1 - shrink
        if k > n:
            k = n
        if c.sg:
            for m in range(j, k):
                if m != i:
                    sg_example(c, idx[i], idx[m])
        else:
            cbow_example(c, idx, i, j, k)


cdef inline int train_chunk(Config *c, uint32_t *idx, int n) noexcept nogil:
    """Subsample then train one sentence; return its effective word count."""
    n = subsample(c, idx, n)
    train_sentence(c, idx, n)
    return n


cdef float *_float_ptr(cnp.ndarray a, str name, bint writeable=True) except NULL:
    if a.dtype != np.float32 or not a.flags.c_contiguous:
        raise ValueError(f"{name} must be a C-contiguous float32 array, got {a.dtype} "
                         f"(contiguous={a.flags.c_contiguous})")
    if writeable and not a.flags.writeable:
        raise ValueError(f"{name} is read-only (loaded with mmap='r'?); training needs writeable "
                         f"arrays: load without mmap, or copy the arrays first")
    return <float *>cnp.PyArray_DATA(a)


cdef class KernelModel:
    """The model's arrays, checked and flattened once per ``train()`` call.

    Holds references to every array the kernels read, so the pointers in
    ``base`` stay valid while jobs run.
    """
    cdef Config base
    cdef readonly dict key_to_index
    cdef readonly tuple arrays

    def __init__(self, model, bint compute_loss):
        wv = model.wv
        cdef int size = wv.vector_size
        if model.window < 1:
            raise ValueError(f"window must be >= 1, got {model.window}")
        if not (model.hs or model.negative):
            raise ValueError("nothing to train: set hs=1 and/or negative > 0")
        memset(&self.base, 0, sizeof(Config))
        c = &self.base
        c.sg = 1 if model.sg else 0
        c.size = size
        c.window = model.window
        c.shrink_windows = 1 if model.shrink_windows else 0
        c.cbow_mean = 1 if model.cbow_mean else 0
        c.hs = 1 if model.hs else 0
        c.negative = model.negative
        c.compute_loss = compute_loss
        c.sample = 1 if model.sample else 0
        self.key_to_index = wv.key_to_index

        vectors = wv.vectors
        if vectors.shape != (len(wv.index_to_key), size):
            raise ValueError(f"wv.vectors has shape {vectors.shape}, expected "
                             f"({len(wv.index_to_key)}, {size}): call build_vocab() first")
        c.syn0 = _float_ptr(vectors, "wv.vectors")
        lockf = np.ascontiguousarray(wv.vectors_lockf, dtype=np.float32)
        if lockf.size == 0:
            raise ValueError("wv.vectors_lockf is empty; expected 1 or len(vocab) factors")
        c.lockf = _float_ptr(lockf, "wv.vectors_lockf", False)
        c.lockf_len = lockf.size
        arrays = [vectors, lockf]

        if c.negative:
            if model.syn1neg.shape != vectors.shape:
                raise ValueError(f"syn1neg has shape {model.syn1neg.shape}, expected {vectors.shape}")
            c.syn1neg = _float_ptr(model.syn1neg, "syn1neg")
            cum = np.ascontiguousarray(model.cum_table, dtype=np.uint32)
            if cum.size != vectors.shape[0] or cum[-1] == 0:
                raise ValueError("cum_table does not match the vocabulary: call make_cum_table()")
            c.cum_table = <uint32_t *>cnp.PyArray_DATA(cum)
            c.cum_len = cum.size
            arrays += [model.syn1neg, cum]
        if c.hs:
            if model.syn1.shape != vectors.shape:
                raise ValueError(f"syn1 has shape {model.syn1.shape}, expected {vectors.shape}")
            c.syn1 = _float_ptr(model.syn1, "syn1")
            codes = wv.expandos['code']
            points = wv.expandos['point']
            lengths = np.fromiter((len(x) for x in codes), dtype=np.int64, count=len(codes))
            offsets = np.zeros(len(codes) + 1, dtype=np.int64)
            np.cumsum(lengths, out=offsets[1:])
            flat_codes = np.ascontiguousarray(np.concatenate(list(codes)), dtype=np.uint8)
            flat_points = np.ascontiguousarray(np.concatenate(list(points)), dtype=np.uint32)
            if flat_points.size and flat_points.max() >= vectors.shape[0]:
                raise ValueError("Huffman tree points past syn1: rebuild the vocabulary")
            c.codes = <uint8_t *>cnp.PyArray_DATA(flat_codes)
            c.points = <uint32_t *>cnp.PyArray_DATA(flat_points)
            c.code_offsets = <int64_t *>cnp.PyArray_DATA(offsets)
            arrays += [model.syn1, flat_codes, flat_points, offsets]
        if c.sample:
            sample_ints = np.ascontiguousarray(wv.expandos['sample_int'], dtype=np.uint32)
            c.sample_ints = <uint32_t *>cnp.PyArray_DATA(sample_ints)
            arrays.append(sample_ints)
        self.arrays = tuple(arrays)

    cdef Config job_config(self, float alpha, cnp.ndarray work, cnp.ndarray neu1, uint64_t seed) except *:
        cdef Config c = self.base
        if work.shape[0] < c.size or neu1.shape[0] < c.size:
            raise ValueError(f"work buffers must hold {c.size} floats")
        c.alpha = alpha
        c.work = _float_ptr(work, "work")
        c.neu1 = _float_ptr(neu1, "neu1")
        c.next_random = seed
        return c


def train_batch(KernelModel km, sentences, float alpha, cnp.ndarray work, cnp.ndarray neu1,
                uint64_t seed):
    """Train on one job of tokenised sentences.

    Returns ``(effective_words, examples, loss_ns, loss_hs)``; the losses are
    float64 sums over this job's examples.
    """
    cdef Config c = km.job_config(alpha, work, neu1, seed)
    cdef dict k2i = km.key_to_index
    cdef PyObject *found
    cdef size_t cap = 16384, n = 0, n_sent = 0, sent_cap = 1024, s, start, end
    cdef int64_t effective = 0
    cdef uint32_t *idx = <uint32_t *>malloc(cap * sizeof(uint32_t))
    cdef size_t *bounds = <size_t *>malloc(sent_cap * sizeof(size_t))
    try:
        if idx == NULL or bounds == NULL:
            raise MemoryError()
        # Under the GIL only the dictionary look-ups; all else runs without it.
        for sentence in sentences:
            for token in sentence:
                found = PyDict_GetItemWithError(k2i, token)  # raises for unhashable tokens
                if found == NULL:
                    continue  # out of vocabulary: dropped, which widens the window
                if n == cap:
                    cap *= 2
                    idx = <uint32_t *>_grow(idx, cap * sizeof(uint32_t))
                idx[n] = <uint32_t>(<object>found)
                n += 1
            if n_sent == sent_cap:
                sent_cap *= 2
                bounds = <size_t *>_grow(bounds, sent_cap * sizeof(size_t))
            bounds[n_sent] = n
            n_sent += 1
        with nogil:
            start = 0
            for s in range(n_sent):
                end = bounds[s]
                if end > start:
                    effective += train_chunk(&c, idx + start, <int>(end - start))
                start = end
    finally:
        free(idx)
        free(bounds)
    return effective, c.examples, c.loss_ns, c.loss_hs


cdef void *_grow(void *p, size_t nbytes) except NULL:
    cdef void *q = realloc(p, nbytes)
    if q == NULL:
        raise MemoryError()
    return q


cdef class TokenIndex:
    """Vocabulary look-up by UTF-8 bytes without the GIL: open addressing
    over FNV-1a hashes, for reading ``corpus_file`` in C."""
    cdef bytes blob
    cdef const char *keys
    cdef int64_t[:] starts
    cdef int32_t[:] slots
    cdef uint64_t mask

    def __init__(self, index_to_key):
        encoded = [str(k).encode('utf8') for k in index_to_key]
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
        cdef int32_t i
        cdef uint64_t h
        for i in range(len(encoded)):
            h = fnv1a(self.keys + self.starts[i], self.starts[i + 1] - self.starts[i]) & self.mask
            while self.slots[h] >= 0:
                h = (h + 1) & self.mask
            self.slots[h] = i

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


cdef inline bint is_space(char ch) noexcept nogil:
    # the ASCII whitespace of Python's str.split(), which LineSentence uses
    return ch == b' ' or (b'\t' <= ch <= b'\r') or (b'\x1c' <= ch <= b'\x1f')


def train_epoch(KernelModel km, TokenIndex vocab, str path, int64_t start, int64_t end,
                int cur_epoch, int epochs, float start_alpha, float end_alpha,
                cnp.ndarray work, cnp.ndarray neu1, uint64_t seed):
    """Train one epoch on the lines of ``path`` that begin in ``[start, end)``.

    ``start`` must be the beginning of a line. The learning rate decays
    linearly with this worker's progress through its byte range.

    Returns ``(sentences, effective_words, raw_words, examples, loss_ns,
    loss_hs)``.
    """
    cdef Config c = km.job_config(start_alpha, work, neu1, seed)
    cdef bytes fname = path.encode()
    cdef FILE *fh = fopen(fname, "rb")
    if fh == NULL:
        raise OSError(f"cannot open corpus_file {path!r}")
    cdef uint32_t *idx = <uint32_t *>malloc(MAX_WORDS * sizeof(uint32_t))
    cdef char *line = NULL
    cdef size_t line_cap = 0
    cdef ssize_t length
    cdef int64_t pos = start, span = max(end - start, 1)
    cdef int64_t sentences = 0, effective = 0, raw = 0
    cdef int n, n_raw, word
    cdef char *p
    cdef char *line_end
    cdef char *tok
    cdef double progress
    try:
        if idx == NULL:
            raise MemoryError()
        with nogil:
            fseeko(fh, start, SEEK_SET)
            while pos < end:
                length = getline(&line, &line_cap, fh)
                if length < 0:
                    break
                pos += length
                progress = (cur_epoch + (pos - start) / <double>span) / epochs
                c.alpha = <float>(start_alpha - (start_alpha - end_alpha) * progress)
                if c.alpha < end_alpha:
                    c.alpha = end_alpha
                p = line
                line_end = line + length
                n = 0
                n_raw = 0
                while True:
                    while p < line_end and is_space(p[0]):
                        p += 1
                    if p == line_end:
                        break
                    tok = p
                    while p < line_end and not is_space(p[0]):
                        p += 1
                    word = vocab.lookup(tok, p - tok)
                    n_raw += 1
                    if word >= 0:
                        idx[n] = <uint32_t>word
                        n += 1
                    if n_raw == MAX_WORDS:
                        effective += train_chunk(&c, idx, n)
                        raw += n_raw
                        sentences += 1
                        n = 0
                        n_raw = 0
                if n_raw:
                    effective += train_chunk(&c, idx, n)
                    raw += n_raw
                    sentences += 1
    finally:
        fclose(fh)
        free(line)
        free(idx)
    return sentences, effective, raw, c.examples, c.loss_ns, c.loss_hs
