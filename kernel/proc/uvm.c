#include "uvm.h"

#include "../panic.h"
#include "../vm/env.h"
#include "../vm/kernel_half.h"
#include "../vm/phys.h"
#include "elf_check.h"
#include "exc_decode.h"
#include "fmt.h"
#include "pagoda/page.h"
#include "pagoda/user_layout.h"
#include "pg_string.h"

#define PF_X 1u /* ELF program header flags */
#define PF_W 2u

static struct uvm_stats stats;

const struct uvm_stats *uvm_stats(void)
{
    return &stats;
}

/* ---- frames and pages ---- */

static struct frames *frames(void)
{
    return vm_env_frames();
}

static uint32_t paging_prot(uint32_t prot)
{
    uint32_t p = PAGING_PROT_READ | PAGING_PROT_USER;
    if (prot & PAGODA_PROT_WRITE)
        p |= PAGING_PROT_WRITE;
    if (prot & PAGODA_PROT_EXEC)
        p |= PAGING_PROT_EXEC;
    return p;
}

/* The frame behind a user page, or FRAMES_NONE if it is not mapped. */
static uint64_t frame_of(const struct uvm *u, uint32_t va)
{
    struct paging_walk w;
    vm_space_translate(&u->space, va, &w);
    return w.mapped ? pagoda_page_down(w.pa) : FRAMES_NONE;
}

/* Frames above 4 GiB only for a format that reaches them. */
static enum frames_where frames_for(const struct uvm *u)
{
    return vm_space_paging(&u->space)->phys_limit > (1ull << 32) ? FRAMES_ANYWHERE
                                                                 : FRAMES_BELOW_4G;
}

/* A zeroed frame mapped at the page va with the region's rights. 0 or -PAGODA_ENOMEM. */
static int map_fresh_page(struct uvm *u, struct region *r, uint32_t va)
{
    uint64_t frame = frames_alloc(frames(), frames_for(u));
    if (frame == FRAMES_NONE)
        return -PAGODA_ENOMEM;
    memset(vm_frame_map(frame), 0, PAGODA_PAGE_SIZE);
    if (vm_space_map(&u->space, va, frame, PAGODA_PAGE_SIZE, paging_prot(r->prot), PAGODA_PAGE_SIZE,
                     0) != PAGING_OK) {
        frames_free(frames(), frame);
        return -PAGODA_ENOMEM; /* no frame for a page table */
    }
    r->resident++;
    u->resident++;
    stats.pages_mapped++;
    stats.high_frames += frame >= (1ull << 32);
    return 0;
}

static void unmap_page(struct uvm *u, struct region *r, uint32_t va)
{
    uint64_t frame = frame_of(u, va);
    if (frame == FRAMES_NONE)
        return;
    vm_space_unmap(&u->space, va, PAGODA_PAGE_SIZE);
    frames_free(frames(), frame);
    r->resident--;
    u->resident--;
}

static void unmap_range(struct uvm *u, struct region *r, uint32_t start, uint32_t end)
{
    for (uint32_t va = start; va < end; va += PAGODA_PAGE_SIZE)
        unmap_page(u, r, va);
}

/* Copies bytes into the frame behind va (mapped), through the kernel's own access to it. */
static void write_page(struct uvm *u, uint32_t va, const void *src, uint32_t len)
{
    uint8_t *page = vm_frame_map(frame_of(u, pagoda_page_down(va)));
    memcpy(page + (va & PAGODA_PAGE_MASK), src, len);
}

/* ---- the program ---- */

static uint32_t region_of_flags(uint32_t flags, uint32_t *prot)
{
    if (flags & PF_X) {
        *prot = PAGODA_PROT_READ | PAGODA_PROT_EXEC;
        return PAGODA_REGION_CODE;
    }
    if (flags & PF_W) {
        *prot = PAGODA_PROT_READ | PAGODA_PROT_WRITE;
        return PAGODA_REGION_DATA;
    }
    *prot = PAGODA_PROT_READ;
    return PAGODA_REGION_RODATA;
}

