# The entry points that fill and train a job: ``prepare_batch`` (iterable input), ``train_job``,
# and the helpers the Python side calls (``compose_words``, ``group_sample``).

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
    cdef int32_t *slot_p
    cdef uint32_t *order_p
    cdef float *best_p
    cdef cnp.ndarray registers = None, scratch_regs = None, prog_h = None
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
        prog_h = np.empty(compiled.hidden_size, np.float32)
        c.prog_h = <float *>cnp.PyArray_DATA(prog_h)
        gl_program_bind(c.prog, c.prog_ptr, <float *>cnp.PyArray_DATA(scratch_regs))
        c.n_compiled = compiled.n_terms
    if callback is not None:
        c.py_callback = <void *>callback
    c.next_random = job.next_random
    cdef InputScratch inputs = InputScratch(km.max_inputs + job.max_tags)
    inputs.use(&c)
    # a shared window's output rows: sg_window's, or shared_targets' targets and negatives
    cdef int64_t n_out = 1 + c.negative + c.group_negative
    cdef int64_t n_rows = max(n_out, 2 * c.window + c.negative, c.dbow_block + c.dbow_negative)
    scratch = None
    if c.shared and not c.sg:
        scratch = np.empty(c.cbow_stride * c.negative, dtype=np.uint32)
        c.cbow_slots = <uint32_t *>cnp.PyArray_DATA(scratch)
    elif c.shared:
        scratch = np.empty(3 * n_rows + 2 * c.window * (c.size + 1) + max(2 * c.window * n_out, n_rows)
                           + c.negative, dtype=np.float32)
        c.win_rows = <uint32_t *>cnp.PyArray_DATA(scratch)  # float32 and uint32 share the element size
        c.win_label = (<float *>cnp.PyArray_DATA(scratch)) + n_rows
        c.win_step = c.win_label + n_rows
        c.win_din = c.win_step + n_rows
        c.win_ctx = <uint32_t *>(c.win_din + 2 * c.window * c.size)
        c.win_grad = (<float *>c.win_ctx) + 2 * c.window
        c.win_draws = <uint32_t *>(c.win_grad + max(2 * c.window * n_out, n_rows))
    with nogil:
        job._walk(&c)
    cdef cnp.ndarray slots, order, best
    if c.lex_starts != NULL and not c.diverged:
        slots = km.lexicon_slots()
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
