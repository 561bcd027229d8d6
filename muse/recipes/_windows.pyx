# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Window statistics: exact medians, moments, column moments and block means of images.

Every function takes typed memoryviews (any strides), releases the GIL for its loops and
spreads independent windows or rows over ``nthreads`` OpenMP threads. Coordinates are
0-based array indices; windows are ``(y0, y1, x0, x1)``, half-open.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.math cimport NAN, isnan, sqrt
from libc.stdlib cimport calloc, free, malloc
from libc.string cimport memcpy

from muse.recipes._raw cimport PARALLEL_MINIMUM


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
