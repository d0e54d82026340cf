/* SPDX-License-Identifier: Apache-2.0 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "error_impl.h" /* the allocation-failure hook */

const unsigned test_thread_counts[4] = { 1, 2, 3, 7 };

static char tmpdir[256];

static void
remove_tmpdir(void)
{
    char cmd[300];
    if (tmpdir[0] == '\0' || getenv("PIPIT_KEEP_TMP") != NULL)
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
}

const char *
test_tmpdir(void)
{
    if (tmpdir[0] == '\0') {
        const char *base = getenv("TMPDIR");
        snprintf(tmpdir, sizeof tmpdir, "%s/pipit-tests-XXXXXX",
                 base != NULL ? base : "/tmp");
        if (mkdtemp(tmpdir) == NULL) {
            perror("mkdtemp");
            exit(1);
        }
        atexit(remove_tmpdir);
    }
    return tmpdir;
}

const char *
test_tmp(const char *name)
{
    static char bufs[8][512];
    static unsigned next;
    char *b = bufs[next++ % 8];
    snprintf(b, sizeof bufs[0], "%s/%s", test_tmpdir(), name);
    return b;
}

const char *
test_data(const char *name)
{
    static char bufs[8][512];
    static unsigned next;
    char *b = bufs[next++ % 8];
    const char *dir = getenv("PIPIT_TEST_DATA");
    snprintf(b, sizeof bufs[0], "%s/%s", dir != NULL ? dir : PIPIT_TEST_DATA,
             name);
    return b;
}

void
test_report_failure(const char *expr, pipit_status_t st, const char *file,
                    int line)
{
    fprintf(stderr, "\n%s:%d: %s -> %s: %s\n", file, line, expr,
            pipit_status_name(st), pipit_error_message());
}

void
fail_each_allocation(pipit_status_t (*fn)(void *), void *arg)
{
    pipit__alloc_fail_at(0);
    ASSERT_OK(fn(arg));
    size_t n = pipit__alloc_fail_at(0);
    CU_ASSERT_TRUE(n > 0);
    for (size_t k = 1; k <= n; k++) {
        pipit__alloc_fail_at(k);
        pipit_status_t st = fn(arg);
        pipit__alloc_fail_at(0);
        if (st != PIPIT_ENOMEM)
            printf("\n    allocation %zu of %zu failed: status %s, '%s'", k,
                   n, pipit_status_name(st), pipit_error_message());
        ASSERT_FAILS_WITH(st, PIPIT_ENOMEM, "out of memory");
    }
}
