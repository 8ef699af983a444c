#include "loader_log.h"

#include "pagoda/page.h"

#include "bootinfo.h"
#include "pg_string.h"
#include "phys.h"

/* [phys, phys+size) into out, one page (one window slot) at a time. */
static void copy_from_phys(void *out, uint64_t phys, size_t size)
{
    char *to = out;
    while (size > 0) {
        size_t in_page = PAGODA_PAGE_SIZE - (size_t)(phys % PAGODA_PAGE_SIZE);
        size_t n = size < in_page ? size : in_page;
        memcpy(to, phys_to_ptr(phys), n);
        to += n;
        phys += n;
        size -= n;
    }
}

static const struct pagoda_range *find_log_range(const struct pagoda_boot_info *info)
{
    for (uint32_t i = 0; i < info->range_count && i < PAGODA_MAX_RANGES; i++) {
        if (info->ranges[i].kind == PAGODA_RANGE_LOADER_LOG)
            return &info->ranges[i];
    }
    return NULL;
}

struct loader_log_view loader_log_read(const struct pagoda_boot_info *info, char *copy,
                                       size_t capacity)
{
    struct loader_log_view v = {0};
    const struct pagoda_range *r = find_log_range(info);
    struct pagoda_loader_log header;
    if (!r) {
        v.why = "the loader handed over no log";
        return v;
    }
    if (r->size < sizeof(header)) {
        v.why = "its range is smaller than the log's header";
        return v;
    }
    copy_from_phys(&header, r->base, sizeof(header));
    if (header.magic != PAGODA_LOADER_LOG_MAGIC) {
        v.why = "its block does not start with the log's magic";
        return v;
    }
    if (header.size > r->size - sizeof(header)) {
        v.why = "its size runs past its range";
        return v;
    }
    if (header.size > capacity) {
        v.why = "its size runs past the kernel's copy";
        return v;
    }
    copy_from_phys(copy, r->base + sizeof(header), header.size);
    v.text = copy;
    v.size = header.size;
    v.dropped = header.dropped;
    return v;
}
