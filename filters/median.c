/* SPDX-License-Identifier: Apache-2.0 */
/*
 * median: ITK's MedianImageFilter: the median of the box of radius r[d]
 * voxels along each axis (an odd count N), indices outside the image
 * clamped to it (zero-flux Neumann). Any scalar pixel type; the output
 * is one of the input values, so it is exact. Streams: it asks for the
 * output region padded by r.
 *
 * Boxes of up to 27 voxels (3x3x3, 3x3, 5x5 ...) go through a sorting
 * network run on PIPIT__LANES neighbouring voxels at once: Batcher's
 * odd-even merge sort for the next power of two, padded with the type's
 * lowest and highest values so that the median lands on a known wire,
 * and pruned to the comparators that wire depends on (157 for 27, 53
 * for 9). Larger boxes gather each window and select the middle value
 * (Hoare's quickselect), both without allocating in the loop; boxes of
 * more than 64 rows or 100000 voxels, up to the setting's radius 1000,
 * are read in place by a weighted radix selection (see below).
 */
#include <math.h>
#include <stddef.h>
#include <string.h>

#include "smooth_impl.h"

#define L PIPIT__LANES
#define NET_MAX_WIRES 32
#define NET_MAX_CMP 200

typedef struct {
    uint8_t a, b; /* after the comparator, wire a holds the smaller */
} cmp_t;

typedef struct {
    pipit_node_t base;
    double radius[PIPIT_MAX_DIM];
    size_t r[3];
    size_t count; /* voxels in the box */
    bool large;   /* more than 64 rows or 100000 voxels: radix selection */
    /* The sorting network, when count <= 27. */
    cmp_t net[NET_MAX_CMP];
    size_t n_net;
    unsigned wires, nlo, out_wire;
    pipit__scratch_t scratch;
} median_t;

/* ---- the network ------------------------------------------------------- */

static size_t
batcher(unsigned n, cmp_t *out)
{
    size_t count = 0;
    for (unsigned p = 1; p < n; p *= 2)
        for (unsigned k = p; k >= 1; k /= 2)
            for (unsigned j = k % p; j + k < n; j += 2 * k)
                for (unsigned i = 0; i < k && i + j + k < n; i++)
                    if ((i + j) / (2 * p) == (i + j + k) / (2 * p))
                        out[count++] = (cmp_t){ (uint8_t)(i + j),
                                                (uint8_t)(i + j + k) };
    return count;
}

/* Keeps the comparators that the value on wire `out` depends on. */
static size_t
prune(cmp_t *net, size_t count, unsigned out)
{
    uint32_t need = 1u << out;
    size_t kept = count;
    for (size_t i = count; i-- > 0;) {
        cmp_t c = net[i];
        if (need & ((1u << c.a) | (1u << c.b))) {
            need |= (1u << c.a) | (1u << c.b);
            net[--kept] = c;
        }
    }
    memmove(net, net + kept, (count - kept) * sizeof *net);
    return count - kept;
}

static void
build_network(median_t *m)
{
    unsigned n = 1;
    while (n < m->count)
        n *= 2;
    m->wires = n;
    m->nlo = (unsigned)(n - m->count) / 2;
    m->out_wire = m->nlo + (unsigned)m->count / 2;
    m->n_net = prune(m->net, batcher(n, m->net), m->out_wire);
}

/* ---- rows -------------------------------------------------------------- */

/* What one row of output needs: a pointer per (dy, dz) of the box, each
 * shifted so that element x is pixel x, and the x geometry. */
typedef struct {
    const char *rows[64];
    size_t n_rows;
    size_t rx, width; /* image width */
    size_t x0, x1;    /* output columns */
} row_job_t;

static size_t
clampz(ptrdiff_t i, size_t n)
{
    return i < 0 ? 0 : (size_t)i >= n ? n - 1 : (size_t)i;
}

