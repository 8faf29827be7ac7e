/* SPDX-License-Identifier: MIT */
/* Encoding a message as its wire text: compact JSON with the fields in one fixed order
 * (PROTOCOL.md §2), unset fields omitted.  The text is written by hand into one growing
 * buffer because encoding is on the hot path of every send; only a "data" object set through
 * the API goes through jansson (parsed "data" is copied as the text it arrived as).  Sending
 * encodes once into a buffer with WSC_PRE bytes of headroom and freezes the message. */
#include <string.h>

#include <jansson.h>

#include "models/alloc.h"
#include "models/msg_internal.h"
#include "models/msg_priv.h"
#include "models/swar.h"

/* A byte buffer that grows on demand; after a failed allocation it stops writing and
 * remembers the failure, so that callers check once at the end. */
struct wbuf {
    unsigned char *p;
    size_t len;
    size_t cap;
    bool failed;
};

/* The slots of the wire order that are not plain string fields. */
enum { SLOT_GROUPS = WSC_F_COUNT_, SLOT_DATA, SLOT_SEQ, SLOT_PRIO, SLOT_ACK };

struct slot {
    int what;        /* a wsc_msg_field or one of SLOT_* */
    const char *key; /* ,"name": */
    size_t key_len;
};

#define SLOT(what, name)                                     \
    {                                                        \
        what, ",\"" name "\":", sizeof(",\"" name "\":") - 1 \
    }

static const struct slot wire_order[] = {
    SLOT(WSC_F_ID, "id"),
    SLOT(WSC_F_MESSAGE_ID, "message_id"),
    SLOT(WSC_F_TYPE, "message_type"),
    SLOT(WSC_F_SENDER, "sender"),
    SLOT(WSC_F_SENDER_CLIENT, "sender_client"),
    SLOT(WSC_F_RECEIVER, "receiver"),
    SLOT(WSC_F_RECEIVER_CLIENT, "receiver_client"),
    SLOT(SLOT_GROUPS, "group_ids"),
    SLOT(WSC_F_BROADCAST_TYPE, "broadcast_type"),
    SLOT(WSC_F_CONTENT, "content"),
    SLOT(SLOT_DATA, "data"),
    SLOT(WSC_F_SESSION_ID, "session_id"),
    SLOT(WSC_F_TRACE_ID, "trace_id"),
    SLOT(WSC_F_REPLY_TO, "reply_to_msg_id"),
    SLOT(WSC_F_SENDER_NAME, "sender_name"),
    SLOT(WSC_F_RECEIVER_NAME, "receiver_name"),
    SLOT(WSC_F_CREATE_AT, "create_at"),
    SLOT(SLOT_SEQ, "seq_no"),
    SLOT(SLOT_PRIO, "priority"),
    SLOT(WSC_F_SOURCE, "source"),
    SLOT(SLOT_ACK, "require_ack"),
    SLOT(WSC_F_APP_ID, "app_id"),
    SLOT(WSC_F_NAMESPACE, "namespace"),
};

static bool
wb_grow(struct wbuf *b, size_t extra)
{
    if (b->failed)
        return false;
    size_t need = b->len + extra + 1; /* room for the final NUL */
    size_t cap = b->cap * 2 > need ? b->cap * 2 : need;
    unsigned char *p = wsc__realloc(b->p, cap);
    if (p == NULL) {
        b->failed = true;
        return false;
    }
    b->p = p;
    b->cap = cap;
    return true;
}

static inline void
wb_put(struct wbuf *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap && !wb_grow(b, n))
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static inline void
wb_putc(struct wbuf *b, char c)
{
    wb_put(b, &c, 1);
}

