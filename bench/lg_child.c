/* SPDX-License-Identifier: MIT */
/* One load generator child: opens its share of the connections from source addresses spread
 * over 127.0.0.2-254, completes the upgrades, then receives (and, for echo, ack and p2p,
 * sends) on one epoll loop.  It reports up its pipe and obeys one-byte commands from the
 * parent: 'G' start sending, 'S' send the final record and exit. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lg.h"
#include "lg_seq.h"
#include "lg_ws.h"

#define RBUF (256 * 1024)

enum { C_IDLE, C_CONNECTING, C_UPGRADING, C_OPEN, C_CLOSED };

struct conn {
    int fd;
    uint8_t state;
    uint8_t ready;
    uint32_t idx; /* global connection index */
    uint32_t seq;
    unsigned char *pend; /* bytes of an incomplete frame (or handshake) */
    uint32_t pend_len;
    unsigned char *out; /* bytes the socket did not take yet */
    uint32_t out_len;
    uint64_t sent_ns;
    lg_seen seen; /* --count: sequence numbers received */
};

struct child {
    const lg_opts *o;
    unsigned k, n;
    int ep, up, cmd;
    struct conn *c;
    unsigned next_open, inflight, ready, failed, closed;
    uint64_t t_first, t_last_ready, t_start;
    bool going, reported_ready;
    uint64_t go_end_ns;
    uint64_t frames, payloads, replies, sent, rounds_done, round_size;
    uint64_t last_payload_ns;
    lg_hist hist;
    lg_counts counts;
    unsigned char rbuf[RBUF];
};

static void
up(struct child *ch, const lg_rec *r, const void *extra, size_t extra_len)
{
    if (write(ch->up, r, sizeof(*r)) != (ssize_t)sizeof(*r))
        _exit(3);
    const char *p = extra;
    while (extra_len > 0) {
        ssize_t w = write(ch->up, p, extra_len);
        if (w <= 0)
            _exit(3);
        p += w;
        extra_len -= (size_t)w;
    }
}

static void
user_of(const lg_opts *o, uint32_t idx, bool partner, char *out, size_t cap)
{
    uint32_t u = idx / o->conns_per_user;
    if (partner)
        u ^= 1u;
    snprintf(out, cap, "%s%u", o->user_prefix, u);
}

static void
conn_close(struct child *ch, struct conn *c, bool by_server)
{
    if (c->state == C_CLOSED)
        return;
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    if (c->state == C_CONNECTING || c->state == C_UPGRADING) {
        ch->failed++;
        ch->inflight--;
    } else if (by_server) {
        ch->closed++;
    }
    c->state = C_CLOSED;
    free(c->pend);
    free(c->out);
    lg_seen_free(&c->seen);
    c->pend = c->out = NULL;
    c->pend_len = c->out_len = 0;
}

