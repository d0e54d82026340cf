/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The library's allocator: plain malloc, plus a countdown that makes the
 * Nth allocation fail so tests can walk every out-of-memory path.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "error_impl.h"

/* Allocations counted since the last pipit__alloc_fail_at, and the one
 * to fail (0: none). Relaxed atomics: tests set them from one thread. */
static atomic_size_t alloc_count;
static atomic_size_t alloc_fail;

size_t
pipit__alloc_fail_at(size_t nth)
{
    size_t n = atomic_exchange_explicit(&alloc_count, 0,
                                        memory_order_relaxed);
    atomic_store_explicit(&alloc_fail, nth, memory_order_relaxed);
    return n;
}

static bool
injected_failure(void)
{
    size_t n = atomic_fetch_add_explicit(&alloc_count, 1,
                                         memory_order_relaxed) + 1;
    size_t fail = atomic_load_explicit(&alloc_fail, memory_order_relaxed);
    return fail != 0 && n == fail;
}

void *
pipit__malloc(size_t bytes)
{
    void *p = injected_failure() ? NULL : malloc(bytes == 0 ? 1 : bytes);
    if (p == NULL)
        pipit__error_nomem();
    return p;
}

void *
pipit__calloc(size_t n, size_t size)
{
    void *p = injected_failure() ? NULL
                                 : calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
    if (p == NULL)
        pipit__error_nomem();
    return p;
}

void *
pipit__realloc(void *old, size_t bytes)
{
    void *p = injected_failure() ? NULL : realloc(old, bytes == 0 ? 1 : bytes);
    if (p == NULL)
        pipit__error_nomem();
    return p;
}

void *
pipit__aligned_alloc(size_t bytes)
{
    void *p = NULL;
    if (injected_failure() ||
        posix_memalign(&p, 64, bytes == 0 ? 64 : bytes) != 0) {
        pipit__error_nomem();
        return NULL;
    }
    return p;
}

void
pipit__free(void *p)
{
    free(p);
}

char *
pipit__strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = pipit__malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}
