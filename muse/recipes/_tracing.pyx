# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Tracing: the left and right half-light edges of the slices of a flat, row bin by row bin.

The slices are followed in parallel over ``nthreads`` OpenMP threads with the GIL released.
Coordinates are 0-based array indices.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.math cimport M_SQRT1_2, NAN, erfc, exp, isnan, log, sqrt
from libc.stdlib cimport free, malloc


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
