/* SPDX-License-Identifier: MIT */
#include "repository/store_internal.h"
wsc_err
wsc__redis_open(wsc_loop *loop, const char *url, const wsc_store_config *cfg, wsc_store **out)
{
    (void)loop;
    (void)url;
    (void)cfg;
    (void)out;
    return WSC_ERR_UNSUPPORTED;
}
wsc_err
wsc__mysql_open(wsc_loop *loop, const char *url, const wsc_store_config *cfg, wsc_store **out)
{
    (void)loop;
    (void)url;
    (void)cfg;
    (void)out;
    return WSC_ERR_UNSUPPORTED;
}