/* Hoare's selection of the k-th smallest of v[0..n). */
#define SELECT(T)                                                          \
    static T select_##T(T *v, size_t n, size_t k)                          \
    {                                                                      \
        size_t lo = 0, hi = n - 1;                                         \
        while (lo < hi) {                                                  \
            T a = v[lo], b = v[(lo + hi) / 2], c = v[hi];                  \
            T pivot = a < b ? (b < c ? b : (a < c ? c : a))                \
                            : (a < c ? a : (b < c ? c : b));               \
            size_t i = lo, j = hi;                                         \
            while (i <= j) {                                               \
                while (v[i] < pivot)                                       \
                    i++;                                                   \
                while (pivot < v[j])                                       \
                    j--;                                                   \
                if (i <= j) {                                              \
                    T t = v[i];                                            \
                    v[i] = v[j], v[j] = t;                                 \
                    i++;                                                   \
                    if (j == 0)                                            \
                        break;                                             \
                    j--;                                                   \
                }                                                          \
            }                                                              \
            if (k <= j)                                                    \
                hi = j;                                                    \
            else if (k >= i)                                               \
                lo = i;                                                    \
            else                                                           \
                break;                                                     \
        }                                                                  \
        return v[k];                                                       \
    }

/*
 * The row kernels for pixel type T. The network runs on v[wire][lane];
 * lanes past the end of the row repeat the last column.
 */
/*
 * The network and the selection compare integer keys: the pixels
 * themselves for integer types, and for floats their bits with the
 * magnitude bits flipped when the sign is set, which orders them as
 * numbers (-0 just below +0, NaNs outside the infinities) and lets
 * integer min / max, which every vector unit has, do the work.
 */
static inline int32_t
key_f32(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i ^ (int32_t)((uint32_t)(i >> 31) >> 1);
}

static inline float
unkey_f32(int32_t k)
{
    int32_t i = k ^ (int32_t)((uint32_t)(k >> 31) >> 1);
    float f;
    memcpy(&f, &i, sizeof f);
    return f;
}

static inline int64_t
key_f64(double f)
{
    int64_t i;
    memcpy(&i, &f, sizeof i);
    return i ^ (int64_t)((uint64_t)(i >> 63) >> 1);
}

static inline double
unkey_f64(int64_t k)
{
    int64_t i = k ^ (int64_t)((uint64_t)(k >> 63) >> 1);
    double f;
    memcpy(&f, &i, sizeof f);
    return f;
}

#define SAME(v) (v)

/* One comparator on L lanes; restrict: the network never pairs a wire
 * with itself, and it lets the loop vectorise. */
#define COMPARE(K)                                                         \
    static inline __attribute__((always_inline)) void cmp_##K(             \
        K *restrict a, K *restrict b)                                      \
    {                                                                      \
        for (unsigned l = 0; l < L; l++) {                                 \
            K p = a[l], q = b[l];                                          \
            a[l] = p < q ? p : q;                                          \
            b[l] = p < q ? q : p;                                          \
        }                                                                  \
    }

COMPARE(uint8_t)
COMPARE(int8_t)
COMPARE(uint16_t)
COMPARE(int16_t)
COMPARE(uint32_t)
COMPARE(int32_t)
COMPARE(int64_t)

SELECT(uint8_t)
SELECT(int8_t)
SELECT(uint16_t)
SELECT(int16_t)
SELECT(uint32_t)
SELECT(int32_t)
SELECT(int64_t)

/* Row kernels for pixel type T (name S) on keys K; lanes past the end of
 * the row repeat its last column. */
