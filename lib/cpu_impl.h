/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one CPU-dispatch mechanism of the tree. A hot function is written
 * once, as a macro taking a name suffix and an attribute, and expanded
 * twice: NAME_portable for any x86-64 (or any other CPU), NAME_v3 built
 * for x86-64-v3 (AVX2, FMA, BMI2). Callers pick one per call with
 * PIPIT__PICK(NAME) — a relaxed load and a branch — or once per run by
 * storing the pointer. Both copies are ordinary static functions: no
 * load-time resolver, nothing exported, and ThreadSanitizer sees plain
 * code.
 *
 *   #define ROW(V, ATTR) ATTR static void row##V(const float *a, ...) {...}
 *   PIPIT__MULTIVERSION(ROW)
 *   ...  PIPIT__PICK(row)(a, ...);
 *
 * The v3 copy runs when the CPU has the instructions and the
 * environment variable PIPIT_PORTABLE is unset, empty or "0" (read
 * once, at the first dispatch); configure --disable-simd builds the
 * portable copies only. Every piece of one run takes the same copy, so
 * results stay the same for any number of threads; the two copies may
 * differ in the last bits where the v3 one fuses multiply-adds.
 */
#ifndef PIPIT_CPU_IMPL_H
#define PIPIT_CPU_IMPL_H

#include <stdbool.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(PIPIT_PORTABLE_ONLY)
#define PIPIT__HAVE_V3 1
#define PIPIT__V3                                                          \
    __attribute__((target("avx,avx2,bmi,bmi2,f16c,fma,lzcnt,movbe")))
#define PIPIT__MULTIVERSION(DEF) DEF(_portable, ) DEF(_v3, PIPIT__V3)
#define PIPIT__PICK(name) (pipit__cpu_v3() ? name##_v3 : name##_portable)
#define PIPIT__IF_V3(...) __VA_ARGS__
#else
#define PIPIT__V3
#define PIPIT__MULTIVERSION(DEF) DEF(_portable, )
#define PIPIT__PICK(name) (name##_portable)
#define PIPIT__IF_V3(...)
#endif

/** True when the x86-64-v3 copies run (see above). Thread safe. */
bool pipit__cpu_v3(void);

/**
 * For tests and benches: true forces the portable copies, false goes
 * back to what PIPIT_PORTABLE and the CPU say. Not to be called while a
 * loop runs.
 */
void pipit__cpu_force_portable(bool portable);

#endif
