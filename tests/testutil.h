/* SPDX-License-Identifier: Apache-2.0 */
#ifndef PIPIT_TESTUTIL_H
#define PIPIT_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include <pipit/pipit.h>

/** Declares a suite's tests: { "name", fn } rows ending in { NULL, NULL }. */
typedef struct test_case {
    const char *name;
    void (*fn)(void);
} test_case_t;

/** Path of a file under tests/data (a static buffer per call site). */
const char *test_data(const char *name);

/** A fresh empty folder for this run's output files; removed at exit. */
const char *test_tmpdir(void);
/** test_tmpdir()/name, in a rotating static buffer. */
const char *test_tmp(const char *name);

/** Asserts that st is expected and that the message contains word. */
#define ASSERT_FAILS_WITH(st, expected, word)                              \
    do {                                                                   \
        CU_ASSERT_EQUAL(st, expected);                                     \
        CU_ASSERT_PTR_NOT_NULL(strstr(pipit_error_message(), word));       \
    } while (0)

#define ASSERT_OK(expr)                                                    \
    do {                                                                   \
        pipit_status_t st_ = (expr);                                       \
        if (st_ != PIPIT_OK)                                               \
            test_report_failure(#expr, st_, __FILE__, __LINE__);           \
        CU_ASSERT_EQUAL_FATAL(st_, PIPIT_OK);                              \
    } while (0)

void test_report_failure(const char *expr, pipit_status_t st,
                         const char *file, int line);

/** The thread counts data-driven tests sweep. */
extern const unsigned test_thread_counts[4];

/**
 * Counts the allocations of fn, then fails each in turn: ENOMEM with an
 * "out of memory" message, nothing leaked (valgrind / ASan), and success
 * once none fails.
 */
void fail_each_allocation(pipit_status_t (*fn)(void *), void *arg);

#endif
