/* SPDX-License-Identifier: MIT */
/* The reference for wsc_msg_parse: what jansson (json_loadb with JSON_REJECT_DUPLICATES) says
 * about the same text, for the differential test and the fuzz target. */
#ifndef WSC_TESTS_TPARSE_ORACLE_H
#define WSC_TESTS_TPARSE_ORACLE_H

#include <stddef.h>

/** Parses text (len bytes) with wsc_msg_parse (default limits but max_depth, which is raised
 *  to 64 so that jansson's verdict decides) and with jansson, and compares: both refuse, or
 *  jansson loads a non-object and the parser says "not a JSON object", or jansson loads an
 *  object and the parser accepts it with the same field values or refuses a field.  Returns
 *  NULL when they agree, else a static description of the disagreement. */
const char *tparse_compare(const char *text, size_t len);

#endif