static int load_segment(struct uvm *u, const struct uvm_program *program,
                        const struct elf_segment *seg, char *why, size_t why_size)
{
    struct region r = {.start = (uint32_t)pagoda_page_down(seg->vaddr),
                       .end = (uint32_t)pagoda_page_up((uint64_t)seg->vaddr + seg->mem_size)};
    r.kind = region_of_flags(seg->flags, &r.prot);
    if (!region_insert(&u->regions, &r)) {
        pg_snprintf(why, why_size,
                    "%s: segment %u [0x%08x-0x%08x) shares a page with another segment (each "
                    "needs pages of its own for its rights)",
                    program->name, seg->header_index, r.start, r.end);
        return -PAGODA_ENOEXEC;
    }
    struct region *placed = region_find(&u->regions, r.start);
    for (uint32_t va = r.start; va < r.end; va += PAGODA_PAGE_SIZE) {
        int rc = map_fresh_page(u, placed, va);
        if (rc) {
            pg_snprintf(why, why_size, "%s: no memory for segment %u", program->name,
                        seg->header_index);
            return rc;
        }
        /* The part of the file that lands in this page; the rest stays zero (bss). */
        uint32_t from = va > seg->vaddr ? va : seg->vaddr;
        uint64_t file_end = (uint64_t)seg->vaddr + seg->file_size;
        uint64_t to = (uint64_t)va + PAGODA_PAGE_SIZE < file_end ? va + PAGODA_PAGE_SIZE : file_end;
        if (to > from)
            write_page(u, from, program->data + seg->file_offset + (from - seg->vaddr),
                       (uint32_t)(to - from));
    }
    return 0;
}

static int load_program(struct uvm *u, const struct uvm_program *program, uint32_t *entry,
                        char *why, size_t why_size)
{
    struct elf_image image;
    char reason[160];
    if (elf_check(program->data, program->size, &elf_rules_user, &image, reason, sizeof(reason)) !=
        ELF_CHECK_OK) {
        pg_snprintf(why, why_size, "%s: %s", program->name, reason);
        return -PAGODA_ENOEXEC;
    }
    uint32_t top = 0;
    for (uint32_t i = 0; i < image.segment_count; i++) {
        int rc = load_segment(u, program, &image.segments[i], why, why_size);
        if (rc)
            return rc;
        uint32_t end = (uint32_t)pagoda_page_up((uint64_t)image.segments[i].vaddr +
                                                image.segments[i].mem_size);
        if (end > top)
            top = end;
    }
    if (top > PAGODA_USER_HEAP_LIMIT) {
        pg_snprintf(why, why_size, "%s: segments reach 0x%08x, into the stack's guard gap",
                    program->name, top);
        return -PAGODA_ENOEXEC;
    }
    u->heap_start = u->brk = top;
    *entry = image.entry_virtual;
    return 0;
}

/* ---- the stack ---- */

/* argc, argv[0..argc-1], NULL, then the strings, at the top of the stack (syscall.h). */
static int build_stack(struct uvm *u, const char *const *argv, uint32_t argc, uint32_t *esp)
{
    uint32_t strings = 0;
    for (uint32_t i = 0; i < argc; i++)
        strings += (uint32_t)strlen(argv[i]) + 1;
    uint32_t words = 1 + argc + 1;
    uint32_t bytes = (uint32_t)pagoda_page_up(words * 4u + strings + 16u);
    uint32_t sp = PAGODA_USER_STACK_TOP - bytes; /* bytes is far below the stack's 1 MiB */
    struct region *stack = region_find(&u->regions, PAGODA_USER_STACK_TOP - 1);
    for (uint32_t va = sp; va < PAGODA_USER_STACK_TOP; va += PAGODA_PAGE_SIZE) {
        int rc = map_fresh_page(u, stack, va);
        if (rc)
            return rc;
    }
    /* Strings from the top down; the pointer block at sp, 16-byte aligned. */
    uint32_t at = PAGODA_USER_STACK_TOP;
    uint32_t pointers[PAGODA_MAX_ARGS + 2];
    pointers[0] = argc;
    for (uint32_t i = argc; i-- > 0;) {
        uint32_t len = (uint32_t)strlen(argv[i]) + 1;
        at -= len;
        int rc = uvm_copy_out(u, at, argv[i], len);
        if (rc)
            return rc;
        pointers[1 + i] = at;
    }
    pointers[1 + argc] = 0;
    sp = (at - words * 4u) & ~15u;
    int rc = uvm_copy_out(u, sp, pointers, words * 4u);
    if (rc)
        return rc;
    *esp = sp;
    return 0;
}

int uvm_create(struct uvm *u, const struct uvm_program *program, const char *const *argv,
               uint32_t argc, uint32_t *entry, uint32_t *esp, char *why, size_t why_size)
{
    return uvm_create_in(u, vm_kernel_space(), program, argv, argc, entry, esp, why, why_size);
}

