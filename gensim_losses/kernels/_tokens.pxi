# Tokens as Python's ``str.split()`` finds them, in UTF-8 bytes, without the GIL: whitespace,
# the next token, a hash, and where a byte string stops being UTF-8.

cdef inline uint64_t fnv1a(const char *s, int64_t n) noexcept nogil:
    cdef uint64_t h = 14695981039346656037ULL
    cdef int64_t i
    for i in range(n):
        h = (h ^ <uint8_t>s[i]) * 1099511628211ULL
    return h


cdef inline int space_len(const char *p, const char *end) noexcept nogil:
    """The length in bytes of the whitespace character at ``p``, or 0: the
    whitespace of Python's ``str.split()`` (which gensim's LineSentence uses),
    in UTF-8. A continuation byte never matches, so bytes can be stepped one
    at a time through a token."""
    cdef unsigned char c = <unsigned char>p[0], c1, c2
    if c < 0x80:
        return 1 if (c == 0x20 or 0x09 <= c <= 0x0D or 0x1C <= c <= 0x1F) else 0
    if p + 1 >= end:
        return 0
    c1 = <unsigned char>p[1]
    if c == 0xC2:
        return 2 if (c1 == 0x85 or c1 == 0xA0) else 0
    if p + 2 >= end or c < 0xE1 or c > 0xE3:
        return 0
    c2 = <unsigned char>p[2]
    if c == 0xE1:  # U+1680
        return 3 if (c1 == 0x9A and c2 == 0x80) else 0
    if c == 0xE3:  # U+3000
        return 3 if (c1 == 0x80 and c2 == 0x80) else 0
    if c1 == 0x80:  # U+2000-200A, U+2028, U+2029, U+202F
        return 3 if (0x80 <= c2 <= 0x8A or c2 == 0xA8 or c2 == 0xA9 or c2 == 0xAF) else 0
    return 3 if (c1 == 0x81 and c2 == 0x9F) else 0  # U+205F


cdef inline const char *next_token(const char *p, const char *end, const char **start) noexcept nogil:
    """Skip the whitespace at ``p``; set ``*start`` to the next token and return
    its end (``*start == end`` when the line has no more tokens)."""
    cdef int n
    while p < end:
        n = space_len(p, end)
        if n == 0:
            break
        p += n
    start[0] = p
    while p < end and space_len(p, end) == 0:
        p += 1
    return p


cdef int64_t utf8_error(const char *s, int64_t n) noexcept nogil:
    """The offset of the first byte of ``s[:n]`` that is not valid UTF-8, or -1."""
    cdef int64_t i = 0, need, k
    cdef unsigned char c
    cdef uint32_t cp
    while i < n:
        c = <unsigned char>s[i]
        if c < 0x80:
            i += 1
            continue
        if 0xC2 <= c <= 0xDF:
            need, cp = 1, c & 0x1F
        elif 0xE0 <= c <= 0xEF:
            need, cp = 2, c & 0x0F
        elif 0xF0 <= c <= 0xF4:
            need, cp = 3, c & 0x07
        else:
            return i
        if i + need >= n:  # the sequence is cut off by the end of the line
            return i
        for k in range(1, need + 1):
            if (<unsigned char>s[i + k]) & 0xC0 != 0x80:
                return i
            cp = (cp << 6) | ((<unsigned char>s[i + k]) & 0x3F)
        # overlong forms, surrogates and code points past U+10FFFF, as Python's decoder refuses them
        if (need == 2 and (cp < 0x800 or 0xD800 <= cp <= 0xDFFF)) or (need == 3 and not 0x10000 <= cp <= 0x10FFFF):
            return i
        i += need + 1
    return -1
