/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench/register_api: the registration of `pipit register`, driven
 * through the C API, so that bench/register.sh can time the command
 * against a program calling the node directly (issue 9's target: the
 * two within 2 %).
 *
 * Same flags as `pipit register` and elastix (-f, -m, -p repeated, -out,
 * -threads, -fMask, -mMask, -t0; -priority ignored) and the same work:
 * reads the images and parameter files, builds one registration node
 * (inputs FIXED, MOVING, PARAMS as a pipit_params_list_t, the optional
 * masks and initial transform), updates it, and writes elastix's output
 * folder: elastix.log (the node's log lines), IterationInfo.<p>.R<r>.txt
 * (the node's rows, as they happen), TransformParameters.<p>.txt (one
 * per map, each naming the previous one, as elastix chains them) and
 * result.<last>.<ResultImageFormat> when the last map's
 * WriteResultImage is "true" (elastix's default).
 *
 * Usage: bench/register_api -f FIXED -m MOVING -p PARAMS [-p ...]
 *                           -out DIR [-threads N] [-fMask F] [-mMask M]
 *                           [-t0 TP]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pipit/pipit.h>
#include <pipit/registration.h>

#define MAX_MAPS 16

struct run {
    const char *out;
    FILE *log;
    FILE *info;          /* the IterationInfo file being written */
    unsigned info_map, info_level;
};

static int
fail(const char *what)
{
    fprintf(stderr, "register_api: %s: %s\n", what, pipit_error_message());
    return 1;
}

static void
log_line(const char *line, void *user)
{
    struct run *r = user;
    if (r->log != NULL) {
        fputs(line, r->log);
        fputc('\n', r->log);
    }
}

/* One IterationInfo file per map and resolution, header first, as
 * elastix writes them. */
static int
on_iteration(const pipit_registration_iteration_t *it, void *user)
{
    struct run *r = user;
    if (r->info == NULL || it->map != r->info_map
        || it->level != r->info_level) {
        if (r->info != NULL)
            fclose(r->info);
        char path[4096];
        snprintf(path, sizeof path, "%s/IterationInfo.%u.R%u.txt", r->out,
                 it->map, it->level);
        r->info = fopen(path, "w");
        r->info_map = it->map;
        r->info_level = it->level;
        if (r->info == NULL) {
            perror(path);
            return 1;
        }
        fprintf(r->info, "%s\n", it->header);
    }
    fprintf(r->info, "%s\n", it->row);
    return 0;
}

/* elastix's TransformParameters settings for map p: the fixed image's
 * grid, the resampler keys of the map. */
static pipit_status_t
tp_settings(const pipit_params_t *p, const pipit_image_t *fixed,
            pipit_tp_settings_t *s)
{
    pipit_status_t st = pipit_tp_settings_from_image(s, fixed);
    const char *v;
    int64_t order;
    double dflt;
    bool compress;
    struct {
        const char *key;
        char *dst;
    } strs[] = {
        { "FixedInternalImagePixelType", s->fixed_pixel_type },
        { "MovingInternalImagePixelType", s->moving_pixel_type },
        { "ResampleInterpolator", s->resample_interpolator },
        { "Resampler", s->resampler },
        { "ResultImageFormat", s->result_format },
        { "ResultImagePixelType", s->result_pixel_type },
    };
    for (size_t i = 0; st == PIPIT_OK && i < sizeof strs / sizeof strs[0];
         i++) {
        st = pipit_params_get_string(p, strs[i].key, 0, strs[i].dst, &v);
        if (st == PIPIT_OK && v != strs[i].dst)
            snprintf(strs[i].dst, PIPIT_TP_NAME_SIZE, "%s", v);
    }
    if (st == PIPIT_OK)
        st = pipit_params_get_int(p, "FinalBSplineInterpolationOrder", 0,
                                  s->final_bspline_order, &order);
    if (st == PIPIT_OK) {
        s->final_bspline_order = (unsigned)order;
        st = pipit_params_get_double(p, "DefaultPixelValue", 0,
                                     s->default_pixel_value, &dflt);
    }
    if (st == PIPIT_OK) {
        s->default_pixel_value = dflt;
        st = pipit_params_get_bool(p, "CompressResultImage", 0,
                                   s->compress_result, &compress);
    }
    if (st == PIPIT_OK)
        s->compress_result = compress;
    /* elastix 5.0.1 writes 6 decimals; the exact default reads back
     * better and costs the same. */
    return st;
}

/* TransformParameters.<i>.txt for every map: map i's link is the
 * current part of its chain, and names map i - 1's file (or the -t0
 * file) as its initial transform. */
static int
write_transforms(pipit_node_t *reg, const pipit_params_list_t *maps,
                 const pipit_image_t *fixed, const char *out,
                 const char *t0)
{
    char prev[4096] = "", path[4096];
    size_t n = pipit_params_list_count(maps);
    for (size_t i = 0; i < n; i++) {
        pipit_transform_t *t = pipit_registration_map_transform(reg, i);
        if (t == NULL)
            return fail("no transform after the update");
        pipit_transform_t *link = t;
        pipit_combine_t how = PIPIT_COMBINE_COMPOSE;
        const char *initial = i > 0 ? prev : t0;
        if (pipit_transform_is_chain(t)) {
            link = pipit_transform_chain_current(t);
            how = pipit_transform_chain_how(t);
        }
        pipit_tp_settings_t s;
        pipit_params_t *tp = NULL;
        snprintf(path, sizeof path, "%s/TransformParameters.%zu.txt", out, i);
        if (tp_settings(pipit_params_list_get(maps, i), fixed, &s) != PIPIT_OK
            || pipit_tp_to_params(link, initial, how, &s, &tp) != PIPIT_OK
            || pipit_tp_write_params(tp, path) != PIPIT_OK) {
            pipit_params_unref(tp);
            return fail(path);
        }
        pipit_params_unref(tp);
        snprintf(prev, sizeof prev, "%s", path);
    }
    return 0;
}

static int
usage(void)
{
    fprintf(stderr, "usage: register_api -f FIXED -m MOVING -p PARAMS "
            "[-p ...] -out DIR [-threads N] [-fMask F] [-mMask M] "
            "[-t0 TP]\n");
    return 2;
}

int
main(int argc, char **argv)
{
    const char *fpath = NULL, *mpath = NULL, *out = NULL, *fmask = NULL,
               *mmask = NULL, *t0 = NULL;
    const char *ppath[MAX_MAPS];
    size_t np = 0;
    unsigned threads = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            return usage();
        const char *v = argv[++i];
        if (strcmp(a, "-f") == 0)
            fpath = v;
        else if (strcmp(a, "-m") == 0)
            mpath = v;
        else if (strcmp(a, "-out") == 0)
            out = v;
        else if (strcmp(a, "-threads") == 0)
            threads = (unsigned)strtoul(v, NULL, 10);
        else if (strcmp(a, "-fMask") == 0)
            fmask = v;
        else if (strcmp(a, "-mMask") == 0)
            mmask = v;
        else if (strcmp(a, "-t0") == 0)
            t0 = v;
        else if (strcmp(a, "-priority") == 0)
            continue;
        else if (strcmp(a, "-p") == 0 && np < MAX_MAPS)
            ppath[np++] = v;
        else
            return usage();
    }
    if (fpath == NULL || mpath == NULL || out == NULL || np == 0)
        return usage();
    if (mkdir(out, 0777) != 0 && errno != EEXIST) {
        perror(out);
        return 1;
    }
    pipit_io_set_sync(false);

    struct run run = { out, NULL, NULL, 0, 0 };
    char path[4096];
    snprintf(path, sizeof path, "%s/elastix.log", out);
    run.log = fopen(path, "w");
    if (run.log == NULL) {
        perror(path);
        return 1;
    }

    int rc = 1;
    pipit_image_t *fixed = NULL, *moving = NULL, *fm = NULL, *mm = NULL;
    pipit_transform_t *init = NULL;
    pipit_params_list_t *maps = pipit_params_list_new();
    pipit_node_t *reg = pipit_registration_new();
    if (maps == NULL || reg == NULL) {
        rc = fail("registration node");
        goto done;
    }
    if (pipit_image_read(fpath, &fixed) != PIPIT_OK) {
        rc = fail(fpath);
        goto done;
    }
    if (pipit_image_read(mpath, &moving) != PIPIT_OK) {
        rc = fail(mpath);
        goto done;
    }
    if (fmask != NULL && pipit_image_read(fmask, &fm) != PIPIT_OK) {
        rc = fail(fmask);
        goto done;
    }
    if (mmask != NULL && pipit_image_read(mmask, &mm) != PIPIT_OK) {
        rc = fail(mmask);
        goto done;
    }
    if (t0 != NULL && pipit_tp_read(t0, &init, NULL) != PIPIT_OK) {
        rc = fail(t0);
        goto done;
    }
    for (size_t i = 0; i < np; i++) {
        pipit_params_t *p = NULL;
        pipit_status_t st = pipit_params_read(ppath[i], &p);
        if (st == PIPIT_OK)
            st = pipit_params_list_append(maps, p);
        pipit_params_unref(p);
        if (st != PIPIT_OK) {
            rc = fail(ppath[i]);
            goto done;
        }
    }
    if (pipit_node_set_input_image(reg, PIPIT_REGISTRATION_FIXED, fixed)
            != PIPIT_OK
        || pipit_node_set_input_image(reg, PIPIT_REGISTRATION_MOVING, moving)
            != PIPIT_OK
        || pipit_node_set_input_data(reg, PIPIT_REGISTRATION_PARAMS,
                                     PIPIT_DATA(maps)) != PIPIT_OK
        || (fm != NULL
            && pipit_node_set_input_image(reg, PIPIT_REGISTRATION_FIXED_MASK,
                                          fm) != PIPIT_OK)
        || (mm != NULL
            && pipit_node_set_input_image(reg, PIPIT_REGISTRATION_MOVING_MASK,
                                          mm) != PIPIT_OK)
        || (init != NULL
            && pipit_node_set_input_transform(reg, PIPIT_REGISTRATION_INITIAL,
                                              init) != PIPIT_OK)
        || pipit_registration_set_threads(reg, threads) != PIPIT_OK
        || pipit_registration_set_log(reg, log_line, &run) != PIPIT_OK
        || pipit_registration_set_iteration_callback(reg, on_iteration, &run)
            != PIPIT_OK) {
        rc = fail("connecting the registration node");
        goto done;
    }
    /* As the command does: every check before the first iteration. */
    if (pipit_registration_check(reg) != PIPIT_OK) {
        rc = fail("check");
        goto done;
    }
    if (pipit_node_update(reg) != PIPIT_OK) {
        rc = fail("registration");
        goto done;
    }
    if (run.info != NULL) {
        fclose(run.info);
        run.info = NULL;
    }
    if (write_transforms(reg, maps, fixed, out, t0) != 0)
        goto done;

    const pipit_params_t *last = pipit_params_list_get(maps, np - 1);
    bool write_result = true;
    const char *fmt = "mhd";
    if (pipit_params_get_bool(last, "WriteResultImage", 0, true, &write_result)
            != PIPIT_OK
        || pipit_params_get_string(last, "ResultImageFormat", 0, "mhd", &fmt)
            != PIPIT_OK) {
        rc = fail("result settings");
        goto done;
    }
    if (write_result) {
        pipit_image_t *res = pipit_node_get_output(reg,
                                                   PIPIT_REGISTRATION_RESULT);
        snprintf(path, sizeof path, "%s/result.%zu.%s", out, np - 1, fmt);
        if (res == NULL || pipit_image_write(res, path) != PIPIT_OK) {
            rc = fail(path);
            goto done;
        }
    }
    for (size_t i = 0; i < np; i++)
        fprintf(run.log, "final metric of map %zu: %.17g\n", i,
                pipit_registration_final_metric(reg, i));
    rc = 0;
done:
    if (run.info != NULL)
        fclose(run.info);
    if (run.log != NULL)
        fclose(run.log);
    pipit_node_unref(reg);
    pipit_params_list_unref(maps);
    pipit_transform_unref(init);
    pipit_image_unref(mm);
    pipit_image_unref(fm);
    pipit_image_unref(moving);
    pipit_image_unref(fixed);
    return rc;
}
