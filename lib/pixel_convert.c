/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Conversion between pixel types: one rule (round half away from zero,
 * clamp, NaN to 0) for readers, writers and filters alike.
 */
#include <math.h>
#include <string.h>

#include "pixel_convert_impl.h"

/* ---- conversion ---------------------------------------------------- */

/* Integer targets round half away from zero and clamp, NaN giving 0:
 * the rule of pipit_image_set_value, so a converted file and a
 * converted image agree. */
#define TO_INT(name, ctype, lo, hi)                                        \
    static inline ctype to_##name(double v)                                \
    {                                                                      \
        if (isnan(v))                                                      \
            return 0;                                                      \
        v = round(v);                                                      \
        return (ctype)(v < (lo) ? (lo) : v > (hi) ? (hi) : v);             \
    }
TO_INT(u8, uint8_t, 0.0, 255.0)
TO_INT(i8, int8_t, -128.0, 127.0)
TO_INT(u16, uint16_t, 0.0, 65535.0)
TO_INT(i16, int16_t, -32768.0, 32767.0)
TO_INT(u32, uint32_t, 0.0, 4294967295.0)
TO_INT(i32, int32_t, -2147483648.0, 2147483647.0)
static inline float to_f32(double v) { return (float)v; }
static inline double to_f64(double v) { return v; }

typedef void (*conv_fn)(const void *, void *, size_t, double, double);

#define CONV(sn, st, dn, dt)                                               \
    static void conv_##sn##_##dn(const void *s, void *d, size_t n,         \
                                 double slope, double inter)               \
    {                                                                      \
        const st *a = s;                                                   \
        dt *b = d;                                                         \
        if (slope == 1.0 && inter == 0.0)                                  \
            for (size_t i = 0; i < n; i++)                                 \
                b[i] = to_##dn((double)a[i]);                              \
        else                                                               \
            for (size_t i = 0; i < n; i++)                                 \
                b[i] = to_##dn((double)a[i] * slope + inter);              \
    }
#define CONV_FROM(sn, st)                                                  \
    CONV(sn, st, u8, uint8_t)                                              \
    CONV(sn, st, i8, int8_t)                                               \
    CONV(sn, st, u16, uint16_t)                                            \
    CONV(sn, st, i16, int16_t)                                             \
    CONV(sn, st, u32, uint32_t)                                            \
    CONV(sn, st, i32, int32_t)                                             \
    CONV(sn, st, f32, float)                                               \
    CONV(sn, st, f64, double)
CONV_FROM(u8, uint8_t)
CONV_FROM(i8, int8_t)
CONV_FROM(u16, uint16_t)
CONV_FROM(i16, int16_t)
CONV_FROM(u32, uint32_t)
CONV_FROM(i32, int32_t)
CONV_FROM(f32, float)
CONV_FROM(f64, double)

#define ROW(sn)                                                            \
    { conv_##sn##_u8, conv_##sn##_i8, conv_##sn##_u16, conv_##sn##_i16,    \
      conv_##sn##_u32, conv_##sn##_i32, conv_##sn##_f32, conv_##sn##_f64 }
/* Indexed [source][target] in pipit_pixel_type_t order. */
static const conv_fn conv_table[PIPIT_PIXEL_TYPE_COUNT]
                               [PIPIT_PIXEL_TYPE_COUNT] = {
    ROW(u8), ROW(i8), ROW(u16), ROW(i16),
    ROW(u32), ROW(i32), ROW(f32), ROW(f64),
};

void
pipit__convert(const void *src, pipit_pixel_type_t st, void *dst,
               pipit_pixel_type_t dt, size_t n)
{
    if (st == dt) {
        if (src != dst)
            memmove(dst, src, n * pipit_pixel_size(st));
        return;
    }
    conv_table[st][dt](src, dst, n, 1.0, 0.0);
}

void
pipit__convert_scaled(const void *src, pipit_pixel_type_t st, void *dst,
                      pipit_pixel_type_t dt, size_t n, double slope,
                      double inter)
{
    conv_table[st][dt](src, dst, n, slope, inter);
}
