# ``Job``: one training job, its sentences as vocabulary rows already subsampled and with their
# windows drawn, and what the Python paths read of it (``Job.collect``).

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
