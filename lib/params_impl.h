/* SPDX-License-Identifier: Apache-2.0 */
/* What lib/params.c and lib/params_get.c share. */
#ifndef PIPIT_PARAMS_IMPL_H
#define PIPIT_PARAMS_IMPL_H

#include <stddef.h>

#include <pipit/error.h>
#include <pipit/params.h>

/**
 * Reads a number at the start of s the way C++ `istream >> double` does
 * in the classic locale (libstdc++): leading white space skipped, then
 * sign, digits, point, exponent; the rest of s is ignored. Whatever the
 * C locale is, '.' is the decimal point. *used counts the characters
 * read, white space included. Returns PIPIT_OK, PIPIT_EINVAL when s
 * does not start with a number, PIPIT_ERANGE when it overflows a double,
 * recording no message (the caller knows the key); or PIPIT_ENOMEM, only
 * under a locale whose decimal point is not '.' and for a number longer
 * than a kilobyte, which then needs a heap copy.
 */
pipit_status_t pipit__params_read_double(const char *s, double *out,
                                         size_t *used);

/** The global clock at the map's last change (for pipeline ports). */
uint64_t pipit__params_mtime(const pipit_params_t *p);

/**
 * The line of the text that key came from (1 for the first line); 0 when
 * the key is absent or was set by code. For messages that name a line.
 */
size_t pipit__params_line(const pipit_params_t *p, const char *key);

#endif