int uvm_create_in(struct uvm *u, struct vm_space *kernel, const struct uvm_program *program,
                  const char *const *argv, uint32_t argc, uint32_t *entry, uint32_t *esp, char *why,
                  size_t why_size)
{
    *u = (struct uvm){0};
    if (vm_space_create_user(&u->space, kernel) != PAGING_OK) {
        pg_snprintf(why, why_size, "no memory for the page directory");
        return -PAGODA_ENOMEM;
    }
    static const struct region guard = {.start = PAGODA_USER_GUARD_START,
                                        .end = PAGODA_USER_STACK_LIMIT,
                                        .kind = PAGODA_REGION_GUARD};
    static const struct region stack = {.start = PAGODA_USER_STACK_LIMIT,
                                        .end = PAGODA_USER_STACK_TOP,
                                        .kind = PAGODA_REGION_STACK,
                                        .prot = PAGODA_PROT_READ | PAGODA_PROT_WRITE};
    region_insert(&u->regions, &guard);
    region_insert(&u->regions, &stack);
    int rc = load_program(u, program, entry, why, why_size);
    if (rc == 0) {
        rc = build_stack(u, argv, argc, esp);
        if (rc)
            pg_snprintf(why, why_size, "no memory for the stack");
    }
    if (rc)
        uvm_destroy(u);
    return rc;
}

void uvm_destroy(struct uvm *u)
{
    for (unsigned i = 0; i < u->regions.count; i++) {
        struct region *r = &u->regions.item[i];
        if (r->kind != PAGODA_REGION_GUARD && r->resident)
            unmap_range(u, r, r->start, r->end);
    }
    int rc = vm_space_destroy(&u->space);
    if (rc != PAGING_OK)
        panic("proc: destroying a process's space: %s", paging_error_name(rc));
    u->regions.count = 0;
}

/* ---- faults ---- */

enum uvm_fault_result uvm_fault(struct uvm *u, uint32_t va, uint32_t error_code, const char **why)
{
    if (error_code & PF_ERR_PRESENT) {
        *why = (error_code & PF_ERR_FETCH)   ? "an instruction fetch from a no-execute page"
               : va >= PAGODA_USER_END       ? "a user access to a kernel page"
               : (error_code & PF_ERR_WRITE) ? "a write to a read-only page"
                                             : "a protection violation";
        return UVM_FAULT_BAD;
    }
    if (va >= PAGODA_USER_END) {
        *why = "an address in the kernel half";
        return UVM_FAULT_BAD;
    }
    struct region *r = region_find(&u->regions, va);
    if (!r) {
        *why = va < PAGODA_USER_IMAGE_START ? "an address in the never-mapped first 4 MiB"
                                            : "an address in no region (not mapped)";
        return UVM_FAULT_BAD;
    }
    if (r->kind == PAGODA_REGION_GUARD) {
        *why = "an address in the guard gap below the stack";
        return UVM_FAULT_BAD;
    }
    if (!region_is_demand(r)) {
        *why = "a page of the program that is not mapped";
        return UVM_FAULT_BAD;
    }
    if (map_fresh_page(u, r, (uint32_t)pagoda_page_down(va))) {
        *why = "no frame left for a page on demand";
        return UVM_FAULT_NOMEM;
    }
    stats.demand_faults++;
    return UVM_FAULT_HANDLED;
}

/* ---- the break ---- */

static struct region *heap_region(struct uvm *u)
{
    return u->brk > u->heap_start ? region_find(&u->regions, u->heap_start) : 0;
}

int uvm_sbrk(struct uvm *u, int32_t increment, uint32_t *old)
{
    *old = u->brk;
    int64_t target = (int64_t)u->brk + increment;
    if (target < u->heap_start)
        return -PAGODA_EINVAL;
    if (target > PAGODA_USER_HEAP_LIMIT)
        return -PAGODA_ENOMEM;
    uint32_t new_brk = (uint32_t)target;
    uint32_t old_end = (uint32_t)pagoda_page_up(u->brk);
    uint32_t new_end = (uint32_t)pagoda_page_up(new_brk);
    struct region *heap = heap_region(u);
    if (new_end < old_end)
        unmap_range(u, heap, new_end, old_end);
    if (new_end != old_end) {
        if (heap && new_end == u->heap_start)
            region_remove(&u->regions, (unsigned)(heap - u->regions.item));
        else if (heap)
            heap->end = new_end;
        else {
            struct region r = {.start = u->heap_start,
                               .end = new_end,
                               .kind = PAGODA_REGION_HEAP,
                               .prot = PAGODA_PROT_READ | PAGODA_PROT_WRITE};
            if (!region_insert(&u->regions, &r))
                return -PAGODA_ENOMEM; /* the table of regions is full */
        }
    }
    u->brk = new_brk;
    return 0;
}

