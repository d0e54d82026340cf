/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image files: PNG, TIFF, MetaImage (.mha, .mhd + data file) and
 * NIfTI-1 (.nii, .nii.gz), read by source nodes and written by sink
 * nodes, the format chosen from the file name (ignoring case).
 *
 * A reader is a node with no input and one output and a "path"
 * setting; asked for part of the image (pipit_node_update_region, or a
 * streaming sink downstream) it reads only that part where the format
 * allows (uncompressed MetaImage and NIfTI, TIFF strips and tiles). A
 * writer is a sink with one input and no output; updating it pulls its
 * input piece by piece and writes a temporary file beside the target,
 * synced and renamed over it only when everything was written, so a
 * reader sees the old file or the new one, never a part (doc/io.md,
 * "Writing"; doc/reliability.md).
 *
 * Geometry follows ITK (see pipit/image.h); how each format stores it,
 * and what it cannot store, is in doc/io.md.
 */
#ifndef PIPIT_IO_H
#define PIPIT_IO_H

#include <pipit/image.h>
#include <pipit/node.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One file format pipit reads and writes. */
typedef struct pipit_io_format {
    const char *name;                   /* "png", "tiff", "mha", "nifti" */
    const char *const *extensions;      /* ".png", ...; NULL-terminated */
    const pipit_node_class_t *reader;
    const pipit_node_class_t *writer;
    const char *help;                   /* one line */
} pipit_io_format_t;

/** Every format, in a fixed order; *count gets their number. Static. */
PIPIT_API const pipit_io_format_t *pipit_io_formats(size_t *count);

/**
 * The format of path, by its extension (".png", ".tif", ".tiff",
 * ".mha", ".mhd", ".nii", ".nii.gz", any case). NULL with
 * PIPIT_EUNSUPPORTED recorded, naming the file and the known extensions.
 */
PIPIT_API const pipit_io_format_t *pipit_io_format_for(const char *path);

/**
 * A new reader node for path (copied), its class chosen by the file
 * name. Nothing is opened before the node's information pass. Returns a
 * new reference, or NULL (unknown extension, no memory).
 */
PIPIT_API pipit_node_t *pipit_reader_new(const char *path);

/**
 * A new writer (sink) node for path, class chosen by the file name;
 * connect its input 0 and call pipit_node_update. Settings: "type"
 * ("input" or a pixel type name: converts while writing, rounding and
 * clamping), "compress" (bool: zlib for .mha, deflate for TIFF; a
 * .nii.gz name always compresses), "level" (1..9). New reference or NULL.
 */
PIPIT_API pipit_node_t *pipit_writer_new(const char *path);

/**
 * Reads the whole image at path. *out gets a new reference, NULL on
 * failure. Statuses: PIPIT_EIO (cannot open or read), PIPIT_EFORMAT
 * (not a valid file: truncated, lying header, ...), PIPIT_EUNSUPPORTED
 * (valid but not handled: pixel type, compression, ...), PIPIT_ERANGE
 * (sizes that overflow), PIPIT_ENOMEM. The message names the file and
 * what is wrong.
 */
PIPIT_API pipit_status_t pipit_image_read(const char *path,
                                          pipit_image_t **out);

/** Options for pipit_image_write_with; zero-initialised means defaults. */
typedef struct pipit_write_options {
    bool convert;                  /* write as `type` instead of img's */
    pipit_pixel_type_t type;
    bool compress;                 /* as the writer's "compress" setting */
    int level;                     /* 1..9; 0: 6 */
    /* PNG only: a one-component u8 image is written as indices into
     * these colours (1..256 of them; the file's bit depth is the least
     * that holds them). A palette of few colours makes a flat drawing
     * several times smaller and faster to deflate than RGB. An index
     * past the end is an error (PIPIT_EINVAL). */
    const uint8_t (*palette)[3];
    unsigned palette_size;
} pipit_write_options_t;

/**
 * Writes img (borrowed; its pixels must cover the whole image) to path
 * in the format its name selects. Nothing is left under path on
 * failure. Statuses as pipit_image_read, PIPIT_EUNSUPPORTED when the
 * format cannot hold the pixel type, components or dimension.
 */
PIPIT_API pipit_status_t pipit_image_write(const pipit_image_t *img,
                                           const char *path);
PIPIT_API pipit_status_t pipit_image_write_with(
    const pipit_image_t *img, const char *path,
    const pipit_write_options_t *options);

/**
 * Whether writers make their files durable (default true): each file is
 * fsynced before it is renamed into place, and its folder after. Off,
 * a write is still atomic for other programs, but a power cut may leave
 * an empty or old file: for scratch output. Process-wide; thread-safe;
 * writes already running may see either value.
 */
PIPIT_API void pipit_io_set_sync(bool sync);
PIPIT_API bool pipit_io_get_sync(void);

/**
 * For a signal handler (async-signal-safe; lock-free): removes the
 * temporary files of the writes in progress and completes or undoes a
 * header/data pair being committed, so that the process can then die
 * with the signal leaving every target the old file or the new one.
 * Writes running on afterwards fail. Relative names are resolved
 * against the current folder, as when the write started: do not chdir
 * while writing. See doc/reliability.md.
 */
PIPIT_API void pipit_io_remove_temporaries(void);
/** Pixel bytes an image read as untrusted input may hold (1 GiB). */
#define PIPIT_UNTRUSTED_MAX_PIXEL_BYTES ((uint64_t)1 << 30)

/**
 * Untrusted input mode, for services that read uploaded files. When on,
 * every reader refuses images of more than
 * PIPIT_UNTRUSTED_MAX_PIXEL_BYTES, and the MetaImage reader also refuses
 * data files that are not inside the header's folder (absolute names,
 * "..", symbolic links leading out), headers longer than 64 KiB and more
 * than 1024 data files (PIPIT_EFORMAT or PIPIT_EUNSUPPORTED, naming the
 * file and the limit). Process-wide; a MetaImage reader node can also be
 * set alone with its "untrusted" setting. Thread safe; takes effect at a
 * reader's next information pass. Off by default.
 */
PIPIT_API void pipit_io_set_untrusted(bool on);
/** Whether untrusted input mode is on (pipit_io_set_untrusted). */
PIPIT_API bool pipit_io_untrusted(void);

#ifdef __cplusplus
}
#endif
#endif
