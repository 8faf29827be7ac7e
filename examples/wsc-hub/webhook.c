/* SPDX-License-Identifier: MIT */
/* The alert webhook (webhook.h).  One worker thread, owned by the webhook object, takes bodies
 * off a mutex-guarded list and POSTs them with plain sockets (connect bounded by poll, then
 * send and receive timeouts), so name resolution and slow or dead receivers stall only it.
 * A post succeeds on a 2xx status; otherwise it is tried again after 250 ms, 500 ms, 1 s ...
 * (at most 8 s) up to the configured retries, then counted as failed.  The loop's side only
 * appends to the list, never waiting on the worker beyond the short critical section. */
#include "webhook.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

struct item {
    struct item *next;
    size_t len;
    char body[];
};

/* A parsed URL, owned as one block: host, port and path strings follow the struct. */
struct target {
    const char *host, *port, *path;
    char text[];
};

struct wsc_hubd_webhook {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* work queued, or stop */
    pthread_t thread;
    bool stop;
    struct item *head, *tail;
    size_t n, max_queue;
    struct target *target; /* NULL: off */
    unsigned retries, timeout_ms;
    int active_fd; /* the post under way (-1: none): shut down by free to end it at once */
    wsc_hubd_webhook_stats st;
};

/* Parses "http://host[:port][/path]" into a new target; NULL when invalid or out of memory. */
static struct target *
parse_url(const char *url)
{
    if (url == NULL || strncmp(url, "http://", 7) != 0)
        return NULL;
    const char *h = url + 7, *slash = strchr(h, '/');
    size_t hp = slash != NULL ? (size_t)(slash - h) : strlen(h);
    const char *colon = memchr(h, ':', hp);
    size_t hl = colon != NULL ? (size_t)(colon - h) : hp;
    const char *port = colon != NULL ? colon + 1 : "80";
    size_t pl = colon != NULL ? hp - hl - 1 : 2;
    const char *path = slash != NULL ? slash : "/";
    if (hl == 0 || pl == 0 || pl > 5 || strspn(port, "0123456789") < pl || strpbrk(url, " \r\n"))
        return NULL;
    struct target *t = malloc(sizeof(*t) + hl + pl + strlen(path) + 3);
    if (t == NULL)
        return NULL;
    char *at = t->text;
    t->host = memcpy(at, h, hl);
    at[hl] = '\0';
    at += hl + 1;
    t->port = memcpy(at, port, pl);
    at[pl] = '\0';
    at += pl + 1;
    t->path = strcpy(at, path);
    return t;
}

bool
wsc_hubd_webhook_url_valid(const char *url)
{
    if (url == NULL || url[0] == '\0')
        return true;
    struct target *t = parse_url(url);
    free(t);
    return t != NULL;
}

/* Connects to t within timeout_ms; -1 on failure. */
static int
dial(const struct target *t, unsigned timeout_ms)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(t->host, t->port, &hints, &res) != 0)
        return -1;
    int fd = -1;
    for (struct addrinfo *a = res; a != NULL && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol);
        if (fd < 0)
            continue;
        int err = 0;
        socklen_t el = sizeof(err);
        struct pollfd p = {.fd = fd, .events = POLLOUT};
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0 &&
            (errno != EINPROGRESS || poll(&p, 1, (int)timeout_ms) != 1 ||
             getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0 || err != 0)) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd >= 0) {
        /* The rest of the exchange is blocking with timeouts. */
        struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    }
    return fd;
}

static bool
send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* One POST of body to t; true on a 2xx answer. */
static bool
post_once(wsc_hubd_webhook *w, const struct target *t, const struct item *it, unsigned timeout_ms)
{
    int fd = dial(t, timeout_ms);
    if (fd < 0)
        return false;
    pthread_mutex_lock(&w->mu);
    bool stopping = w->stop;
    w->active_fd = fd;
    pthread_mutex_unlock(&w->mu);
    if (stopping)
        shutdown(fd, SHUT_RDWR);
    char head[1024];
    int hl = snprintf(head, sizeof(head),
                      "POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\nUser-Agent: wsc-hub\r\n\r\n",
                      t->path, t->host, t->port, it->len);
    char status[64] = "";
    size_t got = 0;
    if (hl > 0 && (size_t)hl < sizeof(head) && send_all(fd, head, (size_t)hl) &&
        send_all(fd, it->body, it->len)) {
        ssize_t n;
        while (got < sizeof(status) - 1 &&
               (n = recv(fd, status + got, sizeof(status) - 1 - got, 0)) > 0)
            got += (size_t)n;
    }
    pthread_mutex_lock(&w->mu);
    w->active_fd = -1;
    pthread_mutex_unlock(&w->mu);
    close(fd);
    status[got] = '\0';
    /* "HTTP/1.1 204 ..." */
    return got >= 12 && strncmp(status, "HTTP/1.", 7) == 0 && status[9] == '2';
}

