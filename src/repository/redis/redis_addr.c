/* SPDX-License-Identifier: MIT */
/* The Redis server's URL (redis://, or redis+cluster:// for a Redis Cluster's seed nodes) and its
 * address, resolved once when the store is opened, on the caller's thread:
 * name resolution blocks, and the loop never does, so every connect and reconnect on the loop
 * hands hiredis the numeric address (for which getaddrinfo parses and never looks anything up).
 * IPv4 first, as hiredis itself tries. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "repository/redis/redis_internal.h"

static int
numeric(const struct addrinfo *ai, char *out, size_t cap)
{
    return getnameinfo(ai->ai_addr, ai->ai_addrlen, out, (socklen_t)cap, NULL, 0, NI_NUMERICHOST);
}

wsc_err
wsc__rs_resolve(struct redis_store *rs)
{
    static const int families[] = {AF_INET, AF_INET6};
    int rc = EAI_NONAME;
    for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof(hints));
        hints.ai_family = families[i];
        hints.ai_socktype = SOCK_STREAM;
        rc = getaddrinfo(rs->host, NULL, &hints, &res);
        if (rc == 0)
            rc = numeric(res, rs->addr, sizeof(rs->addr));
        if (res != NULL)
            freeaddrinfo(res);
        if (rc == 0)
            return WSC_OK;
    }
    /* The store is not made, so there is no last error to keep the resolver's text in. */
    return rc == EAI_MEMORY ? WSC_ERR_NOMEM : WSC_ERR_IO;
}

/* redis://[:password@]host[:port][/db] */
wsc_err
wsc__rs_parse_url(struct redis_store *rs, const char *url)
{
    const char *p = url + strlen("redis://");
    const char *at = strrchr(p, '@');
    rs->port = 6379;
    if (at != NULL) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        const char *pw = colon ? colon + 1 : p;
        if ((size_t)(at - pw) >= sizeof(rs->password))
            return WSC_ERR_INVALID;
        memcpy(rs->password, pw, (size_t)(at - pw));
        p = at + 1;
    }
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || hl >= sizeof(rs->host))
        return WSC_ERR_INVALID;
    memcpy(rs->host, p, hl);
    p += hl;
    char *end;
    if (*p == ':') {
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port <= 0 || port > 65535)
            return WSC_ERR_INVALID;
        rs->port = (int)port;
        p = end;
    }
    if (*p == '/' && p[1] != '\0') {
        long db = strtol(p + 1, &end, 10);
        if (*end != '\0' || db < 0 || db > 1000)
            return WSC_ERR_INVALID;
        rs->db = (int)db;
    } else if (*p != '\0' && strcmp(p, "/") != 0) {
        return WSC_ERR_INVALID;
    }
    return WSC_OK;
}

/* One "host[:port]" of len bytes into seed i of out. */
static wsc_err
parse_seed(const char *p, size_t len, struct rs_seeds *out)
{
    const char *colon = memchr(p, ':', len);
    size_t hl = colon != NULL ? (size_t)(colon - p) : len;
    if (out->n == RS_MAX_SEEDS || hl == 0 || hl >= sizeof(out->host[0]))
        return WSC_ERR_INVALID;
    memcpy(out->host[out->n], p, hl);
    out->host[out->n][hl] = '\0';
    long port = 6379;
    if (colon != NULL) {
        char digits[8] = {0}, *end;
        size_t dl = len - hl - 1;
        if (dl == 0 || dl >= sizeof(digits))
            return WSC_ERR_INVALID;
        memcpy(digits, colon + 1, dl);
        port = strtol(digits, &end, 10);
        if (*end != '\0' || port <= 0 || port > 65535)
            return WSC_ERR_INVALID;
    }
    out->port[out->n++] = (int)port;
    return WSC_OK;
}

/* redis+cluster://host[:port][,host[:port]...][/][?password=PW]: no user, no database (a Redis
 * Cluster has only database 0); the password may contain any byte but '&'. */
wsc_err
wsc__rs_parse_cluster_url(const char *url, struct rs_seeds *out)
{
    memset(out, 0, sizeof(*out));
    const char *p = url + strlen("redis+cluster://");
    size_t all = strcspn(p, "/?");
    for (const char *q = p; q < p + all;) {
        size_t one = strcspn(q, ",/?");
        if (parse_seed(q, one, out) != WSC_OK)
            return WSC_ERR_INVALID;
        q += one + (q[one] == ',' ? 1 : 0);
        if (q[-1] == ',' && q == p + all)
            return WSC_ERR_INVALID; /* a trailing comma */
    }
    p += all;
    if (*p == '/')
        p++;
    if (*p == '?') {
        const char *pw = p + 1;
        size_t pl = strcspn(pw, "&");
        if (strncmp(pw, "password=", 9) != 0 || pw[pl] != '\0' || pl - 9 >= sizeof(out->password))
            return WSC_ERR_INVALID;
        memcpy(out->password, pw + 9, pl - 9);
        p = pw + pl;
    }
    return out->n > 0 && *p == '\0' ? WSC_OK : WSC_ERR_INVALID;
}
