# The walks over a prepared sentence: skip-gram's pairs and shared windows, CBOW, PV-DM's
# concatenation, the sentence-level terms (global context, the lexicon pass) and ``train_sentence``.

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


cdef inline void prefetch_word(Config *c, uint32_t w) noexcept nogil:
    """Ask for FastText word ``w``'s rows ahead of use: its n-gram rows lie scattered over a
    bucket matrix far larger than the caches, and the next centre word forms h from all of them."""
    cdef int64_t b
    gl_prefetch(c.syn0 + <int64_t>w * c.size, c.size)
    for b in range(c.ngram_starts[w], c.ngram_starts[w + 1]):
        gl_prefetch(c.syn0_ngrams + <int64_t>c.ngram_ids[b] * c.size, c.size)


cdef void skipgram_pairs(Config *c, const uint32_t *idx, int64_t i, int64_t j, int64_t k) noexcept nogil:
    """The skip-gram examples of position ``i``, one per context word. Word2Vec
    and Doc2Vec (gensim's convention): the context word's vector predicts the
    centre word. FastText (gensim's too): the centre word's vector and n-grams,
    summed and divided by the n-gram count, predict the context word; with
    shared negatives, all of them at once (``shared_targets``)."""
    cdef int64_t m, n_grams, n_ctx = 0
    cdef float form
    if c.model == M_FASTTEXT:  # the same rows predict every context word: listed once
        if i + 1 < k and c.col == NULL:
            prefetch_word(c, idx[i + 1])
        c.n_in = 0
        add_word(c, idx[i])
        n_grams = c.n_in - 1
        form = 1.0 / n_grams if n_grams else 1.0
        if c.shared and c.col == NULL:
            for m in range(j, k):
                if m != i:
                    c.win_ctx[n_ctx] = idx[m]
                    n_ctx += 1
            shared_targets(c, c.win_ctx, n_ctx, c.negative, form, 1.0)
            return
    for m in range(j, k):
        if m == i:
            continue
        if c.model == M_FASTTEXT:
            input_example(c, idx[m], form, 1.0, m)
        else:
            c.n_in = 0
            add_word(c, idx[m])
            input_example(c, idx[i], 1.0, 1.0, m)
        if c.diverged:
            return


