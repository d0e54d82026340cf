/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For the readers and writers of io/: safe file access, atomic output,
 * zlib streams, the raw-array reader shared by
 * MetaImage and NIfTI, and the generic writer (sink) node.
 */
#ifndef PIPIT_IO_IMPL_H
#define PIPIT_IO_IMPL_H

#include <stdint.h>

#include <pipit/io.h>

#include "node_impl.h"
#include "pixel_convert_impl.h"

/* ---- reading -------------------------------------------------------- */

/** Opens path for reading; *size gets its byte count. fmt names the
 * format in messages ("mha"). */
pipit_status_t pipit__file_open(const char *fmt, const char *path, int *fd,
                                uint64_t *size);

/**
 * Reads exactly n bytes at offset off. A short read is PIPIT_EFORMAT
 * ("truncated") naming fmt and path; a system error PIPIT_EIO.
 */
pipit_status_t pipit__file_pread(int fd, void *buf, size_t n, uint64_t off,
                                 const char *fmt, const char *path);

/** Bytes read by pipit__file_pread since the program started (tests
 * check that a region read touches only that region). */
uint64_t pipit__io_bytes_read(void);

/** True when name ends in ext, ignoring case. */
bool pipit__ends_with(const char *name, const char *ext);

/** The folder part of path ("." when none), in a new string. */
char *pipit__dirname(const char *path);

/** a * b * ... with overflow checks: false when it overflows uint64. */
bool pipit__mul_u64(uint64_t a, uint64_t b, uint64_t *out);

/* ---- writing: the protocol of doc/io.md ---------------------------- */

/**
 * An output file written under a temporary name beside its target
 * (".NAME.pipit-tmp.XXXXXX") and renamed over the target by
 * pipit__out_commit (one file) or pipit__out_commit_pair (a header and
 * its data file), after an fsync unless pipit_io_set_sync(false). A
 * failed or interrupted write never leaves a half-written file under the
 * target's name, and the temporary file is registered so that
 * pipit_io_remove_temporaries (a signal handler) can remove it. Writes
 * go through a buffer; the first failure sticks (st, and err its errno).
 */
typedef struct pipit__out {
    int fd;
    char *path;   /* final name */
    char *tmp;    /* temporary name, NULL once renamed or removed */
    const char *fmt;
    unsigned char *buf;
    size_t used, cap;
    uint64_t written;
    pipit_status_t st;
    int err;      /* errno of the first system failure, 0 if none */
    int slot;     /* clean-up registry slot + 1; 0: none */
} pipit__out_t;

pipit_status_t pipit__out_open(pipit__out_t *o, const char *fmt,
                               const char *path);
pipit_status_t pipit__out_write(pipit__out_t *o, const void *p, size_t n);
/** Writes n bytes at offset off, bypassing the buffer (for libtiff,
 * which seeks; do not mix with pipit__out_write). */
pipit_status_t pipit__out_pwrite(pipit__out_t *o, const void *p, size_t n,
                                 uint64_t off);
/** Writes what is buffered (also before a seek or a direct fd use). */
pipit_status_t pipit__out_flush(pipit__out_t *o);
/** Flushes, syncs, closes, renames over the final name, syncs the
 * folder. */
pipit_status_t pipit__out_commit(pipit__out_t *o);
/**
 * Commits a header h and the data file d it names so that no instant
 * shows a reader the old header beside new data: the old header is
 * moved aside, the data renamed into place, then the header. A kill in
 * between leaves no header (a clean "no such file"); a signal handler
 * calling pipit_io_remove_temporaries completes or undoes the pair. On
 * failure before the data moved, the old pair is untouched.
 */
pipit_status_t pipit__out_commit_pair(pipit__out_t *h, pipit__out_t *d);
/** Closes and removes the temporary file; safe after commit or on a
 * zeroed struct. Keeps the calling thread's message. */
void pipit__out_abort(pipit__out_t *o);

/** The calls a writer makes that the test hook sees. */
typedef enum pipit__io_call {
    PIPIT__IO_WRITE,
    PIPIT__IO_FSYNC,
    PIPIT__IO_RENAME,
    PIPIT__IO_UNLINK,
} pipit__io_call_t;

