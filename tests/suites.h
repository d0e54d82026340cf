/* SPDX-License-Identifier: Apache-2.0 */
/* Every suite, one line each: SUITE(name) registers test_<name>.c. */
SUITE(core)
SUITE(image)
SUITE(pool)
SUITE(node)
SUITE(params)
SUITE(transform)
SUITE(interpolator)
