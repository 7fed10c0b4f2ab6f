// include/linux/list.h: the kernel's circular doubly linked list with a sentinel head. Each
// operation is the kernel's plain stores in the kernel's order, each a step of its own: code
// that changes a list under its lock is safe, code that does not is a race the search shows.
// list_del leaves the entry's pointers NULL where the kernel poisons them (LIST_POISON1/2), so
// a second list_del or a walk through a deleted entry is a NULL dereference.
#include <linux/compiler.h>

/// include/linux/types.h: a link of a list, or the list's head.
struct list_head { struct list_head *next; struct list_head *prev; };

/// include/linux/list.h: static initializer of an empty list head name.
#define LIST_HEAD_INIT(name) { &(name), &(name) }

/// include/linux/list.h: define an empty list head name.
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

/// include/linux/list.h: make the list empty (both pointers at itself).
void INIT_LIST_HEAD(struct list_head *list) {
    WRITE_ONCE(list->next, list);
    WRITE_ONCE(list->prev, list);
}

/// include/linux/list.h: link new between prev and next (four stores, in the kernel's order).
void __list_add(struct list_head *new, struct list_head *prev, struct list_head *next) {
    next->prev = new;
    new->next = next;
    new->prev = prev;
    WRITE_ONCE(prev->next, new);
}

/// include/linux/list.h: insert new right after head (a stack).
void list_add(struct list_head *new, struct list_head *head) {
    __list_add(new, head, head->next);
}

/// include/linux/list.h: insert new right before head, at the tail (a queue).
void list_add_tail(struct list_head *new, struct list_head *head) {
    __list_add(new, head->prev, head);
}

/// include/linux/list.h: join prev and next, dropping what lay between them.
void __list_del(struct list_head *prev, struct list_head *next) {
    next->prev = prev;
    WRITE_ONCE(prev->next, next);
}

/// include/linux/list.h: unlink entry, leaving its own pointers as they were.
void __list_del_entry(struct list_head *entry) {
    __list_del(entry->prev, entry->next);
}

/// include/linux/list.h: unlink entry and poison its pointers (NULL here).
void list_del(struct list_head *entry) {
    __list_del_entry(entry);
    entry->next = NULL;
    entry->prev = NULL;
}

/// include/linux/list.h: unlink entry and make it an empty list, so a second list_del_init is harmless.
void list_del_init(struct list_head *entry) {
    __list_del_entry(entry);
    INIT_LIST_HEAD(entry);
}

/// include/linux/list.h: move list from its list to right after head.
void list_move(struct list_head *list, struct list_head *head) {
    __list_del_entry(list);
    list_add(list, head);
}

/// include/linux/list.h: move list from its list to the tail of head.
void list_move_tail(struct list_head *list, struct list_head *head) {
    __list_del_entry(list);
    list_add_tail(list, head);
}

/// include/linux/list.h: 1 when the list is empty (one load of head->next).
int list_empty(struct list_head *head) {
    return READ_ONCE(head->next) == head;
}

/// include/linux/list.h: list_empty that is safe without the lock against list_del_init only (two loads).
int list_empty_careful(struct list_head *head) {
    struct list_head *next = READ_ONCE(head->next);
    return next == head && next == READ_ONCE(head->prev);
}

/// include/linux/list.h: 1 when list is the last entry of head.
int list_is_last(struct list_head *list, struct list_head *head) {
    return list->next == head;
}

/// include/linux/list.h: 1 when the list has exactly one entry.
int list_is_singular(struct list_head *head) {
    return !list_empty(head) && head->next == head->prev;
}

/// include/linux/list.h: put new where old was in old's list.
void list_replace(struct list_head *old, struct list_head *new) {
    new->next = old->next;
    new->next->prev = new;
    new->prev = old->prev;
    new->prev->next = new;
}

/// include/linux/list.h: join the entries of list between prev and next.
void __list_splice(struct list_head *list, struct list_head *prev, struct list_head *next) {
    struct list_head *first = list->next;
    struct list_head *last = list->prev;
    first->prev = prev;
    prev->next = first;
    last->next = next;
    next->prev = last;
}

/// include/linux/list.h: join the entries of list right after head; list itself is left stale.
void list_splice(struct list_head *list, struct list_head *head) {
    if (!list_empty(list))
        __list_splice(list, head, head->next);
}