cdef void sg_window(Config *c, const uint32_t *idx, int64_t i, int64_t j, int64_t k, int64_t n) noexcept nogil:
    """Skip-gram negative sampling for every context word of position ``i`` at
    once, with one draw of negatives for the whole window (the estimator of
    HogBatch, Ji et al. 2016). Scores and gradients read the rows as they are
    at the window's start; the context rows' deltas collect in c.win_din, and
    all deltas are added at its end (Hogwild), so a window that diverges
    changes nothing.
    Each (context, centre) pair is still one example with its own NS loss.

    The window is two small matrix products, contexts x outputs (_tiles.h):
    the scores, then the deltas, each delta summed over the outputs (or the
    contexts) in the order a loop of pairs would sum it.

    Between two Word2Vec windows of a sentence nothing else draws (no group
    negatives, no global context, no PV-DBOW block), so the window draws the
    next one's negatives too, the same numbers in the same order, and asks
    for their rows a whole window before they are read (c.win_draws). That
    relies on train_sentence calling it at every position, from the first."""
    cdef uint32_t target = idx[i], w
    cdef int64_t m, a, b, n_out = 1, n_ctx = 0, first, size
    cdef int d
    cdef int32_t group
    cdef float g
    cdef double ns_loss = 0.0, group_loss = 0.0
    cdef float *work = c.work
    cdef float *grad = c.win_grad
    # the output rows: the target, the shared negatives, then the shared group negatives
    c.win_rows[0] = target
    c.win_label[0] = 1.0
    c.win_step[0] = c.alpha * c.weight[T_NS] * c.sw
    cdef bint ahead = c.model == M_WORD2VEC and c.group_negative == 0 and c.n_ctx == 0
    if not ahead or i == 0:  # no window before this one drew for it
        draw_negatives(c, c.win_draws, c.negative)
    for d in range(c.negative):
        w = c.win_draws[d]
        if w != target:
            c.win_rows[n_out] = w
            c.win_label[n_out] = 0.0
            c.win_step[n_out] = c.win_step[0]
            n_out += 1
    if ahead and i + 1 < n:
        draw_negatives(c, c.win_draws, c.negative)
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
    for m in range(j, k):
        if m != i:
            c.win_ctx[n_ctx] = idx[m]
            n_ctx += 1
    if n_ctx == 0:
        return
    gl_scores(c.size, c.syn0, c.win_ctx, n_ctx, c.syn1neg, c.win_rows, n_out, grad, n_out)
    for a in range(n_ctx):
        for b in range(n_out):
            g = logistic_grad(c, grad[a * n_out + b], c.win_label[b], &ns_loss if b < n_ns else &group_loss)
            grad[a * n_out + b] = 0.0 if fabs(g) < GRAD_EPS or c.frozen else g * c.win_step[b]
    gl_combine(c.size, c.win_din, NULL, n_ctx, c.syn1neg, c.win_rows, n_out, grad, n_out, 1)
    if c.any_penalty or c.prog != NULL or c.py_callback != NULL:
        for a in range(n_ctx):
            c.work = c.win_din + a * c.size  # the penalties and Python terms of this example add to its own delta
            if c.any_penalty:
                penalty_terms(c, c.syn0 + <int64_t>c.win_ctx[a] * c.size, c.win_ctx[a])
            if c.prog != NULL or c.py_callback != NULL:
                python_terms(c, target, c.syn0 + <int64_t>c.win_ctx[a] * c.size)
        c.work = work
    if c.diverged:
        return
    c.loss[T_NS] += ns_loss * c.weight[T_NS] * c.sw
    c.loss[T_GROUP] += group_loss * c.weight[T_GROUP] * c.sw
    c.examples += n_ctx
    if c.learn_hidden:  # added straight to the output rows (reading the context rows before they change)
        gl_combine(c.size, c.syn1neg, c.win_rows, n_out, c.syn0, c.win_ctx, n_ctx, grad, 1, n_out)
    for a in range(n_ctx):
        w = c.win_ctx[a]
        if c.lockf[w % c.lockf_len] != 0:
            gl_axpy(c.size, c.lockf[w % c.lockf_len], c.win_din + a * c.size, c.syn0 + <int64_t>w * c.size)


