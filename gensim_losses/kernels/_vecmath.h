/* Dense float32 primitives for the training kernels.
 *
 * The vectors are short (typically 50-300 floats), so a BLAS call costs as
 * much as the arithmetic: plain loops that the compiler inlines into the
 * kernels and vectorises for the instruction set the module is built for
 * (setup.py builds a baseline and an AVX2+FMA module).
 */
#ifndef GENSIM_LOSSES_VECMATH_H
#define GENSIM_LOSSES_VECMATH_H

static inline float gl_dot(int n, const float *x, const float *y)
{
    float s = 0.0f;
    for (int i = 0; i < n; i++)
        s += x[i] * y[i];
    return s;
}

/* y += a * x */
static inline void gl_axpy(int n, float a, const float *x, float *y)
{
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* x *= a */
static inline void gl_scale(int n, float a, float *x)
{
    for (int i = 0; i < n; i++)
        x[i] *= a;
}

/* |x - r|^2 */
static inline float gl_sqdist(int n, const float *x, const float *r)
{
    float s = 0.0f;
    for (int i = 0; i < n; i++) {
        float d = x[i] - r[i];
        s += d * d;
    }
    return s;
}

/* y += a * (x - r); return |x - r|^2 */
static inline float gl_axpy_diff(int n, float a, const float *x, const float *r, float *y)
{
    float s = 0.0f;
    for (int i = 0; i < n; i++) {
        float d = x[i] - r[i];
        s += d * d;
        y[i] += a * d;
    }
    return s;
}

#endif