static void
conn_send(struct child *ch, struct conn *c, const unsigned char *p, size_t len)
{
    if (c->state != C_OPEN)
        return;
    if (c->out_len == 0) {
        ssize_t w = send(c->fd, p, len, MSG_NOSIGNAL);
        if (w == (ssize_t)len)
            return;
        if (w < 0 && errno != EAGAIN) {
            conn_close(ch, c, true);
            return;
        }
        if (w > 0) {
            p += w;
            len -= (size_t)w;
        }
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
        epoll_ctl(ch->ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
    unsigned char *nb = realloc(c->out, c->out_len + len);
    if (nb == NULL)
        _exit(4);
    memcpy(nb + c->out_len, p, len);
    c->out = nb;
    c->out_len += (uint32_t)len;
}

/* One message of the running scenario from c. */
static void
send_msg(struct child *ch, struct conn *c)
{
    const lg_opts *o = ch->o;
    char stamp[70000], body[72000];
    unsigned char frame[72100];
    uint64_t now = lg_now_ns();
    lg_stamp(stamp, o->size, now);
    if (o->count)
        lg_tag(stamp, o->size, c->idx, c->seq);
    size_t len;
    if (!o->proto_wsc) {
        len = o->size;
        memcpy(body, stamp, len);
    } else {
        char user[64];
        user_of(o, c->idx, o->scenario == SC_P2P, user, sizeof(user));
        if (o->scenario == SC_ACK)
            len = (size_t)snprintf(body, sizeof(body),
                                   "{\"receiver\":\"%s\",\"message_id\":\"m%u-%u\","
                                   "\"require_ack\":true,\"content\":\"%s\"}",
                                   user, c->idx, c->seq, stamp);
        else
            len = (size_t)snprintf(body, sizeof(body), "{\"receiver\":\"%s\",\"content\":\"%s\"}",
                                   user, stamp);
    }
    c->seq++;
    c->sent_ns = now;
    size_t flen = lg_ws_frame(frame, LG_OP_TEXT, body, len, (uint32_t)random());
    conn_send(ch, c, frame, flen);
    ch->sent++;
}

static void
conn_ready(struct child *ch, struct conn *c)
{
    if (c->ready)
        return;
    c->ready = 1;
    ch->ready++;
    ch->inflight--;
    ch->t_last_ready = lg_now_ns();
}

static void
on_frame(struct child *ch, struct conn *c, const lg_frame *f)
{
    const lg_opts *o = ch->o;
    if (f->opcode == LG_OP_PING) {
        unsigned char fr[140];
        conn_send(ch, c, fr,
                  lg_ws_frame(fr, LG_OP_PONG, f->payload, f->len < 125 ? f->len : 125,
                              (uint32_t)random()));
        return;
    }
    if (f->opcode == LG_OP_CLOSE) {
        conn_close(ch, c, true);
        return;
    }
    ch->frames++;
    conn_ready(ch, c);
    uint64_t now = lg_now_ns();
    if (o->scenario == SC_ACK) {
        if (f->len > 20 && memmem(f->payload, f->len, "\"message_type\":\"ack\"", 20) != NULL) {
            if (ch->going && now < ch->go_end_ns) {
                ch->replies++;
                lg_hist_add(&ch->hist, (now - c->sent_ns) / 1000);
            }
            if (ch->going && now < ch->go_end_ns)
                send_msg(ch, c);
        }
        return;
    }
    uint64_t ts = lg_find_stamp(f->payload, f->len);
    if (ts == 0)
        return;
    ch->payloads++;
    ch->last_payload_ns = now;
    if (o->count)
        lg_count(&ch->counts, &c->seen, o->scenario == SC_P2P ? c->idx ^ 1u : LG_PUB_SENDER,
                 f->payload, f->len);
    lg_hist_add(&ch->hist, now > ts ? (now - ts) / 1000 : 0);
    if (o->scenario == SC_ECHO) {
        if (ch->going && now < ch->go_end_ns)
            ch->replies++;
        if (ch->going && now < ch->go_end_ns)
            send_msg(ch, c);
    }
    if (ch->round_size > 0 && ch->payloads == (ch->rounds_done + 1) * ch->round_size) {
        ch->rounds_done++;
        lg_rec r = {.type = REC_ROUND, .child = (int32_t)ch->k};
        r.v[0] = ch->rounds_done;
        r.v[1] = now;
        up(ch, &r, NULL, 0);
    }
}

/* Consumes what has arrived on c: the 101 answer first, then frames. */
static void
on_bytes(struct child *ch, struct conn *c, unsigned char *buf, size_t len)
{
    size_t off = 0;
    if (c->state == C_UPGRADING) {
        unsigned char *end = memmem(buf, len, "\r\n\r\n", 4);
        if (end == NULL) {
            if (len > 4096) {
                conn_close(ch, c, false);
                return;
            }
            goto keep;
        }
        if (len < 12 || memcmp(buf + 9, "101", 3) != 0) {
            conn_close(ch, c, false);
            return;
        }
        c->state = C_OPEN;
        if (!ch->o->proto_wsc)
            conn_ready(ch, c);
        off = (size_t)(end + 4 - buf);
    }
    while (off < len && c->state == C_OPEN) {
        lg_frame f;
        long n = lg_ws_parse(buf + off, len - off, &f);
        if (n < 0) {
            conn_close(ch, c, true);
            return;
        }
        if (n == 0)
            break;
        off += (size_t)n;
        on_frame(ch, c, &f);
    }
    if (c->state == C_CLOSED)
        return;
keep:
    if (off < len) {
        unsigned char *p = malloc(len - off);
        if (p == NULL)
            _exit(4);
        memcpy(p, buf + off, len - off);
        free(c->pend);
        c->pend = p;
        c->pend_len = (uint32_t)(len - off);
    } else {
        free(c->pend);
        c->pend = NULL;
        c->pend_len = 0;
    }
}

static void
on_readable(struct child *ch, struct conn *c)
{
    size_t have = c->pend_len;
    if (have > 0)
        memcpy(ch->rbuf, c->pend, have);
    ssize_t r = recv(c->fd, ch->rbuf + have, RBUF - have, 0);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
        conn_close(ch, c, true);
        return;
    }
    if (r < 0)
        return;
    on_bytes(ch, c, ch->rbuf, have + (size_t)r);
}

static void
on_writable(struct child *ch, struct conn *c)
{
    if (c->state == C_CONNECTING) {
        int err = 0;
        socklen_t el = sizeof(err);
        getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
        if (err != 0) {
            conn_close(ch, c, false);
            return;
        }
        char req[512], user[64];
        user_of(ch->o, c->idx, false, user, sizeof(user));
        size_t n = lg_ws_request(req, sizeof(req), ch->o->host, lg_port_of(ch->o, c->idx),
                                 ch->o->path, user);
        if (send(c->fd, req, n, MSG_NOSIGNAL) != (ssize_t)n) {
            conn_close(ch, c, false);
            return;
        }
        c->state = C_UPGRADING;
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ch->ep, EPOLL_CTL_MOD, c->fd, &ev);
        return;
    }
    if (c->out_len > 0) {
        ssize_t w = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN) {
            conn_close(ch, c, true);
            return;
        }
        if (w > 0) {
            memmove(c->out, c->out + w, c->out_len - (size_t)w);
            c->out_len -= (uint32_t)w;
        }
    }
    if (c->out_len == 0) {
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
        epoll_ctl(ch->ep, EPOLL_CTL_MOD, c->fd, &ev);
    }
}

