/* Dense float32 primitives for the training kernels.
 *
 * The vectors are short (typically 50-300 floats), so a BLAS call costs as
 * much as the arithmetic. Plain loops let the compiler inline and vectorise;
 * target_clones adds an AVX2/FMA build picked at load time, so one binary is
 * both portable and fast on the machines we benchmark on.
 */
#ifndef GENSIM_LOSSES_VECMATH_H
#define GENSIM_LOSSES_VECMATH_H

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define GL_MULTIVERSION __attribute__((target_clones("arch=haswell", "default")))
#else
#define GL_MULTIVERSION
#endif

GL_MULTIVERSION
static float gl_dot(int n, const float *x, const float *y)
{
    float s = 0.0f;
    for (int i = 0; i < n; i++)
        s += x[i] * y[i];
    return s;
}

/* y += a * x */
GL_MULTIVERSION
static void gl_axpy(int n, float a, const float *x, float *y)
{
    for (int i = 0; i < n; i++)
        y[i] += a * x[i];
}

/* x *= a */
GL_MULTIVERSION
static void gl_scale(int n, float a, float *x)
{
    for (int i = 0; i < n; i++)
        x[i] *= a;
}

#endif
