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

#endif
