# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""The hot loops of the recipes: raw decoding, stack combination, overscan rejection, tracing.

Every function takes typed memoryviews (any strides, so numpy views, memmaps and broadcast
arrays pass without copies), releases the GIL for its loop and, where the work is large,
spreads it over ``nthreads`` OpenMP threads. Coordinates are 0-based array indices.

Raw MUSE pixels are stored as big-endian 16-bit integers with ``BZERO = 32768``; the functions
that read raw data take the stored bits viewed as native ``uint16`` (``hdu.data.view('u2')``
of a memmap opened with ``do_not_scale_image_data=True``) plus ``swap`` (the bytes are
big-endian) and ``bzero``, so no scaled copy of a raw frame is ever made.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.math cimport M_SQRT1_2, NAN, erfc, exp, fabs, fabsf, isnan, log, sqrt
from libc.stdlib cimport calloc, free, malloc, qsort
from libc.string cimport memcpy

ctypedef unsigned short u16

# Combination methods, in the order of ESO's ``combine`` parameter values.
COMBINE_AVERAGE = 0
COMBINE_MEDIAN = 1
COMBINE_MINMAX = 2
COMBINE_SIGCLIP = 3

cdef double HALF_PI = 1.5707963267948966
# below this many pixels a loop runs on one thread: starting threads would cost more
cdef Py_ssize_t PARALLEL_MINIMUM = 1 << 18
cdef int HISTOGRAM_COPIES = 4
cdef int SMALL_STACK = 24


cdef inline double raw_value(u16 bits, bint swap, double bzero) noexcept nogil:
    if swap:
        bits = <u16>((bits >> 8) | (bits << 8))
    return <double>(<short>bits) + bzero


cdef extern from *:
    """
    #include <stdint.h>
    /* One row of raw 16-bit data: value = int16(bits, byte-swapped if swap) + bzero. Writes
       value - offset and returns how many values exceed saturation; no branches, so the
       compiler vectorises it. */
    static long muse_decode_row(const uint16_t *restrict stored, float *restrict out,
                                Py_ssize_t n, int swap, float bzero, float offset,
                                float saturation) {
        long count = 0;
        for (Py_ssize_t x = 0; x < n; x++) {
            uint16_t bits = stored[x];
            bits = swap ? (uint16_t)((bits >> 8) | (bits << 8)) : bits;
            float value = (float)(int16_t)bits + bzero;
            count += value > saturation;
            out[x] = value - offset;
        }
        return count;
    }
    """
    long decode_row "muse_decode_row"(const u16 *stored, float *out, Py_ssize_t n, int swap,
                                      float bzero, float offset, float saturation) noexcept nogil

cdef extern from *:
    """
    /* Counts one row of raw values into 4 interleaved histograms of 65536 bins (bin: value
       with its sign bit flipped, i.e. value - BZERO + 32768): neighbouring pixels of a bias
       hit the same few bins, and separate copies keep the increments from waiting on each
       other. */
    static void muse_count_row(const uint16_t *restrict stored, Py_ssize_t n, int swap,
                               unsigned int *restrict counts) {
        Py_ssize_t x = 0;
        for (; x + 4 <= n; x += 4) {
            for (int k = 0; k < 4; k++) {
                uint16_t bits = stored[x + k];
                bits = swap ? (uint16_t)((bits >> 8) | (bits << 8)) : bits;
                counts[k * 65536 + (bits ^ 0x8000)]++;
            }
        }
        for (; x < n; x++) {
            uint16_t bits = stored[x];
            bits = swap ? (uint16_t)((bits >> 8) | (bits << 8)) : bits;
            counts[bits ^ 0x8000]++;
        }
    }
    """
    void count_row "muse_count_row"(const u16 *stored, Py_ssize_t n, int swap,
                                    unsigned int *counts) noexcept nogil


