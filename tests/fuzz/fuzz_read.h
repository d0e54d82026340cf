/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What every reader's fuzz target shares. Readers take paths, so each
 * input goes to a file first; any status is fine, and a crash, leak,
 * sanitizer report or timeout is a bug. See doc/io.md.
 */
#ifndef PIPIT_FUZZ_READ_H
#define PIPIT_FUZZ_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A temporary file name for this process ending in ext (".png"); the
 * first call also caps what a lying header can make a reader allocate. */
const char *fuzz_path(const char *ext);

/* Writes size bytes of data to path: false if it could not. */
bool fuzz_write(const char *path, const uint8_t *data, size_t size);

/* Reads path and touches every pixel, so that the sanitizers see any bad
 * fill. Any status is fine. */
void fuzz_read_back(const char *path);

/* fuzz_write, fuzz_read_back, and the file removed. */
void fuzz_read(const char *path, const uint8_t *data, size_t size);

#endif