/**
 * Test hook, called before each write, fsync, rename and unlink of the
 * write protocol (path: the file written, or the rename's target). It
 * returns 0 to let the call run, or an errno value to fail it with.
 * NULL removes it. Tests only: not thread-safe against running writes.
 */
typedef int (*pipit__io_hook_fn)(void *user, pipit__io_call_t call,
                                 const char *path);
void pipit__io_hook_set(pipit__io_hook_fn fn, void *user);

/* ---- zlib ------------------------------------------------------------ */

/**
 * Inflates a zlib or gzip stream (detected) that starts at byte `start`
 * of fd and holds at most `avail` bytes, giving random access to the
 * uncompressed bytes: reading forward continues the stream, reading
 * backwards starts it again. Concatenated gzip members are followed.
 */
typedef struct pipit__inflater pipit__inflater_t;

pipit_status_t pipit__inflater_new(int fd, uint64_t start, uint64_t avail,
                                   const char *fmt, const char *path,
                                   pipit__inflater_t **out);
/** Reads n uncompressed bytes at pos; EFORMAT when the stream ends or
 * is corrupt first. */
pipit_status_t pipit__inflater_read(pipit__inflater_t *z, uint64_t pos,
                                    void *dst, size_t n);
void pipit__inflater_free(pipit__inflater_t *z);

/** Compresses everything written to it into o (zlib or gzip wrapper). */
typedef struct pipit__deflater pipit__deflater_t;
pipit_status_t pipit__deflater_new(pipit__out_t *o, int level, bool gzip,
                                   pipit__deflater_t **out);
pipit_status_t pipit__deflater_write(pipit__deflater_t *z, const void *p,
                                     size_t n);
/** Ends the stream; *bytes gets the compressed size. */
pipit_status_t pipit__deflater_finish(pipit__deflater_t *z, uint64_t *bytes);
void pipit__deflater_free(pipit__deflater_t *z);

/* ---- pixels ---------------------------------------------------------- */

/** Reverses the byte order of n elements of elem bytes in place. */
void pipit__swap_bytes(void *p, size_t elem, size_t n);
bool pipit__host_is_big_endian(void);

/* ---- raw arrays: MetaImage and NIfTI data -------------------------------- */

/** Reads n bytes at offset pos of the flat (uncompressed) pixel stream. */
typedef pipit_status_t (*pipit__read_fn)(void *ctx, uint64_t pos, void *dst,
                                         size_t n);

/** How a raw pixel array is laid out in its stream. */
typedef struct pipit__raw_layout {
    size_t size[PIPIT_MAX_DIM];   /* axes past the image dim: 1 */
    pipit_pixel_type_t file_type; /* component type in the file */
    unsigned components;
    bool planar;        /* component c is a whole separate volume */
    bool swap;          /* file byte order differs from the host's */
    bool scale;         /* apply slope / inter (to out_type) */
    double slope, inter;
    pipit_pixel_type_t out_type;
    bool sequential;    /* the stream prefers increasing offsets */
} pipit__raw_layout_t;

/**
 * Fills region r of img (already allocated for r) from the stream:
 * reads only the bytes r covers, straight into the pixels when no
 * conversion is needed, and in stream order.
 */
pipit_status_t pipit__raw_read(const pipit__raw_layout_t *l,
                               pipit__read_fn read, void *ctx,
                               pipit_image_t *img, const pipit_region_t *r);

/* ---- writers ----------------------------------------------------------- */

/**
 * The rows a writer is handed: a piece of the input (region r), in the
 * pixel type to write. pipit__rows_get returns row (y, z, t) over the
 * region's x range, converted when needed, valid until the next call.
 */
typedef struct pipit__rows {
    const pipit_image_t *img;
    pipit_region_t r;
    pipit_pixel_type_t type;  /* type to write */
    void *scratch;            /* one converted row */
} pipit__rows_t;

const void *pipit__rows_get(pipit__rows_t *rows, size_t y, size_t z,
                            size_t t);
/** When the whole piece lies contiguous in memory in the type to write,
 * its start and byte count; NULL otherwise. */
const void *pipit__rows_contiguous(const pipit__rows_t *rows, size_t *bytes);

typedef struct pipit__writer pipit__writer_t;

