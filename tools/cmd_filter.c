/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `pipit filters [--markdown]` lists every filter with its settings, as
 * the node classes declare them; `pipit filter NAME [--setting value
 * ...] IN [IN2] OUT` runs one filter on files, streaming where the
 * filter allows; a source (constant, ramp, noise) takes no IN. statistics, histogram and otsu-threshold also print
 * their figures on stdout (and need no OUT). `--transform FILE` reads a
 * TransformParameters file (elastix's, or pipit's) onto the filter's
 * transform port (resample, warp, transform-field, transform-invert);
 * for resample without --size or a reference image IN2 the output grid
 * is then the file's (its Size, Spacing, Origin, Direction, Index), as
 * transformix resamples: the transform maps that grid's points into IN.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <pipit/io.h>
#include <pipit/pipit.h>

#include "node_impl.h" /* a class's inputs, for the usage lines */
#include <pipit/transform_file.h>
#include "tool.h"

#define USAGE_FILTER                                                       \
    "pipit filter NAME [--setting value ...] [--transform TP.txt] "        \
    "[--no-sync] [--] [IN [IN2]] OUT"
#define USAGE_FILTERS "pipit filters [--markdown]"

int pipit_cmd_filter(int argc, char **argv);
int pipit_cmd_filters(int argc, char **argv);

static const char *
type_name(const pipit_setting_t *s)
{
    switch (s->type) {
    case PIPIT_SETTING_BOOL: return "bool";
    case PIPIT_SETTING_INT: return "integer";
    case PIPIT_SETTING_DOUBLE: return "number";
    case PIPIT_SETTING_VECTOR: return "per-axis numbers";
    case PIPIT_SETTING_CHOICE: return "choice";
    case PIPIT_SETTING_STRING: return "text";
    case PIPIT_SETTING_PIXEL_TYPE: return "pixel type";
    }
    return "?";
}

/* The setting's valid values, in words ("" when any value goes). */
static void
describe_values(const pipit_setting_t *s, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    if (s->type == PIPIT_SETTING_CHOICE && s->choices != NULL) {
        for (size_t i = 0; s->choices[i] != NULL && len < size; i++)
            len += (size_t)snprintf(buf + len, size - len, "%s%s",
                                    i ? ", " : "one of: ", s->choices[i]);
    } else if (s->type == PIPIT_SETTING_PIXEL_TYPE) {
        snprintf(buf, size, "u8, i8, u16, i16, u32, i32, f32 or f64");
    } else if (s->type != PIPIT_SETTING_BOOL &&
               s->type != PIPIT_SETTING_STRING && s->min <= s->max) {
        snprintf(buf, size, "in [%.15g, %.15g]", s->min, s->max);
    }
}

/* The input files a class takes, each followed by a space ("" for a
 * source). */
/* The class's leading image inputs (those a file can feed), and the
 * index of its first transform port (n_inputs when none). */
static unsigned
image_inputs(const pipit_node_class_t *c)
{
    unsigned n = 0;
    while (n < c->n_inputs && c->input_kinds[n] == PIPIT_DATA_IMAGE)
        n++;
    return n;
}

static unsigned
transform_port(const pipit_node_class_t *c)
{
    for (unsigned i = 0; i < c->n_inputs; i++)
        if (c->input_kinds[i] == PIPIT_DATA_TRANSFORM)
            return i;
    return c->n_inputs;
}

static const char *
inputs_text(const pipit_node_class_t *c)
{
    unsigned n = image_inputs(c);
    uint32_t optional = c->optional_inputs;
    if (n == 0)
        return "";
    if (n == 1)
        return "IN ";
    if (n == 2 && (optional & 2u))
        return "IN [IN2] ";
    if (n == 2)
        return "IN IN2 ";
    return "IN... ";
}

/* Whether the class streams (asks only a padded region of its input),
 * as a probe of its defaults on a small image finds. */
