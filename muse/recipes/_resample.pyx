# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Resampling pixel-table rows into a wavelength slab of a cube (drizzle, nearest).

The columns come as raw 32-bit words of the big-endian FITS file (mapped, never copied); the
kernel swaps the bytes of each value it reads. For one slab of ``nz`` planes it accumulates,
per voxel, the weights ``W = Σ w``, ``D = Σ w f d`` and ``S = Σ w² f² s`` of the rows given
(``f`` the calibration factor at the row's wavelength, linear in a table); :func:`finish`
turns them into ``D / W`` and ``S / W²`` (NaN where ``W = 0``). Rows with ``dq ≠ 0`` or
non-finite values are skipped. With OpenMP each thread owns a range of planes and reads all
rows, so no two threads write the same voxel.

Coordinates are in output voxel units: ``u = (x - x0) / sx`` is 0 at the centre of the first
column. A drizzle drop spans ``u ± hx``, ``v ± hy``, ``z ± hz`` and gives each voxel its
overlap volume as weight; nearest gives the voxel that holds the row's position weight 1.
"""

from cython.parallel cimport prange

import numpy as np
from libc.math cimport floor, isfinite, NAN
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t, uintptr_t
from libc.string cimport memcpy

cdef extern from *:
    uint32_t __builtin_bswap32(uint32_t) nogil


cdef inline float _value(uint32_t word) noexcept nogil:
    cdef uint32_t swapped = __builtin_bswap32(word)
    cdef float value
    memcpy(&value, &swapped, 4)
    return value


cdef inline double _overlap(double low, double high, long cell) noexcept nogil:
    cdef double a = low if low > cell - 0.5 else cell - 0.5
    cdef double b = high if high < cell + 0.5 else cell + 0.5
    return b - a if b > a else 0.0


cdef inline double _factor(const double[:] table, double position) noexcept nogil:
    cdef long n = table.shape[0]
    cdef long k
    cdef double t
    if position <= 0.0:
        return table[0]
    if position >= n - 1:
        return table[n - 1]
    k = <long>position
    t = position - k
    return table[k] * (1.0 - t) + table[k + 1] * t


cdef void _add_rows(const uint32_t* xpos, const uint32_t* ypos, const uint32_t* lam,
                    const uint32_t* data, const uint32_t* dq, const uint32_t* stat,
                    const int32_t* rows, long nrows, double[:, :, ::1] wsum,
                    double[:, :, ::1] dsum, double[:, :, ::1] ssum, long zfirst, long zlast,
                    double x0, double y0, double sx, double sy, double lam0, double dlam,
                    double hx, double hy, double hz, const double[:] factor,
                    double factor_lam0, double factor_step, bint nearest) noexcept nogil:
    cdef long ny = wsum.shape[1], nx = wsum.shape[2]
    cdef long r, row, i, j, k, i0, i1, j0, j1, k0, k1
    cdef double u, v, z, wavelength, value, variance, f, wy, wz, w
    for r in range(nrows):
        row = rows[r]
        wavelength = _value(lam[row])
        z = (wavelength - lam0) / dlam
        if nearest:
            k0 = <long>floor(z + 0.5)
            k1 = k0
        else:
            k0 = <long>floor(z - hz + 0.5)
            k1 = <long>floor(z + hz + 0.5)
        if k0 < zfirst:
            k0 = zfirst
        if k1 > zlast - 1:
            k1 = zlast - 1
        if k1 < k0 or dq[row] != 0:
            continue
        value = _value(data[row])
        variance = _value(stat[row])
        if not (isfinite(value) and isfinite(variance) and isfinite(z)):
            continue
        u = (_value(xpos[row]) - x0) / sx
        v = (_value(ypos[row]) - y0) / sy
        if nearest:
            i0 = <long>floor(u + 0.5)
            i1 = i0
            j0 = <long>floor(v + 0.5)
            j1 = j0
        else:
            i0 = <long>floor(u - hx + 0.5)
            i1 = <long>floor(u + hx + 0.5)
            j0 = <long>floor(v - hy + 0.5)
            j1 = <long>floor(v + hy + 0.5)
        if i0 < 0:
            i0 = 0
        if i1 > nx - 1:
            i1 = nx - 1
        if j0 < 0:
            j0 = 0
        if j1 > ny - 1:
            j1 = ny - 1
        f = _factor(factor, (wavelength - factor_lam0) / factor_step)
        value = value * f
        variance = variance * f * f
        for k in range(k0, k1 + 1):
            wz = 1.0 if nearest else _overlap(z - hz, z + hz, k)
            for j in range(j0, j1 + 1):
                wy = wz if nearest else wz * _overlap(v - hy, v + hy, j)
                for i in range(i0, i1 + 1):
                    w = wy if nearest else wy * _overlap(u - hx, u + hx, i)
                    if w > 0.0:
                        wsum[k, j, i] += w
                        dsum[k, j, i] += w * value
                        ssum[k, j, i] += w * w * variance


def accumulate(const uint64_t[:, ::1] columns, const uint64_t[:, ::1] rows,
               const int64_t[:, ::1] nrows,
               double[:, :, ::1] wsum, double[:, :, ::1] dsum, double[:, :, ::1] ssum,
               double x0, double y0, double sx, double sy, double lam0, double dlam,
               double hx, double hy, const double[:] hz, const double[:, ::1] factor,
               double factor_lam0, double factor_step, bint nearest=False, int nthreads=1):
    """Add the given rows of every table to the slab sums ``wsum``, ``dsum``, ``ssum`` (z, y, x).

    Table ``t`` is given by addresses: ``columns[t]`` of its ``xpos ypos lambda data dq stat``
    words, ``rows[t, 0]`` and ``rows[t, 1]`` of two lists of ``nrows[t, 0]`` and
    ``nrows[t, 1]`` int32 row numbers; the caller keeps those arrays alive. ``lam0`` is the wavelength of the slab's first plane, ``dlam`` the plane step;
    ``hx``, ``hy`` and ``hz[t]`` are the drop's half sizes in voxels (ignored by ``nearest``);
    ``factor[t]`` samples table ``t``'s calibration factor from ``factor_lam0`` every
    ``factor_step`` Å.
    """
    cdef long nz = wsum.shape[0]
    cdef long ntables = columns.shape[0]
    cdef int thread, nt = max(1, min(nthreads, nz))
    cdef long item, t, part, zfirst, zlast
    for thread in prange(nt, nogil=True, num_threads=nt, schedule="static", chunksize=1):
        zfirst = thread * nz // nt
        zlast = (thread + 1) * nz // nt
        for item in range(ntables * 2):
            t = item // 2
            part = item % 2
            _add_rows(<const uint32_t*><uintptr_t>columns[t, 0],
                      <const uint32_t*><uintptr_t>columns[t, 1],
                      <const uint32_t*><uintptr_t>columns[t, 2],
                      <const uint32_t*><uintptr_t>columns[t, 3],
                      <const uint32_t*><uintptr_t>columns[t, 4],
                      <const uint32_t*><uintptr_t>columns[t, 5],
                      <const int32_t*><uintptr_t>rows[t, part], nrows[t, part], wsum, dsum,
                      ssum,
                      zfirst, zlast, x0, y0, sx, sy, lam0, dlam, hx, hy, hz[t], factor[t],
                      factor_lam0, factor_step, nearest)


def collapse(const float[:, :, ::1] data, const float[:, :, ::1] stat,
             const double[:, ::1] weights, double[:, :, :, ::1] sums, int nthreads=1):
    """Add a slab to filter sums: ``sums[f] += (Σ w d, Σ w, Σ w² s)`` over finite voxels.

    ``weights[f, k]`` is filter ``f``'s throughput at plane ``k`` of the slab.
    """
    cdef long nz = data.shape[0], ny = data.shape[1], nx = data.shape[2]
    cdef long nf = weights.shape[0]
    cdef long f, k, j, i
    cdef double w
    cdef float value
    for j in prange(ny, nogil=True, num_threads=max(1, nthreads), schedule="static"):
        for f in range(nf):
            for k in range(nz):
                w = weights[f, k]
                if w == 0.0:
                    continue
                for i in range(nx):
                    value = data[k, j, i]
                    if isfinite(value):
                        sums[f, 0, j, i] += w * value
                        sums[f, 1, j, i] += w
                        sums[f, 2, j, i] += w * w * stat[k, j, i]


def finish(const double[:, :, ::1] wsum, const double[:, :, ::1] dsum,
           const double[:, :, ::1] ssum, float[:, :, ::1] data, float[:, :, ::1] stat,
           int nthreads=1):
    """``data = D / W`` and ``stat = S / W²`` per voxel, NaN where no row contributed."""
    cdef long nz = wsum.shape[0], ny = wsum.shape[1], nx = wsum.shape[2]
    cdef long k, j, i
    cdef double w
    for k in prange(nz, nogil=True, num_threads=max(1, nthreads), schedule="static"):
        for j in range(ny):
            for i in range(nx):
                w = wsum[k, j, i]
                if w > 0.0:
                    data[k, j, i] = <float>(dsum[k, j, i] / w)
                    stat[k, j, i] = <float>(ssum[k, j, i] / (w * w))
                else:
                    data[k, j, i] = NAN
                    stat[k, j, i] = NAN


cdef inline long _bucket(double plane, long slab_planes, long nslabs) noexcept nogil:
    cdef long b
    if not isfinite(plane) or plane < 0:
        return 0
    b = <long>(plane / slab_planes) + 1
    return b if b <= nslabs + 1 else nslabs + 1


cdef void _counting_sort(const int32_t[:] keys, int64_t[:] bounds, int32_t[:] order,
                         long nbuckets) noexcept nogil:
    # keys < 0 are left out; bounds (zeroed, nbuckets + 1) and order are filled
    cdef long r, b, n = keys.shape[0]
    for r in range(n):
        if keys[r] >= 0:
            bounds[keys[r] + 1] += 1
    for b in range(nbuckets):
        bounds[b + 1] += bounds[b]
    for r in range(n):
        b = keys[r]
        if b >= 0:
            order[bounds[b]] = <int32_t>r
            bounds[b] += 1
    for b in range(nbuckets, 0, -1):
        bounds[b] = bounds[b - 1]
    bounds[0] = 0


def bucket_rows(const uint32_t[:] lam, double lam0, double dlam, double half_planes,
                long slab_planes, long nslabs):
    """Rows by slab bucket, stable counting sorts: ``(order, bounds, extra, extra_bounds)``.

    A row's bucket is 1 + the slab of the lowest plane its drop reaches, clipped to
    ``0 … nslabs + 1`` (0: below the cube, ``nslabs + 1``: above; NaN goes to 0); bucket
    ``b``'s rows, in file order, are ``order[bounds[b]:bounds[b + 1]]``. A row whose drop
    also reaches the next bucket is listed there again, in ``extra[extra_bounds[b + 1]:…]``
    (drops are shorter than a slab, so never further).
    """
    cdef long n = lam.shape[0], nbuckets = nslabs + 2
    cdef long r, low, high
    cdef double z
    keys_array = np.empty(n, dtype=np.int32)
    spill_array = np.empty(n, dtype=np.int32)
    bounds_array = np.zeros(nbuckets + 1, dtype=np.int64)
    extra_bounds_array = np.zeros(nbuckets + 1, dtype=np.int64)
    cdef int32_t[:] keys = keys_array
    cdef int32_t[:] spill = spill_array
    cdef long nextra = 0
    with nogil:
        for r in range(n):
            z = (_value(lam[r]) - lam0) / dlam
            low = _bucket(floor(z - half_planes + 0.5), slab_planes, nslabs)
            high = _bucket(floor(z + half_planes + 0.5), slab_planes, nslabs)
            keys[r] = <int32_t>low
            if high > low:
                spill[r] = <int32_t>(low + 1)
                nextra += 1
            else:
                spill[r] = -1
    order_array = np.empty(n, dtype=np.int32)
    extra_array = np.empty(nextra, dtype=np.int32)
    cdef int32_t[:] order = order_array
    cdef int32_t[:] extra = extra_array
    cdef int64_t[:] bounds = bounds_array
    cdef int64_t[:] extra_bounds = extra_bounds_array
    with nogil:
        _counting_sort(keys, bounds, order, nbuckets)
        _counting_sort(spill, extra_bounds, extra, nbuckets)
    return order_array, bounds_array, extra_array, extra_bounds_array
