/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The `pipit` command: `pipit <subcommand> [options] ...`. A subcommand
 * is a file tools/cmd_<name>.c and one row of COMMANDS below.
 */
#include <malloc.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/pipit.h>

#include "tool.h"

/* name, one-line help */
#define COMMANDS(X)                                                        \
    X(info, "print size, spacing, origin, direction, pixel type, min/max") \
    X(convert, "convert an image file to another format or pixel type")   \
    X(filter, "run one filter on image files (`pipit filters` lists them)") \
    X(filters, "list the filters and their settings (--markdown)")       \
    X(register, "register two images as elastix does (elastix's flags)")  \
    X(transform, "apply a TransformParameters file (transformix's flags)")

#define DECLARE(name, help) int pipit_cmd_##name(int argc, char **argv);
COMMANDS(DECLARE)
#undef DECLARE

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} commands[] = {
#define ROW(name, help) { #name, pipit_cmd_##name, help },
    COMMANDS(ROW)
#undef ROW
};

#define N_COMMANDS (sizeof commands / sizeof commands[0])

int
tool_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pipit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return TOOL_FAILED;
}

int
tool_usage(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pipit: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fprintf(stderr, "usage: %s\n", usage);
    return TOOL_USAGE;
}

int
tool_fail_status(pipit_status_t st)
{
    (void)st;
    return tool_fail("%s", pipit_error_message());
}

static void
list_commands(FILE *f)
{
    fprintf(f, "usage: pipit [--untrusted] [--no-sync] [--log-level LEVEL] "
               "[--version] <command> [options] ...\n\n"
               "  --untrusted  read input files as untrusted (uploads): "
               "MetaImage data files\n               only inside the "
               "header's folder, sizes capped\n"
               "  --no-sync    scratch output: files still replaced "
               "atomically, not fsynced\n\ncommands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\n`pipit <command> --help` describes one command.\n"
               "--log-level error|warning|info|debug (or PIPIT_LOG_LEVEL):\n"
               "  debug traces every node run (class, region, pieces, time).\n");
}

static bool
parse_log_level(const char *text, pipit_log_level_t *level)
{
    static const char *const names[] = { "error", "warning", "info",
                                         "debug" };
    for (unsigned i = 0; i < 4; i++)
        if (strcmp(text, names[i]) == 0) {
            *level = (pipit_log_level_t)i;
            return true;
        }
    return false;
}

int
main(int argc, char **argv)
{
#ifdef M_MMAP_THRESHOLD
    /* A command makes and frees image buffers of a few hundred
     * kilobytes to megabytes in turn (reader, cast, pyramid levels,
     * coefficients). glibc maps each one afresh above 128 KiB and the
     * kernel zeroes every page on first touch: over half of a short
     * run's time. From the heap, and without giving its top back, a
     * freed buffer's pages serve the next one. Up to 4 MiB only: bigger
     * buffers (3-D volumes) cost far more to fill than to map, and kept
     * in the heap they raised the 3-D case's peak RSS by a quarter. */
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
    mallopt(M_TRIM_THRESHOLD, 32 << 20);
    mallopt(M_TOP_PAD, 4 << 20);
#endif
    pipit_log_level_t level = PIPIT_LOG_WARNING;
    const char *env = getenv("PIPIT_LOG_LEVEL");
    if (env != NULL && *env != '\0' && !parse_log_level(env, &level))
        return tool_fail("PIPIT_LOG_LEVEL '%s': use error, warning, info "
                         "or debug", env);
    /* Options of pipit itself come before the command. */
    while (argc >= 2 && strncmp(argv[1], "--", 2) == 0 &&
           strcmp(argv[1], "--help") != 0) {
        if (strcmp(argv[1], "--version") == 0) {
            printf("pipit %s\n", pipit_version());
            return TOOL_OK;
        }
        if (strcmp(argv[1], "--untrusted") == 0) {
            pipit_io_set_untrusted(true);
            argc--, argv++;
            continue;
        }
        /* For every command, register and transform included, whose
         * flags are elastix's and transformix's. */
        if (strcmp(argv[1], "--no-sync") == 0) {
            pipit_io_set_sync(false);
            argc--, argv++;
            continue;
        }
        if (strcmp(argv[1], "--log-level") != 0)
            break;
        if (argc < 3 || !parse_log_level(argv[2], &level))
            return tool_usage("pipit --log-level error|warning|info|debug "
                              "<command> ...",
                              "--log-level '%s': use error, warning, info or "
                              "debug",
                              argc < 3 ? "" : argv[2]);
        argc -= 2, argv += 2;
    }
    pipit_log_set_handler(pipit_log_stderr, NULL, level);
    tool_signals_install();
    if (argc < 2) {
        list_commands(stderr);
        return TOOL_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        list_commands(stdout);
        return TOOL_OK;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "pipit: unknown command '%s'\n", argv[1]);
    list_commands(stderr);
    return TOOL_USAGE;
}
