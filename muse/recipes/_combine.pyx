# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Combination and rejection: stacks of images into one (ESO's muse_combine), DCR in strips.

Every function takes typed memoryviews (any strides, so numpy views, memmaps and broadcast
arrays pass without copies), releases the GIL for its loop and, where the work is large,
spreads it over ``nthreads`` OpenMP threads. Coordinates are 0-based array indices.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.math cimport fabs, fabsf, sqrt
from libc.stdlib cimport free, malloc, qsort

# Combination methods, in the order of ESO's ``combine`` parameter values.
COMBINE_AVERAGE = 0
COMBINE_MEDIAN = 1
COMBINE_MINMAX = 2
COMBINE_SIGCLIP = 3

cdef double HALF_PI = 1.5707963267948966
cdef int SMALL_STACK = 24


cdef int compare_floats(const void *a, const void *b) noexcept nogil:
    cdef float fa = (<const float *>a)[0], fb = (<const float *>b)[0]
    return (fa > fb) - (fa < fb)


cdef inline double sorted_median(const float *values, int n) noexcept nogil:
    if n % 2:
        return values[n // 2]
    return 0.5 * (<double>values[n // 2 - 1] + values[n // 2])


cdef void sort_pairs(float *values, float *companions, int n) noexcept nogil:
    # insertion sort of values, moving the companions along (minmax needs the pairs)
    cdef int i, j
    cdef float v, c
    for i in range(1, n):
        v = values[i]
        c = companions[i]
        j = i - 1
        while j >= 0 and values[j] > v:
            values[j + 1] = values[j]
            companions[j + 1] = companions[j]
            j -= 1
        values[j + 1] = v
        companions[j + 1] = c


cdef double pixel_median(const float *values, float *scratch, int n) noexcept nogil:
    cdef int i
    for i in range(n):
        scratch[i] = values[i]
    qsort(scratch, n, sizeof(float), compare_floats)
    return sorted_median(scratch, n)


cdef void combine_pixel(float *values, float *variances, float *scratch, int n, int method,
                        double lsigma, double hsigma, int nlow, int nhigh, int nkeep,
                        float *out_value, float *out_variance) noexcept nogil:
    # one pixel, any number of inputs: the general path (bad inputs, minmax, large stacks)
    cdef int i, used, first, last, keep
    cdef double total = 0.0, variance = 0.0, median, deviation, low, high
    if method == 0:
        for i in range(n):
            total += values[i]
            variance += variances[i]
        out_value[0] = <float>(total / n)
        out_variance[0] = <float>(variance / (<double>n * n))
    elif method == 1:
        for i in range(n):
            variance += variances[i]
        out_value[0] = <float>pixel_median(values, scratch, n)
        variance = variance / (<double>n * n)
        if n > 2:
            variance *= HALF_PI
        out_variance[0] = <float>variance
    elif method == 2:
        sort_pairs(values, variances, n)
        first = nlow
        last = n - nhigh
        if last - first < nkeep or last - first < 1:
            first = 0
            last = n
        for i in range(first, last):
            total += values[i]
            variance += variances[i]
        used = last - first
        out_value[0] = <float>(total / used)
        out_variance[0] = <float>(variance / (<double>used * used))
    else:
        median = pixel_median(values, scratch, n)
        deviation = 0.0
        for i in range(n):
            deviation += fabs(values[i] - median)
        deviation /= n
        low = median - lsigma * deviation
        high = median + hsigma * deviation
        used = 0
        for i in range(n):
            keep = values[i] >= low and values[i] <= high
            total += keep * values[i]
            variance += keep * variances[i]
            used += keep
        if used == 0:
            # only possible through rounding; in exact arithmetic the median always survives
            out_value[0] = <float>median
            variance = 0.0
            for i in range(n):
                variance += variances[i]
            out_variance[0] = <float>(variance / (<double>n * n))
        else:
            out_value[0] = <float>(total / used)
            out_variance[0] = <float>(variance / (<double>used * used))


cdef extern from *:
    """
    /* One compare-exchange of two whole rows: afterwards low[x] <= high[x] for every x.
       The stack holds no NaN, so GCC may treat the selects as min/max and vectorise them. */
    #if defined(__GNUC__) && !defined(__clang__)
    __attribute__((optimize("finite-math-only", "no-signed-zeros")))
    #endif
    static void muse_compare_exchange_rows(float *restrict low, float *restrict high,
                                           Py_ssize_t n) {
        for (Py_ssize_t x = 0; x < n; x++) {
            float a = low[x], b = high[x];
            low[x] = a < b ? a : b;
            high[x] = a < b ? b : a;
        }
    }
    """
    void compare_exchange_rows "muse_compare_exchange_rows"(float *low, float *high,
                                                             Py_ssize_t n) noexcept nogil

cdef extern from *:
    """
    /* Adds the values within [low, high] (and their variances) to the running sums; the
       comparisons are combined with & so the loop has no branches and vectorises. */
    static void muse_accumulate_within(const float *restrict values,
                                       const float *restrict variances,
                                       const float *restrict low, const float *restrict high,
                                       float *restrict total, float *restrict variance,
                                       float *restrict used, Py_ssize_t n) {
        for (Py_ssize_t x = 0; x < n; x++) {
            float v = values[x];
            float keep = (float)((v >= low[x]) & (v <= high[x]));
            total[x] += keep * v;
            variance[x] += keep * variances[x];
            used[x] += keep;
        }
    }
    """
    void accumulate_within "muse_accumulate_within"(
        const float *values, const float *variances, const float *low, const float *high,
        float *total, float *variance, float *used, Py_ssize_t n) noexcept nogil


cdef void sort_rows(float *rows, Py_ssize_t n, Py_ssize_t nx) noexcept nogil:
    # sorts every column of an n × nx block with an odd-even transposition network, one
    # compare-exchange of two whole rows at a time: no data-dependent branches, vectorised
    cdef Py_ssize_t p, i
    for p in range(n):
        for i in range(p % 2, n - 1, 2):
            compare_exchange_rows(rows + i * nx, rows + (i + 1) * nx, nx)


cdef void combine_row(const float *values, const float *variances, float *work,
                      Py_ssize_t n, Py_ssize_t nx, int method, float lsigma, float hsigma,
                      float *out_value, float *out_variance) noexcept nogil:
    # a whole row whose inputs are all good, for average, median and sigclip with few inputs;
    # values/variances are n rows of nx, work holds n + 6 rows
    cdef float *sorted_rows = work
    cdef float *median = work + n * nx
    cdef float *low = median + nx
    cdef float *high = low + nx
    cdef float *total = high + nx
    cdef float *variance = total + nx
    cdef float *used = variance + nx
    cdef Py_ssize_t k, x
    cdef float norm = 1.0 / n, deviation
    for x in range(nx):
        total[x] = 0.0
        variance[x] = 0.0
        used[x] = 0.0
    if method == 0:
        for k in range(n):
            for x in range(nx):
                total[x] += values[k * nx + x]
                variance[x] += variances[k * nx + x]
        for x in range(nx):
            out_value[x] = total[x] * norm
            out_variance[x] = variance[x] * norm * norm
        return
    for k in range(n * nx):
        sorted_rows[k] = values[k]
    sort_rows(sorted_rows, n, nx)
    if n % 2:
        for x in range(nx):
            median[x] = sorted_rows[(n // 2) * nx + x]
    else:
        for x in range(nx):
            median[x] = 0.5 * (sorted_rows[(n // 2 - 1) * nx + x]
                               + sorted_rows[(n // 2) * nx + x])
    if method == 1:
        for k in range(n):
            for x in range(nx):
                variance[x] += variances[k * nx + x]
        if n > 2:
            norm = norm * <float>sqrt(HALF_PI)
        for x in range(nx):
            out_value[x] = median[x]
            out_variance[x] = variance[x] * norm * norm
        return
    for k in range(n):
        for x in range(nx):
            total[x] += fabsf(values[k * nx + x] - median[x])
    for x in range(nx):
        deviation = total[x] * norm
        low[x] = median[x] - lsigma * deviation
        high[x] = median[x] + hsigma * deviation
        total[x] = 0.0
    for k in range(n):
        accumulate_within(values + k * nx, variances + k * nx, low, high, total, variance,
                          used, nx)
    for x in range(nx):
        if used[x] > 0:
            out_value[x] = total[x] / used[x]
            out_variance[x] = variance[x] / (used[x] * used[x])
        else:
            # only possible through rounding; in exact arithmetic the median always survives
            out_value[x] = median[x]
            out_variance[x] = 0.0
            for k in range(n):
                out_variance[x] += variances[k * nx + x] * norm * norm


def combine(const float[:, :, :] data, const float[:, :, :] stat, const int[:, :, :] dq,
            int method, double lsigma, double hsigma, int nlow, int nhigh, int nkeep,
            float[:, :] out_data, float[:, :] out_stat, int[:, :] out_dq, int nthreads=1):
    """Combine a stack ``data[k, y, x]`` of ``n`` images pixel by pixel (ESO's muse_combine).

    Input pixels with a non-zero ``dq`` are left out (``dq`` may be None: all good). When every
    input of a pixel is bad, all of them are combined and ``out_dq`` gets the OR of their
    flags; otherwise ``out_dq`` is 0. ``method``: ``COMBINE_AVERAGE`` (mean, STAT = Σ stat /
    n²), ``COMBINE_MEDIAN`` (median, STAT = π/2 · Σ stat / n² for n > 2), ``COMBINE_MINMAX``
    (mean after dropping the ``nlow`` lowest and ``nhigh`` highest values, unless fewer than
    ``nkeep`` would stay) and ``COMBINE_SIGCLIP`` (mean of the values within median −
    ``lsigma``·d … median + ``hsigma``·d, d the mean absolute deviation around the median;
    STAT = Σ stat / n_used²).

    The outputs may be views (a port of a larger image) whose rows are contiguous. Rows are
    spread over the threads. A row whose inputs are all good is combined column-wise
    by a sorting network (vectorised); pixels with bad inputs, ``minmax`` and stacks of more
    than 24 images go through the per-pixel path (same results to float rounding).
    """
    cdef Py_ssize_t n = data.shape[0], ny = data.shape[1], nx = data.shape[2], y, x, k
    cdef bint have_dq = dq is not None
    cdef bint whole_rows = method != COMBINE_MINMAX and n <= SMALL_STACK
    cdef Py_ssize_t per_thread = (3 * n + 6) * nx + 3 * n
    cdef float *buffers
    cdef float *values = NULL
    cdef float *variances = NULL
    cdef float *work = NULL
    cdef float *pixel = NULL
    cdef int used, flags, bad_flags, row_flags
    if n < 1:
        raise ValueError("combine: empty stack")
    if stat.shape[0] != n or stat.shape[1] != ny or stat.shape[2] != nx:
        raise ValueError("combine: data and stat stacks differ in shape")
    if have_dq and (dq.shape[0] != n or dq.shape[1] != ny or dq.shape[2] != nx):
        raise ValueError("combine: data and dq stacks differ in shape")
    if (out_data.shape[0] != ny or out_data.shape[1] != nx or out_stat.shape[0] != ny
            or out_stat.shape[1] != nx or out_dq.shape[0] != ny or out_dq.shape[1] != nx):
        raise ValueError("combine: an output image differs in shape from the stack")
    if method < 0 or method > 3:
        raise ValueError(f"combine: unknown method {method}")
    if nx > 1 and (out_data.strides[1] != sizeof(float) or out_stat.strides[1] != sizeof(float)):
        raise ValueError("combine: the output images need contiguous rows")
    nthreads = max(1, nthreads)
    buffers = <float *>malloc(nthreads * per_thread * sizeof(float))
    if buffers == NULL:
        raise MemoryError()
    with nogil, parallel(num_threads=nthreads):
        values = buffers + threadid() * per_thread
        variances = values + n * nx
        work = variances + n * nx
        pixel = work + (n + 6) * nx
        for y in prange(ny, schedule="dynamic", chunksize=16):
            row_flags = 0
            if have_dq:
                for k in range(n):
                    for x in range(nx):
                        row_flags = row_flags | dq[k, y, x]
            if whole_rows:
                for k in range(n):
                    for x in range(nx):
                        values[k * nx + x] = data[k, y, x]
                        variances[k * nx + x] = stat[k, y, x]
                combine_row(values, variances, work, n, nx, method, <float>lsigma,
                            <float>hsigma, &out_data[y, 0], &out_stat[y, 0])
                for x in range(nx):
                    out_dq[y, x] = 0
            if whole_rows and row_flags == 0:
                continue
            for x in range(nx):
                bad_flags = 0
                if have_dq:
                    for k in range(n):
                        bad_flags = bad_flags | dq[k, y, x]
                if whole_rows and bad_flags == 0:
                    continue
                used = 0
                for k in range(n):
                    flags = dq[k, y, x] if have_dq else 0
                    if flags == 0:
                        pixel[used] = data[k, y, x]
                        pixel[n + used] = stat[k, y, x]
                        used = used + 1
                if used == 0:
                    for k in range(n):
                        pixel[k] = data[k, y, x]
                        pixel[n + k] = stat[k, y, x]
                    used = n
                    out_dq[y, x] = bad_flags
                else:
                    out_dq[y, x] = 0
                combine_pixel(pixel, pixel + n, pixel + 2 * n, used, method, lsigma, hsigma,
                              nlow, nhigh, nkeep, &out_data[y, x], &out_stat[y, x])
    free(buffers)


def dcr_reject(const float[:, :] strip, unsigned char[:, :] rejected, int xbox, int ybox,
               int passes, double threshold):
    """Mark pixels far above their box in ``rejected`` (DCR-style); return the number marked.

    Boxes of ``xbox`` × ``ybox`` (clipped to the strip) step by half a box in each direction;
    in each box the mean and standard deviation of the pixels not yet rejected give the cut
    mean + ``threshold``·σ, and every pixel above it is rejected (cosmic rays and hot pixels
    are positive). Up to ``passes`` passes, stopping early when one rejects nothing.
    """
    cdef Py_ssize_t ny = strip.shape[0], nx = strip.shape[1]
    cdef Py_ssize_t x0, y0, x1, y1, x, y, xstep, ystep
    cdef long total = 0, new, count
    cdef int p
    cdef double s, ss, mean, sigma, cut, v
    if rejected.shape[0] != ny or rejected.shape[1] != nx:
        raise ValueError("dcr_reject: strip and rejected differ in shape")
    if xbox < 2 or ybox < 1 or passes < 1:
        raise ValueError("dcr_reject: boxes need xbox >= 2, ybox >= 1 and passes >= 1")
    xstep = max(1, xbox // 2)
    ystep = max(1, ybox // 2)
    with nogil:
        for p in range(passes):
            new = 0
            y0 = 0
            while y0 < ny:
                y1 = min(ny, y0 + ybox)
                x0 = 0
                while x0 < nx:
                    x1 = min(nx, x0 + xbox)
                    s = 0.0
                    ss = 0.0
                    count = 0
                    for y in range(y0, y1):
                        for x in range(x0, x1):
                            if not rejected[y, x]:
                                v = strip[y, x]
                                s += v
                                ss += v * v
                                count += 1
                    if count > 2:
                        mean = s / count
                        sigma = sqrt(max(0.0, (ss - s * mean) / (count - 1)))
                        cut = mean + threshold * sigma
                        if sigma > 0:
                            for y in range(y0, y1):
                                for x in range(x0, x1):
                                    if not rejected[y, x] and strip[y, x] > cut:
                                        rejected[y, x] = 1
                                        new += 1
                    if x1 == nx:
                        break
                    x0 += xstep
                if y1 == ny:
                    break
                y0 += ystep
            total += new
            if new == 0:
                break
    return total
