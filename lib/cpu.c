/* SPDX-License-Identifier: Apache-2.0 */
/* Which copy of the hot functions runs (lib/cpu_impl.h). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "cpu_impl.h"

enum { UNKNOWN, PORTABLE, V3 };

static atomic_int level = UNKNOWN;

static bool
cpu_has_v3(void)
{
#ifdef PIPIT__HAVE_V3
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
#else
    return false;
#endif
}

static bool
env_portable(void)
{
    const char *v = getenv("PIPIT_PORTABLE");
    return v != NULL && *v != '\0' && strcmp(v, "0") != 0;
}

bool
pipit__cpu_v3(void)
{
    int l = atomic_load_explicit(&level, memory_order_relaxed);
    if (l == UNKNOWN) {
        /* Racing first callers compute the same answer. */
        l = !env_portable() && cpu_has_v3() ? V3 : PORTABLE;
        atomic_store_explicit(&level, l, memory_order_relaxed);
    }
    return l == V3;
}

void
pipit__cpu_force_portable(bool portable)
{
    atomic_store_explicit(&level,
                          portable            ? PORTABLE
                          : env_portable()    ? PORTABLE
                          : cpu_has_v3()      ? V3
                                              : PORTABLE,
                          memory_order_relaxed);
}
