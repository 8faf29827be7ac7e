/* SPDX-License-Identifier: MIT */
/* libFuzzer target for wsc-hub's configuration file (examples/wsc-hub/config_json.c): any
 * bytes must load or be refused with a message, never crash or leak; a file that loads must
 * pass or fail wsc_hubd_config_check with a message, and map onto wsc_hub_config.  A refusal
 * must name its reason (the error buffer is not empty). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(bool ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_config: %s\n", what);
        abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wsc_hubd_config cfg;
    if (wsc_hubd_config_init(&cfg) != WSC_OK)
        return 0;
    char err[256] = "";
    wsc_err st = wsc_hubd_config_load_json(&cfg, (const char *)data, size, err, sizeof(err));
    if (st != WSC_OK && st != WSC_ERR_NOMEM)
        check(err[0] != '\0', "a refused file without a reason");
    if (st == WSC_OK) {
        err[0] = '\0';
        if (wsc_hubd_config_check(&cfg, err, sizeof(err)) != WSC_OK)
            check(err[0] != '\0', "a failed check without a reason");
        wsc_hub_config hc;
        wsc_hubd_config_to_hub(&cfg, &hc);
        check(hc.msg_limits.max_bytes == cfg.max_message_size, "to_hub lost max_message_size");
    }
    wsc_hubd_config_free(&cfg);
    return 0;
}
