# The scalar math under every term: the sigmoid/softplus table, the random generator and
# the draws from a cumulative table.

# Sigmoid and softplus, interleaved as (sigmoid, softplus) pairs, sampled on
# [-MAX_EXP, MAX_EXP] and read with linear interpolation (error < 2e-6).
# Beyond 16 both are flat to within 1.2e-7 of their limits, so the loss is
# never clipped and a confidently wrong score still gets its full gradient.
cdef enum:
    TABLE_SIZE = 4096
cdef float MAX_EXP = 16.0
cdef float TABLE_SCALE = TABLE_SIZE / (2.0 * 16.0)
cdef float TABLE[2 * (TABLE_SIZE + 1)]
# A term whose prediction is already right to within this (gensim skips
# |x| > 6, i.e. sigmoid(-6)) is counted in the loss but not applied: its
# step is negligible and skipping saves two vector updates.
cdef float GRAD_EPS = 0.0024726
SKIP_BELOW = GRAD_EPS


cdef void _fill_table():
    cdef int i
    cdef double x
    for i in range(TABLE_SIZE + 1):
        x = -MAX_EXP + i / <double>TABLE_SCALE
        TABLE[2 * i] = <float>(1.0 / (1.0 + exp(-x)))
        TABLE[2 * i + 1] = <float>((x if x > 0 else 0.0) + log1p(exp(-fabs(x))))


_fill_table()


# Linear congruential generator of word2vec.c and java.util.Random: cheap,
# per-thread state, no GIL. Returns the upper 32 of its 48 bits.
cdef inline uint64_t next_rand(uint64_t *state) noexcept nogil:
    cdef uint64_t r = state[0] >> 16
    state[0] = (state[0] * <uint64_t>25214903917ULL + 11) & <uint64_t>281474976710655ULL
    return r


cdef inline float logistic_grad(Config *c, float x, float label, double *loss) noexcept nogil:
    """Return ``label - sigmoid(x)``; add ``-log P(label | x) = softplus(x) - label * x`` to loss.

    A NaN or infinite score means the vectors have diverged: it marks the job
    (``c.diverged``) and returns 0, so nothing is learnt from it.
    """
    cdef float t, frac, sig, sp
    cdef int i
    if -MAX_EXP < x < MAX_EXP:  # false for NaN
        t = (x + MAX_EXP) * TABLE_SCALE
        i = <int>t
        if i > TABLE_SIZE - 1:  # a score just below MAX_EXP rounds t up to TABLE_SIZE
            i = TABLE_SIZE - 1
        frac = t - i
        sig = TABLE[2 * i] + frac * (TABLE[2 * i + 2] - TABLE[2 * i])
        sp = TABLE[2 * i + 1] + frac * (TABLE[2 * i + 3] - TABLE[2 * i + 1])
    elif MAX_EXP <= x <= FLT_MAX:
        sig = 1.0
        sp = x
    elif -FLT_MAX <= x <= -MAX_EXP:
        sig = 0.0
        sp = 0.0
    else:
        c.diverged = 1
        return 0.0
    if c.compute_loss:
        loss[0] += sp - label * x
    return label - sig


def logistic(float x, float label):
    """The kernels' ``logistic_grad`` for one score, for checking the table:
    ``(label - sigmoid(x), -log P(label | x), diverged)``."""
    cdef Config c
    cdef double loss = 0.0
    memset(&c, 0, sizeof(Config))
    c.compute_loss = 1
    g = logistic_grad(&c, x, label, &loss)
    return g, loss, bool(c.diverged)


cdef inline int64_t draw_from(Config *c, const uint32_t *cum, int64_t n) noexcept nogil:
    """Inverse-CDF draw from a cumulative table ``cum[0:n]``: its index (binary search)."""
    cdef uint64_t x = next_rand(&c.next_random) % cum[n - 1]
    cdef int64_t lo = 0, hi = n, mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if cum[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


cdef inline uint32_t draw_negative(Config *c) noexcept nogil:
    """``draw_from(c, c.cum_table, c.cum_len)``, the same index from the same
    random number, searching only the span that c.cum_guide gives its bucket."""
    cdef uint64_t x = next_rand(&c.next_random) % c.cum_table[c.cum_len - 1]
    cdef uint64_t q = x >> c.guide_shift
    cdef int64_t lo = c.cum_guide[q], hi = c.cum_guide[q + 1], mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if c.cum_table[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return <uint32_t>lo


cdef inline void draw_negatives(Config *c, uint32_t *out, int64_t count) noexcept nogil:
    """``count`` draws of ``draw_negative`` into ``out``, each drawn word's output row asked for as it is
    drawn, so that its load overlaps the draws after it."""
    cdef int64_t d
    for d in range(count):
        out[d] = draw_negative(c)
        gl_prefetch(c.syn1neg + <int64_t>out[d] * c.size, c.size)
