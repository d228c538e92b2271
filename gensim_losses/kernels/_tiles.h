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

/* A tile of the score matrix: up to GL_SA rows of x against up to GL_SB rows
 * of y, 8 accumulators, 6 loads per 8 multiply-adds. */
#define GL_SA 4
#define GL_SB 2

/* s[t * ld + u] = x[t] . y[u] for t < ta, u < tb. Inlined with constant ta and tb (gl_scores),
 * so that a short tile computes only its own rows. */
static inline __attribute__((always_inline)) void gl_scores_tile(int n, int ta, int tb, const float *const *x,
                                                                 const float *const *y, float *s, int ld,
                                                                 gl_vec mask)
{
    int full = n / GL_W * GL_W, rest = n - full;
    gl_vec acc[GL_SA][GL_SB];
    for (int t = 0; t < ta; t++)
        for (int u = 0; u < tb; u++)
            acc[t][u] = (gl_vec){0};
    for (int i = 0; i < full; i += GL_W) {
        gl_vec yv[GL_SB];
        for (int u = 0; u < tb; u++)
            yv[u] = gl_load(y[u] + i);
        for (int t = 0; t < ta; t++) {
            gl_vec xv = gl_load(x[t] + i);
            for (int u = 0; u < tb; u++)
                acc[t][u] += xv * yv[u];
        }
    }
    if (rest && full) {
        /* the last n % GL_W floats: one more vector, ending at the row's end, its first lanes masked */
        gl_vec yv[GL_SB];
        for (int u = 0; u < tb; u++)
            yv[u] = gl_load(y[u] + n - GL_W) * mask;
        for (int t = 0; t < ta; t++) {
            gl_vec xv = gl_load(x[t] + n - GL_W);
            for (int u = 0; u < tb; u++)
                acc[t][u] += xv * yv[u];
        }
    }
    for (int t = 0; t < ta; t++)
        for (int u = 0; u < tb; u++) {
            float r = gl_hsum(acc[t][u]);
            if (!full)  /* a row shorter than one vector */
                for (int q = 0; q < n; q++)
                    r += x[t][q] * y[u][q];
            s[t * ld + u] = r;
        }
}

/* s[a * ld + b] = x[a] . y[b] for a < na, b < nb; row r of x is
 * xbase + xid[r] * n (likewise y). Each score is summed the same way whatever
 * the shape of the tile it falls in. */
static inline void gl_scores(int n, const float *xbase, const uint32_t *xid, int na,
                             const float *ybase, const uint32_t *yid, int nb, float *s, int ld)
{
    int rest = n % GL_W;
    gl_vec mask;
    for (int k = 0; k < GL_W; k++)
        mask[k] = k >= GL_W - rest ? 1.0f : 0.0f;
    for (int a0 = 0; a0 < na; a0 += GL_SA) {
        int ta = na - a0 < GL_SA ? na - a0 : GL_SA;
        const float *x[GL_SA];
        for (int t = 0; t < ta; t++)
            x[t] = xbase + (int64_t)xid[a0 + t] * n;
        for (int b0 = 0; b0 < nb; b0 += GL_SB) {
            int tb = nb - b0 < GL_SB ? nb - b0 : GL_SB;
            const float *y[GL_SB];
            for (int u = 0; u < tb; u++)
                y[u] = ybase + (int64_t)yid[b0 + u] * n;
            float *st = s + a0 * ld + b0;
            /* GL_SA x GL_SB = 4 x 2: every shape of a short tile its own code */
            switch (ta * 2 + tb - 3) {
            case 0: gl_scores_tile(n, 1, 1, x, y, st, ld, mask); break;
            case 1: gl_scores_tile(n, 1, 2, x, y, st, ld, mask); break;
            case 2: gl_scores_tile(n, 2, 1, x, y, st, ld, mask); break;
            case 3: gl_scores_tile(n, 2, 2, x, y, st, ld, mask); break;
            case 4: gl_scores_tile(n, 3, 1, x, y, st, ld, mask); break;
            case 5: gl_scores_tile(n, 3, 2, x, y, st, ld, mask); break;
            case 6: gl_scores_tile(n, 4, 1, x, y, st, ld, mask); break;
            default: gl_scores_tile(n, 4, 2, x, y, st, ld, mask); break;
            }
        }
    }
}

/* A tile of a combination: up to GL_CD destination rows, GL_CI vectors of
 * each, 8 accumulators; each source vector loaded feeds GL_CD multiply-adds
 * and each coefficient GL_CI. */
#define GL_CD 4
#define GL_CI 2

