/* SPDX-License-Identifier: Apache-2.0 */
/*
 * For the subcommands of the `pipit` tool: each lives in
 * tools/cmd_<name>.c as `int pipit_cmd_<name>(int argc, char **argv)`
 * (argv[0] is the subcommand's name) and has one row in the COMMANDS
 * table of tools/pipit.c.
 */
#ifndef PIPIT_TOOL_H
#define PIPIT_TOOL_H

#include <pipit/error.h>

/* Exit statuses of every subcommand. */
#define TOOL_OK 0
#define TOOL_FAILED 1   /* the work failed: a bad file, a full disk ... */
#define TOOL_USAGE 2    /* the command line was wrong */

/** Prints "pipit: <message>" to stderr; returns TOOL_FAILED. */
int tool_fail(const char *fmt, ...) PIPIT_PRINTF(1, 2);

/** Prints "pipit: <message>" and the usage line; returns TOOL_USAGE. */
int tool_usage(const char *usage, const char *fmt, ...) PIPIT_PRINTF(2, 3);

/** tool_fail with the library's last message. */
int tool_fail_status(pipit_status_t st);

/** Cleans up temporary files on SIGINT, SIGTERM and SIGHUP and turns
 * SIGXFSZ into a write error (tools/signals.c). */
void tool_signals_install(void);

/* Shared by `pipit register` and `pipit transform` (cmd_register.c). */
#include <pipit/image.h>

/** ResultImagePixelType ("short", "unsigned_char", ...) as pipit's type. */
pipit_status_t tool_result_type(const char *name, pipit_pixel_type_t *t);

/** A copy of src (f64, whole) as type t, truncated toward zero as
 * elastix casts (out-of-range values clamp); NULL on error. */
pipit_image_t *tool_truncate_to(const pipit_image_t *src,
                                pipit_pixel_type_t t);

/** elastix's ResampleInterpolator as the resample node's interpolator. */
const char *tool_interpolator_name(const char *elastix);

/** `pipit register --presets` (tools/presets.c): lists the shipped
 * parameter files; a TOOL_ status. */
int pipit_presets_list(void);

#endif
