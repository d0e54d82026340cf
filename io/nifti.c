/* SPDX-License-Identifier: Apache-2.0 */
/*
 * NIfTI-1 single files (.nii, and .nii.gz through zlib): a 348-byte
 * binary header, 4 extension bytes, then the voxels. Orientation is read
 * from sform or qform as ITK 5 does and converted from NIfTI's RAS+ to
 * ITK's LPS+ (the first two axes change sign).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io_impl.h"

#define FMT "nifti"
#define HDR_SIZE 348
#define ZLIB_MAX_RATIO 1040u

/* NIfTI-1 datatype codes */
enum {
    DT_UINT8 = 2, DT_INT16 = 4, DT_INT32 = 8, DT_FLOAT32 = 16,
    DT_FLOAT64 = 64, DT_RGB24 = 128, DT_INT8 = 256, DT_UINT16 = 512,
    DT_UINT32 = 768, DT_RGBA32 = 2304
};
#define INTENT_VECTOR 1007
#define XFORM_UNKNOWN 0
#define XFORM_SCANNER 1

typedef struct nifti_header {
    unsigned dim;                 /* image dim, 2..4 */
    size_t size[PIPIT_MAX_DIM];
    double spacing[PIPIT_MAX_DIM], origin[PIPIT_MAX_DIM];
    double direction[PIPIT_MAX_DIM * PIPIT_MAX_DIM];
    pipit_pixel_type_t file_type, out_type;
    unsigned components;
    bool planar, swap, scale;
    double slope, inter;
    uint64_t vox_offset, data_bytes;
} nifti_header_t;

typedef struct nifti_reader {
    pipit_node_t base;
    char *path;
    bool rescale;
    nifti_header_t h;
    bool have_header, gz;
    /* .nii.gz: the stream stays open between runs (see metaimage.c). */
    pipit__inflater_t *z;
    int fd;
} nifti_reader_t;

/* ---- little helpers on the raw header --------------------------------- */

static int16_t
get_i16(const unsigned char *b, size_t off, bool swap)
{
    uint16_t v;
    memcpy(&v, b + off, 2);
    if (swap)
        v = __builtin_bswap16(v);
    return (int16_t)v;
}

static int32_t
get_i32(const unsigned char *b, size_t off, bool swap)
{
    uint32_t v;
    memcpy(&v, b + off, 4);
    if (swap)
        v = __builtin_bswap32(v);
    return (int32_t)v;
}

static double
get_f32(const unsigned char *b, size_t off, bool swap)
{
    uint32_t v;
    float f;
    memcpy(&v, b + off, 4);
    if (swap)
        v = __builtin_bswap32(v);
    memcpy(&f, &v, 4);
    return f;
}

static void
put_i16(unsigned char *b, size_t off, int v)
{
    int16_t s = (int16_t)v;
    memcpy(b + off, &s, 2);
}

static void
put_i32(unsigned char *b, size_t off, int32_t v)
{
    memcpy(b + off, &v, 4);
}