/* ---- copies ---- */

/* The frame behind va, mapping it first if a demand region allows: FRAMES_NONE if it cannot. */
static uint64_t resident_frame(struct uvm *u, uint32_t va, int *error)
{
    uint64_t frame = frame_of(u, va);
    if (frame != FRAMES_NONE)
        return frame;
    struct region *r = region_find(&u->regions, va);
    if (!r || !region_is_demand(r)) {
        *error = -PAGODA_EFAULT;
        return FRAMES_NONE;
    }
    *error = map_fresh_page(u, r, (uint32_t)pagoda_page_down(va));
    return *error ? FRAMES_NONE : frame_of(u, va);
}

/* Copies len bytes between kernel memory and [va, va+len), page by page through the frames. */
static int copy_pages(struct uvm *u, uint32_t va, uint8_t *kernel, uint32_t len, bool to_user)
{
    while (len) {
        uint32_t chunk = PAGODA_PAGE_SIZE - (va & PAGODA_PAGE_MASK);
        if (chunk > len)
            chunk = len;
        int error = 0;
        uint64_t frame = resident_frame(u, va, &error);
        if (frame == FRAMES_NONE)
            return error;
        uint8_t *page = (uint8_t *)vm_frame_map(frame) + (va & PAGODA_PAGE_MASK);
        if (to_user)
            memcpy(page, kernel, chunk);
        else
            memcpy(kernel, page, chunk);
        va += chunk;
        kernel += chunk;
        len -= chunk;
    }
    return 0;
}

int uvm_copy_in(struct uvm *u, void *dst, uint32_t src, uint32_t len)
{
    int rc = region_check_access(&u->regions, src, len, REGION_WANT_READ);
    return rc ? rc : copy_pages(u, src, dst, len, false);
}

int uvm_copy_out(struct uvm *u, uint32_t dst, const void *src, uint32_t len)
{
    int rc = region_check_access(&u->regions, dst, len, REGION_WANT_WRITE);
    return rc ? rc : copy_pages(u, dst, (uint8_t *)(uintptr_t)src, len, true);
}

int uvm_copy_in_string(struct uvm *u, char *dst, uint32_t src, uint32_t max, uint32_t *len)
{
    /* Byte by byte up to the NUL: the bytes after it may lie outside every region. */
    for (uint32_t i = 0; i < max; i++) {
        int rc = uvm_copy_in(u, dst + i, src + i, 1);
        if (rc)
            return rc;
        if (dst[i] == '\0') {
            *len = i;
            return 0;
        }
        if (src + i + 1 == 0)
            return -PAGODA_EFAULT;
    }
    return -PAGODA_E2BIG;
}

/* ---- introspection ---- */

void uvm_info(const struct uvm *u, struct pagoda_vm_info *out)
{
    const struct paging *pg = vm_space_paging(&u->space);
    const uint32_t *tables = vm_space_tables(&u->space);
    *out = (struct pagoda_vm_info){
        .format = pg->mode == &paging_mode_pae ? PAGODA_VM_PAE : PAGODA_VM_2LEVEL,
        .levels = pg->mode->levels,
        .entry_bytes = paging_entry_bytes(pg),
        .nx = pg->nx_enforced,
        .region_count = u->regions.count,
        .resident_pages = u->resident,
    };
    for (unsigned level = 0; level < pg->mode->levels && level < PAGODA_VM_MAX_LEVELS; level++)
        out->table_pages[level] = tables[level];
    out->kernel_tables = vm_kernel_half_tables_of(u->space.kernel);
    for (unsigned i = 0; i < u->regions.count; i++) {
        const struct region *r = &u->regions.item[i];
        out->regions[i] = (struct pagoda_vm_region){.start = r->start,
                                                    .end = r->end,
                                                    .kind = r->kind,
                                                    .prot = r->prot,
                                                    .resident_pages = r->resident};
    }
}
