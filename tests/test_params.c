/* SPDX-License-Identifier: Apache-2.0 */
/* Parameter maps: the elastix text format, lookups, files. */
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pipit/params.h>

#include "error_impl.h"
#include "testutil.h"

/* Parses text that must be valid. */
static pipit_params_t *
parse_ok(const char *text)
{
    pipit_params_t *p = NULL;
    ASSERT_OK(pipit_params_parse(text, strlen(text), "params.txt", &p));
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    return p;
}

/* Asserts that text fails with EFORMAT and a message holding word. */
static void
assert_parse_fails(const char *text, size_t len, const char *word)
{
    pipit_params_t *p = (pipit_params_t *)1;
    pipit_status_t st = pipit_params_parse(text, len, "params.txt", &p);
    ASSERT_FAILS_WITH(st, PIPIT_EFORMAT, word);
    CU_ASSERT_PTR_NULL(p);
    if (strstr(pipit_error_message(), word) == NULL)
        fprintf(stderr, "\nwanted '%s' in: %s\n", word,
                pipit_error_message());
}

#define FAILS(text, word) assert_parse_fails(text, strlen(text), word)

static void
assert_value(const pipit_params_t *p, const char *key, size_t i,
             const char *want)
{
    const char *got = pipit_params_value(p, key, i);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    CU_ASSERT_STRING_EQUAL(got, want);
}

/* ---- syntax ------------------------------------------------------- */

static void
test_parse_values(void)
{
    pipit_params_t *p = parse_ok(
        "(Metric \"AdvancedMattesMutualInformation\")\n"
        "(ResultImagePixelType \"unsigned char\")\n"
        "(Spaced \"  two  spaces \")\n"
        "(NumberOfResolutions 4)\n"
        "(Size 256 128 64)\n"
        "(Mixed 1.5 \"b c\" true -2e-3)\n"
        "(Flag \"false\")\n"
        "   (Indented   7   )   \n"
        "(Last 1)"); /* no newline at the end */
    CU_ASSERT_EQUAL(pipit_params_count(p), 9);
    CU_ASSERT_STRING_EQUAL(pipit_params_key(p, 0), "Metric");
    CU_ASSERT_STRING_EQUAL(pipit_params_key(p, 7), "Indented");
    CU_ASSERT_PTR_NULL(pipit_params_key(p, 9));
    assert_value(p, "Metric", 0, "AdvancedMattesMutualInformation");
    assert_value(p, "ResultImagePixelType", 0, "unsigned char");
    assert_value(p, "Spaced", 0, "  two  spaces ");
    CU_ASSERT_EQUAL(pipit_params_n_values(p, "Size"), 3);
    assert_value(p, "Size", 2, "64");
    CU_ASSERT_PTR_NULL(pipit_params_value(p, "Size", 3));
    CU_ASSERT_EQUAL(pipit_params_n_values(p, "Mixed"), 4);
    assert_value(p, "Mixed", 1, "b c");
    assert_value(p, "Mixed", 3, "-2e-3");
    assert_value(p, "Indented", 0, "7");
    assert_value(p, "Last", 0, "1");
    CU_ASSERT_TRUE(pipit_params_has(p, "Flag"));
    CU_ASSERT_FALSE(pipit_params_has(p, "flag")); /* case matters */
    CU_ASSERT_EQUAL(pipit_params_n_values(p, "Absent"), 0);
    CU_ASSERT_PTR_NULL(pipit_params_value(p, "Absent", 0));
    pipit_params_unref(p);
}

static void
test_parse_quotes(void)
{
    /* Quotes are not part of the value; a quote ends a token; empty
     * tokens vanish; tabs become spaces, inside quotes too. */
    pipit_params_t *a = parse_ok("(Key \"3\")\n(Abc \"a\"b\"c\")\n"
                                 "(E \"\" 1 \"\")\n(T\t\"x\ty\"\t2)\r\n"
                                 "(\"Quoted\" v)\n(Paren \"a)\" \"(b\")\n");
    pipit_params_t *b = parse_ok("(Key 3)");
    assert_value(a, "Key", 0, "3");
    CU_ASSERT_EQUAL(pipit_params_n_values(a, "Abc"), 3);
    assert_value(a, "Abc", 0, "a");
    assert_value(a, "Abc", 1, "b");
    assert_value(a, "Abc", 2, "c");
    CU_ASSERT_EQUAL(pipit_params_n_values(a, "E"), 1);
    CU_ASSERT_EQUAL(pipit_params_n_values(a, "T"), 2);
    assert_value(a, "T", 0, "x y");
    assert_value(a, "Quoted", 0, "v");
    assert_value(a, "Paren", 0, "a)");
    assert_value(a, "Paren", 1, "(b");
    CU_ASSERT_STRING_EQUAL(pipit_params_value(b, "Key", 0),
                           pipit_params_value(a, "Key", 0));
    pipit_params_unref(a);
    pipit_params_unref(b);
}

