/* SPDX-License-Identifier: Apache-2.0 */
/* libtiff loaded on first use (see tiff_lib.h). */
#define PIPIT_TIFF_LIB_IMPL
#include "config.h"

#include <pthread.h>
#include <stdio.h>

#ifdef PIPIT_TIFF_SONAME
#include <dlfcn.h>
#endif

#include "tiff_lib.h"

pipit__tiff_api_t pipit__tiff;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char failure[256]; /* empty: loaded */

#ifdef PIPIT_TIFF_SONAME
static void
load(void)
{
    /* RTLD_LOCAL: libtiff's symbols stay out of the global namespace,
     * where an application's own libtiff may live. */
    void *h = dlopen(PIPIT_TIFF_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        snprintf(failure, sizeof failure, "%s", dlerror());
        return;
    }
    /* POSIX's way to store dlsym's object pointer in a function pointer. */
#define PIPIT_TIFF_SYM(f)                                                  \
    if ((*(void **)&pipit__tiff.f = dlsym(h, "TIFF" #f)) == NULL) {         \
        snprintf(failure, sizeof failure, "no function TIFF%s", #f);       \
        return;                                                            \
    }
    PIPIT_TIFF_FUNCTIONS(PIPIT_TIFF_SYM)
#undef PIPIT_TIFF_SYM
}
#else
static void
load(void)
{
#define PIPIT_TIFF_LINKED(f) pipit__tiff.f = TIFF##f;
    PIPIT_TIFF_FUNCTIONS(PIPIT_TIFF_LINKED)
#undef PIPIT_TIFF_LINKED
}
#endif

pipit_status_t
pipit__tiff_load(const char *path)
{
    pthread_once(&once, load);
    if (failure[0] == '\0')
        return PIPIT_OK;
#ifdef PIPIT_TIFF_SONAME
    const char *lib = PIPIT_TIFF_SONAME;
#else
    const char *lib = "libtiff";
#endif
    return pipit__error(PIPIT_EUNSUPPORTED, "tiff: '%s': cannot load %s "
                        "(%s); on Debian: apt-get install libtiff6",
                        path != NULL ? path : "", lib, failure);
}