static void
put_f32(unsigned char *b, size_t off, double v)
{
    float f = (float)v;
    memcpy(b + off, &f, 4);
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

/* 3x3 helpers, row-major */
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
            /* srow values are floats: agree to float precision only */
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

/* ---- reading the header ---------------------------------------------- */

static pipit_status_t
parse_header(const char *path, const unsigned char *b, bool gz,
             uint64_t fsize, bool rescale, nifti_header_t *h)
{
    memset(h, 0, sizeof *h);
    bool swap = false;
    int32_t sz = get_i32(b, 0, false);
    if (sz != HDR_SIZE) {
        if (get_i32(b, 0, true) != HDR_SIZE)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': not a NIfTI-1 "
                                "file (header size %d, expected 348)", path,
                                (int)sz);
        swap = true;
    }
    if (memcmp(b + 344, "ni1\0", 4) == 0)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': a .hdr/.img "
                            "pair header; only single .nii files are "
                            "supported", path);
    if (memcmp(b + 344, "n+1\0", 4) != 0)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': no NIfTI-1 "
                            "magic (Analyze 7.5 is not supported)", path);
    h->swap = swap != pipit__host_is_big_endian();
    int dims[8];
    for (int i = 0; i < 8; i++)
        dims[i] = get_i16(b, 40 + 2 * (size_t)i, swap);
    int n = dims[0];
    if (n < 1 || n > 7)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': dim[0] = %d (valid: "
                            "1..7)", path, n);
    for (int i = 1; i <= n; i++)
        if (dims[i] < 1)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': dim[%d] = %d",
                                path, i, dims[i]);
    for (int i = n + 1; i < 8; i++)
        dims[i] = 1;
    int code = get_i16(b, 70, swap);
    int bitpix = get_i16(b, 72, swap);
    if (!type_of(code, &h->file_type, &h->components))
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': datatype %d is "
                            "not supported", path, code);
    if ((size_t)bitpix != 8 * pipit_pixel_size(h->file_type) * h->components)
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': bitpix %d does not "
                            "match datatype %d", path, bitpix, code);
    /* Axis 5 holds the components of a vector image (stored one volume
     * after the other); axes 6 and 7 must be empty. */
    if (dims[6] > 1 || dims[7] > 1)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': dim[6..7] = "
                            "%d %d: more than 5 axes", path, dims[6],
                            dims[7]);
    if (dims[5] > 1) {
        if (h->components > 1)
            return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': vector of "
                                "RGB voxels", path);
        h->components = (unsigned)dims[5];
        h->planar = true;
    }
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

    uint64_t bytes = pipit_pixel_size(h->file_type) * h->components;
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++)
        if (!pipit__mul_u64(bytes, h->size[d], &bytes) ||
            bytes > (uint64_t)PTRDIFF_MAX)
            return pipit__error(PIPIT_ERANGE, FMT ": '%s': size overflows",
                                path);
    h->data_bytes = bytes;
    double vox = get_f32(b, 108, swap);
    if (!(vox >= 352.0) || vox > 1e15 || vox != floor(vox))
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s': vox_offset %g (must "
                            "be a whole number >= 352)", path, vox);
    h->vox_offset = (uint64_t)vox;
    if (gz) {
        uint64_t most;
        if (!pipit__mul_u64(fsize, ZLIB_MAX_RATIO, &most) ||
            most + 4096 < h->vox_offset + h->data_bytes)
            return pipit__error(PIPIT_EFORMAT, FMT ": '%s': %llu compressed "
                                "bytes cannot hold the %llu bytes the "
                                "header claims", path,
                                (unsigned long long)fsize,
                                (unsigned long long)h->data_bytes);
    } else if (fsize < h->vox_offset || fsize - h->vox_offset < bytes) {
        return pipit__error(PIPIT_EFORMAT, FMT ": '%s' is truncated: %llu "
                            "bytes of voxels expected, %llu present", path,
                            (unsigned long long)bytes,
                            (unsigned long long)(fsize < h->vox_offset
                                                     ? 0
                                                     : fsize - h->vox_offset));
    }

    /* Intensity scaling, as nifti1_io: slope 0 or not finite means none,
     * and RGB voxels are never scaled. */
    double slope = get_f32(b, 112, swap), inter = get_f32(b, 116, swap);
    h->out_type = h->file_type;
    if (rescale && slope != 0.0 && isfinite(slope) && isfinite(inter) &&
        !(slope == 1.0 && inter == 0.0) &&
        !(code == DT_RGB24 || code == DT_RGBA32)) {
        h->scale = true;
        h->slope = slope, h->inter = inter;
        h->out_type = h->file_type == PIPIT_F64 ? PIPIT_F64 : PIPIT_F32;
    }

    /* Spacing from pixdim (its sign is not the orientation's business). */
    for (unsigned d = 0; d < PIPIT_MAX_DIM; d++) {
        double p = fabs(get_f32(b, 80 + 4 * (size_t)d, swap));
        h->spacing[d] = p > 0 && isfinite(p) ? p : 1.0;
        h->origin[d] = 0.0;
    }

    /* Orientation, RAS from the file then to LPS. */
    int qcode = get_i16(b, 252, swap), scode = get_i16(b, 254, swap);
    double m[9] = { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, off[3] = { 0, 0, 0 };
    if (qcode > XFORM_UNKNOWN || scode > XFORM_UNKNOWN) {
        double s[9], soff[3];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 3; c++)
                s[3 * r + c] = get_f32(b, 280 + 16 * (size_t)r + 4 * (size_t)c,
                                       swap);
            soff[r] = get_f32(b, 280 + 16 * (size_t)r + 12, swap);
        }
        double sn[9];
        memcpy(sn, s, sizeof sn);
        normalize_columns(sn);
        bool s_ok = scode > XFORM_UNKNOWN && isfinite(det3(s)) &&
                    fabs(det3(s)) > 0 && is_orthonormal(sn);
        double q[9], qoff[3];
        double qb = get_f32(b, 256, swap), qc = get_f32(b, 260, swap),
               qd = get_f32(b, 264, swap);
        quaternion_to_matrix(qb, qc, qd, q);
        double qfac = get_f32(b, 76, swap) < 0 ? -1.0 : 1.0;
        for (int r = 0; r < 3; r++)
            q[3 * r + 2] *= qfac;
        for (int r = 0; r < 3; r++)
            qoff[r] = get_f32(b, 268 + 4 * (size_t)r, swap);
        /* ITK 5: the sform when it is a rotation (up to scale) and the
         * qform is unknown, or the sform says scanner space, or the two
         * agree; otherwise the qform. */
        bool agree = true;
        for (int i = 0; i < 9 && agree; i++)
            agree = fabs(sn[i] - q[i]) < 1e-4;
        for (int i = 0; i < 3 && agree; i++)
            agree = fabs(soff[i] - qoff[i]) < 1e-4;
        bool use_s = s_ok && (qcode <= XFORM_UNKNOWN ||
                              scode == XFORM_SCANNER || agree);
        if (use_s) {
            memcpy(m, sn, sizeof m);
            memcpy(off, soff, sizeof off);
        } else if (qcode > XFORM_UNKNOWN) {
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
    unsigned sd = dim < 3 ? dim : 3;
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
    for (unsigned d = 0; d < sd; d++)
        h->origin[d] = off[d];
    return PIPIT_OK;
}

