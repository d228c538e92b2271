/* The interpreter of compiled Python loss terms (gensim_losses/losses/tracing.py).
 *
 * A Python term is traced once into a straight-line program of row-wise
 * operations on the hidden vector h of one example; the kernels run it for
 * every example, with h as it is at that example, so a Python term trains
 * exactly as the reference path's per-example numpy call does.
 *
 * Registers hold float32 vectors of a fixed length (1 for a scalar). A
 * register is computed (it lives in per-thread scratch), a constant, a row
 * of a per-example array (the row of the example being trained), or h. Each
 * operand of an instruction has a stride: 1 reads element i, 0 broadcasts
 * element 0, as numpy broadcasts a length-1 axis.
 */
#ifndef GENSIM_LOSSES_PROGRAM_H
#define GENSIM_LOSSES_PROGRAM_H

#include <math.h>
#include <stdint.h>

#include "_vecmath.h"

enum {
    GL_REG_SCRATCH, GL_REG_CONST, GL_REG_ROW, GL_REG_HIDDEN
};

/* One list, in this order, is also gensim_losses._kernels.PROGRAM_OPS. */
enum {
    /* elementwise, two operands */
    GL_OP_ADD, GL_OP_SUB, GL_OP_MUL, GL_OP_DIV, GL_OP_POW, GL_OP_MAX, GL_OP_MIN,
    GL_OP_GT, GL_OP_GE, GL_OP_LT, GL_OP_LE, GL_OP_EQ, GL_OP_NE, GL_OP_LOGADDEXP, GL_OP_ARCTAN2,
    /* elementwise, one operand */
    GL_OP_NEG, GL_OP_ABS, GL_OP_SQRT, GL_OP_EXP, GL_OP_LOG, GL_OP_LOG1P, GL_OP_EXPM1, GL_OP_TANH,
    GL_OP_SIN, GL_OP_COS, GL_OP_ARCTAN, GL_OP_SIGN, GL_OP_SIGMOID, GL_OP_FLOOR, GL_OP_CEIL, GL_OP_RSQRT,
    /* where(a != 0, b, c) */
    GL_OP_WHERE,
    /* reductions of a vector to one value */
    GL_OP_SUM, GL_OP_RMAX, GL_OP_RMIN, GL_OP_DOT,
    /* out[j] = sum_i a[i] * matrix[j, i]: the matrix (n x len(a)) is the immediate array */
    GL_OP_MATVEC,
    /* out[j] = a[start + j * step] */
    GL_OP_SLICE,
    GL_N_OPS
};

typedef struct {
    int32_t op, dst, a, b, c;   /* registers; b, c unused by the ops that have fewer operands */
    int32_t n;                  /* length of the result */
    int32_t sa, sb, sc;         /* operand strides: 1 or 0 (broadcast) */
    int32_t i0, i1;             /* SLICE: start, step */
    int32_t loss_only;          /* needed for a loss only: skipped when no loss is computed */
    const float *mat;           /* MATVEC: the matrix, row-major (n x len(a)) */
} gl_instr;

typedef struct {
    int32_t n_instr, n_regs;
    const gl_instr *code;
    const int32_t *reg_kind;    /* GL_REG_* */
    const int32_t *reg_len;
    const int64_t *reg_off;     /* GL_REG_SCRATCH: offset in the scratch */
    const float *const *reg_base; /* GL_REG_CONST: the values; GL_REG_ROW: row 0 of a (rows x len) array */
    int64_t rows;               /* rows of the per-example arrays (0: none) */
    int32_t n_dynamic;          /* registers whose pointer changes per example, listed in dynamic */
    const int32_t *dynamic;
} gl_program;

static inline float gl_sign(float x)
{
    return (float)((x > 0.0f) - (x < 0.0f)) + (x != x ? x : 0.0f);  /* NaN stays NaN, as numpy's */
}