#define MEDIAN_ROW_V(S, T, K, KEY, UNKEY, LOWEST, HIGHEST, V, ATTR)        \
    ATTR static void net_row_##S##V(const median_t *m,                     \
                                       const row_job_t *j, T *out,         \
                                       K (*v)[L])                          \
    {                                                                      \
        const ptrdiff_t rx = (ptrdiff_t)j->rx;                             \
        for (size_t x = j->x0; x < j->x1; x += L) {                        \
            size_t lanes = j->x1 - x < L ? j->x1 - x : L;                  \
            unsigned w = 0;                                                \
            /* whole block, columns x - rx .. x + L - 1 + rx in the image  \
             * (and so in the input region, the piece padded by rx) */     \
            bool direct = lanes == L && x >= j->rx &&                      \
                          x + L + j->rx <= j->width;                       \
            for (size_t k = 0; k < j->n_rows; k++) {                       \
                const T *row = (const T *)(const void *)j->rows[k];        \
                for (ptrdiff_t dx = -rx; dx <= rx; dx++, w++) {            \
                    if (direct) {                                          \
                        const T *src = row + (ptrdiff_t)x + dx;            \
                        for (unsigned l = 0; l < L; l++)                   \
                            v[w][l] = KEY(src[l]);                         \
                    } else {                                               \
                        for (unsigned l = 0; l < L; l++) {                 \
                            size_t xl = x + (l < lanes ? l : lanes - 1);   \
                            v[w][l] = KEY(row[clampz((ptrdiff_t)xl + dx,   \
                                                     j->width)]);          \
                        }                                                  \
                    }                                                      \
                }                                                          \
            }                                                              \
            for (; w < m->wires; w++)                                      \
                for (unsigned l = 0; l < L; l++)                           \
                    v[w][l] = w < m->count + m->nlo ? (K)(LOWEST)          \
                                                    : (K)(HIGHEST);        \
            for (size_t c = 0; c < m->n_net; c++)                          \
                cmp_##K(v[m->net[c].a], v[m->net[c].b]);                   \
            for (size_t l = 0; l < lanes; l++)                             \
                out[x + l] = UNKEY(v[m->out_wire][l]);                     \
        }                                                                  \
    }

/* The row kernels that need no second copy. */
#define MEDIAN_REST(S, T, K, KEY, UNKEY)                                   \
    static void select_row_##S(const median_t *m, const row_job_t *j,      \
                               T *out, K *buf)                             \
    {                                                                      \
        const ptrdiff_t rx = (ptrdiff_t)j->rx;                             \
        for (size_t x = j->x0; x < j->x1; x++) {                           \
            size_t w = 0;                                                  \
            for (size_t k = 0; k < j->n_rows; k++) {                       \
                const T *row = (const T *)(const void *)j->rows[k];        \
                for (ptrdiff_t dx = -rx; dx <= rx; dx++)                   \
                    buf[w++] =                                             \
                        KEY(row[clampz((ptrdiff_t)x + dx, j->width)]);     \
            }                                                              \
            out[x] = UNKEY(select_##K(buf, m->count, m->count / 2));       \
        }                                                                  \
    }                                                                      \
    static void row_##S(const median_t *m, const row_job_t *j, char *out,  \
                        void *scratch)                                     \
    {                                                                      \
        if (m->n_net > 0)                                                  \
            net_row_##S(m, j, (T *)(void *)out, (K(*)[L])scratch);         \
        else                                                               \
            select_row_##S(m, j, (T *)(void *)out, (K *)scratch);          \
    }

