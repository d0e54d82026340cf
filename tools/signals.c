/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the `pipit` command does when it is told to stop: SIGINT, SIGTERM
 * and SIGHUP remove the temporary files of the write in progress (and
 * finish or undo a header/data pair), then end the process with the same
 * signal, so the caller still sees "killed by SIGINT". SIGXFSZ (the file
 * size limit, `ulimit -f`) is ignored: the write then fails with EFBIG
 * and the command reports "File too large" like any other write error.
 */
#include <signal.h>
#include <string.h>

#include <pipit/io.h>

#include "tool.h"

static void
on_stop(int sig)
{
    pipit_io_remove_temporaries();
    /* SA_RESETHAND restored the default action: die of the signal. */
    raise(sig);
}

void
tool_signals_install(void)
{
    static const int stops[] = { SIGINT, SIGTERM, SIGHUP };
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESETHAND;
    /* No second stop signal may interrupt the clean-up half-way. */
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++)
        sigaddset(&sa.sa_mask, stops[i]);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        struct sigaction old;
        /* A signal ignored by whoever started us (nohup) stays ignored. */
        if (sigaction(stops[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(stops[i], &sa, NULL);
    }
    signal(SIGXFSZ, SIG_IGN);
}