static pipit_status_t
read_header(nifti_reader_t *r, const char *path)
{
    unsigned char b[HDR_SIZE];
    uint64_t fsize;
    pipit_status_t st;
    if ((st = pipit__file_open(FMT, path, &r->fd, &fsize)) != PIPIT_OK)
        return st;
    r->gz = pipit__ends_with(path, ".gz");
    if (r->gz) {
        if ((st = pipit__inflater_new(r->fd, 0, fsize, FMT, path, &r->z)) !=
            PIPIT_OK)
            return st;
        st = pipit__inflater_read(r->z, 0, b, HDR_SIZE);
    } else {
        st = pipit__file_pread(r->fd, b, HDR_SIZE, 0, FMT, path);
    }
    if (st != PIPIT_OK)
        return st;
    return parse_header(path, b, r->gz, fsize, r->rescale, &r->h);
}

static void
close_file(nifti_reader_t *r)
{
    pipit__inflater_free(r->z);
    r->z = NULL;
    if (r->fd >= 0)
        close(r->fd);
    r->fd = -1;
}

static pipit_status_t
nifti_init(pipit_node_t *n)
{
    ((nifti_reader_t *)n)->fd = -1;
    return PIPIT_OK;
}

static pipit_status_t
nifti_information(pipit_node_t *n)
{
    nifti_reader_t *r = (nifti_reader_t *)n;
    const char *path;
    pipit_status_t st = pipit__reader_path(n, &path);
    if (st != PIPIT_OK)
        return st;
    close_file(r);
    r->have_header = false;
    if ((st = read_header(r, path)) != PIPIT_OK) {
        close_file(r);
        return st;
    }
    r->have_header = true;
    const nifti_header_t *h = &r->h;
    return pipit__reader_set_output(n, h->dim, h->size, h->out_type,
                                    h->components, h->spacing, h->origin,
                                    h->direction);
}

static pipit_status_t
nifti_read(void *ctx, uint64_t pos, void *dst, size_t n)
{
    nifti_reader_t *r = ctx;
    pos += r->h.vox_offset;
    if (r->z != NULL)
        return pipit__inflater_read(r->z, pos, dst, n);
    return pipit__file_pread(r->fd, dst, n, pos, FMT, r->path);
}

static pipit_status_t
nifti_generate(pipit_node_t *n)
{
    nifti_reader_t *r = (nifti_reader_t *)n;
    const nifti_header_t *h = &r->h;
    if (!r->have_header || r->fd < 0)
        return pipit__node_error(n, PIPIT_ESTATE, "no information pass");
    pipit__raw_layout_t l = {
        .file_type = h->file_type,
        .components = h->components,
        .planar = h->planar,
        .swap = h->swap,
        .scale = h->scale,
        .slope = h->slope,
        .inter = h->inter,
        .out_type = h->out_type,
        .sequential = r->gz,
    };
    memcpy(l.size, h->size, sizeof l.size);
    return pipit__raw_read(&l, nifti_read, r, pipit__output(n, 0),
                           &n->requested[0]);
}