static void
open_one(struct child *ch, struct conn *c)
{
    const lg_opts *o = ch->o;
    if (ch->t_first == 0)
        ch->t_first = lg_now_ns();
    ch->inflight++;
    c->state = C_CONNECTING;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c->fd < 0) {
        conn_close(ch, c, false);
        return;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl((127u << 24) | (2u + c->idx % 253u));
    struct sockaddr_in dst = {.sin_family = AF_INET,
                              .sin_port = htons((uint16_t)lg_port_of(o, c->idx))};
    inet_pton(AF_INET, o->host, &dst.sin_addr);
    if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) < 0 ||
        (connect(c->fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS)) {
        conn_close(ch, c, false);
        return;
    }
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(ch->ep, EPOLL_CTL_ADD, c->fd, &ev);
}

/* Opens as many connections as the rate and the in-flight cap allow now. */
static void
open_more(struct child *ch)
{
    const lg_opts *o = ch->o;
    uint64_t now = lg_now_ns();
    double rate = o->conn_rate > 0 ? o->conn_rate / o->procs : 0;
    while (ch->next_open < ch->n && ch->inflight < o->inflight) {
        if (rate > 0 && (double)(now - ch->t_start) / 1e9 * rate < ch->next_open)
            break;
        open_one(ch, &ch->c[ch->next_open++]);
    }
}

