# The terms on h beside the objectives: the built-in penalties, the terms written in Python
# (compiled programs, or a call back into Python), and ``objectives``, where all terms of one
# example meet.

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
        # h is often a live row of syn0, which other threads move as this one reads it (Hogwild), and the
        # program reads h more than once (|h|^2 loads each element twice): on the row itself its values
        # need not agree with one another, and |h|^2 came out negative. A copy is one h, as in the reference.
        # A sum of rows (CBOW, FastText) is already this thread's own.
        if h != c.neu1:
            gl_copy(c.prog_out.size, h, c.prog_h)
            h = c.prog_h
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
    cdef uint32_t draws[MAX_BATCHED_NEGATIVES]
    cdef int d
    cdef bint early = False
    if c.prog != NULL or c.py_callback != NULL:
        if c.weight[T_NS] != 0 and c.ns_draws == NULL and c.negative <= MAX_BATCHED_NEGATIVES:
            # The negatives, drawn as ns_term would draw them (nothing between draws from c's generator),
            # so that their rows load while the terms run rather than after them (a profile on Zen 3 had
            # ns_term 15% slower beside a term; docs/benchmarks.md, "The three loss paths").
            early = True
            gl_prefetch(c.syn1neg + <int64_t>target * c.size, c.size)
            draw_negatives(c, draws, c.negative)
            c.ns_draws = draws
        python_terms(c, target, h)
        if c.diverged:
            if early:
                c.ns_draws = NULL
            return
    predict(c, target, h, c.sw, c.loss)
    if early:
        c.ns_draws = NULL
    if c.group_negative:
        c.loss[T_GROUP] += group_term(c, target, h, c.weight[T_GROUP] * c.sw)
    if c.diverged:
        return
    if c.any_penalty:
        penalty_terms(c, h, word)
    c.examples += 1