static void
nifti_finalize(pipit_node_t *n)
{
    close_file((nifti_reader_t *)n);
}

static const pipit_setting_t nifti_reader_settings[] = {
    { "path", PIPIT_SETTING_STRING, offsetof(nifti_reader_t, path), "",
      "NIfTI-1 file to read (.nii, .nii.gz)", 1, 0, NULL },
    { "rescale", PIPIT_SETTING_BOOL, offsetof(nifti_reader_t, rescale),
      "true", "apply scl_slope / scl_inter (to float voxels)", 1, 0, NULL },
};

const pipit_node_class_t pipit__nifti_reader_class = {
    .name = "nifti-reader",
    .help = "reads a NIfTI-1 file (.nii, .nii.gz)",
    .size = sizeof(nifti_reader_t),
    .n_inputs = 0,
    .n_outputs = 1,
    .settings = nifti_reader_settings,
    .n_settings = 2,
    .init = nifti_init,
    .information = nifti_information,
    .generate = nifti_generate,
    .finalize = nifti_finalize,
};

/* ---- the writer --------------------------------------------------------- */

typedef struct nifti_wstate {
    pipit__out_t out;
    pipit__deflater_t *z;
    bool planar;
    char *scratch;       /* one component of a row, for planar output */
} nifti_wstate_t;

static pipit_status_t
nifti_check(pipit__writer_t *w, const pipit_image_t *info,
            pipit_pixel_type_t type)
{
    (void)w, (void)type;
    if (info->components > 32767)
        return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': %u components "
                            "(at most 32767)", w->path, info->components);
    for (unsigned d = 0; d < info->dim; d++)
        if (info->size[d] > 32767)
            return pipit__error(PIPIT_EUNSUPPORTED, FMT ": '%s': size %zu on "
                                "axis %u (NIfTI-1 holds at most 32767)",
                                w->path, info->size[d], d);
    return PIPIT_OK;
}

static pipit_status_t
emit(nifti_wstate_t *s, const void *p, size_t n)
{
    return s->z != NULL ? pipit__deflater_write(s->z, p, n)
                        : pipit__out_write(&s->out, p, n);
}

static void
make_header(const pipit_image_t *info, pipit_pixel_type_t type,
            unsigned char *b, bool *planar)
{
    unsigned dim = info->dim, nc = info->components;
    memset(b, 0, HDR_SIZE + 4);
    put_i32(b, 0, HDR_SIZE);
    b[38] = 'r';  /* "regular", as nifti1_io writes */
    bool rgb = type == PIPIT_U8 && (nc == 3 || nc == 4);
    *planar = nc > 1 && !rgb;
    int dims[8] = { (int)dim, 1, 1, 1, 1, 1, 1, 1 };
    for (unsigned d = 0; d < dim; d++)
        dims[d + 1] = (int)info->size[d];
    if (*planar) {
        dims[0] = 5;
        dims[5] = (int)nc;
        put_i16(b, 68, INTENT_VECTOR);
    }
    for (int i = 0; i < 8; i++)
        put_i16(b, 40 + 2 * (size_t)i, dims[i]);
    int code = rgb ? (nc == 3 ? DT_RGB24 : DT_RGBA32) : code_of(type);
    put_i16(b, 70, code);
    put_i16(b, 72, (int)(8 * pipit_pixel_size(type) * (rgb ? nc : 1)));
    put_f32(b, 108, 352.0);  /* vox_offset */
    put_f32(b, 112, 1.0);    /* scl_slope */
    b[123] = 2 | 8;          /* mm, seconds */
    memcpy(b + 148, "pipit", 5);
    memcpy(b + 344, "n+1\0", 4);

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
    for (unsigned d = 0; d < dim; d++)
        put_f32(b, 80 + 4 * (size_t)d, info->spacing[d]);
    double rot[9];
    memcpy(rot, m, sizeof rot);
    normalize_columns(rot);
    double qfac = 1.0;
    if (det3(rot) < 0) {
        qfac = -1.0;
        for (int r = 0; r < 3; r++)
            rot[3 * r + 2] = -rot[3 * r + 2];
    }
    double qb, qc, qd;
    matrix_to_quaternion(rot, &qb, &qc, &qd);
    put_f32(b, 76, qfac);
    put_i16(b, 252, XFORM_SCANNER);
    put_i16(b, 254, XFORM_SCANNER);
    put_f32(b, 256, qb);
    put_f32(b, 260, qc);
    put_f32(b, 264, qd);
    for (int r = 0; r < 3; r++) {
        put_f32(b, 268 + 4 * (size_t)r, org[r]);
        for (int c = 0; c < 3; c++)
            put_f32(b, 280 + 16 * (size_t)r + 4 * (size_t)c,
                    m[3 * r + c] * sp[c]);
        put_f32(b, 280 + 16 * (size_t)r + 12, org[r]);
    }
}

