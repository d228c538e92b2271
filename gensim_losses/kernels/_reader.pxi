# ``corpus_file`` input without the GIL: ``TokenIndex`` (token bytes to vocabulary rows) and
# ``LineReader``, which fills jobs from a byte range of the file.

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
