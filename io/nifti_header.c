/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NIfTI headers: NIfTI-1 (348 bytes, 16-bit dims, float geometry) and
 * NIfTI-2 (540 bytes, 64-bit dims, double geometry) carry the same
 * fields at other offsets and widths, so one table per version drives a
 * single decoder and a single encoder. Orientation is read from sform or
 * qform as ITK 5 does and converted from NIfTI's RAS+ to ITK's LPS+ (the
 * first two axes change sign).
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "nifti_impl.h"

#define FMT "nifti"

/* Datatype codes, the same in both versions. */
enum {
    DT_UINT8 = 2, DT_INT16 = 4, DT_INT32 = 8, DT_FLOAT32 = 16,
    DT_FLOAT64 = 64, DT_RGB24 = 128, DT_INT8 = 256, DT_UINT16 = 512,
    DT_UINT32 = 768, DT_RGBA32 = 2304
};
#define INTENT_VECTOR 1007
#define XFORM_UNKNOWN 0
#define XFORM_SCANNER 1
/* pipit images hold at most this many components (lib/image.c). */
#define MAX_COMPONENTS 65536
/* NIfTI-1 stores dims as int16. */
#define NIFTI1_MAX_DIM 32767

static const char magic2_tail[4] = { '\r', '\n', '\032', '\n' };

/* Where a version keeps each field, and how wide its integers (dim,
 * xform codes, intent and units) and reals (pixdim, scaling, quatern,
 * srow) are. datatype and bitpix are int16 in both. */
typedef struct layout {
    size_t size, magic;
    unsigned dim_w, code_w, units_w, real_w;
    size_t dim, intent_code, datatype, bitpix, pixdim, vox_offset,
        scl_slope, scl_inter, xyzt_units, descrip, qform_code, sform_code,
        quatern, qoffset, srow;
} layout_t;

static const layout_t layout1 = {
    .size = PIPIT__NIFTI1_HDR, .magic = 344,
    .dim_w = 2, .code_w = 2, .units_w = 1, .real_w = 4,
    .dim = 40, .intent_code = 68, .datatype = 70, .bitpix = 72,
    .pixdim = 76, .vox_offset = 108, .scl_slope = 112, .scl_inter = 116,
    .xyzt_units = 123, .descrip = 148, .qform_code = 252,
    .sform_code = 254, .quatern = 256, .qoffset = 268, .srow = 280,
};

static const layout_t layout2 = {
    .size = PIPIT__NIFTI2_HDR, .magic = 4,
    .dim_w = 8, .code_w = 4, .units_w = 4, .real_w = 8,
    .dim = 16, .intent_code = 504, .datatype = 12, .bitpix = 14,
    .pixdim = 104, .vox_offset = 168, .scl_slope = 176, .scl_inter = 184,
    .xyzt_units = 500, .descrip = 240, .qform_code = 344,
    .sform_code = 348, .quatern = 352, .qoffset = 376, .srow = 400,
};

/* The fields pipit uses, whichever version, widened. */
typedef struct fields {
    const layout_t *l;
    bool pair, swap;
    int64_t dims[8];
    int datatype, bitpix;
    double pixdim[8];
    uint64_t vox_offset;
    double slope, inter;
    int qcode, scode;
    double quat[3], qoff[3], srow[3][4];
} fields_t;

/* ---- raw fields ------------------------------------------------------- */

static int64_t
get_int(const unsigned char *b, size_t off, unsigned width, bool swap)
{
    switch (width) {
    case 1:
        return (int8_t)b[off];
    case 2: {
        uint16_t v;
        memcpy(&v, b + off, 2);
        return (int16_t)(swap ? __builtin_bswap16(v) : v);
    }
    case 4: {
        uint32_t v;
        memcpy(&v, b + off, 4);
        return (int32_t)(swap ? __builtin_bswap32(v) : v);
    }
    default: {
        uint64_t v;
        memcpy(&v, b + off, 8);
        return (int64_t)(swap ? __builtin_bswap64(v) : v);
    }
    }
}

static double
get_real(const unsigned char *b, size_t off, unsigned width, bool swap)
{
    if (width == 4) {
        uint32_t v;
        float f;
        memcpy(&v, b + off, 4);
        if (swap)
            v = __builtin_bswap32(v);
        memcpy(&f, &v, 4);
        return f;
    }
    uint64_t v;
    double d;
    memcpy(&v, b + off, 8);
    if (swap)
        v = __builtin_bswap64(v);
    memcpy(&d, &v, 8);
    return d;
}