static inline float gl_logaddexp(float x, float y)
{
    float m = x > y ? x : y;
    if (m == -INFINITY)
        return m;
    if (m == INFINITY && x == y)
        return m;
    return m + log1pf(expf(-fabsf(x - y)));
}

static inline float gl_sigmoid(float x)
{
    return x >= 0.0f ? 1.0f / (1.0f + expf(-x)) : expf(x) / (1.0f + expf(x));
}

/* Point ptr[] at the scratch and constant registers: once per job. */
static inline void gl_program_bind(const gl_program *p, float **ptr, float *scratch)
{
    for (int32_t r = 0; r < p->n_regs; r++) {
        if (p->reg_kind[r] == GL_REG_SCRATCH)
            ptr[r] = scratch + p->reg_off[r];
        else if (p->reg_kind[r] == GL_REG_CONST)
            ptr[r] = (float *)p->reg_base[r];
    }
}

#define GL_EACH2(EXPR) \
    if (sa && sb) { for (int32_t i = 0; i < n; i++) { float x = A[i], y = B[i]; D[i] = (EXPR); } } \
    else if (sa) { float y = B[0]; for (int32_t i = 0; i < n; i++) { float x = A[i]; D[i] = (EXPR); } } \
    else if (sb) { float x = A[0]; for (int32_t i = 0; i < n; i++) { float y = B[i]; D[i] = (EXPR); } } \
    else { float x = A[0], y = B[0]; D[0] = (EXPR); for (int32_t i = 1; i < n; i++) D[i] = D[0]; }

#define GL_EACH1(EXPR) \
    if (sa) { for (int32_t i = 0; i < n; i++) { float x = A[i]; D[i] = (EXPR); } } \
    else { float x = A[0]; D[0] = (EXPR); for (int32_t i = 1; i < n; i++) D[i] = D[0]; }

/* Run the program for example ``row`` of the per-example arrays, on hidden
 * vector ``h``; ``with_loss`` 0 skips what only the losses need.
 * Returns 0, or -1 when ``row`` is past the per-example arrays. */
