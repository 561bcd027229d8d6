# cython: boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Raw decoding: stored 16-bit pixels to values, with the raw histogram and saturation.

Raw MUSE pixels are stored as big-endian 16-bit integers with ``BZERO = 32768``; these
functions take the stored bits viewed as native ``uint16`` (a memmap of the file's bytes)
plus ``swap`` (the bytes are big-endian) and ``bzero``, so no scaled copy of a raw frame is
ever made. The rule itself is ``raw_value`` of ``_raw.pxd``, the only place it is written.
Coordinates are 0-based array indices; the GIL is released in every loop.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.stdlib cimport calloc, free

from muse.recipes._raw cimport PARALLEL_MINIMUM, raw_value, u16

cdef int HISTOGRAM_COPIES = 4


cdef extern from *:
    """
    /* One row of raw 16-bit data through muse_raw_value: writes value - offset and returns
       how many values exceed saturation; no branches, so the compiler vectorises it. */
    static long muse_decode_row(const uint16_t *restrict stored, float *restrict out,
                                Py_ssize_t n, int swap, float bzero, float offset,
                                float saturation) {
        long count = 0;
        for (Py_ssize_t x = 0; x < n; x++) {
            float value = muse_raw_value(stored[x], swap, bzero);
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
    static inline unsigned int muse_raw_bin(uint16_t bits, int swap) {
        return (unsigned int)muse_raw_value(bits, swap, 32768.0f);
    }
    static void muse_count_row(const uint16_t *restrict stored, Py_ssize_t n, int swap,
                               unsigned int *restrict counts) {
        Py_ssize_t x = 0;
        for (; x + 4 <= n; x += 4) {
            for (int k = 0; k < 4; k++) {
                counts[k * 65536 + muse_raw_bin(stored[x + k], swap)]++;
            }
        }
        for (; x < n; x++) {
            counts[muse_raw_bin(stored[x], swap)]++;
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
                if raw_value(stored[y, x], swap, <float>bzero) > limit:
                    dq[y, x] = dq[y, x] | flag
                    count += 1
    return count