static const char *
streams_text(const pipit_node_class_t *c)
{
    switch (pipit_node_class_streams(c)) {
    case 1:
        return "streams (asks only a padded region of its input)";
    case 0:
        return "needs its whole input (runs once per streamed update)";
    default:
        return "streaming depends on its inputs";
    }
}

static void
list_plain(FILE *f)
{
    size_t count;
    const pipit_node_class_t *const *classes = pipit_filter_classes(&count);
    fprintf(f, "filters (`pipit filter NAME [--setting value ...] [IN [IN2]] "
               "OUT`):\n");
    for (size_t i = 0; i < count; i++) {
        const pipit_node_class_t *c = classes[i];
        size_t n;
        const pipit_setting_t *s = pipit_node_class_settings(c, &n);
        fprintf(f, "\n%s %sOUT\n    %s\n    %s\n", pipit_node_class_name(c),
                inputs_text(c), pipit_node_class_help(c), streams_text(c));
        for (size_t k = 0; k < n; k++) {
            char values[512];
            describe_values(&s[k], values, sizeof values);
            fprintf(f, "    --%-12s %s, default '%s': %s%s%s\n", s[k].name,
                    type_name(&s[k]),
                    s[k].default_value != NULL ? s[k].default_value : "",
                    s[k].help, values[0] ? "; " : "", values);
        }
    }
}

/* Text for a Markdown table cell: '|' would end the cell. */
static void
cell(FILE *f, const char *text)
{
    for (const char *p = text; *p != '\0'; p++) {
        if (*p == '|')
            fputs("\\|", f);
        else
            fputc(*p, f);
    }
}

static void
list_markdown(FILE *f)
{
    size_t count;
    const pipit_node_class_t *const *classes = pipit_filter_classes(&count);
    fprintf(f, "# Filter reference\n\n"
               "<!-- Generated by `pipit filters --markdown` from the node "
               "classes' own\n     descriptions: do not edit, run `make "
               "update-filters-doc` instead. -->\n\n"
               "Every filter runs from the command line as\n\n"
               "    pipit filter NAME [--setting value ...] [IN [IN2]] OUT\n\n"
               "and from C as `pipit_filter_new(\"NAME\")` (or its "
               "`pipit_<name>_new`\nconstructor) followed by "
               "`pipit_node_set(node, \"setting\", \"value\")`.\n"
               "Per-axis settings take one value for every axis (`2`) or "
               "one per axis\n(`1,2,3`); any other count is an error. The "
               "sources (constant, ramp, noise)\ntake no IN. How each "
               "filter rounds, clamps and "
               "places its output is\ndescribed in its source file's "
               "opening comment; doc/filters-pointwise.md collects the "
               "conventions of\nthe pointwise, reduction and pixel-moving "
               "filters.\n\n");
    for (size_t i = 0; i < count; i++)
        fprintf(f, "- [%s](#%s)\n", pipit_node_class_name(classes[i]),
                pipit_node_class_name(classes[i]));
    for (size_t i = 0; i < count; i++) {
        const pipit_node_class_t *c = classes[i];
        size_t n;
        const pipit_setting_t *s = pipit_node_class_settings(c, &n);
        fprintf(f, "\n## %s\n\n%s.\n\n    pipit filter %s [--setting "
                   "value ...] %sOUT\n\nStreaming: %s.\n\n",
                pipit_node_class_name(c), pipit_node_class_help(c),
                pipit_node_class_name(c), inputs_text(c), streams_text(c));
        if (n == 0) {
            fprintf(f, "No settings.\n");
            continue;
        }
        fprintf(f, "| setting | type | default | description |\n"
                   "|---|---|---|---|\n");
        for (size_t k = 0; k < n; k++) {
            char values[512];
            describe_values(&s[k], values, sizeof values);
            const char *def = s[k].default_value;
            if (def == NULL || def[0] == '\0')
                fprintf(f, "| `%s` | %s | (empty) | ", s[k].name,
                        type_name(&s[k]));
            else
                fprintf(f, "| `%s` | %s | `%s` | ", s[k].name,
                        type_name(&s[k]), def);
            cell(f, s[k].help);
            if (values[0]) {
                fputs("; ", f);
                cell(f, values);
            }
            fputs(" |\n", f);
        }
    }
}

