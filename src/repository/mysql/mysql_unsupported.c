/* SPDX-License-Identifier: MIT */
/* The MySQL/MariaDB backend is not built yet: mysql:// URLs are recognised and refused with
 * WSC_ERR_UNSUPPORTED (docs/storage.md describes the planned worker-thread design). */
#include "repository/store_internal.h"

wsc_err
wsc__mysql_open(wsc_loop *loop, const char *url, const wsc_store_config *cfg, wsc_store **out)
{
    (void)loop;
    (void)url;
    (void)cfg;
    (void)out;
    return WSC_ERR_UNSUPPORTED;
}