static void
final_and_exit(struct child *ch)
{
    lg_rec r = {.type = REC_FINAL, .child = (int32_t)ch->k};
    r.v[0] = ch->ready;
    r.v[1] = ch->failed;
    r.v[2] = ch->closed;
    r.v[3] = ch->frames;
    r.v[4] = ch->payloads;
    r.v[5] = ch->replies;
    r.v[6] = ch->sent;
    r.v[7] = ch->counts.dups;
    r.v[8] = ch->counts.unique;
    r.v[9] = ch->counts.foreign;
    up(ch, &r, &ch->hist, sizeof(ch->hist));
    _exit(0);
}

/* p2p: sends what the schedule owes by now, round robin over the open connections. */
static void
pace(struct child *ch, unsigned *rr)
{
    const lg_opts *o = ch->o;
    uint64_t now = lg_now_ns();
    if (now >= ch->go_end_ns || ch->ready == 0)
        return;
    double rate = o->msg_rate * (double)ch->n / (double)o->conns;
    uint64_t owed =
        (uint64_t)((double)(now - (ch->go_end_ns - (uint64_t)(o->duration_s * 1e9))) / 1e9 * rate);
    for (unsigned tries = 0; ch->sent < owed && tries < ch->n * 2; tries++) {
        struct conn *c = &ch->c[(*rr)++ % ch->n];
        if (c->state == C_OPEN && c->ready)
            send_msg(ch, c);
    }
}

static void
on_command(struct child *ch, char cmd)
{
    if (cmd == 'S')
        final_and_exit(ch);
    if (cmd != 'G' || ch->going)
        return;
    ch->going = true;
    ch->go_end_ns = lg_now_ns() + (uint64_t)(ch->o->duration_s * 1e9);
    if (ch->o->scenario == SC_ECHO || ch->o->scenario == SC_ACK) {
        for (unsigned i = 0; i < ch->n; i++) {
            if (ch->c[i].state == C_OPEN && ch->c[i].ready)
                send_msg(ch, &ch->c[i]);
        }
    }
}

void
lg_child_run(const lg_opts *o, unsigned k, int up_fd, int cmd_fd)
{
    struct child *ch = calloc(1, sizeof(*ch));
    if (ch == NULL)
        _exit(4);
    ch->o = o;
    ch->k = k;
    ch->up = up_fd;
    ch->cmd = cmd_fd;
    ch->n = o->conns / o->procs + (k < o->conns % o->procs ? 1 : 0);
    ch->c = calloc(ch->n ? ch->n : 1, sizeof(struct conn));
    ch->ep = epoll_create1(0);
    srandom(k * 7919u + 1u);
    for (unsigned i = 0; i < ch->n; i++) {
        ch->c[i].fd = -1;
        ch->c[i].idx = k + i * o->procs;
    }
    struct epoll_event cev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ch->ep, EPOLL_CTL_ADD, cmd_fd, &cev);
    ch->t_start = lg_now_ns();
    struct epoll_event evs[512];
    unsigned rr = 0;
    for (;;) {
        open_more(ch);
        if (!ch->reported_ready && ch->ready + ch->failed == ch->n) {
            ch->reported_ready = true;
            ch->round_size = (uint64_t)o->n * ch->ready;
            lg_rec r = {.type = REC_READY, .child = (int32_t)k};
            r.v[0] = ch->ready;
            r.v[1] = ch->failed;
            r.v[2] = ch->t_first;
            r.v[3] = ch->t_last_ready;
            up(ch, &r, NULL, 0);
        }
        int timeout = ch->going && o->scenario == SC_P2P ? 1 : 50;
        int n = epoll_wait(ch->ep, evs, 512, timeout);
        for (int i = 0; i < n; i++) {
            struct conn *c = evs[i].data.ptr;
            if (c == NULL) {
                char cmd = 'S';
                if (read(cmd_fd, &cmd, 1) <= 0)
                    cmd = 'S'; /* the parent is gone */
                on_command(ch, cmd);
                continue;
            }
            if (evs[i].events & (EPOLLOUT))
                on_writable(ch, c);
            if (c->state != C_CLOSED && (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
                on_readable(ch, c);
        }
        if (ch->going && o->scenario == SC_P2P)
            pace(ch, &rr);
    }
}
