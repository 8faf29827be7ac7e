/* SPDX-License-Identifier: MIT */
/* Plumbing shared by the test peers tws and thttp: a growable byte buffer, non-blocking TCP
 * sockets on 127.0.0.0/8, and an incremental HTTP/1.1 response parser (Content-Length,
 * chunked, read-until-EOF).  Nothing here ever blocks. */
#ifndef WSC_TEST_TNET_H
#define WSC_TEST_TNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Bytes [off, len) of data are live; the buffer compacts itself as it is consumed. */
typedef struct tnet_buf {
    uint8_t *data;
    size_t off;
    size_t len;
    size_t cap;
} tnet_buf;

/** Appends n bytes.  Returns 0, or -1 when out of memory. */
int tnet_buf_append(tnet_buf *b, const void *p, size_t n);
/** Appends a NUL-terminated string (without the NUL). */
int tnet_buf_append_str(tnet_buf *b, const char *s);
/** Makes room for n more bytes and returns where they go (NULL when out of memory); the
 *  caller then adds what it wrote to b->len. */
uint8_t *tnet_buf_reserve(tnet_buf *b, size_t n);
/** Drops n bytes from the front. */
void tnet_buf_consume(tnet_buf *b, size_t n);
/** First live byte and number of live bytes. */
uint8_t *tnet_buf_begin(const tnet_buf *b);
size_t tnet_buf_size(const tnet_buf *b);
/** Releases the memory; the buffer is empty and reusable afterwards. */
void tnet_buf_free(tnet_buf *b);

/** Starts a non-blocking TCP connect to 127.0.0.1:port, bound first to src_ip (any address
 *  of 127.0.0.0/8, port chosen at connect time) unless src_ip is NULL.  Returns the fd, or
 *  -1 with errno set. */
int tnet_connect(const char *src_ip, int port);
/** Whether a connect started by tnet_connect has completed: 1 connected, 0 still under
 *  way, -1 failed (errno holds the reason, e.g. ECONNREFUSED). */
int tnet_check_connected(int fd);
/** Writes as much of out as the socket takes now.  Returns 0 (maybe with bytes left over),
 *  or -1 with errno set on a hard error (EPIPE, ECONNRESET, ...). */
int tnet_flush(int fd, tnet_buf *out);
/** Reads everything available now into in; sets *eof when the peer has shut down its side.
 *  Returns 0, or -1 with errno set on a hard error. */
int tnet_read(int fd, tnet_buf *in, bool *eof);

enum tnet_resp_result { TNET_RESP_BAD = -1, TNET_RESP_MORE = 0, TNET_RESP_DONE = 1 };

/** One parsed HTTP response.  Zero-initialise before use; release with tnet_resp_free. */
typedef struct tnet_resp {
    int status;    /* 0 until the status line is parsed */
    char **names;  /* header names as received */
    char **values; /* header values, surrounding blanks removed */
    size_t nheaders;
    tnet_buf body;      /* decoded body (chunking removed), always NUL-terminated when done */
    int phase;          /* private */
    uint64_t remaining; /* private: bytes left in the body or the current chunk */
} tnet_resp;

/** Parses what it can from the front of in, consuming it.  Returns TNET_RESP_DONE once the
 *  response is complete (for 101, 204 and 304 right after the head; what follows the head
 *  is left in in), TNET_RESP_MORE when more bytes are needed, TNET_RESP_BAD when the
 *  response is malformed or the head is larger than 64 KiB. */
int tnet_resp_parse(tnet_resp *r, tnet_buf *in);
/** Tells the parser the peer closed the connection.  Returns TNET_RESP_DONE when that ends
 *  a complete response (a body read until EOF), TNET_RESP_BAD otherwise. */
int tnet_resp_eof(tnet_resp *r);
/** Value of the first header called name (case-insensitive), or NULL.  Borrowed until
 *  tnet_resp_free. */
const char *tnet_resp_header(const tnet_resp *r, const char *name);
/** True when the status line and all headers have been parsed. */
bool tnet_resp_has_head(const tnet_resp *r);
/** Releases everything r holds. */
void tnet_resp_free(tnet_resp *r);

#endif