/* Headers are written in host byte order, as nifti_clib and ITK do. */
static void
put_int(unsigned char *b, size_t off, unsigned width, int64_t v)
{
    int8_t i8 = (int8_t)v;
    int16_t i16 = (int16_t)v;
    int32_t i32 = (int32_t)v;
    switch (width) {
    case 1: memcpy(b + off, &i8, 1); break;
    case 2: memcpy(b + off, &i16, 2); break;
    case 4: memcpy(b + off, &i32, 4); break;
    default: memcpy(b + off, &v, 8); break;
    }
}

static void
put_real(unsigned char *b, size_t off, unsigned width, double v)
{
    float f = (float)v;
    if (width == 4)
        memcpy(b + off, &f, 4);
    else
        memcpy(b + off, &v, 8);
}

static bool
type_of(int code, pipit_pixel_type_t *t, unsigned *comps)
{
    *comps = 1;
    switch (code) {
    case DT_UINT8: *t = PIPIT_U8; return true;
    case DT_INT8: *t = PIPIT_I8; return true;
    case DT_UINT16: *t = PIPIT_U16; return true;
    case DT_INT16: *t = PIPIT_I16; return true;
    case DT_UINT32: *t = PIPIT_U32; return true;
    case DT_INT32: *t = PIPIT_I32; return true;
    case DT_FLOAT32: *t = PIPIT_F32; return true;
    case DT_FLOAT64: *t = PIPIT_F64; return true;
    case DT_RGB24: *t = PIPIT_U8, *comps = 3; return true;
    case DT_RGBA32: *t = PIPIT_U8, *comps = 4; return true;
    default: return false;
    }
}

static int
code_of(pipit_pixel_type_t t)
{
    static const int codes[] = { DT_UINT8, DT_INT8, DT_UINT16, DT_INT16,
                                 DT_UINT32, DT_INT32, DT_FLOAT32,
                                 DT_FLOAT64 };
    return codes[t];
}

/* ---- 3x3 helpers, row-major ------------------------------------------ */

static void
normalize_columns(double *m)
{
    for (int c = 0; c < 3; c++) {
        double n = sqrt(m[c] * m[c] + m[3 + c] * m[3 + c] +
                        m[6 + c] * m[6 + c]);
        if (n > 0)
            for (int r = 0; r < 3; r++)
                m[3 * r + c] /= n;
    }
}

static bool
is_orthonormal(const double *m)
{
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            double dot = 0;
            for (int r = 0; r < 3; r++)
                dot += m[3 * r + i] * m[3 * r + j];
            /* NIfTI-1 srow values are floats: agree to float precision
             * only (NIfTI-2's doubles pass all the more) */
            if (fabs(dot - (i == j ? 1.0 : 0.0)) > 1e-4)
                return false;
        }
    return true;
}

static double
det3(const double *m)
{
    return m[0] * (m[4] * m[8] - m[5] * m[7]) -
           m[1] * (m[3] * m[8] - m[5] * m[6]) +
           m[2] * (m[3] * m[7] - m[4] * m[6]);
}

/* The rotation of quaternion (b, c, d) with a = sqrt(1 - b²-c²-d²). */
static void
quaternion_to_matrix(double b, double c, double d, double *m)
{
    double a = 1.0 - (b * b + c * c + d * d);
    if (a < 1e-7) {
        /* a 180-degree turn: renormalise (b, c, d) */
        double n = sqrt(b * b + c * c + d * d);
        if (n > 0)
            b /= n, c /= n, d /= n;
        a = 0.0;
    } else {
        a = sqrt(a);
    }
    m[0] = a * a + b * b - c * c - d * d;
    m[1] = 2 * (b * c - a * d);
    m[2] = 2 * (b * d + a * c);
    m[3] = 2 * (b * c + a * d);
    m[4] = a * a + c * c - b * b - d * d;
    m[5] = 2 * (c * d - a * b);
    m[6] = 2 * (b * d - a * c);
    m[7] = 2 * (c * d + a * b);
    m[8] = a * a + d * d - c * c - b * b;
}

