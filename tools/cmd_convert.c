/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `pipit convert [--type T] [--compress] [--level N] [--no-sync] IN OUT`:
 * reads IN and writes OUT, formats chosen by the file names. The pixels
 * stream through piece by piece, so neither file has to fit in memory.
 */
#include <stdio.h>
#include <string.h>

#include <pipit/io.h>
#include <pipit/pipit.h>

#include "tool.h"

#define USAGE                                                              \
    "pipit convert [--type u8|i8|u16|i16|u32|i32|f32|f64] [--compress] "   \
    "[--level 1..9] [--no-sync] [--] IN OUT"

int pipit_cmd_convert(int argc, char **argv);

int
pipit_cmd_convert(int argc, char **argv)
{
    int rc = TOOL_FAILED;
    pipit_status_t st;
    pipit_node_t *reader = NULL, *writer = NULL;
    const char *type = NULL, *level = NULL, *in = NULL, *out = NULL;
    bool compress = false, options = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!options || a[0] != '-' || a[1] == '\0') {
            /* a file: after "--", or not an option word ("-" alone too) */
            if (in == NULL)
                in = a;
            else if (out == NULL)
                out = a;
            else
                return tool_usage(USAGE, "too many files ('%s')", a);
        } else if (strcmp(a, "--") == 0) {
            options = false;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            printf("usage: %s\nConverts between PNG, TIFF, MetaImage and "
                   "NIfTI, chosen by the file names;\n--type converts "
                   "the pixels (rounded, clamped); --no-sync skips the "
                   "fsyncs\n(for scratch output: atomic still, but not "
                   "durable across a power cut).\n", USAGE);
            return TOOL_OK;
        } else if (strcmp(a, "--type") == 0 || strcmp(a, "-t") == 0) {
            if (++i == argc)
                return tool_usage(USAGE, "--type needs a pixel type");
            type = argv[i];
        } else if (strcmp(a, "--no-sync") == 0) {
            pipit_io_set_sync(false);   /* scratch output: no fsync */
        } else if (strcmp(a, "--compress") == 0) {
            compress = true;
        } else if (strcmp(a, "--level") == 0) {
            if (++i == argc)
                return tool_usage(USAGE, "--level needs a number");
            level = argv[i];
            compress = true;
        } else {
            return tool_usage(USAGE, "unknown option '%s' (`--` ends the "
                              "options)", a);
        }
    }
    if (in == NULL || out == NULL)
        return tool_usage(USAGE, "convert takes an input and an output file");
    pipit_pixel_type_t t;
    if (type != NULL && pipit_pixel_type_parse(type, &t) != PIPIT_OK)
        return tool_usage(USAGE, "--type: %s", pipit_error_message());
    if ((reader = pipit_reader_new(in)) == NULL ||
        (writer = pipit_writer_new(out)) == NULL) {
        rc = tool_fail_status(PIPIT_EUNSUPPORTED);
        goto done;
    }
    if ((type != NULL &&
         (st = pipit_node_set(writer, "type", pipit_pixel_type_name(t))) !=
             PIPIT_OK) ||
        (compress &&
         (st = pipit_node_set(writer, "compress", "true")) != PIPIT_OK) ||
        (level != NULL &&
         (st = pipit_node_set(writer, "level", level)) != PIPIT_OK)) {
        rc = tool_usage(USAGE, "%s", pipit_error_message());
        goto done;
    }
    if ((st = pipit_node_set_input(writer, 0, reader, 0)) != PIPIT_OK ||
        (st = pipit_node_update(writer)) != PIPIT_OK) {
        rc = tool_fail_status(st);
        goto done;
    }
    rc = TOOL_OK;
done:
    pipit_node_unref(writer);
    pipit_node_unref(reader);
    return rc;
}