/// include/linux/list.h: join the entries of list before head (at its tail); list is left stale.
void list_splice_tail(struct list_head *list, struct list_head *head) {
    if (!list_empty(list))
        __list_splice(list, head->prev, head);
}

/// include/linux/list.h: list_splice, then make list empty.
void list_splice_init(struct list_head *list, struct list_head *head) {
    if (!list_empty(list)) {
        __list_splice(list, head, head->next);
        INIT_LIST_HEAD(list);
    }
}

/// include/linux/list.h: list_splice_tail, then make list empty.
void list_splice_tail_init(struct list_head *list, struct list_head *head) {
    if (!list_empty(list)) {
        __list_splice(list, head->prev, head);
        INIT_LIST_HEAD(list);
    }
}

/// include/linux/list.h: walk the links of head: pos is each entry's list_head in turn.
#define list_for_each(pos, head) for (pos = (head)->next; pos != (head); pos = pos->next)

/// include/linux/list.h: list_for_each that may delete pos: n holds the next link, loaded before the body.
#define list_for_each_safe(pos, n, head) for (pos = (head)->next, n = pos->next; pos != (head); pos = n, n = pos->next)

// The walks over entries. The kernel's list_for_each_entry ends with pos = container_of(head),
// an "entry" around the head that no object holds: C does not allow that pointer (its arithmetic
// leaves the head's object) and KC's container_of faults on it. Here the walks stop before it
// and leave pos NULL instead, and list_entry_is_head counts NULL as the head, so the kernel's
// test after a walk (did it run to the end?) keeps its meaning; a dereference of pos there, which
// the kernel's code never does, is a NULL dereference rather than a read of the head.

/// include/linux/list.h: the struct of type that holds the link ptr as its member.
#define list_entry(ptr, type, member) container_of(ptr, type, member)

/// include/linux/list.h: the first entry of a list that must not be empty.
#define list_first_entry(ptr, type, member) list_entry((ptr)->next, type, member)

/// include/linux/list.h: the last entry of a list that must not be empty.
#define list_last_entry(ptr, type, member) list_entry((ptr)->prev, type, member)

/// include/linux/list.h: the entry after pos (pos must not be the last).
#define list_next_entry(pos, member) list_entry((pos)->member.next, typeof(*(pos)), member)

/// include/linux/list.h: the entry before pos (pos must not be the first).
#define list_prev_entry(pos, member) list_entry((pos)->member.prev, typeof(*(pos)), member)

/// include/linux/list.h: the first entry, or NULL when the list is empty (one load of head->next).
#define list_first_entry_or_null(ptr, type, member) ({ \
    struct list_head *__kc_head = (ptr); \
    struct list_head *__kc_pos = READ_ONCE(__kc_head->next); \
    __kc_pos != __kc_head ? list_entry(__kc_pos, type, member) : NULL; })

/// include/linux/list.h: the entry after pos, or NULL when pos is the last of head (one load).
#define list_next_entry_or_null(pos, head, member) ({ \
    struct list_head *__kc_next = (pos)->member.next; \
    __kc_next != (head) ? list_entry(__kc_next, typeof(*(pos)), member) : NULL; })

/// include/linux/list.h: whether a walk's pos is at the head, i.e. ran off the end (NULL here: see above).
#define list_entry_is_head(pos, head, member) ((pos) == NULL || &(pos)->member == (head))

/// include/linux/list.h: walk the entries of head in order: pos is each entry in turn, NULL after the last.
#define list_for_each_entry(pos, head, member) \
    for (pos = list_first_entry_or_null(head, typeof(*(pos)), member); pos != NULL; \
         pos = list_next_entry_or_null(pos, head, member))

/// include/linux/list.h: list_for_each_entry that may delete pos: n, the next entry, is loaded before the body.
#define list_for_each_entry_safe(pos, n, head, member) \
    for (pos = list_first_entry_or_null(head, typeof(*(pos)), member), \
         n = (pos) != NULL ? list_next_entry_or_null(pos, head, member) : NULL; \
         pos != NULL; \
         pos = n, n = (pos) != NULL ? list_next_entry_or_null(pos, head, member) : NULL)