/** What a format supplies to the generic writer node. */
typedef struct pipit__writer_ops {
    /* Checks that the format holds dim / type / components; message and
     * PIPIT_EUNSUPPORTED otherwise. */
    pipit_status_t (*check)(pipit__writer_t *w, const pipit_image_t *info,
                            pipit_pixel_type_t type);
    /* Opens the output and writes what precedes the pixels. */
    pipit_status_t (*begin)(pipit__writer_t *w, const pipit_image_t *info,
                            pipit_pixel_type_t type);
    /* The next piece, in file order (x, then y, then z, then t). */
    pipit_status_t (*piece)(pipit__writer_t *w, pipit__rows_t *rows);
    /* Finishes and commits the output. */
    pipit_status_t (*end)(pipit__writer_t *w);
    /* Frees the format state; removes uncommitted files. */
    void (*cleanup)(pipit__writer_t *w);
    bool palette; /* writes pipit_write_options_t's palette */
} pipit__writer_ops_t;

struct pipit__writer {
    pipit_node_t base;
    /* settings */
    char *path;
    int type;            /* 0: the input's, else 1 + pipit_pixel_type_t */
    bool compress;
    int64_t level;       /* zlib level 1..9 */
    const uint8_t (*palette)[3]; /* pipit_image_write_with's, borrowed */
    unsigned palette_size;
    /* the running write */
    const pipit__writer_ops_t *ops;
    void *state;         /* the format's, freed by ops->cleanup */
    size_t piece_bytes;  /* 0: 1 MiB */
    /* Times the input is walked (begin may raise it: NIfTI writes vector
     * components one volume after the other), and the current one. */
    unsigned passes, pass;
};

/** The settings every writer class has: path, type, compress, level. */
extern const pipit_setting_t pipit__writer_settings[];
extern const size_t pipit__writer_n_settings;

/** The information and generate hooks every writer class uses. */
pipit_status_t pipit__writer_information(pipit_node_t *n);
pipit_status_t pipit__writer_generate(pipit_node_t *n);
void pipit__writer_finalize(pipit_node_t *n);

/** Cuts r into pieces in file order (whole slices, else whole rows of one
 * slice) of about target bytes; as pipit_region_pieces. */
size_t pipit__file_pieces(const pipit_region_t *r, size_t pixel_bytes,
                          size_t target, size_t k, pipit_region_t *piece);

/* ---- the formats --------------------------------------------------- */

extern const pipit_node_class_t pipit__png_reader_class;
extern const pipit_node_class_t pipit__png_writer_class;
extern const pipit_node_class_t pipit__tiff_reader_class;
/** Data bytes beyond which the TIFF writer makes a BigTIFF (tests lower
 * it to exercise BigTIFF on small images). */
extern uint64_t pipit__tiff_bigtiff_bytes;
extern const pipit_node_class_t pipit__tiff_writer_class;
extern const pipit_node_class_t pipit__mha_reader_class;
extern const pipit_node_class_t pipit__mha_writer_class;
extern const pipit_node_class_t pipit__nifti_reader_class;
extern const pipit_node_class_t pipit__nifti_writer_class;

/** Shared by readers: the path setting is the first member after base. */
typedef struct pipit__reader {
    pipit_node_t base;
    char *path;
} pipit__reader_t;

/** Readers refuse images of more pixel bytes than this (default: no
 * limit; the fuzz targets lower it so that a lying header cannot make
 * them spend their memory budget). */
extern uint64_t pipit__io_max_pixel_bytes;

/** When true the PNG reader ignores chunk CRCs (for the fuzz target, so
 * that mutated files get past the checksum into the decoder). */
extern bool pipit__png_ignore_crc;

/** Sets output 0's shape and geometry (spacing, origin, direction of dim
 * values; NULL for the defaults). */
pipit_status_t pipit__reader_set_output(pipit_node_t *n, unsigned dim,
                                        const size_t *size,
                                        pipit_pixel_type_t type,
                                        unsigned components,
                                        const double *spacing,
                                        const double *origin,
                                        const double *direction);

/** The path setting, or an error naming the reader when unset. */
pipit_status_t pipit__reader_path(pipit_node_t *n, const char **path);

/** Shortest text that reads back as exactly v ("%.17g" at most). */
void pipit__format_double(char *buf, size_t size, double v);

#endif
