/* SPDX-License-Identifier: MIT */
/* wsc-cli as a subprocess against a test server on the test's loop: stdin lines become text
 * frames in order, echoes come out on stdout one per line, exit 0 after stdin ends and the queue
 * drains; a final close from the server ends it with a non-zero status and "closed code=...". */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "test_client_servers.h"

extern char **environ;

struct proc {
    pid_t pid;
    int in, out, err;
    char outbuf[4096], errbuf[4096];
    size_t outlen, errlen;
    int status;
    bool exited;
};

static void
cli_path(char *out, size_t cap)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    assert_true(n > 0);
    self[n] = '\0';
    snprintf(out, cap, "%s/../examples/wsc-cli", dirname(self));
}

static void
spawn_cli(struct proc *p, char *const argv[])
{
    int in[2], out[2], err[2];
    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    assert_int_equal(pipe(err), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, in[1]);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    assert_int_equal(posix_spawn(&p->pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    close(err[1]);
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
    fcntl(p->out, F_SETFL, O_NONBLOCK);
    fcntl(p->err, F_SETFL, O_NONBLOCK);
}

static void
drain(int fd, char *buf, size_t *len, size_t cap)
{
    ssize_t n;
    while (*len + 1 < cap && (n = read(fd, buf + *len, cap - 1 - *len)) > 0)
        *len += (size_t)n;
    buf[*len] = '\0';
}

static bool
poll_proc(void *arg)
{
    struct proc *p = arg;
    drain(p->out, p->outbuf, &p->outlen, sizeof(p->outbuf));
    drain(p->err, p->errbuf, &p->errlen, sizeof(p->errbuf));
    if (!p->exited && waitpid(p->pid, &p->status, WNOHANG) == p->pid)
        p->exited = true;
    return p->exited;
}

static bool
out_has_3_lines(void *arg)
{
    struct proc *p = arg;
    poll_proc(p);
    int n = 0;
    for (size_t i = 0; i < p->outlen; i++)
        n += p->outbuf[i] == '\n';
    return n >= 3;
}

static void
finish(struct proc *p)
{
    if (!p->exited) {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, &p->status, 0);
    }
    if (p->in >= 0)
        close(p->in);
    close(p->out);
    close(p->err);
}

static void
test_client__cli_lines_in_order_and_clean_exit(void **state)
{
    (void)state;
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    static struct ts_ws ws;
    memset(&ws, 0, sizeof(ws));
    assert_true(ts_ws_start(&ws, loop, NULL, NULL));
    char exe[PATH_MAX + 32], url[128];
    cli_path(exe, sizeof(exe));
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", ws.port);
    char a1[] = "--user-id", a2[] = "u1", a3[] = "--client-id", a4[] = "c1";
    char *argv[] = {exe, a1, a2, a3, a4, url, NULL};
    struct proc p = {0};
    spawn_cli(&p, argv);
    const char *lines = "first\nsecond\nthird\n";
    assert_int_equal(write(p.in, lines, strlen(lines)), (ssize_t)strlen(lines));
    assert_true(ts_run_until(loop, out_has_3_lines, &p, 5000));
    assert_string_equal(p.outbuf, "first\nsecond\nthird\n");
    close(p.in);
    p.in = -1;
    bool done = ts_run_until(loop, poll_proc, &p, 5000);
    if (!done)
        fprintf(stderr, "wsc-cli stderr:\n%s\n", p.errbuf);
    assert_true(done);
    assert_true(WIFEXITED(p.status));
    assert_int_equal(WEXITSTATUS(p.status), 0);
    assert_int_equal(ws.received, 3);
    assert_string_equal(ws.rx[0], "first");
    assert_string_equal(ws.rx[2], "third");
    assert_string_equal(ws.args[0], "user_id=u1,client_id=c1"); /* lws joins args with "," */
    assert_non_null(strstr(p.errbuf, "connected"));
    assert_non_null(strstr(p.errbuf, "closed code=1000"));
    finish(&p);
    wsc_loop_free(loop);
}

static void
test_client__cli_exits_nonzero_on_final_close(void **state)
{
    (void)state;
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    static struct ts_ws ws;
    memset(&ws, 0, sizeof(ws));
    ws.plan[0].close_code = 4001;
    ws.plans = 1;
    assert_true(ts_ws_start(&ws, loop, NULL, NULL));
    char exe[PATH_MAX + 32], url[128];
    cli_path(exe, sizeof(exe));
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", ws.port);
    char *argv[] = {exe, url, NULL};
    struct proc p = {0};
    spawn_cli(&p, argv);
    assert_true(ts_run_until(loop, poll_proc, &p, 5000));
    if (!WIFEXITED(p.status))
        fprintf(stderr, "wsc-cli stderr:\n%s\n", p.errbuf);
    assert_true(WIFEXITED(p.status));
    assert_int_equal(WEXITSTATUS(p.status), 1);
    assert_non_null(strstr(p.errbuf, "closed code=4001"));
    finish(&p);
    wsc_loop_free(loop);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client__cli_lines_in_order_and_clean_exit),
        cmocka_unit_test(test_client__cli_exits_nonzero_on_final_close),
    };
    return cmocka_run_group_tests_name("integration.client_cli", tests, NULL, NULL);
}
