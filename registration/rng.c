/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The registration's random generator: xoshiro256** (Blackman and Vigna)
 * seeded through splitmix64, so a RandomSeed gives the same stream on
 * every platform and no state is shared between registrations.
 */
#include <math.h>

#include "reg_impl.h"

static uint64_t
splitmix64(uint64_t *x)
{
    uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t
rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void
pipit__reg_rng_seed(reg_rng_t *g, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++)
        g->s[i] = splitmix64(&x);
}

uint64_t
pipit__reg_rng_next(reg_rng_t *g)
{
    uint64_t *s = g->s;
    uint64_t r = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

double
pipit__reg_rng_uniform(reg_rng_t *g)
{
    return (double)(pipit__reg_rng_next(g) >> 11) * 0x1.0p-53;
}

uint64_t
pipit__reg_rng_below(reg_rng_t *g, uint64_t n)
{
    /* Rejection of the top partial block keeps every value equally
     * likely; at most one draw in two is rejected, usually none. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do
        r = pipit__reg_rng_next(g);
    while (r >= limit);
    return r % n;
}

double
pipit__reg_rng_normal(reg_rng_t *g)
{
    /* Box-Muller without a cached second value: the stream then depends
     * only on the number of draws, which keeps callers simple. */
    double u1 = pipit__reg_rng_uniform(g), u2 = pipit__reg_rng_uniform(g);
    if (u1 < 0x1.0p-60)
        u1 = 0x1.0p-60;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
