/* SPDX-License-Identifier: MIT */
/* A message's delivery key (wsc_msg_key, include/wsc/msg.h): message_ids are scoped to their
 * sender (PROTOCOL.md §2), so offline stores keep a message under "<sender>\x1f<message_id>"
 * (or the bare message_id when there is no sender) and clients dedupe by the same; and a
 * user's key (wsc_user_key, include/wsc/hub.h): "<app_id>\x1f<user_id>", the same join. */
#include <string.h>

#include <wsc/hub.h>
#include <wsc/msg.h>

wsc_err
wsc_msg_key(const char *sender, const char *message_id, char *out, size_t cap)
{
    if (message_id == NULL || message_id[0] == '\0' || out == NULL)
        return WSC_ERR_INVALID;
    size_t ns = sender != NULL ? strlen(sender) : 0, nm = strlen(message_id);
    size_t need = (ns > 0 ? ns + 1 : 0) + nm + 1;
    if (need > cap)
        return WSC_ERR_TOO_LARGE;
    char *p = out;
    if (ns > 0) {
        memcpy(p, sender, ns);
        p += ns;
        *p++ = '\x1f';
    }
    memcpy(p, message_id, nm + 1);
    return WSC_OK;
}

wsc_err
wsc_user_key(const char *app_id, const char *user_id, char *out, size_t cap)
{
    return wsc_msg_key(app_id, user_id, out, cap); /* the same join: scope 0x1F id */
}

wsc_err
wsc_msg_key_of(const wsc_msg *msg, char *out, size_t cap)
{
    if (msg == NULL)
        return WSC_ERR_INVALID;
    return wsc_msg_key(wsc_msg_get(msg, WSC_F_SENDER), wsc_msg_get(msg, WSC_F_MESSAGE_ID), out,
                       cap);
}
