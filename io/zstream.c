/* SPDX-License-Identifier: Apache-2.0 */
/* zlib streams over files: random-access inflate, streaming deflate. */
#include <string.h>

#include <zlib.h>

#include "io_impl.h"

#define IN_CHUNK (256u << 10)
#define SKIP_CHUNK (64u << 10)

struct pipit__inflater {
    z_stream zs;
    bool live;          /* inflateInit2 done */
    int fd;
    uint64_t start, avail; /* compressed bytes: [start, start + avail) */
    uint64_t in_pos;    /* next compressed byte to read, from start */
    uint64_t out_pos;   /* uncompressed bytes produced so far */
    bool ended;         /* the last member ended and no input is left */
    const char *fmt, *path;
    unsigned char *in;
    unsigned char *skip;
};

static pipit_status_t
inflater_restart(pipit__inflater_t *z)
{
    if (z->live)
        inflateEnd(&z->zs);
    z->live = false;
    memset(&z->zs, 0, sizeof z->zs);
    /* 32 + 15: zlib or gzip header, detected. */
    if (inflateInit2(&z->zs, 32 + 15) != Z_OK)
        return pipit__error_nomem();
    z->live = true;
    z->in_pos = z->out_pos = 0;
    z->ended = false;
    return PIPIT_OK;
}

pipit_status_t
pipit__inflater_new(int fd, uint64_t start, uint64_t avail, const char *fmt,
                    const char *path, pipit__inflater_t **out)
{
    pipit_status_t st = PIPIT_ENOMEM;
    pipit__inflater_t *z = pipit__calloc(1, sizeof *z);
    *out = NULL;
    if (z == NULL)
        return PIPIT_ENOMEM;
    z->fd = fd, z->start = start, z->avail = avail;
    z->fmt = fmt, z->path = path;
    if ((z->in = pipit__malloc(IN_CHUNK)) == NULL ||
        (z->skip = pipit__malloc(SKIP_CHUNK)) == NULL)
        goto fail;
    if ((st = inflater_restart(z)) != PIPIT_OK)
        goto fail;
    *out = z;
    return PIPIT_OK;
fail:
    pipit__inflater_free(z);
    return st;
}

void
pipit__inflater_free(pipit__inflater_t *z)
{
    if (z == NULL)
        return;
    if (z->live)
        inflateEnd(&z->zs);
    pipit__free(z->in);
    pipit__free(z->skip);
    pipit__free(z);
}

/* After the end of a stream: starts the next gzip member, if one follows. */
static pipit_status_t
next_member(pipit__inflater_t *z)
{
    if (z->zs.avail_in < 2 && z->in_pos < z->avail) {
        /* Move the leftover byte to the front and top the buffer up. */
        size_t have = z->zs.avail_in;
        if (have > 0)
            z->in[0] = z->zs.next_in[0];
        uint64_t left = z->avail - z->in_pos;
        size_t want = left < IN_CHUNK - have ? (size_t)left : IN_CHUNK - have;
        pipit_status_t st = pipit__file_pread(z->fd, z->in + have, want,
                                              z->start + z->in_pos, z->fmt,
                                              z->path);
        if (st != PIPIT_OK)
            return st;
        z->in_pos += want;
        z->zs.next_in = z->in;
        z->zs.avail_in = (uInt)(have + want);
    }
    if (z->zs.avail_in >= 2 && z->zs.next_in[0] == 0x1f &&
        z->zs.next_in[1] == 0x8b) {
        if (inflateReset(&z->zs) != Z_OK)
            return pipit__error(PIPIT_EFORMAT, "%s: '%s': bad compressed "
                                "data", z->fmt, z->path);
        return PIPIT_OK;
    }
    z->ended = true;
    return PIPIT_OK;
}