/* Both copies and the dispatching wrapper (lib/cpu_impl.h). */
#define MEDIAN_ROW(S, T, K, KEY, UNKEY, LOWEST, HIGHEST)                   \
    MEDIAN_ROW_V(S, T, K, KEY, UNKEY, LOWEST, HIGHEST, _portable, )        \
    PIPIT__IF_V3(MEDIAN_ROW_V(S, T, K, KEY, UNKEY, LOWEST, HIGHEST, _v3,   \
                              PIPIT__V3))                                  \
    static void net_row_##S(const median_t *m, const row_job_t *j, T *out, \
                            K (*v)[L])                                     \
    {                                                                      \
        PIPIT__PICK(net_row_##S)(m, j, out, v);                            \
    }                                                                      \
    MEDIAN_REST(S, T, K, KEY, UNKEY)

MEDIAN_ROW(u8, uint8_t, uint8_t, SAME, SAME, 0, UINT8_MAX)
MEDIAN_ROW(i8, int8_t, int8_t, SAME, SAME, INT8_MIN, INT8_MAX)
MEDIAN_ROW(u16, uint16_t, uint16_t, SAME, SAME, 0, UINT16_MAX)
MEDIAN_ROW(i16, int16_t, int16_t, SAME, SAME, INT16_MIN, INT16_MAX)
MEDIAN_ROW(u32, uint32_t, uint32_t, SAME, SAME, 0, UINT32_MAX)
MEDIAN_ROW(i32, int32_t, int32_t, SAME, SAME, INT32_MIN, INT32_MAX)
MEDIAN_ROW(f32, float, int32_t, key_f32, unkey_f32, INT32_MIN, INT32_MAX)
MEDIAN_ROW(f64, double, int64_t, key_f64, unkey_f64, INT64_MIN, INT64_MAX)

typedef void (*row_fn)(const median_t *, const row_job_t *, char *, void *);

static const row_fn row_fns[PIPIT_PIXEL_TYPE_COUNT] = {
    row_u8, row_i8, row_u16, row_i16, row_u32, row_i32, row_f32, row_f64,
};

/* ---- large boxes: weighted radix selection ------------------------------ */

/*
 * A box too large to gather (more than 64 rows or 100000 voxels; the
 * setting allows radius 1000, 2001^3 voxels) is read in place: the
 * voxels of the box that lie in the image, each weighted by how many
 * box positions clamp onto it (the edge voxels stand for the clamped
 * ones), and the median's key found a byte at a time from the top: a
 * 256-bin weighted histogram of the next byte among the voxels whose
 * higher bytes match, then the bin holding the middle weight. The
 * memory is one histogram whatever the radius, and the answer is the
 * same key the gathering paths select.
 */

/* How many positions of [c - r, c + r] clamp onto index i of [0, n). */
static inline uint64_t
clamp_weight(size_t i, size_t c, size_t r, size_t n)
{
    uint64_t w = 1;
    if (i == 0 && r > c)
        w += r - c;
    if (i == n - 1 && c + r > n - 1)
        w += c + r - (n - 1);
    return w;
}

/* Order-keeping unsigned keys of `bytes` bytes, and back. */
#define UKEY_INT(T, MIN) ((uint64_t)((int64_t)(v) - (int64_t)(MIN)))
static inline uint64_t ukey_u8(uint8_t v) { return v; }
static inline uint64_t ukey_i8(int8_t v) { return UKEY_INT(int8_t, INT8_MIN); }
static inline uint64_t ukey_u16(uint16_t v) { return v; }
static inline uint64_t ukey_i16(int16_t v)
{
    return UKEY_INT(int16_t, INT16_MIN);
}
static inline uint64_t ukey_u32(uint32_t v) { return v; }
static inline uint64_t ukey_i32(int32_t v)
{
    return UKEY_INT(int32_t, INT32_MIN);
}
static inline uint64_t ukey_f32(float v)
{
    return (uint32_t)key_f32(v) ^ UINT32_C(0x80000000);
}
static inline uint64_t ukey_f64(double v)
{
    return (uint64_t)key_f64(v) ^ UINT64_C(0x8000000000000000);
}
#undef UKEY_INT
static inline uint8_t unkey_u8(uint64_t k) { return (uint8_t)k; }
static inline int8_t unkey_i8(uint64_t k) { return (int8_t)((int64_t)k + INT8_MIN); }
static inline uint16_t unkey_u16(uint64_t k) { return (uint16_t)k; }
static inline int16_t unkey_i16(uint64_t k)
{
    return (int16_t)((int64_t)k + INT16_MIN);
}
static inline uint32_t unkey_u32(uint64_t k) { return (uint32_t)k; }
static inline int32_t unkey_i32(uint64_t k)
{
    return (int32_t)((int64_t)k + INT32_MIN);
}
static inline float unkey_f32_u(uint64_t k)
{
    return unkey_f32((int32_t)(uint32_t)(k ^ UINT32_C(0x80000000)));
}
static inline double unkey_f64_u(uint64_t k)
{
    return unkey_f64((int64_t)(k ^ UINT64_C(0x8000000000000000)));
}

typedef void (*large_fn)(const median_t *m, const pipit_image_t *in,
                         size_t y, size_t z, size_t t, size_t x0, size_t x1,
                         char *out);

#define LARGE_ROW(S, T, UNKEY)                                             \
    static void large_row_##S(const median_t *m, const pipit_image_t *in,  \
                              size_t y, size_t z, size_t t, size_t x0,     \
                              size_t x1, char *out_row)                    \
    {                                                                      \
        T *out = (T *)(void *)out_row;                                     \
        const size_t n[3] = { in->size[0], in->size[1], in->size[2] };     \
        const size_t *r = m->r;                                            \
        size_t ylo = y > r[1] ? y - r[1] : 0;                              \
        size_t yhi = y + r[1] < n[1] - 1 ? y + r[1] : n[1] - 1;            \
        size_t zlo = z > r[2] ? z - r[2] : 0;                              \
        size_t zhi = z + r[2] < n[2] - 1 ? z + r[2] : n[2] - 1;            \
        for (size_t x = x0; x < x1; x++) {                                 \
            size_t xlo = x > r[0] ? x - r[0] : 0;                          \
            size_t xhi = x + r[0] < n[0] - 1 ? x + r[0] : n[0] - 1;        \
            uint64_t k = (uint64_t)m->count / 2, prefix = 0, mask = 0;     \
            for (int shift = 8 * ((int)sizeof(T) - 1); shift >= 0;         \
                 shift -= 8) {                                             \
                uint64_t hist[256] = { 0 };                                \
                for (size_t iz = zlo; iz <= zhi; iz++) {                   \
                    uint64_t wz = clamp_weight(iz, z, r[2], n[2]);         \
                    for (size_t iy = ylo; iy <= yhi; iy++) {               \
                        uint64_t wyz =                                     \
                            wz * clamp_weight(iy, y, r[1], n[1]);          \
                        const T *row =                                     \
                            (const T *)(const void *)pipit__row(in, iy,    \
                                                                iz, t);    \
                        for (size_t ix = xlo; ix <= xhi; ix++) {           \
                            uint64_t u = ukey_##S(row[ix]);                \
                            if ((u & mask) == prefix)                      \
                                hist[(u >> shift) & 255] +=                \
                                    wyz * clamp_weight(ix, x, r[0], n[0]); \
                        }                                                  \
                    }                                                      \
                }                                                          \
                unsigned b = 0;                                            \
                while (hist[b] <= k)                                       \
                    k -= hist[b++];                                        \
                prefix |= (uint64_t)b << shift;                            \
                mask |= (uint64_t)255 << shift;                            \
            }                                                              \
            out[x] = UNKEY(prefix);                                        \
        }                                                                  \
    }