/* The quaternion (b, c, d) of a proper rotation m. */
static void
matrix_to_quaternion(const double *m, double *qb, double *qc, double *qd)
{
    double a = 1.0 + m[0] + m[4] + m[8], b, c, d;
    if (a > 0.5) {
        a = 0.5 * sqrt(a);
        b = 0.25 * (m[7] - m[5]) / a;
        c = 0.25 * (m[2] - m[6]) / a;
        d = 0.25 * (m[3] - m[1]) / a;
    } else {
        double xd = 1.0 + m[0] - m[4] - m[8];
        double yd = 1.0 + m[4] - m[0] - m[8];
        double zd = 1.0 + m[8] - m[0] - m[4];
        if (xd > 1.0) {
            b = 0.5 * sqrt(xd);
            c = 0.25 * (m[1] + m[3]) / b;
            d = 0.25 * (m[2] + m[6]) / b;
            a = 0.25 * (m[7] - m[5]) / b;
        } else if (yd > 1.0) {
            c = 0.5 * sqrt(yd);
            b = 0.25 * (m[1] + m[3]) / c;
            d = 0.25 * (m[5] + m[7]) / c;
            a = 0.25 * (m[2] - m[6]) / c;
        } else {
            d = 0.5 * sqrt(zd);
            b = 0.25 * (m[2] + m[6]) / d;
            c = 0.25 * (m[5] + m[7]) / d;
            a = 0.25 * (m[3] - m[1]) / d;
        }
        if (a < 0.0)
            b = -b, c = -c, d = -d;
    }
    *qb = b, *qc = c, *qd = d;
}

/* ---- reading ---------------------------------------------------------- */

pipit_status_t
pipit__nifti_header_size(const char *path, const unsigned char *b,
                         size_t *size)
{
    int64_t sz = get_int(b, 0, 4, false), swapped = get_int(b, 0, 4, true);
    if (sz == PIPIT__NIFTI1_HDR || swapped == PIPIT__NIFTI1_HDR) {
        *size = PIPIT__NIFTI1_HDR;
        return PIPIT_OK;
    }
    if (sz == PIPIT__NIFTI2_HDR || swapped == PIPIT__NIFTI2_HDR) {
        *size = PIPIT__NIFTI2_HDR;
        return PIPIT_OK;
    }
    return pipit__error(PIPIT_EFORMAT, FMT ": '%s': not a NIfTI file "
                        "(sizeof_hdr %lld, expected 348 or 540)", path,
                        (long long)sz);
}

static pipit_status_t
check_magic(const char *path, const unsigned char *b, fields_t *f)
{
    const unsigned char *m = b + f->l->magic;
    char v = f->l == &layout2 ? '2' : '1';
    bool known = m[0] == 'n' && (m[1] == '+' || m[1] == 'i') && m[2] == v &&
                 m[3] == '\0';
    if (f->l == &layout1) {
        if (!known)
            return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': ANALYZE 7.5 "
                                "without NIfTI magic is not supported",
                                path);
    } else {
        if (!known)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': sizeof_hdr 540 "
                                "without the NIfTI-2 magic", path);
        /* The tail is there to catch text-mode transfers, which would
         * have mangled the voxels as well. */
        if (memcmp(m + 4, magic2_tail, 4) != 0)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': NIfTI-2 magic "
                                "damaged (a text-mode transfer?)", path);
    }
    f->pair = m[1] == 'i';
    return PIPIT_OK;
}

static pipit_status_t
decode(const char *path, const unsigned char *b, size_t size, fields_t *f)
{
    pipit_status_t st;
    memset(f, 0, sizeof *f);
    const layout_t *l = f->l = size == PIPIT__NIFTI2_HDR ? &layout2
                                                          : &layout1;
    bool swap = f->swap = get_int(b, 0, 4, false) != (int64_t)l->size;
    if ((st = check_magic(path, b, f)) != PIPIT_OK)
        return st;
    for (size_t i = 0; i < 8; i++) {
        f->dims[i] = get_int(b, l->dim + i * l->dim_w, l->dim_w, swap);
        f->pixdim[i] = get_real(b, l->pixdim + i * l->real_w, l->real_w,
                                swap);
    }
    f->datatype = (int)get_int(b, l->datatype, 2, swap);
    f->bitpix = (int)get_int(b, l->bitpix, 2, swap);
    f->slope = get_real(b, l->scl_slope, l->real_w, swap);
    f->inter = get_real(b, l->scl_inter, l->real_w, swap);
    f->qcode = (int)get_int(b, l->qform_code, l->code_w, swap);
    f->scode = (int)get_int(b, l->sform_code, l->code_w, swap);
    for (size_t i = 0; i < 3; i++) {
        f->quat[i] = get_real(b, l->quatern + i * l->real_w, l->real_w,
                              swap);
        f->qoff[i] = get_real(b, l->qoffset + i * l->real_w, l->real_w,
                              swap);
        for (size_t j = 0; j < 4; j++)
            f->srow[i][j] = get_real(b, l->srow + (4 * i + j) * l->real_w,
                                     l->real_w, swap);
    }

    /* A single file's voxels follow the header and its 4 extension flag
     * bytes; a pair's .img may start anywhere. NIfTI-1 keeps the offset
     * in a float, NIfTI-2 in an int64. */
    unsigned least = f->pair ? 0 : (unsigned)l->size + 4;
    if (l == &layout1) {
        double vox = get_real(b, l->vox_offset, 4, swap);
        if (!(vox >= least) || vox > 1e15 || vox != floor(vox))
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': vox_offset %g "
                                "(must be a whole number >= %u)", path, vox,
                                least);
        f->vox_offset = (uint64_t)vox;
    } else {
        int64_t vox = get_int(b, l->vox_offset, 8, swap);
        if (vox < (int64_t)least)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': vox_offset "
                                "%lld (must be >= %u)", path,
                                (long long)vox, least);
        f->vox_offset = (uint64_t)vox;
    }
    return PIPIT_OK;
}