static inline int gl_program_run(const gl_program *p, float **ptr, const float *h, int64_t row, int with_loss)
{
    for (int32_t k = 0; k < p->n_dynamic; k++) {
        int32_t r = p->dynamic[k];
        if (p->reg_kind[r] == GL_REG_HIDDEN) {
            ptr[r] = (float *)h;
        } else {
            if (row < 0 || row >= p->rows)
                return -1;
            ptr[r] = (float *)p->reg_base[r] + row * p->reg_len[r];
        }
    }
    for (int32_t k = 0; k < p->n_instr; k++) {
        const gl_instr *ins = p->code + k;
        if (ins->loss_only && !with_loss)
            continue;
        float *D = ptr[ins->dst];
        const float *A = ptr[ins->a];
        const float *B = ins->b >= 0 ? ptr[ins->b] : A;
        const float *C = ins->c >= 0 ? ptr[ins->c] : A;
        const int32_t n = ins->n, sa = ins->sa, sb = ins->sb, sc = ins->sc;
        switch (ins->op) {
        case GL_OP_ADD: GL_EACH2(x + y) break;
        case GL_OP_SUB: GL_EACH2(x - y) break;
        case GL_OP_MUL: GL_EACH2(x * y) break;
        case GL_OP_DIV: GL_EACH2(x / y) break;
        case GL_OP_POW: GL_EACH2(powf(x, y)) break;
        case GL_OP_MAX: GL_EACH2((x != x || y != y) ? x + y : (x > y ? x : y)) break;
        case GL_OP_MIN: GL_EACH2((x != x || y != y) ? x + y : (x < y ? x : y)) break;
        case GL_OP_GT: GL_EACH2((float)(x > y)) break;
        case GL_OP_GE: GL_EACH2((float)(x >= y)) break;
        case GL_OP_LT: GL_EACH2((float)(x < y)) break;
        case GL_OP_LE: GL_EACH2((float)(x <= y)) break;
        case GL_OP_EQ: GL_EACH2((float)(x == y)) break;
        case GL_OP_NE: GL_EACH2((float)(x != y)) break;
        case GL_OP_LOGADDEXP: GL_EACH2(gl_logaddexp(x, y)) break;
        case GL_OP_ARCTAN2: GL_EACH2(atan2f(x, y)) break;
        case GL_OP_NEG: GL_EACH1(-x) break;
        case GL_OP_ABS: GL_EACH1(fabsf(x)) break;
        case GL_OP_SQRT: GL_EACH1(sqrtf(x)) break;
        case GL_OP_EXP: GL_EACH1(expf(x)) break;
        case GL_OP_LOG: GL_EACH1(logf(x)) break;
        case GL_OP_LOG1P: GL_EACH1(log1pf(x)) break;
        case GL_OP_EXPM1: GL_EACH1(expm1f(x)) break;
        case GL_OP_TANH: GL_EACH1(tanhf(x)) break;
        case GL_OP_SIN: GL_EACH1(sinf(x)) break;
        case GL_OP_COS: GL_EACH1(cosf(x)) break;
        case GL_OP_ARCTAN: GL_EACH1(atanf(x)) break;
        case GL_OP_SIGN: GL_EACH1(gl_sign(x)) break;
        case GL_OP_SIGMOID: GL_EACH1(gl_sigmoid(x)) break;
        case GL_OP_FLOOR: GL_EACH1(floorf(x)) break;
        case GL_OP_CEIL: GL_EACH1(ceilf(x)) break;
        /* 1 / sqrt(x), and 0 for 0: rsqrt(dot(a, a)) * a is numpy's normalize with zero rows kept, and
         * shares its dot with |a| (the tracer's normalize) */
        case GL_OP_RSQRT: GL_EACH1(x > 0.0f ? 1.0f / sqrtf(x) : 0.0f) break;
        case GL_OP_WHERE:
            for (int32_t i = 0; i < n; i++)
                D[i] = A[i * sa] != 0.0f ? B[i * sb] : C[i * sc];
            break;
        case GL_OP_SUM: {
            const int32_t m = p->reg_len[ins->a];
            float s = 0.0f;
            for (int32_t i = 0; i < m; i++)
                s += A[i];
            D[0] = s;
            break;
        }
        case GL_OP_RMAX: case GL_OP_RMIN: {
            const int32_t m = p->reg_len[ins->a];
            float s = A[0];
            for (int32_t i = 1; i < m; i++) {
                float x = A[i];
                if (x != x || s != s)
                    s = x + s;
                else if (ins->op == GL_OP_RMAX ? x > s : x < s)
                    s = x;
            }
            D[0] = s;
            break;
        }
        case GL_OP_DOT: {
            const int32_t m = p->reg_len[ins->a] > p->reg_len[ins->b] ? p->reg_len[ins->a] : p->reg_len[ins->b];
            if (sa && sb) {  /* the usual case, |h|^2 or h . c: the kernels' own vector dot */
                D[0] = gl_dot(m, A, B);
                break;
            }
            float s = 0.0f;
            for (int32_t i = 0; i < m; i++)
                s += A[i * sa] * B[i * sb];
            D[0] = s;
            break;
        }
        case GL_OP_MATVEC: {
            const int32_t m = p->reg_len[ins->a];
            for (int32_t j = 0; j < n; j++) {
                const float *row = ins->mat + (int64_t)j * m;
                float s = 0.0f;
                for (int32_t i = 0; i < m; i++)
                    s += A[i] * row[i];
                D[j] = s;
            }
            break;
        }
        case GL_OP_SLICE:
            for (int32_t i = 0; i < n; i++)
                D[i] = A[ins->i0 + i * ins->i1];
            break;
        }
    }
    return 0;
}

#undef GL_EACH1
#undef GL_EACH2

#endif
