/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Image IO against the cost floor, in the same run (medians of 11 runs,
 * 101 for the fast TIFF):
 *   - a 256^3 f32 .mha, uncompressed, read and written by pipit versus
 *     plain read()/write() of the same bytes (goal: at least 80 %);
 *   - a 2048^2 u16 PNG and TIFF, read and written by pipit versus the
 *     same libpng / libtiff calls alone on the same data, so that the
 *     difference is the time spent outside the codec (goal: at most
 *     10 % of the total).
 * Prints figures and ratios; never fails on time. Files go to a
 * temporary folder under $TMPDIR (or /tmp) and are removed.
 */
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <png.h>
#include <tiffio.h>

#include <pipit/io.h>
#include <pipit/pipit.h>

#define RUNS 11
#define MAX_RUNS 101

static double
now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void
die(const char *what)
{
    fprintf(stderr, "bench io: %s: %s\n", what, pipit_error_message());
    exit(1);
}

/* ---- plain read()/write() ------------------------------------------ */

/* The old file is removed and a new one made, as pipit's temporary file
 * and rename amount to (overwriting with O_TRUNC instead makes ext4
 * flush the data at close(): slower, and not what pipit does). */
static void
plain_write(const char *path, const void *a, size_t na, const void *b,
            size_t nb)
{
    unlink(path);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, a, na) != (ssize_t)na ||
        write(fd, b, nb) != (ssize_t)nb || close(fd) != 0)
        die("plain write");
}

static void
plain_read(const char *path, size_t n)
{
    /* A fresh buffer each time, as a reader must allocate its image. */
    char *buf = malloc(n);
    int fd = open(path, O_RDONLY);
    size_t done = 0;
    while (fd >= 0 && done < n) {
        ssize_t k = read(fd, buf + done, n - done);
        if (k <= 0)
            break;
        done += (size_t)k;
    }
    if (fd < 0 || done != n)
        die("plain read");
    close(fd);
    free(buf);
}

static void
bench_mha(const char *dir)
{
    size_t size[3] = { 256, 256, 256 };
    pipit_image_t *img = pipit_image_new(3, size, PIPIT_F32, 1);
    if (img == NULL)
        die("image");
    float *p = pipit_image_data_writable(img);
    size_t n = 256u * 256u * 256u;
    for (size_t i = 0; i < n; i++)
        p[i] = (float)(i % 1000) * 0.25f;
    char path[512], plain[512];
    snprintf(path, sizeof path, "%s/vol.mha", dir);
    snprintf(plain, sizeof plain, "%s/vol.bin", dir);
    /* The header's length, for plain write() to write as many bytes. */
    if (pipit_image_write(img, path) != PIPIT_OK)
        die("mha write");
    FILE *f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0)
        die("mha size");
    size_t bytes = n * sizeof(float), header = (size_t)ftell(f) - bytes;
    fclose(f);
    char text[512] = { 0 };
    double pw[RUNS], xw[RUNS], pr[RUNS], xr[RUNS];
    /* Rotated order each round, as in bench_codec. */
    for (int r = 0; r < RUNS; r++)
        for (int j = 0; j < 2; j++) {
            double t = now();
            if ((r + j) % 2 == 0) {
                if (pipit_image_write(img, path) != PIPIT_OK)
                    die("mha write");
                xw[r] = now() - t;
            } else {
                plain_write(plain, text, header, p, bytes);
                pw[r] = now() - t;
            }
        }
    for (int r = 0; r < RUNS; r++)
        for (int j = 0; j < 2; j++) {
            double t = now();
            if ((r + j) % 2 == 0) {
                pipit_image_t *back = NULL;
                if (pipit_image_read(path, &back) != PIPIT_OK)
                    die("mha read");
                xr[r] = now() - t;
                pipit_image_unref(back);
            } else {
                plain_read(plain, header + bytes);
                pr[r] = now() - t;
            }
        }
    double mb = (double)(header + bytes) / (1 << 20);
    double a = median(xw, RUNS), b = median(pw, RUNS);
    double c = median(xr, RUNS), d = median(pr, RUNS);
    printf("mha 256^3 f32 (%.0f MiB), median of %d:\n", mb, RUNS);
    printf("  write: pipit %7.1f MiB/s   plain write() %7.1f MiB/s   "
           "ratio %5.1f %%  (goal >= 80 %%)\n", mb / a, mb / b, 100 * b / a);
    printf("  read:  pipit %7.1f MiB/s   plain read()  %7.1f MiB/s   "
           "ratio %5.1f %%  (goal >= 80 %%)\n", mb / c, mb / d, 100 * d / c);
    unlink(path);
    unlink(plain);
    pipit_image_unref(img);
}

