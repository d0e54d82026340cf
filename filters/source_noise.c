/* SPDX-License-Identifier: Apache-2.0 */
/*
 * noise: a source of Gaussian noise, mean + sigma * z with z standard
 * normal, reproducible from `seed`. A pixel's value depends only on the
 * seed and its linear index (components counted: ((t nz + z) ny + y) nx
 * + x, times components, plus the component), never on the region
 * asked, the piece order or the thread count: the generator is
 * counter-based. Two 53-bit uniforms come from SplitMix64's output
 * function applied to key + (2i) G and key + (2i + 1) G (G the golden
 * ratio's 64-bit constant, key a mix of the seed), and Box-Muller's
 * cosine branch turns them into z. Integer types are rounded and
 * clamped.
 */
#include <math.h>

#include "source_impl.h"

typedef struct {
    pipit__source_t src;
    double mean, sigma;
    int64_t seed;
} noise_t;

#define GOLDEN UINT64_C(0x9e3779b97f4a7c15)

static inline uint64_t
mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* The standard normal value number i of the stream of key. */
static inline double
normal_at(uint64_t key, uint64_t i)
{
    const double two53 = 1.0 / 9007199254740992.0;
    uint64_t a = mix64(key + (2 * i) * GOLDEN);
    uint64_t b = mix64(key + (2 * i + 1) * GOLDEN);
    double u1 = (double)((a >> 11) + 1) * two53; /* (0, 1]: log finite */
    double u2 = (double)(b >> 11) * two53;       /* [0, 1) */
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static void
noise_row(const pipit_node_t *n, const size_t *at, size_t count,
          double *values)
{
    const noise_t *s = (const noise_t *)n;
    const pipit_image_t *out = pipit__output(n, 0);
    const uint64_t nc = out->components;
    uint64_t key = mix64((uint64_t)s->seed ^ UINT64_C(0x6a09e667f3bcc909));
    uint64_t first = ((((uint64_t)at[3] * out->size[2] + at[2]) *
                           out->size[1] +
                       at[1]) *
                          out->size[0] +
                      at[0]) *
                     nc;
    for (uint64_t i = 0; i < count * nc; i++)
        values[i] = s->mean + s->sigma * normal_at(key, first + i);
}

static pipit_status_t
noise_threaded(pipit_node_t *n, const pipit_piece_t *p)
{
    return pipit__source_rows(n, p, noise_row);
}

static const pipit_setting_t noise_settings[] = {
    PIPIT__SOURCE_SETTINGS(noise_t),
    { "mean", PIPIT_SETTING_DOUBLE, offsetof(noise_t, mean), "0",
      "mean of the noise", 1, 0, NULL },
    { "sigma", PIPIT_SETTING_DOUBLE, offsetof(noise_t, sigma), "1",
      "standard deviation of the noise", 0, 1e300, NULL },
    { "seed", PIPIT_SETTING_INT, offsetof(noise_t, seed), "0",
      "the same seed gives the same pixels", 1, 0, NULL },
};

const pipit_node_class_t pipit__noise_class = {
    .name = "noise",
    .help = "source: Gaussian noise of a given mean and sigma, the same "
            "pixels for the same seed (no input)",
    .size = sizeof(noise_t),
    .n_inputs = 0, .n_outputs = 1,
    .settings = noise_settings,
    .n_settings = sizeof noise_settings / sizeof noise_settings[0],
    .information = pipit__source_information,
    .threaded = noise_threaded,
};

pipit_node_t *
pipit_noise_new(unsigned dim, const size_t *size, pipit_pixel_type_t type,
                double mean, double sigma, uint64_t seed)
{
    if (!isfinite(mean) || !(sigma >= 0.0 && sigma <= 1e300)) {
        pipit__error(PIPIT_EINVAL,
                     "pipit_noise_new: invalid argument: mean %g, sigma %g "
                     "(finite, sigma >= 0)",
                     mean, sigma);
        return NULL;
    }
    pipit_node_t *n = pipit__source_new(&pipit__noise_class,
                                        "pipit_noise_new", dim, size, type);
    if (n != NULL) {
        noise_t *s = (noise_t *)n;
        s->mean = mean, s->sigma = sigma;
        s->seed = (int64_t)seed; /* the same 64 bits */
    }
    return n;
}