/* Direction and origin (LPS) from qform or sform, as ITK 5 chooses. */
static pipit_status_t
orientation(const char *path, const fields_t *f, pipit__nifti_header_t *h)
{
    double m[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, off[3] = { 0, 0, 0 };
    if (f->qcode > XFORM_UNKNOWN || f->scode > XFORM_UNKNOWN) {
        double s[9], soff[3];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++)
                s[3 * r + c] = f->srow[r][c];
            soff[r] = f->srow[r][3];
        }
        double sn[9];
        memcpy(sn, s, sizeof sn);
        normalize_columns(sn);
        bool s_ok = f->scode > XFORM_UNKNOWN && isfinite(det3(s)) &&
                    fabs(det3(s)) > 0 && is_orthonormal(sn);
        double q[9], qoff[3];
        quaternion_to_matrix(f->quat[0], f->quat[1], f->quat[2], q);
        double qfac = f->pixdim[0] < 0 ? -1.0 : 1.0;
        for (int r = 0; r < 3; r++)
            q[3 * r + 2] *= qfac;
        memcpy(qoff, f->qoff, sizeof qoff);
        /* ITK 5: the sform when it is a rotation (up to scale) and the
         * qform is unknown, or the sform says scanner space, or the two
         * agree; otherwise the qform. */
        bool agree = true;
        for (int i = 0; i < 9 && agree; i++)
            agree = fabs(sn[i] - q[i]) < 1e-4;
        for (int i = 0; i < 3 && agree; i++)
            agree = fabs(soff[i] - qoff[i]) < 1e-4;
        bool use_s = s_ok && (f->qcode <= XFORM_UNKNOWN ||
                              f->scode == XFORM_SCANNER || agree);
        if (use_s) {
            memcpy(m, sn, sizeof m);
            memcpy(off, soff, sizeof off);
        } else if (f->qcode > XFORM_UNKNOWN) {
            memcpy(m, q, sizeof m);
            memcpy(off, qoff, sizeof off);
        } else {
            return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': the sform "
                                "is not a rotation and there is no qform",
                                path);
        }
        for (int i = 0; i < 9; i++)
            if (!isfinite(m[i]))
                return pipit__error(PIPIT_EFORMAT, FMT ": '%s': orientation "
                                    "is not finite", path);
        for (int i = 0; i < 3; i++)
            if (!isfinite(off[i]))
                return pipit__error(PIPIT_EFORMAT, FMT ": '%s': origin is "
                                    "not finite", path);
    }
    /* RAS -> LPS: negate rows 0 and 1 (and the origin's x and y). */
    for (int c = 0; c < 3; c++)
        m[c] = -m[c], m[3 + c] = -m[3 + c];
    off[0] = -off[0], off[1] = -off[1];
    unsigned dim = h->dim, sd = dim < 3 ? dim : 3;
    for (unsigned r = 0; r < dim; r++)
        for (unsigned c = 0; c < dim; c++)
            h->direction[r * dim + c] =
                r < sd && c < sd ? m[3 * r + c] : (r == c ? 1.0 : 0.0);
    if (dim == 2) {
        /* The 2x2 corner of a rotation need not have unit columns. */
        for (unsigned c = 0; c < 2; c++) {
            double nn = hypot(h->direction[c], h->direction[2 + c]);
            if (nn > 0)
                h->direction[c] /= nn, h->direction[2 + c] /= nn;
        }
    }
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        h->origin[d] = d < sd ? off[d] : 0.0;
    return PIPIT_OK;
}

