/* SPDX-License-Identifier: Apache-2.0 */
/*
 * `pipit register --presets`: the parameter files shipped with pipit
 * (presets/ in the source tree, installed to $(pkgdatadir)/presets),
 * one line each: name, description, path.
 *
 * The list is the folder's *.txt files, sorted by name, so that adding
 * a preset needs no code; its description is the first comment line of
 * the file ("// ..."). The folder is, in order: $PIPIT_PRESETS_DIR from
 * the environment, the installed folder (PIPIT_PRESETS_DIR, set by
 * tools/local.mk), then the source tree's (PIPIT_PRESETS_SRCDIR), so
 * that an uninstalled build lists the files it would install.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tool.h"

#ifndef PIPIT_PRESETS_DIR
#define PIPIT_PRESETS_DIR ""
#endif
#ifndef PIPIT_PRESETS_SRCDIR
#define PIPIT_PRESETS_SRCDIR ""
#endif

#define MAX_PRESETS 256

static bool
is_dir(const char *p)
{
    struct stat sb;
    return p != NULL && p[0] != '\0' && stat(p, &sb) == 0
           && S_ISDIR(sb.st_mode);
}

static int
compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The first "// " line of path, without the marker and the newline. */
static void
description(const char *path, char *out, size_t size)
{
    out[0] = '\0';
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f) != NULL) {
        if (strncmp(line, "//", 2) != 0)
            continue;
        const char *s = line + 2;
        while (*s == ' ')
            s++;
        snprintf(out, size, "%s", s);
        out[strcspn(out, "\r\n")] = '\0';
        break;
    }
    fclose(f);
}

int
pipit_presets_list(void)
{
    const char *dirs[3] = { getenv("PIPIT_PRESETS_DIR"), PIPIT_PRESETS_DIR,
                            PIPIT_PRESETS_SRCDIR };
    const char *dir = NULL;
    for (int i = 0; i < 3 && dir == NULL; i++)
        if (is_dir(dirs[i]))
            dir = dirs[i];
    if (dir == NULL)
        return tool_fail("no presets folder: not in $PIPIT_PRESETS_DIR, "
                         "'%s' or '%s'", PIPIT_PRESETS_DIR,
                         PIPIT_PRESETS_SRCDIR);
    DIR *d = opendir(dir);
    if (d == NULL)
        return tool_fail("%s: cannot be read", dir);
    char *names[MAX_PRESETS];
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < MAX_PRESETS) {
        size_t len = strlen(e->d_name);
        if (len > 4 && e->d_name[0] != '.'
            && strcmp(e->d_name + len - 4, ".txt") == 0) {
            names[n] = strdup(e->d_name);
            if (names[n] == NULL)
                break;
            n++;
        }
    }
    closedir(d);
    qsort(names, n, sizeof names[0], compare_names);
    int width = 0;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(names[i]) - 4 > width)
            width = (int)strlen(names[i]) - 4;
    printf("Presets in %s (use: pipit register -p PATH ...; a B-spline "
           "preset follows the affine one of its kind: -p affine-.. -p "
           "bspline-..)\n", dir);
    for (size_t i = 0; i < n; i++) {
        char path[4096], desc[512];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        description(path, desc, sizeof desc);
        printf("  %-*.*s  %s\n  %-*s  %s\n", width,
               (int)strlen(names[i]) - 4, names[i], desc, width, "", path);
        free(names[i]);
    }
    return TOOL_OK;
}
