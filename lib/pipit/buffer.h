/* SPDX-License-Identifier: Apache-2.0 */
/* A reference-counted block of pixel memory, owned or wrapped. */
#ifndef PIPIT_BUFFER_H
#define PIPIT_BUFFER_H

#include <pipit/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pipit_buffer pipit_buffer_t;

/** Called once when the last reference to a wrapped buffer goes. */
typedef void (*pipit_free_fn)(void *data, void *user);

/**
 * A new buffer of bytes bytes that owns its memory (64-byte aligned,
 * zeroed when zero is true). Returns a new reference, or NULL with
 * PIPIT_ENOMEM (or PIPIT_ERANGE for bytes == 0) recorded.
 */
PIPIT_API pipit_buffer_t *pipit_buffer_new(size_t bytes, bool zero);

/** Flags for pipit_buffer_wrap. */
enum {
    /** The memory must never be written: a writer always gets a copy. */
    PIPIT_BUFFER_READONLY = 1u << 0
};

/**
 * Wraps bytes bytes at data that the caller owns: no copy is made.
 * free_fn(data, user) runs when the last reference goes; NULL means the
 * memory is borrowed and the caller keeps it alive longer than the buffer
 * (ITK's "import" flag, made explicit). Returns a new reference or NULL.
 */
PIPIT_API pipit_buffer_t *pipit_buffer_wrap(void *data, size_t bytes,
                                            unsigned flags,
                                            pipit_free_fn free_fn, void *user);

PIPIT_API pipit_buffer_t *pipit_buffer_ref(pipit_buffer_t *b);
PIPIT_API void pipit_buffer_unref(pipit_buffer_t *b);

/** The memory, for reading; borrowed, valid while b lives. */
PIPIT_API const void *pipit_buffer_data(const pipit_buffer_t *b);

PIPIT_API size_t pipit_buffer_size(const pipit_buffer_t *b);

/**
 * True when a write through this reference would be seen by nobody else:
 * one reference and not read-only. Images use it for copy-on-write.
 */
PIPIT_API bool pipit_buffer_is_exclusive(const pipit_buffer_t *b);

/** A new owning buffer with a copy of b's bytes, or NULL. */
PIPIT_API pipit_buffer_t *pipit_buffer_dup(const pipit_buffer_t *b);

#ifdef __cplusplus
}
#endif
#endif