pipit_status_t
pipit__nifti_header_parse(const char *path, const unsigned char *b,
                          size_t size, bool rescale, pipit__nifti_header_t *h)
{
    pipit_status_t st;
    fields_t f;
    memset(h, 0, sizeof *h);
    if ((st = decode(path, b, size, &f)) != PIPIT_OK)
        return st;
    h->version = f.l == &layout2 ? 2 : 1;
    h->pair = f.pair;
    h->swap = f.swap;
    h->vox_offset = f.vox_offset;

    int64_t *dims = f.dims;
    int64_t n = dims[0];
    if (n < 1 || n > 7)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': dim[0] = %lld "
                            "(valid: 1..7)", path, (long long)n);
    for (int i = 1; i <= n; i++)
        if (dims[i] < 1)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': dim[%d] = %lld",
                                path, i, (long long)dims[i]);
    for (int i = (int)n + 1; i < 8; i++)
        dims[i] = 1;
    if (!type_of(f.datatype, &h->file_type, &h->components))
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': datatype %d is "
                            "not supported", path, f.datatype);
    if ((size_t)f.bitpix !=
        8 * pipit_pixel_size(h->file_type) * h->components)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': bitpix %d does not "
                            "match datatype %d", path, f.bitpix, f.datatype);
    /* Axis 5 holds the components of a vector image (stored one volume
     * after the other); axes 6 and 7 must be empty. */
    if (dims[6] > 1 || dims[7] > 1)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': dim[6..7] = "
                            "%lld %lld: more than 5 axes", path,
                            (long long)dims[6], (long long)dims[7]);
    if (dims[5] > 1) {
        if (h->components > 1)
            return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': vector of "
                                "RGB voxels", path);
        if (dims[5] > MAX_COMPONENTS)
            return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': dim[5] = "
                                "%lld components (at most %d)", path,
                                (long long)dims[5], MAX_COMPONENTS);
        h->components = (unsigned)dims[5];
        h->planar = true;
    }
    /* Every product checked before any size is used: a NIfTI-2 dim may
     * be anything up to 2^63. */
    uint64_t bytes = pipit_pixel_size(h->file_type) * h->components;
    for (int i = 1; i <= 4; i++)
        if (!pipit__mul_u64(bytes, (uint64_t)dims[i], &bytes) ||
            bytes > (uint64_t)PTRDIFF_MAX)
            return pipit__error(PIPIT_ERANGE, FMT ": '%s': size overflows",
                                path);
    h->data_bytes = bytes;
    unsigned dim = n > 4 ? 4 : (unsigned)n;
    if (dim == 4 && dims[4] == 1)
        dim = 3;
    /* A vector file has 5 axes whatever the image's dimension: drop its
     * empty spatial axes (a 2-D vector image comes back 2-D). */
    while (h->planar && dim > 2 && dims[dim] == 1)
        dim--;
    if (dim < 2)
        dim = 2;
    h->dim = dim;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        h->size[d] = (size_t)dims[d + 1];

    /* Intensity scaling, as nifti_clib: slope 0 or not finite means
     * none, and RGB voxels are never scaled. */
    h->out_type = h->file_type;
    if (rescale && f.slope != 0.0 && isfinite(f.slope) &&
        isfinite(f.inter) && !(f.slope == 1.0 && f.inter == 0.0) &&
        !(f.datatype == DT_RGB24 || f.datatype == DT_RGBA32)) {
        h->scale = true;
        h->slope = f.slope, h->inter = f.inter;
        h->out_type = h->file_type == PIPIT_F64 ? PIPIT_F64 : PIPIT_F32;
    }

    /* Spacing from pixdim (its sign is not the orientation's business). */
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        double p = fabs(f.pixdim[d + 1]);
        /* 0 or not finite: unset (1, as ITK); tiny: an error of its own,
         * not a "singular direction" further on. */
        if (d < h->dim && p > 0 && p < PIPIT_MIN_SPACING)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': pixdim[%u] = %g "
                                "is too small for a spacing (%sthe least "
                                "is %g)", path, d + 1, f.pixdim[d + 1],
                                p < DBL_MIN ? "denormal; " : "",
                                PIPIT_MIN_SPACING);
        h->spacing[d] = p > 0 && isfinite(p) ? p : 1.0;
    }
    return orientation(path, &f, h);
}

