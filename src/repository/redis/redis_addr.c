/* SPDX-License-Identifier: MIT */
/* The Redis server's address, resolved once when the store is opened, on the caller's thread:
 * name resolution blocks, and the loop never does, so every connect and reconnect on the loop
 * hands hiredis the numeric address (for which getaddrinfo parses and never looks anything up).
 * IPv4 first, as hiredis itself tries. */
#include <arpa/inet.h>
#include <netdb.h>
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