int
pipit_cmd_filters(int argc, char **argv)
{
    bool markdown = false;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--markdown") == 0)
            markdown = true;
        else if (strcmp(argv[i], "--help") == 0 ||
                 strcmp(argv[i], "-h") == 0) {
            printf("usage: %s\nLists every filter with its settings; "
                   "--markdown prints the reference page.\n",
                   USAGE_FILTERS);
            return TOOL_OK;
        } else {
            return tool_usage(USAGE_FILTERS, "unknown option '%s'", argv[i]);
        }
    }
    if (markdown)
        list_markdown(stdout);
    else
        list_plain(stdout);
    return fflush(stdout) == 0 ? TOOL_OK : tool_fail("cannot write stdout");
}

/* ---- running one filter ---------------------------------------------- */

/* Prints what statistics, histogram and otsu-threshold found. */
static int
print_figures(pipit_node_t *n)
{
    const char *name = pipit_node_name(n);
    pipit_status_t st = PIPIT_OK;
    if (strcmp(name, "statistics") == 0) {
        pipit_statistics_t s;
        if ((st = pipit_statistics_get(n, &s)) == PIPIT_OK)
            printf("min: %.17g\nmax: %.17g\nmean: %.17g\nsigma: %.17g\n"
                   "variance: %.17g\nsum: %.17g\ncount: %" PRIu64 "\n",
                   s.min, s.max, s.mean, s.sigma, s.variance, s.sum,
                   s.count);
    } else if (strcmp(name, "histogram") == 0) {
        const uint64_t *counts;
        size_t bins;
        if ((st = pipit_histogram_get(n, &counts, &bins)) == PIPIT_OK) {
            printf("# lower upper count\n");
            for (size_t k = 0; k < bins && st == PIPIT_OK; k++) {
                double lo, hi;
                if ((st = pipit_histogram_bin(n, k, &lo, &hi)) == PIPIT_OK)
                    printf("%.17g %.17g %" PRIu64 "\n", lo, hi, counts[k]);
            }
        }
    } else if (strcmp(name, "otsu-threshold") == 0) {
        double t;
        if ((st = pipit_otsu_threshold_get(n, &t)) == PIPIT_OK)
            printf("threshold: %.17g\n", t);
    }
    return st == PIPIT_OK ? TOOL_OK : tool_fail_status(st);
}

static bool
reports_figures(const pipit_node_t *n)
{
    const char *name = pipit_node_name(n);
    return strcmp(name, "statistics") == 0 || strcmp(name, "histogram") == 0 ||
           strcmp(name, "otsu-threshold") == 0;
}

static void
filter_help(const pipit_node_class_t *c)
{
    size_t n;
    const pipit_setting_t *s = pipit_node_class_settings(c, &n);
    printf("usage: pipit filter %s [--setting value ...] %sOUT\n%s\n",
           pipit_node_class_name(c), inputs_text(c), pipit_node_class_help(c));
    for (size_t k = 0; k < n; k++) {
        char values[512];
        describe_values(&s[k], values, sizeof values);
        printf("  --%-12s %s, default '%s': %s%s%s\n", s[k].name,
               type_name(&s[k]),
               s[k].default_value != NULL ? s[k].default_value : "",
               s[k].help, values[0] ? "; " : "", values);
    }
}

/* Reads the TP file onto the class's transform port; with tp_grid, the
 * resample node's grid settings from the file. */
