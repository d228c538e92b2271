# The objectives, one routine each: negative sampling, in-group negatives, hierarchical and
# full softmax. Each trains its output rows for one example and adds ``-alpha * dLoss/dh`` into
# ``c.work``.

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


cdef inline void binary_rows(Config *c, const float *h, float *base, const uint32_t *rows,
                             const float *labels, int64_t n, float step, float *part, double *loss) noexcept nogil:
    """``binary_term`` for ``n`` distinct output rows (``base + rows[b] * size``)
    at once: every score first, then the steps, the same ones in the same
    order as one row at a time, since no row is read after another moves.
    ``part`` is scratch of ``n`` floats."""
    cdef int64_t b
    cdef float g
    gl_dots(c.size, h, base, rows, n, part)
    for b in range(n):
        g = logistic_grad(c, part[b], labels[b], loss)
        part[b] = 0.0 if fabs(g) < GRAD_EPS or c.frozen else g * step
    gl_axpys(c.size, c.work, base, rows, n, part)
    if c.learn_hidden:
        for b in range(n):
            if part[b] != 0.0:
                gl_axpy(c.size, part[b], h, base + <int64_t>rows[b] * c.size)


cdef enum:
    MAX_BATCHED_NEGATIVES = 31  # more negatives than this take one row at a time


cdef double ns_term(Config *c, uint32_t target, const float *h, float scale) noexcept nogil:
    """Negative sampling for one example, times ``scale``:
    ``-log s(u_t.h) - sum_k log s(-u_k.h)`` over ``negative`` draws.

    When the draws are distinct rows (nearly always), they go through
    ``binary_rows`` together: the same model as one row at a time. A repeated row must see its own first step, so such
    an example goes one row at a time."""
    cdef double loss = 0.0
    cdef float step = c.alpha * scale
    cdef uint32_t w
    cdef uint32_t rows[MAX_BATCHED_NEGATIVES + 1]
    cdef float part[MAX_BATCHED_NEGATIVES + 1]
    cdef float labels[MAX_BATCHED_NEGATIVES + 1]
    cdef int d, e, n = 1
    cdef bint distinct = c.negative <= MAX_BATCHED_NEGATIVES
    if not distinct:
        binary_term(c, h, c.syn1neg + <int64_t>target * c.size, 1.0, step, &loss)
        for d in range(c.negative):
            w = c.ns_draws[d] if c.ns_draws != NULL else draw_negative(c)
            if w != target:
                binary_term(c, h, c.syn1neg + <int64_t>w * c.size, 0.0, step, &loss)
        return loss * scale
    rows[0] = target
    # the rows lie scattered over syn1neg: their loads start while the next ones are drawn
    gl_prefetch(c.syn1neg + <int64_t>target * c.size, c.size)
    for d in range(c.negative):
        w = c.ns_draws[d] if c.ns_draws != NULL else draw_negative(c)
        gl_prefetch(c.syn1neg + <int64_t>w * c.size, c.size)
        if w != target:
            for e in range(1, n):
                if rows[e] == w:
                    distinct = False
            rows[n] = w
            n += 1
    if not distinct:
        for d in range(n):
            binary_term(c, h, c.syn1neg + <int64_t>rows[d] * c.size, 1.0 if d == 0 else 0.0, step, &loss)
        return loss * scale
    labels[0] = 1.0
    for d in range(1, n):
        labels[d] = 0.0
    binary_rows(c, h, c.syn1neg, rows, labels, n, step, part, &loss)
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


cdef enum:
    PATH_CHUNK = 64  # hierarchical softmax takes a Huffman path this many nodes at a time
    PATH_HOT = 4  # and its first nodes one at a time (see hs_term)


cdef double hs_term(Config *c, uint32_t target, const float *h, float scale) noexcept nogil:
    """Hierarchical softmax for one example, times ``scale``:
    ``-sum_b log s((1 - 2 code_b) u_b.h)`` along the target's Huffman path.

    A path's nodes are distinct rows and h does not change along it, so
    the nodes could all go through ``binary_rows`` (scores first, then the
    steps: the same model). The first few are taken one at a time instead,
    each row moved right after its score is read: every path starts at the
    root, so with several threads those rows are the ones all of them write,
    and a row read early and written late is often taken by another core in
    between and fetched twice."""
    cdef double loss = 0.0
    cdef float step = c.alpha * scale
    cdef float part[PATH_CHUNK]
    cdef float labels[PATH_CHUNK]
    cdef int64_t b, start = c.code_offsets[target], end = c.code_offsets[target + 1], n
    n = min(end - start, <int64_t>PATH_HOT)
    for b in range(start, start + n):
        binary_term(c, h, c.syn1 + <int64_t>c.points[b] * c.size, 1.0 - c.codes[b], step, &loss)
    start += n
    while start < end:
        n = min(end - start, <int64_t>PATH_CHUNK)
        for b in range(n):
            labels[b] = 1.0 - c.codes[start + b]
        binary_rows(c, h, c.syn1, c.points + start, labels, n, step, part, &loss)
        start += n
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
