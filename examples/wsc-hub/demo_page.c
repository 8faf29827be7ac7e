/* SPDX-License-Identifier: MIT */
/* The demo chat page served at / by wsc-hub.  The page is demo_page.html, built from
 * clients/typescript/demo (the TypeScript client and a chat UI in one self-contained file) and
 * embedded at build time (demo_asset.h); the hub only splices its WebSocket path into it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "demo_asset.h"

/* Where the page wants the WebSocket path: inside a JavaScript string literal. */
#define PLACEHOLDER "@WSC_WS_PATH@"

/* True for the bytes written as they are inside the page's JavaScript string: not the quote,
 * the backslash, '<' (no "</script>"), controls or DEL. */
static int
plain_byte(unsigned char c)
{
    return c >= 0x20 && c != 0x7f && c != '"' && c != '\\' && c != '<';
}

/* Length of ws_path once escaped for a JavaScript string (\xHH for what is not plain). */
static size_t
escaped_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += plain_byte((unsigned char)*s) ? 1 : 4;
    return n;
}

static char *
write_escaped(char *p, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (plain_byte(c)) {
            *p++ = (char)c;
        } else {
            snprintf(p, 5, "\\x%02x", c);
            p += 4;
        }
    }
    return p;
}

char *
wsc_hubd_demo_page(const char *ws_path, size_t *len)
{
    const char *html = (const char *)wsc_hubd_demo_html;
    const char *at = strstr(html, PLACEHOLDER);
    if (at == NULL)
        return NULL; /* the build embedded a page without its placeholder */
    if (ws_path == NULL)
        ws_path = "/ws";
    size_t head = (size_t)(at - html);
    size_t tail = wsc_hubd_demo_html_len - head - strlen(PLACEHOLDER);
    size_t total = head + escaped_len(ws_path) + tail;
    char *page = malloc(total + 1);
    if (page == NULL)
        return NULL;
    memcpy(page, html, head);
    char *p = write_escaped(page + head, ws_path);
    memcpy(p, at + strlen(PLACEHOLDER), tail);
    page[total] = '\0';
    *len = total;
    return page;
}
