/* SPDX-License-Identifier: MIT */
/* An object's last-error text (models/errtext.h). */
#include "models/errtext.h"

#include <stdarg.h>
#include <stdio.h>

void
wsc__errtext_set(wsc__errtext *e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->text, sizeof(e->text), fmt, ap);
    va_end(ap);
}