static pipit_status_t
nifti_begin(pipit__writer_t *w, const pipit_image_t *info,
            pipit_pixel_type_t type)
{
    pipit_status_t st;
    nifti_wstate_t *s = pipit__calloc(1, sizeof *s);
    if (s == NULL)
        return PIPIT_ENOMEM;
    w->state = s;
    unsigned char b[HDR_SIZE + 4];
    make_header(info, type, b, &s->planar);
    if (s->planar) {
        w->passes = info->components;
        if ((s->scratch = pipit__malloc(info->size[0] *
                                        pipit_pixel_size(type))) == NULL)
            return PIPIT_ENOMEM;
    }
    if ((st = pipit__out_open(&s->out, FMT, w->path)) != PIPIT_OK)
        return st;
    if (pipit__ends_with(w->path, ".gz") &&
        (st = pipit__deflater_new(&s->out, (int)w->level, true, &s->z)) !=
            PIPIT_OK)
        return st;
    return emit(s, b, sizeof b);
}

static pipit_status_t
nifti_piece(pipit__writer_t *w, pipit__rows_t *rows)
{
    nifti_wstate_t *s = w->state;
    size_t bytes;
    const void *all;
    if (!s->planar && (all = pipit__rows_contiguous(rows, &bytes)) != NULL)
        return emit(s, all, bytes);
    unsigned nc = rows->img->components;
    size_t cs = pipit_pixel_size(rows->type);
    size_t width = rows->r.hi[0] - rows->r.lo[0];
    PIPIT_FOR_EACH_ROW(rows->img, &rows->r, unused, y, z, t) {
        (void)unused;
        const char *p = pipit__rows_get(rows, y, z, t);
        pipit_status_t st;
        if (s->planar) {
            /* this pass writes component w->pass of every voxel */
            for (size_t x = 0; x < width; x++)
                memcpy(s->scratch + x * cs, p + (x * nc + w->pass) * cs, cs);
            st = emit(s, s->scratch, width * cs);
        } else {
            st = emit(s, p, width * nc * cs);
        }
        if (st != PIPIT_OK)
            return st;
    }
    return PIPIT_OK;
}

static pipit_status_t
nifti_end(pipit__writer_t *w)
{
    nifti_wstate_t *s = w->state;
    pipit_status_t st;
    if (s->z != NULL && (st = pipit__deflater_finish(s->z, NULL)) != PIPIT_OK)
        return st;
    return pipit__out_commit(&s->out);
}

static void
nifti_cleanup(pipit__writer_t *w)
{
    nifti_wstate_t *s = w->state;
    if (s == NULL)
        return;
    pipit__deflater_free(s->z);
    pipit__out_abort(&s->out);
    pipit__free(s->scratch);
    pipit__free(s);
    w->state = NULL;
}

static const pipit__writer_ops_t nifti_ops = {
    nifti_check, nifti_begin, nifti_piece, nifti_end, nifti_cleanup,
};

static pipit_status_t
nifti_writer_init(pipit_node_t *n)
{
    ((pipit__writer_t *)n)->ops = &nifti_ops;
    return PIPIT_OK;
}

const pipit_node_class_t pipit__nifti_writer_class = {
    .name = "nifti-writer",
    .help = "writes a NIfTI-1 file (.nii, or .nii.gz compressed)",
    .size = sizeof(pipit__writer_t),
    .n_inputs = 1,
    .n_outputs = 0,
    .settings = pipit__writer_settings,
    .n_settings = 4,
    .init = nifti_writer_init,
    .information = pipit__writer_information,
    .generate = pipit__writer_generate,
    .finalize = pipit__writer_finalize,
};
