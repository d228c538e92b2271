# The input side of an example: the rows that form h (word vectors, FastText buckets, document
# vectors), forming h from them, and returning its error to them.

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


cdef void collect(Config *c, uint32_t target, float form, float update) noexcept nogil:
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


cdef inline float *form_h(Config *c, float form, int64_t *word) noexcept nogil:
    """h from the input rows (c.in_rows): ``form`` times their sum in c.neu1, or the row itself when
    it is one row at form 1 (skip-gram and PV-DBOW: no copy); ``word``: h's own word then, else -1."""
    cdef int64_t r
    word[0] = -1
    if c.n_in == 1 and form == 1.0:
        if c.in_kind[0] == R_WORD:
            word[0] = c.in_index[0]
        return c.in_rows[0]
    memset(c.neu1, 0, c.size * sizeof(float))
    for r in range(c.n_in):
        gl_axpy(c.size, 1.0, c.in_rows[r], c.neu1)
    if form != 1.0:
        gl_scale(c.size, form, c.neu1)
    return c.neu1


cdef inline void return_error(Config *c, float update, int64_t word, int64_t times) noexcept nogil:
    """Each input row takes ``update`` times its lockf times the error of h (c.work), and, when several
    rows formed h (``word`` -1), the anchor on each word row among them, for ``times`` examples."""
    cdef int64_t r
    cdef float anchor = c.alpha * c.sw * c.weight[T_ANCHOR] / c.n_in
    if update != 1.0:
        gl_scale(c.size, update, c.work)
    for r in range(c.n_in):
        if word < 0 and c.weight[T_ANCHOR] > 0:
            # several rows form h: the anchor acts on each word vector among them, shared over the rows
            anchor_row(c, r, anchor, times)
        if c.in_lockf[r] != 0:  # a row held fixed is never written (infer_vector's may be a read-only mmap)
            gl_axpy(c.size, c.in_lockf[r], c.work, c.in_rows[r])


cdef void input_example(Config *c, uint32_t target, float form, float update, int64_t position) noexcept nogil:
    """One training example of any model: h is ``form`` times the sum of the
    input rows (c.in_rows), trained on every loss term of the example
    (``objectives``); then each input row takes ``update`` times its lockf
    times the error of h. gensim's convention for a window: the mean's error
    goes whole to every row (form 1/n, update 1), the sum's is shared out
    (form 1, update 1/n). Penalties and Python terms get the exact chain rule
    instead (``pen_scale`` = form / update undoes the convention for them)."""
    cdef float *h
    cdef int64_t word
    if c.col != NULL:
        collect(c, target, form, update)
        return
    h = form_h(c, form, &word)
    c.pen_scale = form / update
    memset(c.work, 0, c.size * sizeof(float))
    objectives(c, target, h, word, position)
    if c.diverged:
        return
    return_error(c, update, word, 1)


cdef inline void anchor_row(Config *c, int64_t r, float anchor, int64_t times) noexcept nogil:
    """The AnchorPenalty on input row ``r`` of an example of several rows: its share of the loss, counted
    whether or not the row learns (a frozen evaluation counts it as training does), and its step;
    ``times`` examples at once that all read the row as it is now (``shared_targets``)."""
    cdef uint32_t w = c.in_index[r]
    cdef const float *ref
    if c.in_kind[r] != R_WORD or not c.anchor_mask[w]:
        return
    ref = c.anchor_ref + <int64_t>w * c.size
    if c.in_lockf[r] == 0:
        c.loss[T_ANCHOR] += times * c.sw * 0.5 * c.weight[T_ANCHOR] / c.n_in * gl_sqdist(c.size, c.in_rows[r], ref)
    else:
        c.loss[T_ANCHOR] += times * c.sw * 0.5 * c.weight[T_ANCHOR] / c.n_in * gl_axpy_diff(
            c.size, -anchor * times * c.in_lockf[r], c.in_rows[r], ref, c.in_rows[r])


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
        collect(c, target, 1.0, 1.0)
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
            anchor_row(c, r, anchor, 1)
        if c.in_lockf[r] != 0:
            gl_axpy(c.size, c.in_lockf[r], c.work + r * row_size, c.in_rows[r])
