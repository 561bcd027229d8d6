# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Arc-line fits: a pixel-integrated Gaussian plus background per (column, row guess) pair.

The hot loop of ``muse_wavecal`` (tens of thousands of small fits per IFU): each line is fitted
on its own by weighted Gauss–Newton with a 4×4 Cholesky solve (at most ``iterations`` steps,
fewer once a step moves centre and width by less than 1e-9 px), the lines in parallel over
``nthreads`` OpenMP threads with the GIL released. Rows are 1-based, columns 0-based.
"""

import numpy as np

from cython.parallel cimport prange
from libc.math cimport INFINITY, M_SQRT1_2, erf, exp, fabs, floor, fmax, fmin, isfinite, sqrt

cdef enum:
    MAX_WINDOW = 65
cdef double INV_SQRT_2PI = 0.3989422804014327
cdef double CONVERGED = 1e-9


cdef inline double ndtr(double x) noexcept nogil:
    return 0.5 * (1.0 + erf(x * M_SQRT1_2))


cdef inline double clip(double x, double low, double high) noexcept nogil:
    return fmin(fmax(x, low), high)


cdef int cholesky_solve(double[4][4] a, double[4] b, double[4] x) noexcept nogil:
    # solve a x = b for a symmetric positive definite 4x4 a (a is overwritten by its factor);
    # returns 0, or -1 when a is not positive definite
    cdef int i, j, k
    cdef double s
    for j in range(4):
        s = a[j][j]
        for k in range(j):
            s -= a[j][k] * a[j][k]
        if not s > 0:
            return -1
        a[j][j] = sqrt(s)
        for i in range(j + 1, 4):
            s = a[i][j]
            for k in range(j):
                s -= a[i][k] * a[j][k]
            a[i][j] = s / a[j][j]
    for i in range(4):
        s = b[i]
        for k in range(i):
            s -= a[i][k] * x[k]
        x[i] = s / a[i][i]
    for i in range(3, -1, -1):
        s = x[i]
        for k in range(i + 1, 4):
            s -= a[k][i] * x[k]
        x[i] = s / a[i][i]
    return 0


cdef void fit_one(const float[:, ::1] image, const float[:, ::1] variance, Py_ssize_t column,
                  double guess, double sigma, int half, int iterations, double *result
                  ) noexcept nogil:
    # result: centre, error, sigma, flux, background, ok (as 0/1)
    cdef Py_ssize_t ny = image.shape[0], start, row
    cdef int n = 2 * half + 1, w, i, j, iteration, status = 0
    cdef double data[MAX_WINDOW]
    cdef double weight[MAX_WINDOW]
    cdef double y[MAX_WINDOW]
    cdef double z[MAX_WINDOW + 1]
    cdef double pdf[MAX_WINDOW + 1]
    cdef double cdf[MAX_WINDOW + 1]
    cdef double normal[4][4]
    cdef double factor[4][4]
    cdef double gradient[4]
    cdef double step[4]
    cdef double jac[4]
    cdef double unit[4]
    cdef double column_1[4]
    cdef double centre = guess, width = sigma, flux = 0.0, background, upper, lower
    cdef double phi_u, phi_l, profile, residual, error
    for i in range(4):
        for j in range(4):
            normal[i][j] = 1e-9 if i == j else 0.0
    for w in range(MAX_WINDOW):
        data[w] = 0.0
    start = <Py_ssize_t>floor(guess + 0.5) - 1
    start = min(max(start, half), ny - 1 - half)
    for w in range(n):
        row = start - half + w
        data[w] = image[row, column]
        weight[w] = 1.0 / fmax(variance[row, column], 1e-6)
        y[w] = row + 1.0
    background = fmin(data[0], data[n - 1])
    for w in range(n):
        flux += data[w] - background
    flux = fmax(flux, 1e-3)
    for iteration in range(iterations):
        for i in range(4):
            gradient[i] = 0.0
            for j in range(4):
                normal[i][j] = 0.0
        # the pixel edges: pixel w spans edges w and w + 1 (n + 1 evaluations, not 2 n)
        for w in range(n + 1):
            z[w] = (y[0] - 0.5 + w - centre) / width
            pdf[w] = exp(-0.5 * z[w] * z[w]) * INV_SQRT_2PI
            cdf[w] = ndtr(z[w])
        for w in range(n):
            lower, upper = z[w], z[w + 1]
            phi_l, phi_u = pdf[w], pdf[w + 1]
            profile = cdf[w + 1] - cdf[w]
            residual = data[w] - (flux * profile + background)
            jac[0] = profile
            jac[1] = flux * (phi_l - phi_u) / width
            jac[2] = flux * (lower * phi_l - upper * phi_u) / width
            jac[3] = 1.0
            for i in range(4):
                gradient[i] += jac[i] * weight[w] * residual
                for j in range(4):
                    normal[i][j] += jac[i] * weight[w] * jac[j]
        for i in range(4):
            normal[i][i] += 1e-9
            for j in range(4):
                factor[i][j] = normal[i][j]
        status = cholesky_solve(factor, gradient, step)
        if status != 0:
            break
        flux += step[0]
        centre += clip(step[1], -1.0, 1.0)
        width = clip(width + clip(step[2], -0.3, 0.3), 0.3 * sigma, 3.0 * sigma)
        background += step[3]
        if (fabs(step[1]) < CONVERGED and fabs(step[2]) < CONVERGED
                and fabs(step[0]) < CONVERGED * fabs(flux)):
            break  # converged: more steps would move the centre by less than 1e-9 px
    error = INFINITY
    if status == 0:
        # the centre's variance: element (1, 1) of the inverse of the last normal matrix
        for i in range(4):
            unit[i] = 1.0 if i == 1 else 0.0
            for j in range(4):
                factor[i][j] = normal[i][j]
        if cholesky_solve(factor, unit, column_1) == 0:
            error = sqrt(fmax(column_1[1], 0.0))
    result[0] = centre
    result[1] = error
    result[2] = width
    result[3] = flux
    result[4] = background
    result[5] = 1.0 if (flux > 0 and fabs(centre - guess) < 2.0 and width > 0.31 * sigma
                        and width < 2.9 * sigma and isfinite(error) and error < 1.0) else 0.0


def fit_lines(const float[:, ::1] image, const float[:, ::1] variance,
              const Py_ssize_t[::1] columns, const double[::1] guesses, double sigma, *,
              int half_window=4, int iterations=12, int nthreads=1):
    """Fit every ``(columns[k], guesses[k])`` line; an ``(n, 6)`` array of centre (1-based
    row), its error, σ, flux, background and ok (1.0 or 0.0).

    ``image`` and ``variance`` are C-contiguous float32 (infinite variance = no weight); the
    window is ``2 half_window + 1`` rows around the guess, kept inside the image.
    """
    if not 1 <= half_window <= (MAX_WINDOW - 1) // 2:
        raise ValueError(f"half_window: expected 1..{(MAX_WINDOW - 1) // 2}, found {half_window}")
    if image.shape[0] < 2 * half_window + 1:
        raise ValueError(f"image: expected at least {2 * half_window + 1} rows, found "
                         f"{image.shape[0]}")
    if columns.shape[0] != guesses.shape[0]:
        raise ValueError(f"columns and guesses: expected equal lengths, found "
                         f"{columns.shape[0]} and {guesses.shape[0]}")
    cdef Py_ssize_t n = columns.shape[0], k, nx = image.shape[1]
    for k in range(n):
        if columns[k] < 0 or columns[k] >= nx:
            raise ValueError(f"columns[{k}]: expected 0..{nx - 1}, found {columns[k]}")
    out = np.empty((n, 6), dtype=np.float64)
    cdef double[:, ::1] result = out
    for k in prange(n, nogil=True, num_threads=max(1, nthreads), schedule="static"):
        fit_one(image, variance, columns[k], guesses[k], sigma, half_window, iterations,
                &result[k, 0])
    return out
