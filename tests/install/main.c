/* SPDX-License-Identifier: MIT */
/* A program outside the tree that uses the installed library (find_package and pkg-config). */
#include <stdio.h>
#include <string.h>

#include <wsc/wsc.h>

int
main(void)
{
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    printf("wsc %s: %s\n", wsc_version(), wsc_strerror(WSC_ERR_QUEUE_FULL));
    return strcmp(wsc_err_name(WSC_ERR_QUEUE_FULL), "QUEUE_FULL") == 0 ? 0 : 1;
}