def decode_raw(const u16[:, :] stored, float[:, :] out, double bzero, bint swap,
               const double[:] row_offset, double saturation, long long[::1] histogram=None,
               int nthreads=1):
    """Write ``stored + bzero - row_offset[y]`` into ``out``; return how many raw values exceed
    ``saturation`` (compared before the offset is subtracted).

    ``stored`` and ``out`` have the same shape and contiguous rows; ``row_offset`` has one
    value per row. With ``histogram`` (65536 bins), the raw values are also counted, bin
    ``value - bzero + 32768``, in the same pass (for exact medians of the raw data).
    """
    cdef Py_ssize_t ny = stored.shape[0], nx = stored.shape[1], y, x, b, t
    cdef long count = 0
    cdef bint counting = histogram is not None
    cdef unsigned int *counts = NULL
    cdef unsigned int *mine = NULL
    cdef const u16 *row = NULL
    if out.shape[0] != ny or out.shape[1] != nx or row_offset.shape[0] != ny:
        raise ValueError(f"decode_raw: shapes differ: stored {ny}x{nx}, out "
                         f"{out.shape[0]}x{out.shape[1]}, row_offset {row_offset.shape[0]}")
    if nx > 1 and (stored.strides[1] != sizeof(u16) or out.strides[1] != sizeof(float)):
        raise ValueError("decode_raw: stored and out need contiguous rows")
    if ny * nx >= 1 << 32:
        raise ValueError("decode_raw: more than 2**32 pixels")
    if ny * nx < PARALLEL_MINIMUM:
        nthreads = 1
    nthreads = max(1, nthreads)
    if counting:
        if histogram.shape[0] != 65536:
            raise ValueError("decode_raw: the histogram needs 65536 bins")
        counts = <unsigned int *>calloc(nthreads * HISTOGRAM_COPIES * 65536, sizeof(int))
        if counts == NULL:
            raise MemoryError()
    with nogil, parallel(num_threads=nthreads):
        mine = counts + threadid() * HISTOGRAM_COPIES * 65536 if counting else NULL
        for y in prange(ny, schedule="dynamic", chunksize=16):
            row = &stored[y, 0]
            count += decode_row(row, &out[y, 0], nx, swap, <float>bzero,
                                <float>row_offset[y], <float>saturation)
            if counting:
                count_row(row, nx, swap, mine)
    if counting:
        for t in range(nthreads * HISTOGRAM_COPIES):
            for b in range(65536):
                histogram[b] += counts[t * 65536 + b]
        free(counts)
    return count


def flag_above(const u16[:, :] stored, int[:, :] dq, double bzero, bint swap,
               double limit, int flag):
    """Set ``flag`` in ``dq`` wherever the raw value exceeds ``limit``; return the count."""
    cdef Py_ssize_t ny = stored.shape[0], nx = stored.shape[1], y, x
    cdef long count = 0
    if dq.shape[0] != ny or dq.shape[1] != nx:
        raise ValueError("flag_above: stored and dq differ in shape")
    with nogil:
        for y in range(ny):
            for x in range(nx):
                if raw_value(stored[y, x], swap, bzero) > limit:
                    dq[y, x] = dq[y, x] | flag
                    count += 1
    return count


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


cdef void select_kth(float *values, Py_ssize_t n, Py_ssize_t k) noexcept nogil:
    # Hoare-style selection: afterwards values[k] is the k-th smallest, smaller ones before it
    cdef Py_ssize_t left = 0, right = n - 1, i, j
    cdef float pivot, t
    while left < right:
        pivot = values[k]
        i = left
        j = right
        while True:
            while values[i] < pivot:
                i += 1
            while pivot < values[j]:
                j -= 1
            if i <= j:
                t = values[i]
                values[i] = values[j]
                values[j] = t
                i += 1
                j -= 1
            if i > j:
                break
        if j < k:
            left = i
        if k < i:
            right = j


cdef inline unsigned int float_key(float value) noexcept nogil:
    # the float's bits as an unsigned integer that sorts like the float
    cdef unsigned int bits
    memcpy(&bits, &value, sizeof(float))
    return bits ^ (0xFFFFFFFFu if bits >> 31 else 0x80000000u)