static int
connect_transform(pipit_node_t *filter, const pipit_node_class_t *c,
                  const char *path, bool tp_grid)
{
    pipit_transform_t *t = NULL;
    pipit_params_t *p = NULL;
    pipit_tp_settings_t s;
    int rc = TOOL_OK;
    if (pipit_tp_read(path, &t, &p) != PIPIT_OK ||
        pipit_tp_settings_from_params(p, path, &s) != PIPIT_OK) {
        rc = tool_fail("--transform '%s': %s", path, pipit_error_message());
        goto done;
    }
    if (pipit_node_set_input_transform(filter, transform_port(c), t) !=
        PIPIT_OK) {
        rc = tool_fail_status(PIPIT_EINVAL);
        goto done;
    }
    if (tp_grid) {
        char size[256] = "", spacing[512] = "", origin[512] = "";
        char dir[1024] = "";
        size_t ls = 0, lp = 0, lo = 0, ld = 0;
        for (unsigned d = 0; d < s.dim; d++) {
            /* the file's Index moves the first voxel */
            double o = s.origin[d];
            for (unsigned e = 0; e < s.dim; e++)
                o += s.direction[d * s.dim + e] * s.spacing[e] *
                     (double)s.index[e];
            ls += (size_t)snprintf(size + ls, sizeof size - ls, "%s%zu",
                                   d ? "," : "", s.size[d]);
            lp += (size_t)snprintf(spacing + lp, sizeof spacing - lp,
                                   "%s%.17g", d ? "," : "", s.spacing[d]);
            lo += (size_t)snprintf(origin + lo, sizeof origin - lo,
                                   "%s%.17g", d ? "," : "", o);
        }
        for (unsigned k = 0; k < s.dim * s.dim; k++)
            ld += (size_t)snprintf(dir + ld, sizeof dir - ld, "%s%.17g",
                                   k ? " " : "", s.direction[k]);
        if (pipit_node_set(filter, "size", size) != PIPIT_OK ||
            pipit_node_set(filter, "spacing", spacing) != PIPIT_OK ||
            pipit_node_set(filter, "origin", origin) != PIPIT_OK ||
            pipit_node_set(filter, "direction", dir) != PIPIT_OK)
            rc = tool_fail("--transform '%s': its grid: %s", path,
                           pipit_error_message());
    }
done:
    pipit_transform_unref(t);
    pipit_params_unref(p);
    return rc;
}