/* Waits up to ms or until stop; true when stopping.  Called with mu held. */
static bool
pause_locked(wsc_hubd_webhook *w, unsigned ms)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += ms / 1000;
    until.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    while (!w->stop && pthread_cond_timedwait(&w->cv, &w->mu, &until) != ETIMEDOUT)
        ;
    return w->stop;
}

/* A copy of t (NULL for NULL or when out of memory). */
static struct target *
target_copy(const struct target *t)
{
    if (t == NULL)
        return NULL;
    size_t lh = strlen(t->host) + 1, lp = strlen(t->port) + 1, lq = strlen(t->path) + 1;
    struct target *c = malloc(sizeof(*c) + lh + lp + lq);
    if (c == NULL)
        return NULL;
    c->host = memcpy(c->text, t->host, lh);
    c->port = memcpy(c->text + lh, t->port, lp);
    c->path = memcpy(c->text + lh + lp, t->path, lq);
    return c;
}

/* Posts one item with retries; mu is held on entry and exit, released while posting. */
static void
deliver_locked(wsc_hubd_webhook *w, struct item *it)
{
    for (unsigned attempt = 0;; attempt++) {
        /* A copy: a reload may replace the target while the post is under way. */
        struct target *t = target_copy(w->target);
        unsigned timeout = w->timeout_ms, retries = w->retries;
        pthread_mutex_unlock(&w->mu);
        bool ok = t != NULL && post_once(w, t, it, timeout);
        free(t);
        pthread_mutex_lock(&w->mu);
        if (ok) {
            w->st.sent++;
            return;
        }
        unsigned backoff = attempt < 5 ? 250u << attempt : 8000u;
        if (attempt >= retries || pause_locked(w, backoff)) {
            w->st.failed++;
            return;
        }
    }
}

static void *
worker(void *arg)
{
    wsc_hubd_webhook *w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->stop) {
        if (w->head == NULL) {
            pthread_cond_wait(&w->cv, &w->mu);
            continue;
        }
        struct item *it = w->head;
        w->head = it->next;
        if (w->head == NULL)
            w->tail = NULL;
        w->n--;
        deliver_locked(w, it);
        free(it);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

wsc_err
wsc_hubd_webhook_new(wsc_hubd_webhook **out)
{
    *out = NULL;
    wsc_hubd_webhook *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return WSC_ERR_NOMEM;
    w->max_queue = 1;
    w->active_fd = -1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    if (pthread_create(&w->thread, NULL, worker, w) != 0) {
        pthread_cond_destroy(&w->cv);
        pthread_mutex_destroy(&w->mu);
        free(w);
        return WSC_ERR_IO;
    }
    *out = w;
    return WSC_OK;
}

wsc_err
wsc_hubd_webhook_configure(wsc_hubd_webhook *w, const char *url, size_t max_queue, unsigned retries,
                           unsigned timeout_ms)
{
    struct target *t = NULL;
    if (url != NULL && url[0] != '\0' && (t = parse_url(url)) == NULL)
        return WSC_ERR_INVALID;
    pthread_mutex_lock(&w->mu);
    free(w->target);
    w->target = t;
    w->max_queue = max_queue > 0 ? max_queue : 1;
    w->retries = retries;
    w->timeout_ms = timeout_ms > 0 ? timeout_ms : 1;
    pthread_mutex_unlock(&w->mu);
    return WSC_OK;
}

wsc_err
wsc_hubd_webhook_post(wsc_hubd_webhook *w, const char *body, size_t len)
{
    struct item *it = malloc(sizeof(*it) + len + 1);
    if (it == NULL)
        return WSC_ERR_NOMEM;
    it->next = NULL;
    it->len = len;
    memcpy(it->body, body, len);
    it->body[len] = '\0';
    pthread_mutex_lock(&w->mu);
    wsc_err e = w->target == NULL      ? WSC_ERR_STATE
                : w->n >= w->max_queue ? WSC_ERR_QUEUE_FULL
                                       : WSC_OK;
    if (e == WSC_OK) {
        if (w->tail != NULL)
            w->tail->next = it;
        else
            w->head = it;
        w->tail = it;
        w->n++;
        w->st.queued++;
        pthread_cond_signal(&w->cv);
    } else if (e == WSC_ERR_QUEUE_FULL) {
        w->st.dropped++;
    }
    pthread_mutex_unlock(&w->mu);
    if (e != WSC_OK)
        free(it);
    return e;
}

void
wsc_hubd_webhook_stats_get(wsc_hubd_webhook *w, wsc_hubd_webhook_stats *out)
{
    pthread_mutex_lock(&w->mu);
    *out = w->st;
    pthread_mutex_unlock(&w->mu);
}

void
wsc_hubd_webhook_free(wsc_hubd_webhook *w)
{
    if (w == NULL)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = true;
    if (w->active_fd >= 0)
        shutdown(w->active_fd, SHUT_RDWR); /* a hung receiver must not hold the exit */
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->thread, NULL);
    while (w->head != NULL) {
        struct item *it = w->head;
        w->head = it->next;
        free(it);
    }
    free(w->target);
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}