static void
wb_put_escape(struct wbuf *b, unsigned char c)
{
    /* JSON's two-character escapes; every other control character takes \u00XX. */
    static const char short_esc[] = {['"'] = '"',  ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
                                     ['\n'] = 'n', ['\r'] = 'r',  ['\t'] = 't'};
    static const char hex[] = "0123456789abcdef";
    if (c < sizeof(short_esc) && short_esc[c] != 0) {
        char pair[2] = {'\\', short_esc[c]};
        wb_put(b, pair, sizeof(pair));
        return;
    }
    char uni[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
    wb_put(b, uni, sizeof(uni));
}

/* Writes s as a JSON string.  s is valid UTF-8 (checked by the setters, or by jansson when
 * parsed), so only quotes, backslashes and control characters need escaping. */
static void
wb_put_jstr(struct wbuf *b, const char *s, size_t n)
{
    size_t run = 0;
    wb_putc(b, '"');
    for (size_t i = 0; i < n; i++) {
        /* Skip ordinary text a word at a time. */
        while (n - i >= 8 && !wsc__swar_json_special(wsc__swar_load(s + i)))
            i += 8;
        if (i == n)
            break;
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        wb_put(b, s + run, i - run);
        wb_put_escape(b, c);
        run = i + 1;
    }
    wb_put(b, s + run, n - run);
    wb_putc(b, '"');
}

static void
wb_put_int(struct wbuf *b, int64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);
    /* Negate in unsigned arithmetic so that INT64_MIN is fine. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0)
        tmp[--i] = '-';
    wb_put(b, tmp + i, sizeof(tmp) - i);
}

static int
dump_cb(const char *buffer, size_t size, void *data)
{
    struct wbuf *b = data;
    wb_put(b, buffer, size);
    return b->failed ? -1 : 0;
}

static void
wb_put_groups(struct wbuf *b, const wsc_msg *msg)
{
    wb_putc(b, '[');
    for (size_t i = 0; i < msg->group_count; i++) {
        if (i > 0)
            wb_putc(b, ',');
        wb_put_jstr(b, msg->groups[i], strlen(msg->groups[i]));
    }
    wb_putc(b, ']');
}

/* Writes the value of one slot; returns false when that slot is unset and must be omitted
 * (nothing has been written then). */
static bool
put_slot_value(struct wbuf *b, const wsc_msg *msg, const struct slot *s, size_t start)
{
    /* Every slot starts with its key; the comma is left out for the first one. */
    size_t skip = b->len == start ? 1 : 0;
    const char *str = NULL;
    switch (s->what) {
    case SLOT_GROUPS:
        if (msg->group_count == 0)
            return false;
        wb_put(b, s->key + skip, s->key_len - skip);
        wb_put_groups(b, msg);
        return true;
    case SLOT_DATA:
        if (msg->data == NULL && msg->data_raw == NULL)
            return false;
        wb_put(b, s->key + skip, s->key_len - skip);
        if (msg->data_raw != NULL)
            wb_put(b, msg->data_raw, msg->data_raw_len); /* validated and compact already */
        else if (json_dump_callback(msg->data, dump_cb, b, JSON_COMPACT) != 0)
            b->failed = true;
        return true;
    case SLOT_SEQ:
        if (!msg->has_seq_no)
            return false;
        wb_put(b, s->key + skip, s->key_len - skip);
        wb_put_int(b, msg->seq_no);
        return true;
    case SLOT_PRIO:
        if (msg->priority == WSC_PRIO_NORMAL)
            return false;
        str = wsc__msg_priority_name(msg->priority);
        break;
    case SLOT_ACK:
        if (!msg->require_ack)
            return false;
        wb_put(b, s->key + skip, s->key_len - skip);
        wb_put(b, "true", 4);
        return true;
    default:
        str = wsc_msg_get(msg, (wsc_msg_field)s->what);
        break;
    }
    if (str == NULL)
        return false;
    wb_put(b, s->key + skip, s->key_len - skip);
    wb_put_jstr(b, str, strlen(str));
    return true;
}

/* A first guess at the encoded size, so that small messages need a single allocation. */
static size_t
size_hint(const wsc_msg *msg)
{
    size_t n = 160;
    for (size_t i = 0; i < WSC_F_COUNT_; i++) {
        if (msg->fields[i] != NULL)
            n += strlen(msg->fields[i]) + 4;
    }
    for (size_t i = 0; i < msg->group_count; i++)
        n += strlen(msg->groups[i]) + 3;
    return msg->data != NULL ? n + 128 : n + msg->data_raw_len;
}

/* Encodes msg as JSON after headroom bytes; on success *b owns the buffer. */
static wsc_err
encode_text(const wsc_msg *msg, size_t headroom, struct wbuf *b)
{
    b->len = headroom;
    b->cap = headroom + size_hint(msg);
    b->failed = false;
    b->p = wsc__malloc(b->cap);
    if (b->p == NULL)
        return WSC_ERR_NOMEM;
    size_t start = headroom + 1;
    wb_putc(b, '{');
    for (size_t i = 0; i < sizeof(wire_order) / sizeof(wire_order[0]); i++)
        put_slot_value(b, msg, &wire_order[i], start);
    wb_putc(b, '}');
    if (b->failed) {
        wsc__free(b->p);
        b->p = NULL;
        return WSC_ERR_NOMEM;
    }
    b->p[b->len] = '\0';
    return WSC_OK;
}

wsc_err
wsc__json_dump(const json_t *value, wsc_buf *out)
{
    struct wbuf b = {.p = wsc__malloc(256), .len = 0, .cap = 256, .failed = false};
    if (b.p == NULL)
        return WSC_ERR_NOMEM;
    if (json_dump_callback(value, dump_cb, &b, JSON_COMPACT) != 0 || b.failed) {
        wsc__free(b.p);
        return WSC_ERR_NOMEM;
    }
    b.p[b.len] = '\0';
    out->data = (char *)b.p;
    out->len = b.len;
    return WSC_OK;
}

wsc_err
wsc_msg_to_json(const wsc_msg *msg, wsc_buf *out)
{
    if (out != NULL) {
        out->data = NULL;
        out->len = 0;
    }
    /* A binary message has no JSON form: its fields are never sent. */
    if (msg == NULL || out == NULL || msg->binary)
        return WSC_ERR_INVALID;
    size_t len = 0;
    const unsigned char *wire = wsc__msg_wire(msg, &len);
    if (wire != NULL) {
        /* Already encoded: hand out a copy of exactly the bytes that were sent. */
        char *copy = wsc__strndup((const char *)wire, len);
        if (copy == NULL)
            return WSC_ERR_NOMEM;
        out->data = copy;
        out->len = len;
        return WSC_OK;
    }
    struct wbuf b;
    wsc_err err = encode_text(msg, 0, &b);
    if (err == WSC_OK) {
        out->data = (char *)b.p;
        out->len = b.len;
    }
    return err;
}

/* The bytes msg holds now; wire_len is the encoded length (0 before a text message is
 * encoded). */
static size_t
held_now(const wsc_msg *msg, size_t wire_len)
{
    size_t n = sizeof(*msg) + msg->arena_cap;
    if (atomic_load_explicit(&msg->wire_buf, memory_order_relaxed) != NULL)
        n += WSC_PRE + wire_len + 1;
    for (int f = 0; f < WSC_F_COUNT_; f++) {
        if (msg->fields[f] != NULL && (msg->arena_fields & (1u << f)) == 0)
            n += strlen(msg->fields[f]) + 1;
    }
    for (size_t g = msg->arena_groups; g < msg->group_count; g++)
        n += strlen(msg->groups[g]) + 1 + sizeof(char *);
    if (msg->data_raw != NULL && !msg->data_raw_arena)
        n += msg->data_raw_len + 1;
    return n;
}

/* Encode-once on any number of threads without a lock: the fields do not change while a
 * message is being sent (msg.h), so every encoder makes the same bytes.  Each stores the
 * length, then tries to install its buffer; the first wins, the others free theirs.  frozen is
 * set last with release, so whoever sees it set (acquire) sees wire_buf and wire_len. */
wsc_err
wsc__msg_encode(wsc_msg *msg)
{
    if (msg == NULL)
        return WSC_ERR_INVALID;
    if (atomic_load_explicit(&msg->frozen, memory_order_acquire))
        return WSC_OK;
    if (!msg->binary) {
        struct wbuf b;
        wsc_err err = encode_text(msg, WSC_PRE, &b);
        if (err != WSC_OK)
            return err;
        atomic_store_explicit(&msg->wire_len, b.len - WSC_PRE, memory_order_relaxed);
        unsigned char *none = NULL;
        if (!atomic_compare_exchange_strong_explicit(&msg->wire_buf, &none, b.p,
                                                     memory_order_acq_rel, memory_order_acquire))
            wsc__free(b.p); /* another thread's identical bytes are in place */
    }
    atomic_store_explicit(&msg->held,
                          held_now(msg, atomic_load_explicit(&msg->wire_len, memory_order_relaxed)),
                          memory_order_relaxed);
    atomic_store_explicit(&msg->frozen, true, memory_order_release);
    return WSC_OK;
}

unsigned char *
wsc__msg_wire(const wsc_msg *msg, size_t *len)
{
    unsigned char *buf = NULL;
    if (msg != NULL && atomic_load_explicit(&msg->frozen, memory_order_acquire))
        buf = atomic_load_explicit(&msg->wire_buf, memory_order_relaxed);
    if (len != NULL)
        *len = buf ? atomic_load_explicit(&msg->wire_len, memory_order_relaxed) : 0;
    return buf ? buf + WSC_PRE : NULL;
}

size_t
wsc__msg_held(const wsc_msg *msg)
{
    if (msg == NULL)
        return 0;
    if (atomic_load_explicit(&msg->frozen, memory_order_acquire))
        return atomic_load_explicit(&msg->held, memory_order_relaxed);
    return held_now(msg, atomic_load_explicit(&msg->wire_len, memory_order_relaxed));
}