/* ---- PNG and TIFF: the codec alone ------------------------------------ */

enum { W = 2048, H = 2048 };

static void
png_encode_alone(const char *path, const uint16_t *pix)
{
    FILE *f = fopen(path, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL,
                                              NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (f == NULL || png == NULL || info == NULL || setjmp(png_jmpbuf(png)))
        die("libpng write");
    png_init_io(png, f);
    png_set_IHDR(png, info, W, H, 16, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_write_info(png, info);
    png_set_swap(png);
    for (int y = 0; y < H; y++)
        png_write_row(png, (png_const_bytep)(pix + (size_t)y * W));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    fclose(f);
}

static void
png_decode_alone(const char *path)
{
    FILE *f = fopen(path, "rb");
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL,
                                             NULL, NULL);
    png_infop info = png_create_info_struct(png);
    uint16_t *pix = malloc((size_t)W * H * 2);
    if (f == NULL || png == NULL || info == NULL || setjmp(png_jmpbuf(png)))
        die("libpng read");
    png_init_io(png, f);
    png_read_info(png, info);
    png_set_swap(png);
    png_read_update_info(png, info);
    for (int y = 0; y < H; y++)
        png_read_row(png, (png_bytep)(pix + (size_t)y * W), NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    free(pix);
}

static void
tiff_encode_alone(const char *path, const uint16_t *pix)
{
    TIFF *t = TIFFOpen(path, "w");
    if (t == NULL)
        die("libtiff write");
    TIFFSetField(t, TIFFTAG_IMAGEWIDTH, W);
    TIFFSetField(t, TIFFTAG_IMAGELENGTH, H);
    TIFFSetField(t, TIFFTAG_BITSPERSAMPLE, 16);
    TIFFSetField(t, TIFFTAG_SAMPLESPERPIXEL, 1);
    TIFFSetField(t, TIFFTAG_PHOTOMETRIC, PHOTOMETRIC_MINISBLACK);
    /* the strips pipit writes: about 64 KiB */
    uint32_t rps = (64u << 10) / (W * 2);
    TIFFSetField(t, TIFFTAG_ROWSPERSTRIP, rps);
    for (uint32_t s = 0; s < H / rps; s++)
        TIFFWriteEncodedStrip(t, s, (void *)(pix + (size_t)s * rps * W),
                              (tmsize_t)rps * W * 2);
    TIFFClose(t);
}

static void
tiff_decode_alone(const char *path)
{
    TIFF *t = TIFFOpen(path, "r");
    uint16_t *pix = malloc((size_t)W * H * 2);
    if (t == NULL)
        die("libtiff read");
    tstrip_t n = TIFFNumberOfStrips(t);
    tmsize_t ss = TIFFStripSize(t);
    for (tstrip_t s = 0; s < n; s++)
        TIFFReadEncodedStrip(t, s, (char *)pix + (size_t)s * (size_t)ss, -1);
    TIFFClose(t);
    free(pix);
}

static void
report(const char *what, double pipit_s, double alone_s)
{
    double outside = pipit_s > alone_s ? pipit_s - alone_s : 0.0;
    printf("  %-6s pipit %8.2f ms   codec alone %8.2f ms   outside %5.1f %% "
           "(goal <= 10 %%)\n", what, 1e3 * pipit_s, 1e3 * alone_s,
           100 * outside / pipit_s);
}

/* The codec alone, writing a temporary name and renaming it over the
 * target as pipit does: the rest is pipit's own code. */
static void
encode_atomic(const char *path, const uint16_t *pix, bool png)
{
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    if (png)
        png_encode_alone(tmp, pix);
    else
        tiff_encode_alone(tmp, pix);
    unlink(path);
    if (rename(tmp, path) != 0)
        die("rename");
}

/* One timed write or read of the codec bench. */
enum { PIPIT_WRITE, ALONE_WRITE, ATOMIC_WRITE, PIPIT_READ, ALONE_READ };

static double
codec_run(int what, pipit_image_t *img, const char *path, const char *alone,
          bool png)
{
    const uint16_t *p = pipit_image_data(img);
    double t = now();
    switch (what) {
    case PIPIT_WRITE:
        if (pipit_image_write(img, path) != PIPIT_OK)
            die("write");
        break;
    case ALONE_WRITE:
        unlink(alone);  /* the old file goes, as in pipit's replacement */
        if (png)
            png_encode_alone(alone, p);
        else
            tiff_encode_alone(alone, p);
        break;
    case ATOMIC_WRITE:
        encode_atomic(alone, p, png);
        break;
    case PIPIT_READ: {
        pipit_image_t *back = NULL;
        if (pipit_image_read(path, &back) != PIPIT_OK)
            die("read");
        pipit_image_unref(back);
        break;
    }
    default:
        if (png)
            png_decode_alone(alone);
        else
            tiff_decode_alone(alone);
        break;
    }
    return now() - t;
}

static void
bench_codec(const char *dir, const char *ext, int runs)
{
    size_t size[2] = { W, H };
    pipit_image_t *img = pipit_image_new(2, size, PIPIT_U16, 1);
    uint16_t *p = pipit_image_data_writable(img);
    uint32_t s = 12345;
    for (size_t y = 0; y < H; y++)
        for (size_t x = 0; x < W; x++) {
            s = s * 1664525u + 1013904223u;
            /* smooth ramps plus noise: a realistic deflate load */
            p[y * W + x] = (uint16_t)(x * 7 + y * 13 + (s >> 26));
        }
    char path[512], alone[512];
    snprintf(path, sizeof path, "%s/img.%s", dir, ext);
    snprintf(alone, sizeof alone, "%s/alone.%s", dir, ext);
    bool png = strcmp(ext, "png") == 0;
    double t[5][MAX_RUNS];
    /* Each round takes the variants in a rotated order: a write that
     * follows a large unlink or free gets the pages just released, warm,
     * and a fixed order would hand that gift to the same variant every
     * time (it was worth 10 % of an uncompressed TIFF write). */
    for (int r = 0; r < runs; r++)
        for (int j = 0; j < 3; j++) {
            int v = (r + j) % 3;
            t[v][r] = codec_run(v, img, path, alone, png);
        }
    for (int r = 0; r < runs; r++)
        for (int j = 0; j < 2; j++) {
            int v = PIPIT_READ + (r + j) % 2;
            t[v][r] = codec_run(v, img, path, alone, png);
        }
    printf("%s 2048^2 u16%s, median of %d:\n", png ? "PNG" : "TIFF",
           png ? " (zlib level 6)" : " (uncompressed)", runs);
    double a = median(t[PIPIT_WRITE], runs);
    double b = median(t[ATOMIC_WRITE], runs);
    report("write", a, median(t[ALONE_WRITE], runs));
    printf("         codec alone + temporary file and rename %8.2f ms   "
           "outside %5.1f %%\n", 1e3 * b, a > b ? 100 * (a - b) / a : 0.0);
    report("read", median(t[PIPIT_READ], runs), median(t[ALONE_READ], runs));
    unlink(path);
    unlink(alone);
    pipit_image_unref(img);
}

int
main(void)
{
    /* Every image-sized buffer a fresh mapping, for pipit and for the
     * baselines alike: otherwise glibc hands whichever runs second the
     * pages the other just freed, already faulted in, and the order of
     * the runs decides the ratios. */
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    const char *base = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof dir, "%s/pipit-bench-io-XXXXXX",
             base != NULL ? base : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    bench_mha(dir);
    bench_codec(dir, "png", RUNS);
    /* A TIFF write takes 2 ms: many runs, or the medians wander. */
    bench_codec(dir, "tif", MAX_RUNS);
    rmdir(dir);
    return 0;
}
