/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PIPIT_BUFFER_IMPL_H
#define PIPIT_BUFFER_IMPL_H

#include <pipit/buffer.h>

/** The memory for writing; callers check exclusivity first. */
void *pipit__buffer_data_mut(pipit_buffer_t *b);

/** Drops a wrapped buffer's free callback (failure paths of wrappers). */
void pipit__buffer_forget(pipit_buffer_t *b);

/** Bytes of pixel memory the library owns now. */
size_t pipit__buffer_live_bytes(void);
/** The most it owned since the last reset; reset restarts from now. */
size_t pipit__buffer_peak_bytes(bool reset);

#endif