LARGE_ROW(u8, uint8_t, unkey_u8)
LARGE_ROW(i8, int8_t, unkey_i8)
LARGE_ROW(u16, uint16_t, unkey_u16)
LARGE_ROW(i16, int16_t, unkey_i16)
LARGE_ROW(u32, uint32_t, unkey_u32)
LARGE_ROW(i32, int32_t, unkey_i32)
LARGE_ROW(f32, float, unkey_f32_u)
LARGE_ROW(f64, double, unkey_f64_u)
#undef LARGE_ROW

static const large_fn large_fns[PIPIT_PIXEL_TYPE_COUNT] = {
    large_row_u8,  large_row_i8,  large_row_u16, large_row_i16,
    large_row_u32, large_row_i32, large_row_f32, large_row_f64,
};

/* ---- the node ---------------------------------------------------------- */

static pipit_status_t
median_information(pipit_node_t *n)
{
    /* one value or one per axis, known only now */
    if (pipit__check_axes(n, pipit__input(n, 0)->dim) != PIPIT_OK)
        return PIPIT_EINVAL;
    median_t *m = (median_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_status_t st = pipit__check_scalar_2d3d(n, 0);
    if (st != PIPIT_OK)
        return st;
    size_t rows = 1;
    m->count = 1;
    for (unsigned d = 0; d < 3; d++) {
        double r = d < in->dim ? m->radius[d] : 0.0;
        if (r != floor(r) || r < 0 || r > 1000)
            return pipit__node_error(n, PIPIT_EINVAL,
                                     "radius %g on axis %u: must be a whole "
                                     "number of voxels up to 1000",
                                     r, d);
        m->r[d] = (size_t)r;
        m->count *= 2 * m->r[d] + 1;
        if (d > 0)
            rows *= 2 * m->r[d] + 1;
    }
    m->large = rows > 64 || m->count > 100000;
    m->n_net = 0;
    if (m->count <= 27)
        build_network(m);
    return pipit__information_same(n);
}

static pipit_status_t
median_request(pipit_node_t *n, unsigned input, const pipit_region_t *asked,
               pipit_region_t *needed)
{
    return pipit__request_padded(n, input, asked, ((median_t *)n)->r,
                                 needed);
}

static pipit_status_t
median_before(pipit_node_t *n)
{
    median_t *m = (median_t *)n;
    size_t px = pipit__input(n, 0)->pixel_bytes;
    pipit__scratch_free(&m->scratch);
    return pipit__scratch_init(&m->scratch,
                               m->large       ? px
                               : m->n_net > 0 ? NET_MAX_WIRES * L * px
                                              : m->count * px);
}

static pipit_status_t
median_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    const median_t *m = (const median_t *)n;
    const pipit_image_t *in = pipit__input(n, 0);
    pipit_image_t *out = pipit__output(n, 0);
    const pipit_region_t *g = &p->region;
    void *s = pipit__scratch_get(&m->scratch, p->worker);
    if (s == NULL)
        return pipit__scratch_error(n, &m->scratch, p->worker);
    if (m->large) {
        large_fn lf = large_fns[in->type];
        for (size_t z = g->lo[2]; z < g->hi[2]; z++)
            for (size_t y = g->lo[1]; y < g->hi[1]; y++)
                lf(m, in, y, z, g->lo[3], g->lo[0], g->hi[0],
                   pipit__row(out, y, z, g->lo[3]));
        return PIPIT_OK;
    }
    row_job_t j = { .rx = m->r[0], .width = in->size[0], .x0 = g->lo[0],
                    .x1 = g->hi[0] };
    row_fn fn = row_fns[in->type];
    const ptrdiff_t ry = (ptrdiff_t)m->r[1], rz = (ptrdiff_t)m->r[2];
    for (size_t z = g->lo[2]; z < g->hi[2]; z++)
        for (size_t y = g->lo[1]; y < g->hi[1]; y++) {
            j.n_rows = 0;
            for (ptrdiff_t dz = -rz; dz <= rz; dz++)
                for (ptrdiff_t dy = -ry; dy <= ry; dy++)
                    j.rows[j.n_rows++] = pipit__row(
                        in, clampz((ptrdiff_t)y + dy, in->size[1]),
                        clampz((ptrdiff_t)z + dz, in->size[2]), g->lo[3]);
            fn(m, &j, pipit__row(out, y, z, g->lo[3]), s);
        }
    return PIPIT_OK;
}

