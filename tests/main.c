/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The test runner: every suite of tests/suites.h, or those named on the
 * command line. Exits non-zero when a test failed.
 */
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "testutil.h"

#define SUITE(name) extern const test_case_t test_##name##_cases[];
#include "suites.h"
#undef SUITE

static const struct {
    const char *name;
    const test_case_t *cases;
} suites[] = {
#define SUITE(name) { #name, test_##name##_cases },
#include "suites.h"
#undef SUITE
};

static int
wanted(const char *name, int argc, char **argv)
{
    if (argc < 2)
        return 1;
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

int
main(int argc, char **argv)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    for (size_t s = 0; s < sizeof suites / sizeof suites[0]; s++) {
        if (!wanted(suites[s].name, argc, argv))
            continue;
        CU_pSuite suite = CU_add_suite(suites[s].name, NULL, NULL);
        if (suite == NULL)
            return 2;
        for (const test_case_t *c = suites[s].cases; c->name != NULL; c++)
            if (CU_add_test(suite, c->name, c->fn) == NULL)
                return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures();
    unsigned ran = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (ran == 0) {
        fprintf(stderr, "no test ran\n");
        return 1;
    }
    return failed == 0 ? 0 : 1;
}
