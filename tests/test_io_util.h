/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the test_io_*.c suites. */
#ifndef PIPIT_TEST_IO_UTIL_H
#define PIPIT_TEST_IO_UTIL_H

#include <pipit/io.h>

#include "testutil.h"

/**
 * A new image whose pixels run through the type's whole range (both
 * extremes, negatives, fractions for floats), different per seed.
 */
pipit_image_t *io_pattern(unsigned dim, const size_t *size,
                          pipit_pixel_type_t type, unsigned components,
                          unsigned seed);

/** True when a and b have the same shape, type and pixel bytes. */
bool io_same_pixels(const pipit_image_t *a, const pipit_image_t *b);

/** Asserts size, spacing, origin, direction agree within tol. */
void io_assert_geometry(const pipit_image_t *a, const pipit_image_t *b,
                        double tol);

/** Writes n bytes to path (overwriting); aborts the test on failure. */
void io_write_file(const char *path, const void *data, size_t n);

/** The whole file in a new malloc()ed buffer; *n its size; NULL if none. */
unsigned char *io_read_file(const char *path, size_t *n);

/** True when the file exists. */
bool io_exists(const char *path);

/**
 * Number of entries of folder dir whose name starts with prefix: a
 * failed write must leave none (no temporary file either).
 */
size_t io_count_prefix(const char *dir, const char *prefix);

/** Writes img to path and reads it back (new reference), asserting OK. */
pipit_image_t *io_round_trip(const pipit_image_t *img, const char *path,
                             const pipit_write_options_t *opt);

/** A fresh empty sub-folder of the test folder (static buffer). */
const char *io_fresh_dir(const char *name);

#endif