cdef double radix_median(const float[:, :] image, Py_ssize_t y0, Py_ssize_t y1, Py_ssize_t x0,
                         Py_ssize_t x1) noexcept nogil:
    # Exact median in two passes: count the values by the top 16 bits of their sort key, find
    # the bucket(s) holding the middle rank(s), then select within those few values only.
    cdef Py_ssize_t *counts = <Py_ssize_t *>calloc(65536, sizeof(Py_ssize_t))
    cdef Py_ssize_t n = 0, seen = 0, below_lower = 0, lower_rank, upper_rank, b
    cdef Py_ssize_t lower_bucket = -1, upper_bucket = -1, size, filled = 0, y, x, k
    cdef float *buffer
    cdef float v, lower, upper
    cdef unsigned int key
    if counts == NULL:
        return NAN
    for y in range(y0, y1):
        for x in range(x0, x1):
            v = image[y, x]
            if not isnan(v):
                counts[float_key(v) >> 16] += 1
                n += 1
    if n == 0:
        free(counts)
        return NAN
    lower_rank = (n - 1) // 2
    upper_rank = n // 2
    for b in range(65536):
        if lower_bucket < 0 and seen + counts[b] > lower_rank:
            lower_bucket = b
            below_lower = seen
        if seen + counts[b] > upper_rank:
            upper_bucket = b
            break
        seen += counts[b]
    size = counts[lower_bucket] + (counts[upper_bucket] if upper_bucket != lower_bucket else 0)
    free(counts)
    buffer = <float *>malloc(size * sizeof(float))
    if buffer == NULL:
        return NAN
    # the lower bucket's values first, then the upper bucket's (when different)
    for y in range(y0, y1):
        for x in range(x0, x1):
            v = image[y, x]
            if not isnan(v) and (float_key(v) >> 16) == <unsigned int>lower_bucket:
                buffer[filled] = v
                filled += 1
    size = filled
    for y in range(y0, y1):
        for x in range(x0, x1):
            v = image[y, x]
            if (upper_bucket != lower_bucket and not isnan(v)
                    and (float_key(v) >> 16) == <unsigned int>upper_bucket):
                buffer[filled] = v
                filled += 1
    k = lower_rank - below_lower
    select_kth(buffer, size, k)
    lower = buffer[k]
    if upper_rank == lower_rank:
        upper = lower
    elif upper_bucket == lower_bucket:
        # the next order statistic is the smallest value after position k
        upper = buffer[k + 1]
        for b in range(k + 2, size):
            if buffer[b] < upper:
                upper = buffer[b]
    else:
        upper = buffer[size]
        for b in range(size + 1, filled):
            if buffer[b] < upper:
                upper = buffer[b]
    free(buffer)
    return 0.5 * (<double>lower + upper)


def window_medians(const float[:, :] image, const Py_ssize_t[:, :] windows, int nthreads=1):
    """Exact medians of rectangular windows ``(y0, y1, x0, x1)`` (half-open) of ``image``.

    NaN pixels are left out; a window with no finite pixel gives NaN. A two-pass radix
    selection (no sort, no copy of the window), the windows worked on in parallel.
    """
    cdef Py_ssize_t nwin = windows.shape[0], w
    cdef double[::1] medians
    import numpy
    if windows.shape[1] != 4:
        raise ValueError("window_medians: windows must be rows of (y0, y1, x0, x1)")
    for w in range(nwin):
        if not (0 <= windows[w, 0] < windows[w, 1] <= image.shape[0]
                and 0 <= windows[w, 2] < windows[w, 3] <= image.shape[1]):
            raise ValueError(f"window_medians: window {w} is empty or outside the image")
    medians = numpy.empty(nwin)
    for w in prange(nwin, nogil=True, schedule="dynamic", num_threads=nthreads):
        medians[w] = radix_median(image, windows[w, 0], windows[w, 1], windows[w, 2],
                                  windows[w, 3])
    return numpy.asarray(medians)


