/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the elastix parameter-file parser. Any status is
 * fine for arbitrary text; a map that parses must print to text that
 * parses again to an equal map, and that text must print identically
 * (a fixed point). A mismatch aborts, so libFuzzer keeps the input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/params.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fail(const char *what, const char *text)
{
    fprintf(stderr, "fuzz_params: %s\n%s\n", what, text != NULL ? text : "");
    abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pipit_params_t *p = NULL, *q = NULL;
    char *t1 = NULL, *t2 = NULL;
    if (pipit_params_parse((const char *)data, size, "fuzz.txt", &p) !=
        PIPIT_OK)
        goto done;
    if ((t1 = pipit_params_print(p)) == NULL)
        fail("print failed", pipit_error_message());
    if (pipit_params_parse(t1, strlen(t1), "printed.txt", &q) != PIPIT_OK)
        fail(pipit_error_message(), t1);
    if (!pipit_params_equal(p, q))
        fail("the printed map differs", t1);
    if ((t2 = pipit_params_print(q)) == NULL)
        fail("print failed", pipit_error_message());
    if (strcmp(t1, t2) != 0)
        fail("printing is not a fixed point", t2);
done:
    free(t1);
    free(t2);
    pipit_params_unref(p);
    pipit_params_unref(q);
    return 0;
}
