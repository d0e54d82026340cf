/* SPDX-License-Identifier: Apache-2.0 */
/* Pixel buffers: owned memory, or a caller's memory with a free callback. */
#include <stdatomic.h>
#include <string.h>

#include <pipit/buffer.h>

#include "buffer_impl.h"
#include "error_impl.h"
#include "object_impl.h"

struct pipit_buffer {
    pipit__object_t obj;
    void *data;
    size_t size;
    unsigned flags;
    bool owned;            /* data came from pipit__aligned_alloc */
    pipit_free_fn free_fn; /* for wrapped memory; NULL: borrowed */
    void *user;
};

/* Bytes of pixel memory the library owns right now, and the most it
 * ever held since the last reset: lets tests measure that a streamed
 * pipeline holds one piece at a time. Only touched on allocation. */
static atomic_size_t live_bytes;
static atomic_size_t peak_bytes;

static void
count_alloc(size_t bytes)
{
    size_t now = atomic_fetch_add(&live_bytes, bytes) + bytes;
    size_t peak = atomic_load(&peak_bytes);
    while (now > peak && !atomic_compare_exchange_weak(&peak_bytes, &peak, now))
        ;
}

size_t
pipit__buffer_live_bytes(void)
{
    return atomic_load(&live_bytes);
}

size_t
pipit__buffer_peak_bytes(bool reset)
{
    size_t peak = atomic_load(&peak_bytes);
    if (reset)
        atomic_store(&peak_bytes, atomic_load(&live_bytes));
    return peak;
}

pipit_buffer_t *
pipit_buffer_new(size_t bytes, bool zero)
{
    if (bytes == 0) {
        pipit__error(PIPIT_ERANGE, "buffer: size 0");
        return NULL;
    }
    pipit_buffer_t *b = pipit__malloc(sizeof *b);
    if (b == NULL)
        return NULL;
    if ((b->data = pipit__aligned_alloc(bytes)) == NULL) {
        pipit__free(b);
        return NULL;
    }
    if (zero)
        memset(b->data, 0, bytes);
    pipit__object_init(&b->obj);
    b->size = bytes;
    b->flags = 0;
    b->owned = true;
    b->free_fn = NULL;
    b->user = NULL;
    count_alloc(bytes);
    return b;
}

pipit_buffer_t *
pipit_buffer_wrap(void *data, size_t bytes, unsigned flags,
                  pipit_free_fn free_fn, void *user)
{
    PIPIT_CHECK_ARG_NULL(data != NULL && bytes > 0);
    PIPIT_CHECK_ARG_NULL((flags & ~(unsigned)PIPIT_BUFFER_READONLY) == 0);
    pipit_buffer_t *b = pipit__malloc(sizeof *b);
    if (b == NULL)
        return NULL;
    pipit__object_init(&b->obj);
    b->data = data;
    b->size = bytes;
    b->flags = flags;
    b->owned = false;
    b->free_fn = free_fn;
    b->user = user;
    return b;
}

pipit_buffer_t *
pipit_buffer_ref(pipit_buffer_t *b)
{
    if (b != NULL)
        pipit__object_ref(&b->obj);
    return b;
}

void
pipit_buffer_unref(pipit_buffer_t *b)
{
    if (b == NULL || !pipit__object_unref(&b->obj))
        return;
    if (b->owned) {
        atomic_fetch_sub(&live_bytes, b->size);
        pipit__free(b->data);
    } else if (b->free_fn != NULL) {
        b->free_fn(b->data, b->user);
    }
    pipit__free(b);
}

const void *
pipit_buffer_data(const pipit_buffer_t *b)
{
    return b != NULL ? b->data : NULL;
}

void *
pipit__buffer_data_mut(pipit_buffer_t *b)
{
    return b->data;
}

void
pipit__buffer_forget(pipit_buffer_t *b)
{
    b->free_fn = NULL;
}

size_t
pipit_buffer_size(const pipit_buffer_t *b)
{
    return b != NULL ? b->size : 0;
}

bool
pipit_buffer_is_exclusive(const pipit_buffer_t *b)
{
    return b != NULL && !(b->flags & PIPIT_BUFFER_READONLY) &&
           pipit__object_count(&b->obj) == 1;
}

pipit_buffer_t *
pipit_buffer_dup(const pipit_buffer_t *b)
{
    PIPIT_CHECK_ARG_NULL(b != NULL);
    pipit_buffer_t *c = pipit_buffer_new(b->size, false);
    if (c != NULL)
        memcpy(c->data, b->data, b->size);
    return c;
}