/* ---- writing ---------------------------------------------------------- */

void
pipit__nifti_header_make(const pipit_image_t *info, pipit_pixel_type_t type,
                         bool pair, unsigned char *b, size_t *n, bool *planar)
{
    unsigned dim = info->dim, nc = info->components;
    bool rgb = type == PIPIT_U8 && (nc == 3 || nc == 4);
    *planar = nc > 1 && !rgb;
    int64_t dims[8] = { (int64_t)dim, 1, 1, 1, 1, 1, 1, 1 };
    for (unsigned d = 0; d < dim; d++)
        dims[d + 1] = (int64_t)info->size[d];
    if (*planar) {
        dims[0] = 5;
        dims[5] = nc;
    }
    bool v2 = false;
    for (int i = 1; i < 8; i++)
        v2 = v2 || dims[i] > NIFTI1_MAX_DIM;
    const layout_t *l = v2 ? &layout2 : &layout1;
    memset(b, 0, l->size + 4);
    *n = l->size + 4;
    put_int(b, 0, 4, (int64_t)l->size);
    if (v2) {
        memcpy(b + l->magic, pair ? "ni2" : "n+2", 4);
        memcpy(b + l->magic + 4, magic2_tail, 4);
    } else {
        memcpy(b + l->magic, pair ? "ni1" : "n+1", 4);
        b[38] = 'r';  /* "regular", as nifti1_io writes */
    }
    for (size_t i = 0; i < 8; i++)
        put_int(b, l->dim + i * l->dim_w, l->dim_w, dims[i]);
    if (*planar)
        put_int(b, l->intent_code, l->code_w, INTENT_VECTOR);
    put_int(b, l->datatype, 2,
            rgb ? (nc == 3 ? DT_RGB24 : DT_RGBA32) : code_of(type));
    put_int(b, l->bitpix, 2,
            (int64_t)(8 * pipit_pixel_size(type) * (rgb ? nc : 1)));
    int64_t vox = pair ? 0 : (int64_t)l->size + 4;
    if (v2)
        put_int(b, l->vox_offset, 8, vox);
    else
        put_real(b, l->vox_offset, 4, (double)vox);
    put_real(b, l->scl_slope, l->real_w, 1.0);
    put_int(b, l->xyzt_units, l->units_w, 2 | 8);  /* mm, seconds */
    memcpy(b + l->descrip, "pipit", 5);

    /* LPS direction (3x3, padded) to RAS; both forms as ITK writes. */
    double m[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 };
    double sp[3] = { 1, 1, 1 }, org[3] = { 0, 0, 0 };
    unsigned sd = dim < 3 ? dim : 3;
    for (unsigned r = 0; r < sd; r++) {
        for (unsigned c = 0; c < sd; c++)
            m[3 * r + c] = info->direction[r * dim + c];
        sp[r] = info->spacing[r];
        org[r] = info->origin[r];
    }
    for (int c = 0; c < 3; c++)
        m[c] = -m[c], m[3 + c] = -m[3 + c];
    org[0] = -org[0], org[1] = -org[1];
    unsigned w = l->real_w;
    for (unsigned d = 0; d < dim; d++)
        put_real(b, l->pixdim + (d + 1) * w, w, info->spacing[d]);
    double rot[9];
    memcpy(rot, m, sizeof rot);
    normalize_columns(rot);
    double qfac = 1.0;
    if (det3(rot) < 0) {
        qfac = -1.0;
        for (int r = 0; r < 3; r++)
            rot[3 * r + 2] = -rot[3 * r + 2];
    }
    double q[3];
    matrix_to_quaternion(rot, &q[0], &q[1], &q[2]);
    put_real(b, l->pixdim, w, qfac);
    put_int(b, l->qform_code, l->code_w, XFORM_SCANNER);
    put_int(b, l->sform_code, l->code_w, XFORM_SCANNER);
    for (size_t r = 0; r < 3; r++) {
        put_real(b, l->quatern + r * w, w, q[r]);
        put_real(b, l->qoffset + r * w, w, org[r]);
        for (size_t c = 0; c < 3; c++)
            put_real(b, l->srow + (4 * r + c) * w, w, m[3 * r + c] * sp[c]);
        put_real(b, l->srow + (4 * r + 3) * w, w, org[r]);
    }
}
