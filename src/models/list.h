/* SPDX-License-Identifier: MIT */
/* An intrusive circular doubly linked list (the head is a node of its own). */
#ifndef WSC_MODELS_LIST_H
#define WSC_MODELS_LIST_H

#include <stdbool.h>
#include <stddef.h>

struct wsc_list {
    struct wsc_list *prev, *next;
};

static inline void
wsc_list_init(struct wsc_list *head)
{
    head->prev = head->next = head;
}

static inline bool
wsc_list_empty(const struct wsc_list *head)
{
    return head->next == head;
}

static inline void
wsc_list_push_back(struct wsc_list *head, struct wsc_list *node)
{
    node->prev = head->prev;
    node->next = head;
    head->prev->next = node;
    head->prev = node;
}

static inline void
wsc_list_remove(struct wsc_list *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
    node->prev = node->next = node;
}

#define wsc_list_foreach(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)
#define wsc_list_foreach_safe(pos, tmp, head)                        \
    for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
         (pos) = (tmp), (tmp) = (pos)->next)

#endif
