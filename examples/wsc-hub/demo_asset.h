/* SPDX-License-Identifier: MIT */
/* The demo page's bytes, embedded at build time from demo_page.html (cmake/embed_file.cmake):
 * the page is built from clients/typescript/demo with `npm run build:demo` and committed, so the
 * C build needs no Node. */
#ifndef WSC_HUBD_DEMO_ASSET_H
#define WSC_HUBD_DEMO_ASSET_H

#include <stddef.h>

/** demo_page.html followed by a NUL. */
extern const unsigned char wsc_hubd_demo_html[];
/** Its length in bytes, without the NUL. */
extern const size_t wsc_hubd_demo_html_len;

#endif