/* The nv (at most GL_CI) vectors at float i of the rows zr[t], t < rows, of a tile, from the ns
 * rows y[s] and the coefficients k[s * GL_CD + t]: overwritten, or added to (but for the first
 * `skip` floats, which a block before has added). Inlined with constant nv and rows, so that
 * the accumulators stay in registers and a short tile computes only its own rows. */
static inline __attribute__((always_inline)) void gl_combine_block(int i, int nv, int rows, float *const *zr,
                                                                   int add, int skip, const float *const *y,
                                                                   int ns, const float *k)
{
    gl_vec acc[GL_CD][GL_CI];
    for (int t = 0; t < rows; t++)
        for (int v = 0; v < nv; v++)
            acc[t][v] = (gl_vec){0};
    for (int s = 0; s < ns; s++) {
        gl_vec yv[GL_CI];
        for (int v = 0; v < nv; v++)
            yv[v] = gl_load(y[s] + i + v * GL_W);
        for (int t = 0; t < rows; t++)
            for (int v = 0; v < nv; v++)
                acc[t][v] += k[s * GL_CD + t] * yv[v];
    }
    for (int t = 0; t < rows; t++) {
        float *row = zr[t] + i;
        if (!add) {
            for (int v = 0; v < nv; v++)
                gl_store(row + v * GL_W, acc[t][v]);
            continue;
        }
        /* rows added to one after the other: a row listed twice gets both sums, as two axpys give it */
        for (int q = 0; q < skip; q++)  /* an exact 0, whatever the lane holds */
            acc[t][0][q] = 0.0f;
        for (int v = 0; v < nv; v++)
            gl_store(row + v * GL_W, gl_load(row + v * GL_W) + acc[t][v]);
    }
}

/* A tile's columns, block by block: the last one a vector ending at the row's end, not a whole
 * block (with 16-wide vectors a row of 100 computes 112 floats, not 128). The floats it shares
 * with the vector before are computed again, the same way, and stored again (or, added to, left). */
static inline __attribute__((always_inline)) void gl_combine_tile(int n, int rows, float *const *zr, int add,
                                                                  const float *const *y, int ns, const float *k)
{
    int i = 0;
    for (; i + GL_CI * GL_W <= n; i += GL_CI * GL_W)
        gl_combine_block(i, GL_CI, rows, zr, add, 0, y, ns, k);
    for (; i + GL_W <= n; i += GL_W)
        gl_combine_block(i, 1, rows, zr, add, 0, y, ns, k);
    if (i < n)
        gl_combine_block(n - GL_W, 1, rows, zr, add, i - (n - GL_W), y, ns, k);
}

/* z[d] = sum over s < ns, in that order, of coef[d * cd + s * cs] * y[s], for
 * d < nd; z is contiguous (row d at z + d * n), not one of the y rows, and
 * overwritten. The sum runs in the order of a loop of axpys from zero, so the
 * result is that loop's to the bit. With zid, the sum is added to row
 * z + zid[d] * n instead, what an axpy of the overwritten row would add, to
 * the bit, without storing and loading it again. A tile's row pointers and
 * coefficients are gathered once, for all its column blocks. */
static inline void gl_combine(int n, float *z, const uint32_t *zid, int nd, const float *ybase,
                              const uint32_t *yid, int ns, const float *coef, int cd, int cs)
{
    int add = zid != NULL;
    const float *y[ns > 0 ? ns : 1];
    float k[(ns > 0 ? ns : 1) * GL_CD];
    float *zr[GL_CD];
    for (int s = 0; s < ns; s++)
        y[s] = ybase + (int64_t)yid[s] * n;
    for (int d0 = 0; d0 < nd; d0 += GL_CD) {
        int m = nd - d0 < GL_CD ? nd - d0 : GL_CD;
        for (int t = 0; t < m; t++) {
            zr[t] = z + (int64_t)(add ? zid[d0 + t] : (uint32_t)(d0 + t)) * n;
            for (int s = 0; s < ns; s++)
                k[s * GL_CD + t] = coef[(d0 + t) * cd + s * cs];
        }
        if (n < GL_CI * GL_W) {
            for (int i = 0; i < n; i++)
                for (int t = 0; t < m; t++) {
                    float r = 0.0f;
                    for (int s = 0; s < ns; s++)
                        r += k[s * GL_CD + t] * y[s][i];
                    zr[t][i] = add ? zr[t][i] + r : r;
                }
            continue;
        }
        /* GL_CD = 4: every height of a short tile its own code */
        switch (m) {
        case 1: gl_combine_tile(n, 1, zr, add, y, ns, k); break;
        case 2: gl_combine_tile(n, 2, zr, add, y, ns, k); break;
        case 3: gl_combine_tile(n, 3, zr, add, y, ns, k); break;
        default: gl_combine_tile(n, 4, zr, add, y, ns, k); break;
        }
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
