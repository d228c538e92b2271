# ``WordCounter``: the vocabulary scan's hash table of token counts, in order of first
# occurrence, filled from a byte range of a file without the GIL.

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