static void
test_parse_comments(void)
{
    pipit_params_t *p = parse_ok(
        "// a whole line\n"
        "   // indented comment (Not \"a key\")\n"
        "(A 1) // inline, (B 2)\n"
        "(C \"x\")// touching\n"
        "\n\t\n"
        "//(D 4)\n"
        "(E 5 6)//\n");
    CU_ASSERT_EQUAL(pipit_params_count(p), 3);
    CU_ASSERT_FALSE(pipit_params_has(p, "B"));
    CU_ASSERT_FALSE(pipit_params_has(p, "D"));
    CU_ASSERT_EQUAL(pipit_params_n_values(p, "E"), 2);
    pipit_params_unref(p);
    /* "//" starts a comment even inside quotes, as in elastix. */
    FAILS("(Path \"http://example.org\")\n", "params.txt:1: line does not "
                                             "end with ')'");
    FAILS("(A \"x//y\" 2)\n", "does not end with ')'");
    FAILS("(A 1)\n(B \"x\" // \"y\")\n", "params.txt:2:");
    /* A single slash is an ordinary character. */
    p = parse_ok("(Dir \"/tmp/out\" a/b)\n");
    assert_value(p, "Dir", 0, "/tmp/out");
    assert_value(p, "Dir", 1, "a/b");
    pipit_params_unref(p);
    /* Empty text and text of comments only: an empty map. */
    p = parse_ok("");
    CU_ASSERT_EQUAL(pipit_params_count(p), 0);
    pipit_params_unref(p);
    p = parse_ok("// nothing\n\n   \n");
    CU_ASSERT_EQUAL(pipit_params_count(p), 0);
    pipit_params_unref(p);
}

static void
test_parse_errors(void)
{
    pipit_params_t *p = NULL;
    FAILS("(A 1)\n(Metric \"x\")\n\n(Metric \"y\")\n",
          "params.txt:4: key 'Metric' given twice (first on line 2)");
    FAILS("(A 1)\n\n\nMetric \"x\"\n", "params.txt:4: line does not start "
                                       "with '('");
    FAILS("(A 1\n", "params.txt:1: line does not end with ')'");
    FAILS("(\n", "does not end with ')'");
    FAILS("(A 1)\n(B 2)x\n", "params.txt:2: line does not end");
    FAILS("(A 1)\n(B 2)\n(Foo)\n", "params.txt:3: key 'Foo' has no value");
    FAILS("(Foo \"\")\n", "key 'Foo' has no value");
    FAILS("(Foo \"\" \"\")\n", "key 'Foo' has no value");
    FAILS("()\n", "params.txt:1: entry has no key");
    FAILS("(  \t )\n", "entry has no key");
    FAILS("(\"\")\n", "entry has no key");
    FAILS("(A \"x)\n", "params.txt:1: odd number of quotes (1)");
    FAILS("(A \"x\" \"y)\n", "odd number of quotes (3)");
    FAILS("(Fo.o 1)\n", "key 'Fo.o' has forbidden character '.'");
    FAILS("(Fo-o 1)\n", "forbidden character '-'");
    FAILS("(Fo'o 1)\n", "forbidden character");
    FAILS("(\"Two words\" 1)\n", "key 'Two words' has forbidden character "
                                 "' '");
    FAILS("(A 1)\n(K \"a;b\")\n",
          "params.txt:2: key 'K' value 'a;b' has forbidden character ';'");
    FAILS("(K 1,2)\n", "forbidden character ','");
    FAILS("(K \"a?\")\n", "forbidden character '?'");
    FAILS("(K a\x01)\n", "forbidden character 0x01");
    /* One entry a line: this is key A with three values, as in elastix. */
    p = parse_ok("(A 1) (B 2)\n");
    CU_ASSERT_EQUAL(pipit_params_count(p), 1);
    assert_value(p, "A", 0, "1)");
    assert_value(p, "A", 1, "(B");
    assert_value(p, "A", 2, "2");
    pipit_params_unref(p);
    /* What keys may not hold, values may: '.', '-', ':' ... */
    p = parse_ok("(K -1.5 a:b \"c.d\" e_f x^y)\n");
    CU_ASSERT_EQUAL(pipit_params_n_values(p, "K"), 5);
    pipit_params_unref(p);
    /* NUL bytes: an error, wherever they are, not a shorter text. */
    assert_parse_fails("(A 1)\n(B \0 2)\n", 13, "params.txt:2: NUL byte");
    assert_parse_fails("(A 1)// \0\n", 10, "NUL byte");
    /* Without a name, messages still say where. */
    p = (pipit_params_t *)1;
    ASSERT_FAILS_WITH(pipit_params_parse("x", 1, NULL, &p), PIPIT_EFORMAT,
                      "params:1:");
    CU_ASSERT_PTR_NULL(p);
    /* Arguments. */
    CU_ASSERT_EQUAL(pipit_params_parse(NULL, 3, "x", &p), PIPIT_EINVAL);
    CU_ASSERT_EQUAL(pipit_params_parse("(A 1)", 5, "x", NULL),
                    PIPIT_EINVAL);
    ASSERT_OK(pipit_params_parse(NULL, 0, "x", &p));
    CU_ASSERT_EQUAL(pipit_params_count(p), 0);
    pipit_params_unref(p);
}

/*
 * Every prefix of a text, each in a buffer of exactly its length (no NUL
 * after it), parses or fails cleanly: valgrind and ASan see any read past
 * len.
 */