int
pipit_cmd_filter(int argc, char **argv)
{
    int rc = TOOL_FAILED;
    pipit_status_t st;
    pipit_node_t *filter = NULL, *writer = NULL;
    pipit_node_t *readers[2] = { NULL, NULL };
    const char *files[4];
    unsigned n_files = 0;
    if (argc < 2)
        return tool_usage(USAGE_FILTER, "which filter? (`pipit filters` "
                                        "lists them)");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf("usage: %s\nRuns one filter on image files; `pipit filters` "
               "lists the filters and their settings.\n",
               USAGE_FILTER);
        return TOOL_OK;
    }
    const pipit_node_class_t *c = pipit_filter_class_find(argv[1]);
    if (c == NULL)
        return tool_usage(USAGE_FILTER, "%s", pipit_error_message());
    if (c->output_kinds[0] != PIPIT_DATA_IMAGE)
        return tool_usage(USAGE_FILTER, "%s makes a %s, not an image: use "
                          "`pipit transform`",
                          pipit_node_class_name(c),
                          pipit_data_kind_name(c->output_kinds[0]));
    const char *tp_file = NULL;
    bool grid_set = false;
    if ((filter = pipit_node_new(c)) == NULL)
        return tool_fail_status(PIPIT_ENOMEM);
    bool options = true;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        if (!options || a[0] != '-' || a[1] == '\0') {
            /* a file: after "--", or not an option word ("-" alone too) */
            if (n_files == 4) {
                rc = tool_usage(USAGE_FILTER, "too many files ('%s')", a);
                goto done;
            }
            files[n_files++] = a;
        } else if (strcmp(a, "--") == 0) {
            options = false;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            filter_help(c);
            rc = TOOL_OK;
            goto done;
        } else if (strcmp(a, "--transform") == 0 ||
                   strncmp(a, "--transform=", 12) == 0) {
            if (a[11] == '=') {
                tp_file = a + 12;
            } else if (i + 1 < argc) {
                tp_file = argv[++i];
            } else {
                rc = tool_usage(USAGE_FILTER, "--transform needs a file");
                goto done;
            }
            if (transform_port(c) == c->n_inputs) {
                rc = tool_usage(USAGE_FILTER, "%s takes no transform",
                                pipit_node_class_name(c));
                goto done;
            }
        } else if (strcmp(a, "--no-sync") == 0) {
            pipit_io_set_sync(false);   /* scratch output: no fsync */
        } else if (a[1] != '-') {
            rc = tool_usage(USAGE_FILTER, "unknown option '%s' (settings "
                            "are --name value; `--` ends the options)", a);
            goto done;
        } else {
            char name[128];
            const char *value = strchr(a + 2, '=');
            size_t len = value != NULL ? (size_t)(value - a - 2)
                                       : strlen(a + 2);
            if (len >= sizeof name) {
                rc = tool_usage(USAGE_FILTER, "option too long: '%s'", a);
                goto done;
            }
            memcpy(name, a + 2, len);
            name[len] = '\0';
            if (value != NULL) {
                value++;
            } else if (i + 1 < argc) {
                value = argv[++i];
            } else {
                rc = tool_usage(USAGE_FILTER, "--%s needs a value", name);
                goto done;
            }
            if (strcmp(name, "size") == 0)
                grid_set = true;
            if (pipit_node_set(filter, name, value) != PIPIT_OK) {
                rc = tool_usage(USAGE_FILTER, "%s", pipit_error_message());
                goto done;
            }
        }
    }
    unsigned need = image_inputs(c);
    unsigned least = need;
    while (least > 1 && (c->optional_inputs & (1u << (least - 1))))
        least--;
    bool figures = reports_figures(filter);
    /* Inputs, then OUT (optional when the filter prints figures). */
    unsigned n_in = n_files;
    const char *out = NULL;
    if (n_files > least && !(figures && n_files <= need)) {
        out = files[n_files - 1];
        n_in = n_files - 1;
    }
    if (n_in < least || n_in > need || (out == NULL && !figures)) {
        rc = tool_usage(USAGE_FILTER,
                        "%s takes %sOUT, the output file (%u file%s given)",
                        pipit_node_class_name(c), inputs_text(c), n_files,
                        n_files == 1 ? "" : "s");
        goto done;
    }
    if (tp_file != NULL &&
        (rc = connect_transform(filter, c, tp_file,
                                !grid_set && n_in < 2 &&
                                    strcmp(pipit_node_class_name(c),
                                           "resample") == 0)) != TOOL_OK)
        goto done;
    rc = TOOL_FAILED;
    for (unsigned k = 0; k < n_in; k++) {
        if ((readers[k] = pipit_reader_new(files[k])) == NULL) {
            rc = tool_fail_status(PIPIT_EUNSUPPORTED);
            goto done;
        }
        if ((st = pipit_node_set_input(filter, k, readers[k], 0)) !=
            PIPIT_OK) {
            rc = tool_fail_status(st);
            goto done;
        }
    }
    if (out != NULL) {
        if ((writer = pipit_writer_new(out)) == NULL) {
            rc = tool_fail_status(PIPIT_EUNSUPPORTED);
            goto done;
        }
        if ((st = pipit_node_set_input(writer, 0, filter, 0)) != PIPIT_OK ||
            (st = pipit_node_update(writer)) != PIPIT_OK) {
            rc = tool_fail_status(st);
            goto done;
        }
    } else if ((st = pipit_node_update(filter)) != PIPIT_OK) {
        rc = tool_fail_status(st);
        goto done;
    }
    rc = figures ? print_figures(filter) : TOOL_OK;
done:
    pipit_node_unref(writer);
    pipit_node_unref(filter);
    pipit_node_unref(readers[0]);
    pipit_node_unref(readers[1]);
    return rc;
}