/* Inflates into dst until n bytes came out. */
static pipit_status_t
inflate_into(pipit__inflater_t *z, unsigned char *dst, size_t n)
{
    pipit_status_t st;
    while (n > 0) {
        if (z->ended)
            return pipit__error(PIPIT_EFORMAT,
                                "%s: '%s': compressed data ends %llu bytes "
                                "early", z->fmt, z->path,
                                (unsigned long long)n);
        if (z->zs.avail_in == 0 && z->in_pos < z->avail) {
            uint64_t left = z->avail - z->in_pos;
            size_t want = left < IN_CHUNK ? (size_t)left : IN_CHUNK;
            if ((st = pipit__file_pread(z->fd, z->in, want,
                                        z->start + z->in_pos, z->fmt,
                                        z->path)) != PIPIT_OK)
                return st;
            z->in_pos += want;
            z->zs.next_in = z->in;
            z->zs.avail_in = (uInt)want;
        }
        size_t chunk = n < (1u << 30) ? n : (1u << 30);
        z->zs.next_out = dst;
        z->zs.avail_out = (uInt)chunk;
        int zr = inflate(&z->zs, Z_NO_FLUSH);
        size_t made = chunk - z->zs.avail_out;
        dst += made, n -= made;
        z->out_pos += made;
        if (zr == Z_STREAM_END) {
            /* Another gzip member may follow (concatenated .gz); any
             * other trailing bytes are ignored, as gzip does. */
            if ((st = next_member(z)) != PIPIT_OK)
                return st;
            continue;
        }
        if (zr == Z_MEM_ERROR)
            return pipit__error_nomem();
        if (zr == Z_BUF_ERROR && z->zs.avail_in == 0 &&
            z->in_pos >= z->avail)
            z->ended = true;
        else if (zr != Z_OK && zr != Z_BUF_ERROR)
            return pipit__error(PIPIT_EFORMAT,
                                "%s: '%s': bad compressed data: %s", z->fmt,
                                z->path,
                                z->zs.msg != NULL ? z->zs.msg : "corrupt");
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__inflater_read(pipit__inflater_t *z, uint64_t pos, void *dst, size_t n)
{
    pipit_status_t st;
    if (pos < z->out_pos && (st = inflater_restart(z)) != PIPIT_OK)
        return st;
    while (z->out_pos < pos) {
        uint64_t gap = pos - z->out_pos;
        size_t k = gap < SKIP_CHUNK ? (size_t)gap : SKIP_CHUNK;
        if ((st = inflate_into(z, z->skip, k)) != PIPIT_OK)
            return st;
    }
    return inflate_into(z, dst, n);
}

/* ---- deflate ------------------------------------------------------ */

struct pipit__deflater {
    z_stream zs;
    bool live;
    pipit__out_t *o;
    unsigned char *buf;
    uint64_t bytes;
};

#define DEFLATE_OUT (256u << 10)

pipit_status_t
pipit__deflater_new(pipit__out_t *o, int level, bool gzip,
                    pipit__deflater_t **out)
{
    pipit__deflater_t *z = pipit__calloc(1, sizeof *z);
    *out = NULL;
    if (z == NULL)
        return PIPIT_ENOMEM;
    z->o = o;
    if ((z->buf = pipit__malloc(DEFLATE_OUT)) == NULL) {
        pipit__deflater_free(z);
        return PIPIT_ENOMEM;
    }
    if (level < 1 || level > 9)
        level = 6;
    if (deflateInit2(&z->zs, level, Z_DEFLATED, gzip ? 16 + 15 : 15, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        pipit__deflater_free(z);
        return pipit__error_nomem();
    }
    z->live = true;
    *out = z;
    return PIPIT_OK;
}

static pipit_status_t
deflate_run(pipit__deflater_t *z, int flush)
{
    int zr;
    do {
        z->zs.next_out = z->buf;
        z->zs.avail_out = DEFLATE_OUT;
        zr = deflate(&z->zs, flush);
        if (zr == Z_STREAM_ERROR)
            return pipit__error(PIPIT_EINVAL, "%s: '%s': deflate failed",
                                z->o->fmt, z->o->path);
        size_t made = DEFLATE_OUT - z->zs.avail_out;
        z->bytes += made;
        pipit_status_t st = pipit__out_write(z->o, z->buf, made);
        if (st != PIPIT_OK)
            return st;
    } while (z->zs.avail_out == 0 ||
             (flush == Z_FINISH && zr != Z_STREAM_END));
    return PIPIT_OK;
}

pipit_status_t
pipit__deflater_write(pipit__deflater_t *z, const void *p, size_t n)
{
    const unsigned char *c = p;
    while (n > 0) {
        size_t chunk = n < (1u << 30) ? n : (1u << 30);
        z->zs.next_in = (unsigned char *)c;
        z->zs.avail_in = (uInt)chunk;
        pipit_status_t st = deflate_run(z, Z_NO_FLUSH);
        if (st != PIPIT_OK)
            return st;
        c += chunk, n -= chunk;
    }
    return PIPIT_OK;
}

pipit_status_t
pipit__deflater_finish(pipit__deflater_t *z, uint64_t *bytes)
{
    z->zs.next_in = NULL;
    z->zs.avail_in = 0;
    pipit_status_t st = deflate_run(z, Z_FINISH);
    if (bytes != NULL)
        *bytes = z->bytes;
    return st;
}

void
pipit__deflater_free(pipit__deflater_t *z)
{
    if (z == NULL)
        return;
    if (z->live)
        deflateEnd(&z->zs);
    pipit__free(z->buf);
    pipit__free(z);
}
