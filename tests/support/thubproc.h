/* SPDX-License-Identifier: MIT */
/* thubproc: the real wsc-hub binary (WSC_HUB_BIN) as a child process, for tests that drive it
 * from outside as an operator would: start it with flags, read its JSON log lines, signal it.
 * Nothing sleeps: waits poll the child's pidfd as their back-off, so a hub that dies ends the
 * wait at once, and every wait has a deadline. */
#ifndef WSC_TEST_THUBPROC_H
#define WSC_TEST_THUBPROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

typedef struct thubproc {
    pid_t pid;     /* 0 when not running */
    int pidfd;     /* -1 when not running */
    int port;      /* where GET /healthz is asked */
    char log[256]; /* the child's stdout and stderr */
} thubproc;

/** A TCP port free on 127.0.0.1 right now, below the kernel's ephemeral range, or -1. */
int thubproc_free_port(void);

/** Starts WSC_HUB_BIN with args (NULL-terminated, without argv[0]); its stdout and stderr go
 *  to a new log file.  Waits until GET /healthz on 127.0.0.1:port answers 200.  Returns 0, or
 *  -1 (no WSC_HUB_BIN, fork failed, the child exited, or timeout_ms passed: then it is killed). */
int thubproc_start(thubproc *p, int port, const char *const *args, int timeout_ms);

/** True while the child has not exited. */
bool thubproc_alive(const thubproc *p);

/** Number of log lines whose "event" is event. */
size_t thubproc_count(const thubproc *p, const char *event);

/** Waits until thubproc_count(event) >= n, or timeout_ms passes, or the child exits.  Returns
 *  whether the count was reached. */
bool thubproc_wait(const thubproc *p, const char *event, size_t n, int timeout_ms);

/** The last log line whose "event" is event, parsed (json_decref it), or NULL. */
json_t *thubproc_last(const thubproc *p, const char *event);

/** Sends sig to the child.  Returns 0 or -1. */
int thubproc_signal(const thubproc *p, int sig);

/** SIGTERM, then waits for the exit (SIGKILL after timeout_ms).  Returns the exit status, or
 *  -1 when it had to be killed.  The log file is removed.  Safe on a stopped thubproc. */
int thubproc_stop(thubproc *p, int timeout_ms);

#endif
