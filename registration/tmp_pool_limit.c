/* TEMPORARY until branch core8 lands: no per-thread cap. */
#include <pipit/pool.h>
unsigned pipit_pool_set_local_limit(unsigned n);
unsigned pipit_pool_set_local_limit(unsigned n) { (void)n; return 0; }