static pipit_status_t
median_after(pipit_node_t *n)
{
    pipit__scratch_free(&((median_t *)n)->scratch);
    return PIPIT_OK;
}

static void
median_finalize(pipit_node_t *n)
{
    pipit__scratch_free(&((median_t *)n)->scratch);
}

static const pipit_setting_t median_settings[] = {
    { "radius", PIPIT_SETTING_VECTOR, offsetof(median_t, radius), "1",
      "box half-width per axis, whole voxels (size 2r+1)", 0, 1000, NULL },
};

const pipit_node_class_t pipit__median_class = {
    .name = "median",
    .help = "median over a box of radius r per axis (ITK MedianImageFilter)",
    .size = sizeof(median_t),
    .n_inputs = 1,
    .n_outputs = 1,
    .settings = median_settings,
    .n_settings = 1,
    .information = median_information,
    .request = median_request,
    .before = median_before,
    .threaded = median_threaded,
    .after = median_after,
    .finalize = median_finalize,
};

pipit_node_t *
pipit_median_new(unsigned radius)
{
    pipit_node_t *n = pipit_node_new(&pipit__median_class);
    if (n != NULL && pipit_node_set_int(n, "radius", radius) != PIPIT_OK) {
        pipit_node_unref(n);
        n = NULL;
    }
    return n;
}