def block_means(const float[:, :] image, const int[:, :] dq, int factor):
    """Means of ``factor`` × ``factor`` blocks (partial blocks at the edges dropped), and
    which blocks hold a pixel with non-zero ``dq`` (may be None): a preview's pixels."""
    cdef Py_ssize_t ny = image.shape[0] // factor, nx = image.shape[1] // factor
    cdef Py_ssize_t y, x, by, bx
    cdef bint have_dq = dq is not None
    cdef double total
    cdef int flags
    cdef float[:, ::1] means
    cdef unsigned char[:, ::1] bad
    import numpy
    if factor < 1:
        raise ValueError("block_means: factor must be positive")
    if have_dq and (dq.shape[0] != image.shape[0] or dq.shape[1] != image.shape[1]):
        raise ValueError("block_means: image and dq differ in shape")
    means = numpy.empty((ny, nx), dtype=numpy.float32)
    bad = numpy.zeros((ny, nx), dtype=numpy.uint8)
    with nogil:
        for by in range(ny):
            for bx in range(nx):
                total = 0.0
                flags = 0
                for y in range(by * factor, (by + 1) * factor):
                    for x in range(bx * factor, (bx + 1) * factor):
                        total = total + image[y, x]
                        if have_dq:
                            flags = flags | dq[y, x]
                means[by, bx] = <float>(total / (factor * factor))
                bad[by, bx] = flags != 0
    return numpy.asarray(means), numpy.asarray(bad).view(numpy.bool_)


def window_moments(const float[:, :] image, const Py_ssize_t[:, :] windows, int nthreads=1):
    """Mean, standard deviation (n − 1), minimum and maximum of windows ``(y0, y1, x0, x1)``.

    One pass per window in double precision; the windows are worked on in parallel. Returns an
    array of shape (number of windows, 4).
    """
    cdef Py_ssize_t nwin = windows.shape[0], w, y, x
    cdef double total, squares, low, high, v, n, mean
    cdef double[:, ::1] result
    import numpy
    if windows.shape[1] != 4:
        raise ValueError("window_moments: windows must be rows of (y0, y1, x0, x1)")
    for w in range(nwin):
        if not (0 <= windows[w, 0] < windows[w, 1] <= image.shape[0]
                and 0 <= windows[w, 2] < windows[w, 3] <= image.shape[1]):
            raise ValueError(f"window_moments: window {w} is empty or outside the image")
    result = numpy.empty((nwin, 4))
    for w in prange(nwin, nogil=True, schedule="dynamic", num_threads=nthreads):
        total = 0.0
        squares = 0.0
        low = image[windows[w, 0], windows[w, 2]]
        high = low
        for y in range(windows[w, 0], windows[w, 1]):
            for x in range(windows[w, 2], windows[w, 3]):
                v = image[y, x]
                total = total + v
                squares = squares + v * v
                low = min(low, v)
                high = max(high, v)
        n = (windows[w, 1] - windows[w, 0]) * (windows[w, 3] - windows[w, 2])
        mean = total / n
        result[w, 0] = mean
        result[w, 1] = sqrt(max(0.0, (squares - total * mean) / (n - 1))) if n > 1 else 0.0
        result[w, 2] = low
        result[w, 3] = high
    return numpy.asarray(result)


def column_moments(const float[:, :] image, int nthreads=1):
    """Per column of ``image``: mean and standard deviation (n − 1); and the row means.

    Returns ``(column_mean, column_stdev, row_mean)`` as float64 arrays, from one pass in
    double precision (columns split over the threads by blocks of rows merged at the end).
    """
    cdef Py_ssize_t ny = image.shape[0], nx = image.shape[1], y, x, t, block
    cdef double v, row_total
    cdef double *sums
    cdef double *mine = NULL
    cdef double[::1] column_mean, column_stdev, row_mean
    import numpy
    if ny < 2 or nx < 1:
        raise ValueError("column_moments: need at least 2 rows")
    nthreads = max(1, nthreads if ny * nx >= PARALLEL_MINIMUM else 1)
    sums = <double *>calloc(nthreads * 2 * nx, sizeof(double))
    if sums == NULL:
        raise MemoryError()
    column_mean = numpy.zeros(nx)
    column_stdev = numpy.zeros(nx)
    row_mean = numpy.empty(ny)
    with nogil, parallel(num_threads=nthreads):
        mine = sums + threadid() * 2 * nx
        for y in prange(ny, schedule="dynamic", chunksize=16):
            row_total = 0.0
            for x in range(nx):
                v = image[y, x]
                mine[x] += v
                mine[nx + x] += v * v
                row_total = row_total + v
            row_mean[y] = row_total / nx
    for t in range(nthreads):
        for x in range(nx):
            column_mean[x] += sums[t * 2 * nx + x]
            column_stdev[x] += sums[t * 2 * nx + nx + x]
    free(sums)
    for x in range(nx):
        v = column_mean[x] / ny
        column_stdev[x] = sqrt(max(0.0, (column_stdev[x] - column_mean[x] * v) / (ny - 1)))
        column_mean[x] = v
    return numpy.asarray(column_mean), numpy.asarray(column_stdev), numpy.asarray(row_mean)