cdef void shared_targets(Config *c, const uint32_t *targets, int64_t n_t, int64_t n_neg, float form,
                         float update) noexcept nogil:
    """Negative sampling for ``n_t`` examples of one h at once, each predicting
    its own target, with one draw of ``n_neg`` negatives for them all: FastText
    skip-gram's window (the centre word's rows predict each context word) and
    PV-DBOW's block (a document vector predicts each of its words). h is
    ``form`` times the sum of the input rows (c.in_rows), formed once.

    Example ``a``'s loss is ``-log s(u_a.h) - r sum_{k: w_k != t_a} log s(-u_k.h)``,
    ``r = negative / n_neg``: the draw's negatives weigh as ``negative`` of
    them, and a negative equal to its target is left out of that example only,
    so a negative's score, the same for every example, counts once per
    example it serves. Scores and steps read the rows as they are at the start; the
    examples' errors of h add up and go to the input rows once, at the end,
    so a window that diverges changes nothing."""
    cdef uint32_t *rows = c.win_rows
    cdef float *coef = c.win_grad
    cdef float step = c.alpha * c.weight[T_NS] * c.sw, g
    cdef float share = c.negative / <float>n_neg if n_neg else 1.0
    cdef double loss = 0.0, part
    cdef int64_t a, b, n = n_t, word
    cdef float weight  # a positive counts once; a negative once per example it serves, at ``share``
    cdef uint32_t w
    cdef float *h
    for a in range(n_t):
        rows[a] = targets[a]
    draw_negatives(c, rows + n_t, n_neg)
    n += n_neg
    if n_t == 0:  # drawn all the same, as sg_window draws for a window without context (the reference replays it)
        return
    h = form_h(c, form, &word)
    c.pen_scale = form / update
    memset(c.work, 0, c.size * sizeof(float))
    gl_dots(c.size, h, c.syn1neg, rows, n, coef)
    for b in range(n):
        if b < n_t:
            g = logistic_grad(c, coef[b], 1.0, &loss)
            weight = 1.0
        else:
            weight = 0.0
            for a in range(n_t):
                weight += targets[a] != rows[b]
            weight *= share
            part = 0.0
            g = logistic_grad(c, coef[b], 0.0, &part)
            loss += weight * part
        coef[b] = 0.0 if fabs(g) < GRAD_EPS or c.frozen else g * step * weight
    if c.diverged:
        return
    gl_axpys(c.size, c.work, c.syn1neg, rows, n, coef)
    if c.any_penalty or c.prog != NULL or c.py_callback != NULL:
        for a in range(n_t):
            if c.prog != NULL or c.py_callback != NULL:
                python_terms(c, targets[a], h)
                if c.diverged:
                    return
            if c.any_penalty:
                penalty_terms(c, h, word)
    c.loss[T_NS] += loss * c.weight[T_NS] * c.sw
    c.examples += n_t
    if c.learn_hidden:
        for b in range(n):
            if coef[b] != 0.0:
                gl_axpy(c.size, coef[b], h, c.syn1neg + <int64_t>rows[b] * c.size)
    return_error(c, update, word, n_t)


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
    ``slot`` (vocabulary-sized, all -1: the thread's own, ``KernelModel.lexicon_slots``) maps a word
    to its place in ``order``; the words the job touched are reset to -1 at the end."""
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
    for q in range(n):
        slot[order[q]] = -1


cdef void dbow_block(Config *c, const uint32_t *idx, int64_t start, int64_t end) noexcept nogil:
    """PV-DBOW with shared negatives: each tag of the document predicts the
    words of positions ``[start, end)`` (a block of dbow_block positions) with
    one draw of dbow_negative negatives (``shared_targets``), tag after tag,
    after the block's skip-gram windows. Job.collect records the examples in
    that order."""
    cdef int64_t t, m
    for t in range(c.n_tags):
        c.n_in = 0
        add_doc(c, c.tags[t])
        if c.col == NULL:
            shared_targets(c, idx + start, end - start, c.dbow_negative, 1.0, 1.0)
        else:
            for m in range(start, end):
                c.centre = m
                collect(c, idx[m], 1.0, 1.0)
        if c.diverged:
            return


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
    skip-gram pairs when ``dbow_words`` (with shared negatives, a block of
    positions at a time, ``dbow_block``)."""
    cdef int64_t i, j, k, m, t
    cdef float n_rows
    cdef uint32_t *slot
    for i in range(n):
        c.centre = i
        window_of(c.window, shrink[i], i, 0, n, &j, &k)
        if c.model == M_DOC2VEC and not c.dm:
            if c.train_words:
                if c.shared and c.col == NULL:
                    sg_window(c, idx, i, j, k, n)
                else:
                    skipgram_pairs(c, idx, i, j, k)
            if not c.shared:
                for t in range(c.n_tags):
                    c.n_in = 0
                    add_doc(c, c.tags[t])
                    input_example(c, idx[i], 1.0, 1.0, i)
            elif (i + 1) % c.dbow_block == 0 or i + 1 == n:
                dbow_block(c, idx, i - i % c.dbow_block, i + 1)
                c.centre = i
        elif c.concat:
            concat_window(c, idx, i, n)
        elif c.sg:
            if c.shared and c.col == NULL and c.model != M_FASTTEXT:  # FastText's own: skipgram_pairs
                # the rows the next windows need first: the word entering from the right, the next centre
                if i + c.window + 1 < n:
                    gl_prefetch(c.syn0 + <int64_t>idx[i + c.window + 1] * c.size, c.size)
                if i + 1 < n:
                    gl_prefetch(c.syn1neg + <int64_t>idx[i + 1] * c.size, c.size)
                sg_window(c, idx, i, j, k, n)
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
                        slot[t] = draw_negative(c)
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
