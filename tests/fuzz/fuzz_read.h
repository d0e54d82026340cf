/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every reader's fuzz target shares. Readers take paths, so each
 * input goes to a file first; any status is fine, and a crash, leak,
 * sanitizer report or timeout is a bug. See doc/io.md.
 */
#ifndef PIPIT_FUZZ_READ_H
#define PIPIT_FUZZ_READ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A temporary file name for this process ending in ext (".png"); the
 * first call also caps what a lying header can make a reader allocate. */
const char *fuzz_path(const char *ext);

/* Writes the input to path, reads it back and touches every pixel so
 * that the sanitizers see any bad fill; the file is removed after. */
void fuzz_read(const char *path, const uint8_t *data, size_t size);

#endif
