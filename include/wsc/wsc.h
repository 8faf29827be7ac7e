/* SPDX-License-Identifier: MIT */
/* The umbrella header: everything of wsc's public API. */
#ifndef WSC_WSC_H
#define WSC_WSC_H

#include <wsc/client.h>
#include <wsc/common.h>
#include <wsc/conn.h>
#include <wsc/error.h>
#include <wsc/http.h>
#include <wsc/hub.h>
#include <wsc/log.h>
#include <wsc/loop.h>
#include <wsc/msg.h>
#include <wsc/reliability.h>
#include <wsc/repository.h>
#include <wsc/store.h>

#endif
