# What the kernel modules share: the raw pixel type, the one rule that decodes a raw value,
# and the size below which a loop is not worth spreading over threads.

ctypedef unsigned short u16

cdef enum:
    # below this many pixels a loop runs on one thread: starting threads would cost more
    PARALLEL_MINIMUM = 262144

cdef extern from *:
    """
    #include <stdint.h>
    /* The value of a raw MUSE pixel: its stored 16 bits as int16 (byte-swapped first when
       swap: FITS data are big-endian) plus BZERO. Every kernel decodes raw data with this. */
    static inline float muse_raw_value(uint16_t bits, int swap, float bzero) {
        bits = swap ? (uint16_t)((bits >> 8) | (bits << 8)) : bits;
        return (float)(int16_t)bits + bzero;
    }
    """
    float raw_value "muse_raw_value"(u16 bits, int swap, float bzero) noexcept nogil
