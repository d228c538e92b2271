/* Register-tiled products for the shared-negatives window (sg_window).
 *
 * A window is a few context rows of syn0 against a few output rows of
 * syn1neg (the centre word and the shared negatives): a small matrix product
 * each way. Done a pair at a time, every multiply-add loads two floats and
 * every update also stores one, so the loads and stores, not the arithmetic,
 * set the pace (docs/benchmarks.md, "Roofline"). Here a tile of rows is held
 * in registers and each vector loaded feeds several multiply-adds.
 *
 * Plain C over GCC vector types, so that each kernel build (baseline SSE2,
 * AVX2, AVX-512) takes its own width from the same source. Rows are addressed
 * as base + id * n, the way the kernels hold them.
 */
#ifndef GENSIM_LOSSES_TILES_H
#define GENSIM_LOSSES_TILES_H

#include <stdint.h>
#include <string.h>

#if defined(__AVX512F__)
#define GL_W 16
#elif defined(__AVX__)
#define GL_W 8
#else
#define GL_W 4
#endif

typedef float gl_vec __attribute__((vector_size(GL_W * sizeof(float))));

/* unaligned: rows of 50, 100 or 300 floats do not start on vector boundaries */
static inline gl_vec gl_load(const float *p)
{
    gl_vec v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void gl_store(float *p, gl_vec v)
{
    memcpy(p, &v, sizeof v);
}

static inline float gl_hsum(gl_vec v)
{
    float s = 0.0f;
    for (int k = 0; k < GL_W; k++)
        s += v[k];
    return s;
}

/* Ask for a row's cache lines ahead of its use: a drawn negative's row is
 * usually not in cache, and the next draws' searches hide the wait. */
static inline void gl_prefetch(const float *p, int n)
{
    for (int i = 0; i < n; i += 64 / sizeof(float))
        __builtin_prefetch(p + i);
}

/* y = x in vectors, the last one ending at the row's end: gcc turns a plain copy loop into a call
 * of memcpy, which for one row costs more than the copy */
static inline void gl_copy(int n, const float *x, float *y)
{
    if (n < GL_W) {
        for (int i = 0; i < n; i++)
            y[i] = x[i];
        return;
    }
    for (int i = 0; i + GL_W <= n; i += GL_W)
        gl_store(y + i, gl_load(x + i));
    gl_store(y + n - GL_W, gl_load(x + n - GL_W));
}

/* A tile of the score matrix: GL_SA rows of x against GL_SB rows of y,
 * 8 accumulators, 6 loads per 8 multiply-adds. */
#define GL_SA 4
#define GL_SB 2

/* s[a * ld + b] = x[a] . y[b] for a < na, b < nb; row r of x is
 * xbase + xid[r] * n (likewise y). A short tile repeats its last row. */
static inline void gl_scores(int n, const float *xbase, const uint32_t *xid, int na,
                             const float *ybase, const uint32_t *yid, int nb, float *s, int ld)
{
    /* the last n % GL_W floats: one more vector, ending at the row's end, its first lanes masked */
    int full = n / GL_W * GL_W, rest = n - full;
    gl_vec mask;
    for (int k = 0; k < GL_W; k++)
        mask[k] = k >= GL_W - rest ? 1.0f : 0.0f;
    for (int a0 = 0; a0 < na; a0 += GL_SA) {
        const float *x[GL_SA];
        for (int t = 0; t < GL_SA; t++)
            x[t] = xbase + (int64_t)xid[a0 + t < na ? a0 + t : na - 1] * n;
        for (int b0 = 0; b0 < nb; b0 += GL_SB) {
            const float *y[GL_SB];
            for (int u = 0; u < GL_SB; u++)
                y[u] = ybase + (int64_t)yid[b0 + u < nb ? b0 + u : nb - 1] * n;
            gl_vec acc[GL_SA][GL_SB];
            for (int t = 0; t < GL_SA; t++)
                for (int u = 0; u < GL_SB; u++)
                    acc[t][u] = (gl_vec){0};
            for (int i = 0; i < full; i += GL_W) {
                gl_vec yv[GL_SB];
                for (int u = 0; u < GL_SB; u++)
                    yv[u] = gl_load(y[u] + i);
                for (int t = 0; t < GL_SA; t++) {
                    gl_vec xv = gl_load(x[t] + i);
                    for (int u = 0; u < GL_SB; u++)
                        acc[t][u] += xv * yv[u];
                }
            }
            if (rest && full) {
                gl_vec yv[GL_SB];
                for (int u = 0; u < GL_SB; u++)
                    yv[u] = gl_load(y[u] + n - GL_W) * mask;
                for (int t = 0; t < GL_SA; t++) {
                    gl_vec xv = gl_load(x[t] + n - GL_W);
                    for (int u = 0; u < GL_SB; u++)
                        acc[t][u] += xv * yv[u];
                }
            }
            for (int t = 0; t < GL_SA && a0 + t < na; t++)
                for (int u = 0; u < GL_SB && b0 + u < nb; u++) {
                    float r = gl_hsum(acc[t][u]);
                    if (!full)  /* a row shorter than one vector */
                        for (int q = 0; q < n; q++)
                            r += x[t][q] * y[u][q];
                    s[(a0 + t) * ld + b0 + u] = r;
                }
        }
    }
}

/* A tile of a combination: GL_CD destination rows, GL_CI vectors of each,
 * 8 accumulators; each source vector loaded feeds GL_CD multiply-adds and
 * each coefficient GL_CI. */
#define GL_CD 4
#define GL_CI 2

/* The nv (at most GL_CI) vectors of z's rows d0 .. d0 + m - 1 that start at float i: row d at
 * z + d * n, overwritten, or with zid, at z + zid[d] * n, added to, but for the first `skip`
 * floats, which a block before has added. */
static inline void gl_combine_block(int n, int i, int nv, float *z, const uint32_t *zid, int skip, int d0,
                                    int m, const float *ybase, const uint32_t *yid, int ns, const float *coef,
                                    int cd, int cs)
{
    gl_vec acc[GL_CD][GL_CI];
    for (int t = 0; t < GL_CD; t++)
        for (int v = 0; v < GL_CI; v++)
            acc[t][v] = (gl_vec){0};
    for (int s = 0; s < ns; s++) {
        const float *y = ybase + (int64_t)yid[s] * n + i;
        gl_vec yv[GL_CI];
        for (int v = 0; v < nv; v++)
            yv[v] = gl_load(y + v * GL_W);
        for (int t = 0; t < GL_CD; t++) {
            /* a short tile reads its last row's coefficients and drops the result */
            float k = coef[(d0 + (t < m ? t : m - 1)) * cd + s * cs];
            for (int v = 0; v < nv; v++)
                acc[t][v] += k * yv[v];
        }
    }
    for (int t = 0; t < m; t++) {
        /* rows added to one after the other: a row listed twice gets both sums, as two axpys give it */
        float *row = z + (int64_t)(zid ? zid[d0 + t] : (uint32_t)(d0 + t)) * n + i;
        if (!zid) {
            for (int v = 0; v < nv; v++)
                gl_store(row + v * GL_W, acc[t][v]);
            continue;
        }
        for (int k = 0; k < skip; k++)  /* an exact 0, whatever the lane holds */
            acc[t][0][k] = 0.0f;
        for (int v = 0; v < nv; v++)
            gl_store(row + v * GL_W, gl_load(row + v * GL_W) + acc[t][v]);
    }
}

/* z[d] = sum over s < ns, in that order, of coef[d * cd + s * cs] * y[s], for
 * d < nd; z is contiguous (row d at z + d * n), not one of the y rows, and
 * overwritten. The sum runs in the order of a loop of axpys from zero, so the
 * result is that loop's to the bit. With zid, the sum is added to row
 * z + zid[d] * n instead, what an axpy of the overwritten row would add, to
 * the bit, without storing and loading it again. */
static inline void gl_combine(int n, float *z, const uint32_t *zid, int nd, const float *ybase,
                              const uint32_t *yid, int ns, const float *coef, int cd, int cs)
{
    int block = GL_CI * GL_W;
    for (int d0 = 0; d0 < nd; d0 += GL_CD) {
        int m = nd - d0 < GL_CD ? nd - d0 : GL_CD;
        if (n < block) {
            for (int i = 0; i < n; i++)
                for (int t = 0; t < m; t++) {
                    float r = 0.0f, *zr = z + (int64_t)(zid ? zid[d0 + t] : (uint32_t)(d0 + t)) * n + i;
                    for (int s = 0; s < ns; s++)
                        r += coef[(d0 + t) * cd + s * cs] * ybase[(int64_t)yid[s] * n + i];
                    *zr = zid ? *zr + r : r;
                }
            continue;
        }
        int i = 0;
        for (; i + block <= n; i += block)
            gl_combine_block(n, i, GL_CI, z, zid, 0, d0, m, ybase, yid, ns, coef, cd, cs);
        for (; i + GL_W <= n; i += GL_W)
            gl_combine_block(n, i, 1, z, zid, 0, d0, m, ybase, yid, ns, coef, cd, cs);
        if (i < n)
            /* one vector ending at the row's end, not a whole block: with 16-wide vectors a row
             * of 100 computes 112 floats, not 128. The floats it shares with the vector before
             * are computed again, the same way, and stored again (or, added to, left). */
            gl_combine_block(n, n - GL_W, 1, z, zid, i - (n - GL_W), d0, m, ybase, yid, ns, coef, cd, cs);
    }
}

/* One row x against several: a path of hierarchical softmax, or an example's
 * outputs. Four rows of y at a time, x loaded once for them. */
#define GL_DY 4

/* s[b] = x . y[b] for b < nb (y's rows as in gl_scores); the rows left
 * over from the tiles of GL_DY one at a time, not padded (a Huffman path is
 * often only a few rows longer than a multiple of GL_DY). */
static inline void gl_dots(int n, const float *x, const float *ybase, const uint32_t *yid, int nb, float *s)
{
    int full = n / GL_W * GL_W, b0 = 0;
    for (; b0 + GL_DY <= nb; b0 += GL_DY) {
        const float *y[GL_DY];
        gl_vec acc[GL_DY];
        for (int u = 0; u < GL_DY; u++) {
            y[u] = ybase + (int64_t)yid[b0 + u] * n;
            acc[u] = (gl_vec){0};
        }
        for (int i = 0; i < full; i += GL_W) {
            gl_vec xv = gl_load(x + i);
            for (int u = 0; u < GL_DY; u++)
                acc[u] += xv * gl_load(y[u] + i);
        }
        for (int u = 0; u < GL_DY; u++) {
            float r = gl_hsum(acc[u]);
            for (int q = full; q < n; q++)
                r += x[q] * y[u][q];
            s[b0 + u] = r;
        }
    }
    for (; b0 < nb; b0++) {
        const float *y = ybase + (int64_t)yid[b0] * n;
        gl_vec acc = (gl_vec){0};
        for (int i = 0; i < full; i += GL_W)
            acc += gl_load(x + i) * gl_load(y + i);
        float r = gl_hsum(acc);
        for (int q = full; q < n; q++)
            r += x[q] * y[q];
        s[b0] = r;
    }
}

/* z += coef[s] * y[s] for s < ns, in that order: what a loop of axpys gives,
 * to the bit, with z loaded and stored once. */
static inline void gl_axpys(int n, float *z, const float *ybase, const uint32_t *yid, int ns, const float *coef)
{
    int i = 0;
    for (; i + 2 * GL_W <= n; i += 2 * GL_W) {
        gl_vec z0 = gl_load(z + i), z1 = gl_load(z + i + GL_W);
        for (int s = 0; s < ns; s++) {
            const float *y = ybase + (int64_t)yid[s] * n + i;
            z0 += coef[s] * gl_load(y);
            z1 += coef[s] * gl_load(y + GL_W);
        }
        gl_store(z + i, z0);
        gl_store(z + i + GL_W, z1);
    }
    for (; i + GL_W <= n; i += GL_W) {
        gl_vec z0 = gl_load(z + i);
        for (int s = 0; s < ns; s++)
            z0 += coef[s] * gl_load(ybase + (int64_t)yid[s] * n + i);
        gl_store(z + i, z0);
    }
    for (; i < n; i++) {
        float r = z[i];
        for (int s = 0; s < ns; s++)
            r += coef[s] * ybase[(int64_t)yid[s] * n + i];
        z[i] = r;
    }
}

#endif