cdef double normal_quantile(double p) noexcept nogil:
    # inverse of the standard normal CDF: Abramowitz & Stegun 26.2.23 (error < 4.5e-4), then
    # two Newton steps on erfc to full double precision
    cdef double q = p if p < 0.5 else 1.0 - p
    cdef double t = sqrt(-2.0 * log(q))
    cdef double x = t - ((2.515517 + 0.802853 * t + 0.010328 * t * t)
                         / (1.0 + 1.432788 * t + 0.189269 * t * t + 0.001308 * t * t * t))
    cdef int k
    if p < 0.5:
        x = -x
    for k in range(2):
        x -= (0.5 * erfc(-x * M_SQRT1_2) - p) / (exp(-0.5 * x * x) * 0.3989422804014327)
    return x


cdef double refine_edge(const double *profile, Py_ssize_t inside, int step, double first,
                        double a0, double a1, Py_ssize_t origin) noexcept nogil:
    # The half-light edge near `first`: the cut is modelled as level(x) times a blurred step,
    # level(x) = a0 + a1 (x - origin) from the plateau, so q = profile / level(edge) follows a
    # normal CDF across the edge; the two pixels around the crossing, mapped through the
    # normal quantile, lie on a line in x whose zero is the edge (iterated once for the level)
    cdef double edge = first, level, q0, q1, u0, u1
    cdef int iteration
    for iteration in range(2):
        level = a0 + a1 * (edge - origin)
        if not level > 0:
            return first
        q0 = min(max(profile[inside] / level, 1e-4), 1.0 - 1e-4)
        q1 = min(max(profile[inside + step] / level, 1e-4), 1.0 - 1e-4)
        u0 = normal_quantile(q0)
        u1 = normal_quantile(q1)
        if not u0 > u1:
            return first
        edge = inside + step * u0 / (u0 - u1)
    return edge


