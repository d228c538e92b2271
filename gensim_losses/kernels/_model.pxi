# ``KernelModel``: a model's arrays and tables, checked once per run and held as plain pointers
# for the jobs.

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
    ``shared``: negative sampling with shared draws: per skip-gram window,
    in CBOW and PV-DM as ``cbow_sharing`` ``(uses, stride)`` says
    (``engine.cbow_sharing``), in PV-DBOW as ``dbow_sharing`` ``(block,
    negatives)`` says (``engine.dbow_sharing``). Holds references to every array the kernels
    read, so the pointers in ``base`` stay valid while jobs run.

    Every index a job can carry is checked against the arrays it will touch
    (:mod:`gensim_losses.kernels.bounds`): here, the shapes and the tables of row
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
    cdef object _threads  # per training thread: its lexicon slots (lexicon_slots)

    def __init__(self, model, bint compute_loss, dict weights, dict inputs, str kind="word2vec", anchor=None,
                 directions=None, groups=None, lexicon=None, bint shared=False, cbow_sharing=None,
                 dbow_sharing=None, bint learn_hidden=True, doc_index=None, bint frozen=False):
        wv = model.wv
        cdef int size = wv.vector_size
        cdef int t
        if model.window < 1:
            raise ValueError(f"window must be >= 1, got {model.window}")
        unknown = set(weights) - set(TERMS)
        if unknown:
            raise ValueError(f"unknown kernel terms {sorted(unknown)}; expected some of {TERMS}")
        memset(&self.base, 0, sizeof(Config))
        self._threads = threading.local()
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
            guide, c.guide_shift = cum_guide(cum)
            c.cum_guide = <uint32_t *>cnp.PyArray_DATA(guide)
            arrays += [model.syn1neg, cum, guide]
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
        if shared and not (c.weight[T_NS] and not c.weight[T_HS] and not c.weight[T_SOFTMAX]):
            raise ValueError("shared negatives serve negative sampling alone")
        if shared and c.concat:
            raise ValueError("shared negatives do not serve PV-DM with concatenation (dm_concat=1)")
        if shared and c.group_negative and (c.model == M_FASTTEXT or c.model == M_DOC2VEC) and c.sg:
            raise ValueError("shared negatives in FastText skip-gram and PV-DBOW serve several targets per "
                             "draw, and GroupNegativeLoss draws from one target's group")
        if shared and c.model == M_DOC2VEC and c.sg:
            if dbow_sharing is None or min(dbow_sharing) < 1:
                raise ValueError(f"PV-DBOW's shared negatives need dbow_sharing=(block, negatives), both >= 1, "
                                 f"got {dbow_sharing!r}")
            c.dbow_block, c.dbow_negative = dbow_sharing
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

    def lexicon_slots(self):
        """The calling thread's vocabulary-sized map for the lexicon pass, all -1 between jobs: made once
        per thread and run, then reset by each job to -1 where it wrote (``lexicon_pass``), so a job
        costs its distinct words, not the vocabulary."""
        slots = getattr(self._threads, "slots", None)
        if slots is None:
            slots = self._threads.slots = np.full(self.base.vocab_size, -1, dtype=np.int32)
        return slots