static void
test_parse_bounds(void)
{
    static const char text[] =
        "// head\n(A 1 \"two words\")\n\t(B \"x\" 2.5)  // c\n(C \"a\"b)\n";
    size_t n = sizeof text - 1;
    for (size_t len = 0; len <= n; len++) {
        char *buf = malloc(len + 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
        memcpy(buf, text, len);
        pipit_params_t *p = NULL;
        pipit_status_t st = pipit_params_parse(len ? buf : NULL, len, "t",
                                               &p);
        CU_ASSERT_TRUE(st == PIPIT_OK || st == PIPIT_EFORMAT);
        CU_ASSERT_EQUAL(st == PIPIT_OK, p != NULL);
        pipit_params_unref(p);
        free(buf);
    }
}

/* ---- typed getters -------------------------------------------------- */

static void
test_get_fallback(void)
{
    pipit_params_t *p = parse_ok(
        "(MaximumNumberOfIterations 100 200 300)\n"
        "(NumberOfHistogramBins 32)\n"
        "(Scales 1.5 \"2.5\")\n"
        "(ErodeMask \"false\" \"true\")\n"
        "(Names a b)\n");
    int64_t i;
    double d;
    bool b;
    const char *s;
    for (size_t r = 0; r < 3; r++) {
        ASSERT_OK(pipit_params_get_int(p, "MaximumNumberOfIterations", r,
                                       -1, &i));
        CU_ASSERT_EQUAL(i, 100 * (int64_t)(r + 1));
    }
    /* More resolutions than entries: entry 0, not the last entry. */
    ASSERT_OK(pipit_params_get_int(p, "MaximumNumberOfIterations", 3, -1,
                                   &i));
    CU_ASSERT_EQUAL(i, 100);
    ASSERT_OK(pipit_params_get_int(p, "MaximumNumberOfIterations", 1000,
                                   -1, &i));
    CU_ASSERT_EQUAL(i, 100);
    for (size_t r = 0; r < 6; r++) {
        ASSERT_OK(pipit_params_get_int(p, "NumberOfHistogramBins", r, 0,
                                       &i));
        CU_ASSERT_EQUAL(i, 32);
    }
    ASSERT_OK(pipit_params_get_double(p, "Scales", 1, 0, &d));
    CU_ASSERT_EQUAL(d, 2.5);
    ASSERT_OK(pipit_params_get_double(p, "Scales", 2, 0, &d));
    CU_ASSERT_EQUAL(d, 1.5);
    ASSERT_OK(pipit_params_get_bool(p, "ErodeMask", 1, false, &b));
    CU_ASSERT_TRUE(b);
    ASSERT_OK(pipit_params_get_bool(p, "ErodeMask", 5, true, &b));
    CU_ASSERT_FALSE(b);
    ASSERT_OK(pipit_params_get_string(p, "Names", 1, NULL, &s));
    CU_ASSERT_STRING_EQUAL(s, "b");
    ASSERT_OK(pipit_params_get_string(p, "Names", 2, NULL, &s));
    CU_ASSERT_STRING_EQUAL(s, "a");
    CU_ASSERT_PTR_EQUAL(s, pipit_params_value(p, "Names", 0)); /* borrowed */
    pipit_params_unref(p);
}

static void
test_get_absent(void)
{
    pipit_params_t *p = parse_ok("(A 1)\n");
    int64_t i = 0;
    double d = 0;
    bool b = false;
    const char *s = NULL;
    pipit_error_clear();
    ASSERT_OK(pipit_params_get_int(p, "NumberOfResolutions", 2, 3, &i));
    CU_ASSERT_EQUAL(i, 3);
    ASSERT_OK(pipit_params_get_double(p, "SP_a", 0, 400.0, &d));
    CU_ASSERT_EQUAL(d, 400.0);
    ASSERT_OK(pipit_params_get_bool(p, "UseDirectionCosines", 0, true, &b));
    CU_ASSERT_TRUE(b);
    ASSERT_OK(pipit_params_get_string(p, "Resampler", 0, "DefaultResampler",
                                      &s));
    CU_ASSERT_STRING_EQUAL(s, "DefaultResampler");
    ASSERT_OK(pipit_params_get_string(p, "Resampler", 0, NULL, &s));
    CU_ASSERT_PTR_NULL(s);
    /* Bad arguments leave the default in *out. */
    CU_ASSERT_EQUAL(pipit_params_get_int(NULL, "A", 0, 9, &i), PIPIT_EINVAL);
    CU_ASSERT_EQUAL(i, 9);
    CU_ASSERT_EQUAL(pipit_params_get_int(p, NULL, 0, 8, &i), PIPIT_EINVAL);
    CU_ASSERT_EQUAL(pipit_params_get_int(p, "A", 0, 8, NULL), PIPIT_EINVAL);
    pipit_params_unref(p);
}

static void
test_get_numbers(void)
{
    pipit_params_t *p = parse_ok(
        "(Int \"3.7\" -12 +5 \" 42\" 1e3 0x10 -0 007)\n"
        "(Big 9223372036854775807 -9223372036854775808 "
        "9223372036854775808 -9223372036854775809)\n"
        "(Dbl 1e3 .5 5. -2.5e-3x \"1e\" 1e+ 0x10 1.2.3 1e5.5 \" 7\")\n"
        "(Bad abc - . e5 inf nan \"\t\" +)\n"
        "(Huge 1e400 -1e400 1e-400)\n");
    static const int64_t ints[] = { 3, -12, 5, 42, 1, 0, 0, 7 };
    int64_t i;
    double d;
    for (size_t k = 0; k < 8; k++) {
        ASSERT_OK(pipit_params_get_int(p, "Int", k, -1, &i));
        CU_ASSERT_EQUAL(i, ints[k]);
    }
    ASSERT_OK(pipit_params_get_int(p, "Big", 0, 0, &i));
    CU_ASSERT_EQUAL(i, INT64_MAX);
    ASSERT_OK(pipit_params_get_int(p, "Big", 1, 0, &i));
    CU_ASSERT_EQUAL(i, INT64_MIN);
    ASSERT_FAILS_WITH(pipit_params_get_int(p, "Big", 2, 0, &i), PIPIT_EINVAL,
                      "parameter 'Big' value '9223372036854775808' (entry 2)"
                      " is out of range");
    CU_ASSERT_EQUAL(i, 0); /* the default on failure */
    ASSERT_FAILS_WITH(pipit_params_get_int(p, "Big", 3, 0, &i), PIPIT_EINVAL,
                      "out of range");

    /* istream >> double: a valid prefix is enough, but "1e" is not 1. */
    ASSERT_OK(pipit_params_get_double(p, "Dbl", 0, 0, &d));
    CU_ASSERT_EQUAL(d, 1000.0);
    ASSERT_OK(pipit_params_get_double(p, "Dbl", 1, 0, &d));
    CU_ASSERT_EQUAL(d, 0.5);
    ASSERT_OK(pipit_params_get_double(p, "Dbl", 2, 0, &d));
    CU_ASSERT_EQUAL(d, 5.0);
    ASSERT_OK(pipit_params_get_double(p, "Dbl", 3, 0, &d));
    CU_ASSERT_EQUAL(d, -2.5e-3);
    ASSERT_FAILS_WITH(pipit_params_get_double(p, "Dbl", 4, 0, &d),
                      PIPIT_EINVAL, "value '1e' (entry 4) is not a number");
    ASSERT_FAILS_WITH(pipit_params_get_double(p, "Dbl", 5, 0, &d),
                      PIPIT_EINVAL, "not a number");
    ASSERT_OK(pipit_params_get_double(p, "Dbl", 6, 1, &d));
    CU_ASSERT_EQUAL(d, 0.0); /* hex: istream stops after the 0 */
    ASSERT_OK(pipit_params_get_double(p, "Dbl", 7, 0, &d));
    CU_ASSERT_EQUAL(d, 1.2);
    ASSERT_OK(pipit_params_get_double(p, "Dbl", 8, 0, &d));
    CU_ASSERT_EQUAL(d, 1e5);
    ASSERT_OK(pipit_params_get_double(p, "Dbl", 9, 0, &d));
    CU_ASSERT_EQUAL(d, 7.0);
    for (size_t k = 0; k < 8; k++) {
        pipit_status_t st = pipit_params_get_double(p, "Bad", k, 0, &d);
        ASSERT_FAILS_WITH(st, PIPIT_EINVAL, "is not a number");
        st = pipit_params_get_int(p, "Bad", k, 0, &i);
        ASSERT_FAILS_WITH(st, PIPIT_EINVAL, "is not an integer");
    }
    ASSERT_FAILS_WITH(pipit_params_get_double(p, "Huge", 0, 0, &d),
                      PIPIT_EINVAL, "'1e400' (entry 0) is out of range");
    ASSERT_FAILS_WITH(pipit_params_get_double(p, "Huge", 1, 0, &d),
                      PIPIT_EINVAL, "out of range");
    ASSERT_OK(pipit_params_get_double(p, "Huge", 2, 1, &d));
    CU_ASSERT_TRUE(d >= 0.0 && d < 1e-300); /* underflow is no error */
    pipit_params_unref(p);

    p = parse_ok("(NumberOfResolutions \"abc\")\n");
    ASSERT_FAILS_WITH(pipit_params_get_int(p, "NumberOfResolutions", 0, 3,
                                           &i),
                      PIPIT_EINVAL,
                      "parameter 'NumberOfResolutions' value 'abc' (entry 0) "
                      "is not an integer");
    CU_ASSERT_EQUAL(i, 3);
    pipit_params_unref(p);
}

static void
test_get_bool(void)
{
    pipit_params_t *p = parse_ok("(B true \"false\" True FALSE 1 \"true \")\n");
    bool b;
    ASSERT_OK(pipit_params_get_bool(p, "B", 0, false, &b));
    CU_ASSERT_TRUE(b);
    ASSERT_OK(pipit_params_get_bool(p, "B", 1, true, &b));
    CU_ASSERT_FALSE(b);
    ASSERT_FAILS_WITH(pipit_params_get_bool(p, "B", 2, false, &b),
                      PIPIT_EINVAL,
                      "parameter 'B' value 'True' (entry 2) is not a boolean");
    for (size_t k = 3; k < 6; k++)
        ASSERT_FAILS_WITH(pipit_params_get_bool(p, "B", k, false, &b),
                          PIPIT_EINVAL, "not a boolean");
    pipit_params_unref(p);
}

/*
 * Numbers read the same whatever LC_NUMERIC says, when the machine has a
 * locale with a decimal comma to try.
 */
static void
test_locale(void)
{
    static const char *const names[] = { "de_DE.UTF-8", "de_DE.utf8",
                                         "fr_FR.UTF-8", "nl_NL.UTF-8" };
    bool switched = false;
    for (size_t k = 0; k < 4 && !switched; k++)
        switched = setlocale(LC_NUMERIC, names[k]) != NULL;
    pipit_params_t *p = parse_ok("(D 0.25 1.5e1)\n");
    double d, v[2] = { 0.1, -2.5 };
    ASSERT_OK(pipit_params_get_double(p, "D", 0, 0, &d));
    CU_ASSERT_EQUAL(d, 0.25);
    ASSERT_OK(pipit_params_get_double(p, "D", 1, 0, &d));
    CU_ASSERT_EQUAL(d, 15.0);
    ASSERT_OK(pipit_params_set_doubles(p, "V", 2, v));
    assert_value(p, "V", 0, "0.1");
    assert_value(p, "V", 1, "-2.5");
    char *text = pipit_params_print(p);
    CU_ASSERT_STRING_EQUAL(text, "(D 0.25 1.5e1)\n(V 0.1 -2.5)\n");
    free(text);
    pipit_params_unref(p);
    setlocale(LC_NUMERIC, "C");
}

/* ---- set, remove, print -------------------------------------------- */

static void
test_set_remove(void)
{
    pipit_params_t *p = parse_ok("(A 1)\n(B 2)\n(C 3)\n");
    const char *two[] = { "x y", "-4" };
    ASSERT_OK(pipit_params_set(p, "B", 2, two)); /* replaced in place */
    ASSERT_OK(pipit_params_set_string(p, "D", "new"));
    CU_ASSERT_EQUAL(pipit_params_count(p), 4);
    CU_ASSERT_STRING_EQUAL(pipit_params_key(p, 1), "B");
    CU_ASSERT_STRING_EQUAL(pipit_params_key(p, 3), "D");
    assert_value(p, "B", 0, "x y");
    assert_value(p, "B", 1, "-4");

    ASSERT_OK(pipit_params_remove(p, "A"));
    ASSERT_OK(pipit_params_remove(p, "A")); /* absent: nothing to do */
    CU_ASSERT_EQUAL(pipit_params_count(p), 3);
    CU_ASSERT_FALSE(pipit_params_has(p, "A"));
    CU_ASSERT_STRING_EQUAL(pipit_params_key(p, 0), "B");
    assert_value(p, "C", 0, "3"); /* the index follows the moves */
    assert_value(p, "D", 0, "new");
    ASSERT_OK(pipit_params_set_string(p, "A", "again"));
    CU_ASSERT_STRING_EQUAL(pipit_params_key(p, 3), "A");

    /* What the text format cannot hold is refused, the map unchanged. */
    const char *bad[] = { "ok", "a\"b" };
    ASSERT_FAILS_WITH(pipit_params_set(p, "E", 2, bad), PIPIT_EINVAL,
                      "key 'E' value 'a\"b' has forbidden character '\"'");
    ASSERT_FAILS_WITH(pipit_params_set_string(p, "E", ""), PIPIT_EINVAL,
                      "key 'E' has an empty value");
    ASSERT_FAILS_WITH(pipit_params_set_string(p, "E", "a;b"), PIPIT_EINVAL,
                      "forbidden character ';'");
    ASSERT_FAILS_WITH(pipit_params_set_string(p, "E", "a\tb"), PIPIT_EINVAL,
                      "forbidden character 0x09");
    ASSERT_FAILS_WITH(pipit_params_set_string(p, "E", "http://x"),
                      PIPIT_EINVAL, "'//'");
    ASSERT_FAILS_WITH(pipit_params_set_string(p, "E.x", "1"), PIPIT_EINVAL,
                      "key 'E.x' has forbidden character '.'");
    ASSERT_FAILS_WITH(pipit_params_set_string(p, "E x", "1"), PIPIT_EINVAL,
                      "key 'E x' has forbidden character ' '");
    ASSERT_FAILS_WITH(pipit_params_set_string(p, "", "1"), PIPIT_EINVAL,
                      "empty key");
    ASSERT_FAILS_WITH(pipit_params_set(p, "E", 0, NULL), PIPIT_EINVAL,
                      "key 'E' needs at least one value");
    ASSERT_FAILS_WITH(pipit_params_set_string(p, "E", NULL), PIPIT_EINVAL,
                      "NULL");
    ASSERT_FAILS_WITH(pipit_params_set_string(p, "B", "a|b"), PIPIT_EINVAL,
                      "forbidden");
    CU_ASSERT_EQUAL(pipit_params_count(p), 4);
    CU_ASSERT_FALSE(pipit_params_has(p, "E"));
    assert_value(p, "B", 0, "x y");
    CU_ASSERT_EQUAL(pipit_params_remove(p, NULL), PIPIT_EINVAL);
    pipit_params_unref(p);
}

static void
test_set_doubles(void)
{
    pipit_params_t *p = pipit_params_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    const double v[] = { 0.1, 1.0 / 3.0, 2.0, -0.0, 1e300, 5e-324,
                         123456789.125, 0.30000000000000004 };
    static const char *const want[] = {
        "0.1", "0.3333333333333333", "2", "-0", "1e+300",
        "4.94065645841247e-324", "123456789.125", "0.30000000000000004" };
    ASSERT_OK(pipit_params_set_doubles(p, "V", 8, v));
    for (size_t k = 0; k < 8; k++) {
        double d;
        assert_value(p, "V", k, want[k]);
        ASSERT_OK(pipit_params_get_double(p, "V", k, 7, &d));
        CU_ASSERT_EQUAL(memcmp(&d, &v[k], sizeof d), 0); /* bit for bit */
    }
    double bad[] = { 1.0, NAN };
    ASSERT_FAILS_WITH(pipit_params_set_doubles(p, "W", 2, bad), PIPIT_EINVAL,
                      "key 'W' value 1 is nan");
    bad[1] = -INFINITY;
    ASSERT_FAILS_WITH(pipit_params_set_doubles(p, "W", 2, bad), PIPIT_EINVAL,
                      "not a finite number");
    ASSERT_FAILS_WITH(pipit_params_set_doubles(p, "W", 0, NULL),
                      PIPIT_EINVAL, "at least one value");
    CU_ASSERT_FALSE(pipit_params_has(p, "W"));
    pipit_params_unref(p);
}

static void
test_print(void)
{
    pipit_params_t *p = pipit_params_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    char *text = pipit_params_print(p);
    CU_ASSERT_STRING_EQUAL(text, "");
    free(text);
    const char *vals[] = { "x y", "1", "-2.5e3", "true", ".5", "5.",
                           "0x10", "inf", "1e", "1e999", " 3", "3 ",
                           "+7", "nan", "5" };
    ASSERT_OK(pipit_params_set(p, "K", 15, vals));
    ASSERT_OK(pipit_params_set_string(p, "Metric", "AdvancedMeanSquares"));
    text = pipit_params_print(p);
    CU_ASSERT_STRING_EQUAL(
        text, "(K \"x y\" 1 -2.5e3 \"true\" .5 5. \"0x10\" \"inf\" \"1e\" "
              "\"1e999\" \" 3\" \"3 \" +7 \"nan\" 5)\n"
              "(Metric \"AdvancedMeanSquares\")\n");
    pipit_params_t *q = NULL;
    ASSERT_OK(pipit_params_parse(text, strlen(text), "printed", &q));
    CU_ASSERT_TRUE(pipit_params_equal(p, q));
    free(text);
    pipit_params_unref(q);
    pipit_params_unref(p);
    CU_ASSERT_PTR_NULL(pipit_params_print(NULL));
}

static void
test_equal_dup_ref(void)
{
    pipit_params_t *a = parse_ok("(A 1 2)\n(B \"x\")\n");
    pipit_params_t *b = parse_ok("(B x)\n(A \"1\" 2)\n");
    pipit_params_t *c = parse_ok("(A 1 2)\n(B y)\n");
    pipit_params_t *d = parse_ok("(A 1)\n(B x)\n");
    pipit_params_t *e = parse_ok("(A 1 2)\n(B x)\n(C 3)\n");
    CU_ASSERT_TRUE(pipit_params_equal(a, b)); /* order does not matter */
    CU_ASSERT_FALSE(pipit_params_equal(a, c));
    CU_ASSERT_FALSE(pipit_params_equal(a, d));
    CU_ASSERT_FALSE(pipit_params_equal(a, e));
    CU_ASSERT_FALSE(pipit_params_equal(e, a));
    CU_ASSERT_FALSE(pipit_params_equal(a, NULL));
    CU_ASSERT_TRUE(pipit_params_equal(NULL, NULL));

    pipit_params_t *x = pipit_params_dup(e);
    CU_ASSERT_PTR_NOT_NULL_FATAL(x);
    CU_ASSERT_TRUE(pipit_params_equal(x, e));
    CU_ASSERT_STRING_EQUAL(pipit_params_key(x, 2), "C");
    ASSERT_OK(pipit_params_set_string(x, "C", "4")); /* a copy, not a view */
    assert_value(e, "C", 0, "3");
    CU_ASSERT_PTR_EQUAL(pipit_params_ref(x), x);
    pipit_params_unref(x);
    assert_value(x, "C", 0, "4"); /* still alive: one reference left */
    pipit_params_unref(x);
    pipit_params_unref(NULL);
    CU_ASSERT_PTR_NULL(pipit_params_ref(NULL));
    CU_ASSERT_EQUAL(pipit_params_count(NULL), 0);
    CU_ASSERT_FALSE(pipit_params_has(NULL, "A"));

    pipit_params_unref(a);
    pipit_params_unref(b);
    pipit_params_unref(c);
    pipit_params_unref(d);
    pipit_params_unref(e);
}

/* Thousands of keys: linear work, and lookups and errors still right. */
static void
test_many_keys(void)
{
    enum { N = 20000 };
    size_t cap = (size_t)N * 40 + 64, len = 0;
    char *text = malloc(cap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(text);
    for (int k = 0; k < N; k++)
        len += (size_t)snprintf(text + len, cap - len, "(Key%d %d \"v%d\")\n",
                                k, k, k);
    pipit_params_t *p = NULL;
    ASSERT_OK(pipit_params_parse(text, len, "many.txt", &p));
    CU_ASSERT_EQUAL(pipit_params_count(p), N);
    int64_t i;
    ASSERT_OK(pipit_params_get_int(p, "Key12345", 0, -1, &i));
    CU_ASSERT_EQUAL(i, 12345);
    CU_ASSERT_STRING_EQUAL(pipit_params_key(p, N - 1), "Key19999");
    /* Removal is linear in the map's size (the order array shifts): a
     * sample is enough to check the index follows. */
    for (int k = 0; k < N; k += 20) {
        char key[32];
        snprintf(key, sizeof key, "Key%d", k);
        ASSERT_OK(pipit_params_remove(p, key));
    }
    CU_ASSERT_EQUAL(pipit_params_count(p), N - N / 20);
    ASSERT_OK(pipit_params_get_int(p, "Key12345", 0, -1, &i));
    CU_ASSERT_EQUAL(i, 12345);
    CU_ASSERT_FALSE(pipit_params_has(p, "Key12340"));
    CU_ASSERT_STRING_EQUAL(pipit_params_key(p, 0), "Key1");
    CU_ASSERT_STRING_EQUAL(pipit_params_key(p, 19), "Key21");
    pipit_params_unref(p);

    len += (size_t)snprintf(text + len, cap - len, "(Key777 1)\n");
    assert_parse_fails(text, len, "params.txt:20001: key 'Key777' given twice "
                                  "(first on line 778)");
    free(text);
}

/* ---- out of memory ---------------------------------------------------- */


static const char oom_text[] =
    "// comment\n(A 1 2 3)\n(B \"two words\")\n(C true)\n(D 4)\n(E 5)\n"
    "(F 6)\n(G 7)\n(H 8)\n(I 9)\n(J 10)\n(K 11)\n(L 12)\n(M 13)\n(N 14)\n"
    "(O 15)\n(P 16)\n(Q 17)\n(R 18)\n(S 19)\n(T 20)\n";

static pipit_status_t
oom_parse(void *arg)
{
    pipit_params_t *p = (pipit_params_t *)1;
    pipit_status_t st = pipit_params_parse(oom_text, strlen(oom_text), "oom",
                                           &p);
    CU_ASSERT_EQUAL(st == PIPIT_OK, p != NULL);
    if (st == PIPIT_OK)
        CU_ASSERT_EQUAL(pipit_params_count(p), 20);
    pipit_params_unref(p);
    (void)arg;
    return st;
}

static pipit_status_t
oom_dup_print(void *arg)
{
    pipit_params_t *d = pipit_params_dup(arg);
    if (d == NULL)
        return PIPIT_ENOMEM;
    char *text = pipit_params_print(d);
    pipit_params_unref(d);
    if (text == NULL)
        return PIPIT_ENOMEM;
    free(text);
    return PIPIT_OK;
}

static pipit_status_t
oom_read(void *arg)
{
    pipit_params_t *p = NULL;
    pipit_status_t st = pipit_params_read(arg, &p);
    pipit_params_unref(p);
    return st;
}

static void
test_out_of_memory(void)
{
    fail_each_allocation(oom_parse, NULL);
    pipit_params_t *p = parse_ok(oom_text);
    fail_each_allocation(oom_dup_print, p);
    fail_each_allocation(oom_read, (void *)test_data("params/params_bspline."
                                                     "txt"));
    pipit_params_unref(p);
}

/*
 * Sets under failure: each copy is made before the countdown starts, so
 * only the sets are walked, and a failed set must leave the map as it
 * was.
 */
static void
test_out_of_memory_set(void)
{
    pipit_params_t *base = parse_ok(oom_text);
    const double v[3] = { 0.1, 2, 3 };
    size_t n;
    {
        pipit_params_t *d = pipit_params_dup(base);
        pipit__alloc_fail_at(0);
        ASSERT_OK(pipit_params_set_string(d, "New", "x"));
        ASSERT_OK(pipit_params_set_doubles(d, "A", 3, v));
        n = pipit__alloc_fail_at(0);
        pipit_params_unref(d);
    }
    CU_ASSERT_TRUE(n >= 3);
    for (size_t k = 1; k <= n; k++) {
        pipit_params_t *d = pipit_params_dup(base);
        CU_ASSERT_PTR_NOT_NULL_FATAL(d);
        pipit__alloc_fail_at(k);
        pipit_status_t st = pipit_params_set_string(d, "New", "x");
        if (st == PIPIT_OK)
            st = pipit_params_set_doubles(d, "A", 3, v);
        pipit__alloc_fail_at(0);
        ASSERT_FAILS_WITH(st, PIPIT_ENOMEM, "out of memory");
        /* Nothing half done: A keeps its three old values unless the
         * whole set went through. */
        assert_value(d, "A", 0, "1");
        CU_ASSERT_EQUAL(pipit_params_count(d),
                        20 + (pipit_params_has(d, "New") ? 1 : 0));
        pipit_params_unref(d);
    }
    pipit_params_unref(base);
}

/* ---- files ------------------------------------------------------------ */

static const struct {
    const char *file;
    size_t keys;
    int64_t resolutions;
    const char *metric, *transform;
} data_files[] = {
    { "params/params_translation.txt", 28, 3, "AdvancedMeanSquares",
      "TranslationTransform" },
    { "params/params_rigid_mi.txt", 32, 3, "AdvancedMattesMutualInformation",
      "EulerTransform" },
    { "params/parameters_Translation.txt", 28, 4,
      "AdvancedMattesMutualInformation", "TranslationTransform" },
    { "params/parameters_Rigid.txt", 28, 4,
      "AdvancedMattesMutualInformation", "EulerTransform" },
    { "params/parameters_Affine.txt", 28, 4,
      "AdvancedMattesMutualInformation", "AffineTransform" },
    { "params/parameters_BSpline.txt", 27, 4,
      "AdvancedMattesMutualInformation", "BSplineTransform" },
    { "params/params_bspline.txt", 34, 6, "AdvancedMattesMutualInformation",
      "BSplineTransform" },
};

static void
test_data_files(void)
{
    for (size_t f = 0; f < sizeof data_files / sizeof data_files[0]; f++) {
        pipit_params_t *p = NULL, *q = NULL;
        const char *s;
        int64_t i;
        bool b;
        ASSERT_OK(pipit_params_read(test_data(data_files[f].file), &p));
        CU_ASSERT_EQUAL(pipit_params_count(p), data_files[f].keys);
        ASSERT_OK(pipit_params_get_int(p, "NumberOfResolutions", 0, 0, &i));
        CU_ASSERT_EQUAL(i, data_files[f].resolutions);
        ASSERT_OK(pipit_params_get_string(p, "Metric", 0, NULL, &s));
        CU_ASSERT_STRING_EQUAL(s, data_files[f].metric);
        ASSERT_OK(pipit_params_get_string(p, "Transform", 0, NULL, &s));
        CU_ASSERT_STRING_EQUAL(s, data_files[f].transform);
        ASSERT_OK(pipit_params_get_bool(p, "UseDirectionCosines", 0, false,
                                        &b));
        CU_ASSERT_TRUE(b);
        ASSERT_OK(pipit_params_get_string(p, "FixedInternalImagePixelType",
                                          0, NULL, &s));
        CU_ASSERT_STRING_EQUAL(s, "float");
        ASSERT_OK(pipit_params_get_int(p, "FinalBSplineInterpolationOrder",
                                       0, 0, &i));
        CU_ASSERT_EQUAL(i, 3);
        /* Round trip: print, parse, compare; printing again is stable. */
        char *t1 = pipit_params_print(p);
        CU_ASSERT_PTR_NOT_NULL_FATAL(t1);
        ASSERT_OK(pipit_params_parse(t1, strlen(t1), "printed", &q));
        CU_ASSERT_TRUE(pipit_params_equal(p, q));
        char *t2 = pipit_params_print(q);
        CU_ASSERT_STRING_EQUAL(t1, t2);
        for (size_t k = 0; k < pipit_params_count(p); k++)
            CU_ASSERT_STRING_EQUAL(pipit_params_key(p, k),
                                   pipit_params_key(q, k));
        free(t1);
        free(t2);
        pipit_params_unref(q);
        pipit_params_unref(p);
    }
    /* Lines as elastix writes them. */
    pipit_params_t *p = NULL;
    ASSERT_OK(pipit_params_read(test_data("params/params_bspline.txt"), &p));
    char *t = pipit_params_print(p);
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\n(FinalGridSpacingInVoxels 20.0 "
                                     "20.0)\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\n(ErodeMask \"false\")\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(t, "\n(ResultImagePixelType \"float\")\n"));
    CU_ASSERT_EQUAL(strncmp(t, "(FixedInternalImagePixelType \"float\")\n",
                            38),
                    0);
    double d;
    ASSERT_OK(pipit_params_get_double(p, "FinalGridSpacingInVoxels", 1, 0,
                                      &d));
    CU_ASSERT_EQUAL(d, 20.0);
    free(t);
    pipit_params_unref(p);
}

static void
test_write_read(void)
{
    pipit_params_t *p = NULL, *q = NULL;
    const char *path = test_tmp("written.txt");
    ASSERT_OK(pipit_params_read(test_data("params/params_rigid_mi.txt"), &p));
    ASSERT_OK(pipit_params_write(p, path));
    ASSERT_OK(pipit_params_read(path, &q));
    CU_ASSERT_TRUE(pipit_params_equal(p, q));
    pipit_params_unref(q);
    /* Writing again replaces the file whole. */
    ASSERT_OK(pipit_params_set_string(p, "Metric", "AdvancedMeanSquares"));
    ASSERT_OK(pipit_params_remove(p, "NumberOfHistogramBins"));
    ASSERT_OK(pipit_params_write(p, path));
    ASSERT_OK(pipit_params_read(path, &q));
    CU_ASSERT_TRUE(pipit_params_equal(p, q));
    pipit_params_unref(q);
    q = NULL;

    /* Errors name the path. */
    const char *missing = test_tmp("no-such-dir/out.txt");
    ASSERT_FAILS_WITH(pipit_params_write(p, missing), PIPIT_EIO,
                      "no-such-dir/out.txt");
    ASSERT_FAILS_WITH(pipit_params_read(test_tmp("absent.txt"), &q),
                      PIPIT_EIO, "absent.txt");
    CU_ASSERT_PTR_NULL(q);
    ASSERT_FAILS_WITH(pipit_params_read(test_tmpdir(), &q), PIPIT_EIO,
                      "pipit-tests");
    CU_ASSERT_PTR_NULL(q);
    /* A bad file: the message names it and the line. */
    FILE *fp = fopen(test_tmp("bad.txt"), "w");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fputs("(A 1)\n(B 2\n", fp);
    fclose(fp);
    ASSERT_FAILS_WITH(pipit_params_read(test_tmp("bad.txt"), &q),
                      PIPIT_EFORMAT, "bad.txt:2: line does not end");
    CU_ASSERT_PTR_NULL(q);
    pipit_params_unref(p);
}

const test_case_t test_params_cases[] = {
    { "parse_values", test_parse_values },
    { "parse_quotes", test_parse_quotes },
    { "parse_comments", test_parse_comments },
    { "parse_errors", test_parse_errors },
    { "parse_bounds", test_parse_bounds },
    { "get_fallback", test_get_fallback },
    { "get_absent", test_get_absent },
    { "get_numbers", test_get_numbers },
    { "get_bool", test_get_bool },
    { "locale", test_locale },
    { "set_remove", test_set_remove },
    { "set_doubles", test_set_doubles },
    { "print", test_print },
    { "equal_dup_ref", test_equal_dup_ref },
    { "many_keys", test_many_keys },
    { "out_of_memory", test_out_of_memory },
    { "out_of_memory_set", test_out_of_memory_set },
    { "data_files", test_data_files },
    { "write_read", test_write_read },
    { NULL, NULL },
};