def trace_edges(const float[:, :] image, const double[:] centres, const double[:] widths,
                const Py_ssize_t[:] row_starts, Py_ssize_t start_bin, int nsum,
                int halfwindow, double edgefrac, double[:, :] left, double[:, :] right,
                int nthreads=1):
    """Follow the slices of a flat along the rows; fill ``left``/``right`` edges per row bin.

    A row bin ``b`` covers rows ``row_starts[b] … row_starts[b] + nsum − 1``; their mean is the
    cut across a slice, taken ``halfwindow`` pixels either side of the centre found in the
    neighbouring bin (``centres[s]`` in ``start_bin``). A straight line through the slice's
    inner half (``widths[s] / 4`` either side of the centre) is its level; walking outwards
    from the centre, an edge is detected where the cut drops below ``edgefrac`` × level, and
    placed at the half-light point: the two pixels around the crossing, divided by the level
    there, are taken as samples of a blurred step (interpolated in normal-quantile space),
    which follows a Gaussian blur at any pixel phase and an illumination gradient across the
    slice far better than a linear interpolation.
    Bins are followed from ``start_bin`` up to the last and down to the first; an edge not
    found is NaN and the search keeps the last good centre. Slices run in parallel.
    """
    cdef Py_ssize_t ny = image.shape[0], nx = image.shape[1]
    cdef Py_ssize_t nslices = centres.shape[0], nbins = row_starts.shape[0]
    cdef Py_ssize_t s, b, i, direction, x0, x1, r, j, n, centre_pixel, half
    cdef Py_ssize_t span = 2 * halfwindow + 1
    cdef double *buffers
    cdef double *profile = NULL
    cdef double centre, level, sw, sx, sy, sxx, sxy, a0, a1, edge, l, rr, d
    cdef int step, side
    if widths.shape[0] != nslices:
        raise ValueError("trace_edges: centres and widths differ in length")
    if (left.shape[0] != nbins or right.shape[0] != nbins or left.shape[1] != nslices
            or right.shape[1] != nslices):
        raise ValueError("trace_edges: left/right must be (number of bins, number of slices)")
    if not 0 <= start_bin < nbins:
        raise ValueError("trace_edges: start_bin outside the bins")
    if nsum < 1 or halfwindow < 2 or not 0.0 < edgefrac < 1.0:
        raise ValueError("trace_edges: need nsum >= 1, halfwindow >= 2, 0 < edgefrac < 1")
    for b in range(nbins):
        if row_starts[b] < 0 or row_starts[b] + nsum > ny:
            raise ValueError(f"trace_edges: row bin {b} leaves the image")
    nthreads = max(1, nthreads)
    buffers = <double *>malloc(nthreads * span * sizeof(double))
    if buffers == NULL:
        raise MemoryError()
    with nogil, parallel(num_threads=nthreads):
        profile = buffers + threadid() * span
        for s in prange(nslices, schedule="dynamic"):
            half = max(1, <Py_ssize_t>(widths[s] / 4.0))
            for direction in range(2):
                centre = centres[s]
                b = start_bin if direction == 0 else start_bin - 1
                while 0 <= b < nbins:
                    centre_pixel = <Py_ssize_t>(centre + 0.5)
                    x0 = max(0, centre_pixel - halfwindow)
                    x1 = min(nx - 1, centre_pixel + halfwindow)
                    n = x1 - x0 + 1
                    for i in range(n):
                        profile[i] = 0.0
                    for r in range(row_starts[b], row_starts[b] + nsum):
                        for i in range(n):
                            profile[i] = profile[i] + image[r, x0 + i]
                    for i in range(n):
                        profile[i] = profile[i] / nsum
                    # plateau line a0 + a1 (x - c) through the inner pixels
                    sw = 0.0
                    sx = 0.0
                    sy = 0.0
                    sxx = 0.0
                    sxy = 0.0
                    for i in range(max(0, centre_pixel - half - x0),
                                   min(n, centre_pixel + half - x0 + 1)):
                        d = <double>(i + x0 - centre_pixel)
                        sw = sw + 1.0
                        sx = sx + d
                        sy = sy + profile[i]
                        sxx = sxx + d * d
                        sxy = sxy + d * profile[i]
                    l = NAN
                    rr = NAN
                    if sw >= 2 and sw * sxx - sx * sx > 0:
                        a1 = (sw * sxy - sx * sy) / (sw * sxx - sx * sx)
                        a0 = (sy - a1 * sx) / sw
                        for side in range(2):
                            step = -1 if side == 0 else 1
                            j = centre_pixel - x0
                            edge = NAN
                            while 0 <= j + step < n:
                                level = a0 + a1 * (j + step + x0 - centre_pixel)
                                if profile[j + step] < edgefrac * level:
                                    edge = j + step * (profile[j] - edgefrac * level) / (
                                        profile[j] - profile[j + step])
                                    edge = refine_edge(profile, j, step, edge, a0, a1,
                                                       centre_pixel - x0)
                                    break
                                j = j + step
                            if side == 0:
                                l = edge
                            else:
                                rr = edge
                    if not isnan(l) and not isnan(rr) and a0 > 0:
                        left[b, s] = x0 + l
                        right[b, s] = x0 + rr
                        centre = x0 + 0.5 * (l + rr)
                    else:
                        left[b, s] = NAN
                        right[b, s] = NAN
                    b = b + 1 if direction == 0 else b - 1
    free(buffers)
