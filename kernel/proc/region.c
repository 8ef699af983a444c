#include "region.h"

#include "pagoda/page.h"
#include "pagoda/user_layout.h"

bool region_is_demand(const struct region *r)
{
    return r->kind == PAGODA_REGION_HEAP || r->kind == PAGODA_REGION_STACK;
}

const struct region *region_find_const(const struct region_list *list, uint32_t va)
{
    for (unsigned i = 0; i < list->count; i++) {
        const struct region *r = &list->item[i];
        if (va >= r->start && va < r->end)
            return r;
    }
    return 0;
}

struct region *region_find(struct region_list *list, uint32_t va)
{
    return (struct region *)region_find_const(list, va);
}

bool region_insert(struct region_list *list, const struct region *r)
{
    if (r->end <= r->start || !pagoda_page_aligned(r->start | r->end) || list->count == REGION_MAX)
        return false;
    unsigned at = 0;
    while (at < list->count && list->item[at].start < r->start)
        at++;
    if (at > 0 && list->item[at - 1].end > r->start)
        return false;
    if (at < list->count && list->item[at].start < r->end)
        return false;
    for (unsigned i = list->count; i > at; i--)
        list->item[i] = list->item[i - 1];
    list->item[at] = *r;
    list->count++;
    return true;
}

void region_remove(struct region_list *list, unsigned index)
{
    if (index >= list->count)
        return;
    for (unsigned i = index; i + 1 < list->count; i++)
        list->item[i] = list->item[i + 1];
    list->count--;
}

int region_check_access(const struct region_list *list, uint32_t va, uint32_t len, uint32_t want)
{
    if (len == 0)
        return 0;
    uint64_t end = (uint64_t)va + len;
    if (end > PAGODA_USER_END)
        return -PAGODA_EFAULT;
    /* Walk the range region by region: each piece must sit in one that allows the access. */
    uint64_t at = va;
    while (at < end) {
        const struct region *r = region_find_const(list, (uint32_t)at);
        if (!r || r->kind == PAGODA_REGION_GUARD || (r->prot & want) != want)
            return -PAGODA_EFAULT;
        at = r->end;
    }
    return 0;
}
