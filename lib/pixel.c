/* SPDX-License-Identifier: Apache-2.0 */
/* Facts about pixel types. */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include <pipit/types.h>

#include "error_impl.h"

static const struct {
    const char *name;
    const char *elastix; /* the spelling elastix and ITK write */
    size_t size;
    bool is_float, is_signed;
    double lo, hi;
} info[PIPIT_PIXEL_TYPE_COUNT] = {
    [PIPIT_U8] = { "u8", "unsigned char", 1, false, false, 0, UINT8_MAX },
    [PIPIT_I8] = { "i8", "char", 1, false, true, INT8_MIN, INT8_MAX },
    [PIPIT_U16] = { "u16", "unsigned short", 2, false, false, 0, UINT16_MAX },
    [PIPIT_I16] = { "i16", "short", 2, false, true, INT16_MIN, INT16_MAX },
    [PIPIT_U32] = { "u32", "unsigned int", 4, false, false, 0, UINT32_MAX },
    [PIPIT_I32] = { "i32", "int", 4, false, true, INT32_MIN, INT32_MAX },
    [PIPIT_F32] = { "f32", "float", 4, true, true, -FLT_MAX, FLT_MAX },
    [PIPIT_F64] = { "f64", "double", 8, true, true, -DBL_MAX, DBL_MAX },
};

static bool
known(pipit_pixel_type_t t)
{
    return (unsigned)t < PIPIT_PIXEL_TYPE_COUNT;
}

size_t
pipit_pixel_size(pipit_pixel_type_t t)
{
    return known(t) ? info[t].size : 0;
}

const char *
pipit_pixel_type_name(pipit_pixel_type_t t)
{
    return known(t) ? info[t].name : "?";
}

const char *
pipit_pixel_type_elastix_name(pipit_pixel_type_t t)
{
    return known(t) ? info[t].elastix : "?";
}

bool
pipit_pixel_type_is_float(pipit_pixel_type_t t)
{
    return known(t) && info[t].is_float;
}

bool
pipit_pixel_type_is_signed(pipit_pixel_type_t t)
{
    return known(t) && info[t].is_signed;
}

void
pipit_pixel_type_range(pipit_pixel_type_t t, double *lo, double *hi)
{
    *lo = known(t) ? info[t].lo : 0;
    *hi = known(t) ? info[t].hi : 0;
}

pipit_status_t
pipit_pixel_type_parse(const char *text, pipit_pixel_type_t *out)
{
    /* Aliases users type: ITK/elastix names and MetaImage's MET_ names
     * are handled by the readers that meet them. */
    static const struct {
        const char *name;
        pipit_pixel_type_t t;
    } alias[] = {
        { "uchar", PIPIT_U8 }, { "uint8", PIPIT_U8 }, { "int8", PIPIT_I8 },
        { "signed char", PIPIT_I8 }, { "ushort", PIPIT_U16 },
        { "uint16", PIPIT_U16 }, { "int16", PIPIT_I16 },
        { "uint", PIPIT_U32 }, { "uint32", PIPIT_U32 },
        { "int32", PIPIT_I32 }, { "float32", PIPIT_F32 },
        { "float64", PIPIT_F64 }, { "long", PIPIT_I32 },
        { "unsigned long", PIPIT_U32 },
    };
    PIPIT_CHECK_ARG(text != NULL && out != NULL);
    for (unsigned t = 0; t < PIPIT_PIXEL_TYPE_COUNT; t++)
        if (strcmp(text, info[t].name) == 0 ||
            strcmp(text, info[t].elastix) == 0) {
            *out = (pipit_pixel_type_t)t;
            return PIPIT_OK;
        }
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (strcmp(text, alias[i].name) == 0) {
            *out = alias[i].t;
            return PIPIT_OK;
        }
    return pipit__error(PIPIT_EINVAL,
                        "unknown pixel type '%s' (valid: u8 i8 u16 i16 u32 "
                        "i32 f32 f64, or elastix names such as "
                        "\"unsigned char\", \"short\", \"float\")",
                        text);
}
