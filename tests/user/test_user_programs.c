/*
 * Every built user program, read back as the kernel will read it: the shared ELF check
 * (lib/elf_check.c with elf_rules_user, the same code the kernel runs on it) must accept it, and
 * its segments must follow the user rules of include/pagoda/user_layout.h: inside the user half
 * from PAGODA_USER_IMAGE_START, below the stack's guard gap, each at the same offset within a
 * page in the file as in memory and in pages of its own, never both writable and executable, the
 * entry in code.
 *
 *   test_user_programs PROGRAM...
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elf_check.h"
#include "pagoda/page.h"
#include "pagoda/user_layout.h"
#include "read_file.h"
#include "tap.h"

#define PF_X 1u
#define PF_W 2u
/* Room for a section's own alignment between segments; a page of padding is far more. */
#define PACKED_GAP_MAX 64u

static void check_program(const char *path)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t size;
    unsigned char *file = read_file(path, &size);
    if (!TAP_CHECK(file != NULL, "%s: read", name))
        return;
    struct elf_image image;
    char why[200] = "";
    enum elf_check_error e = elf_check(file, size, &elf_rules_user, &image, why, sizeof(why));
    TAP_CHECK(e == ELF_CHECK_OK, "%s: the shared ELF check accepts it %s", name, why);
    if (e != ELF_CHECK_OK) {
        free(file);
        return;
    }
    int in_half = 1, congruent = 1, own_pages = 1, packed = 1, wx = 0, code = 0, entry_in_code = 0;
    uint64_t previous_last_page = 0, previous_file_end = 0;
    for (uint32_t i = 0; i < image.segment_count; i++) {
        const struct elf_segment *s = &image.segments[i];
        uint64_t end = (uint64_t)s->vaddr + s->mem_size;
        if (s->vaddr < PAGODA_USER_IMAGE_START || end > PAGODA_USER_GUARD_START) {
            in_half = 0;
            tap_diag("segment %u [0x%x, 0x%llx) outside [0x%x, 0x%x)", s->header_index, s->vaddr,
                     (unsigned long long)end, PAGODA_USER_IMAGE_START, PAGODA_USER_GUARD_START);
        }
        if (s->file_offset % PAGODA_PAGE_SIZE != s->vaddr % PAGODA_PAGE_SIZE ||
            s->paddr != s->vaddr)
            congruent = 0;
        /* The linker script orders the segments by address (elf_check keeps no empty ones). */
        if (i > 0 && pagoda_page_down(s->vaddr) <= previous_last_page) {
            own_pages = 0;
            tap_diag("segment %u at 0x%x starts in the page of the one before it", s->header_index,
                     s->vaddr);
        }
        /* Packed: no page padding between one segment's bytes and the next's in the file. */
        if (i > 0 && (s->file_offset < previous_file_end ||
                      s->file_offset - previous_file_end >= PACKED_GAP_MAX)) {
            packed = 0;
            tap_diag("segment %u at file offset 0x%x, 0x%llx after the bytes of the one before",
                     s->header_index, s->file_offset,
                     (unsigned long long)(s->file_offset - previous_file_end));
        }
        previous_last_page = pagoda_page_down(end - 1);
        previous_file_end = (uint64_t)s->file_offset + s->file_size;
        if ((s->flags & (PF_W | PF_X)) == (PF_W | PF_X))
            wx = 1;
        if (s->flags & PF_X) {
            code = 1;
            entry_in_code |= image.entry_virtual >= s->vaddr && image.entry_virtual < end;
        }
    }
    TAP_CHECK(in_half, "%s: %u segments inside the user image area, below the guard gap", name,
              image.segment_count);
    TAP_CHECK(congruent, "%s: every segment has the same offset in a page in the file as in memory",
              name);
    TAP_CHECK(own_pages, "%s: no two segments share a page", name);
    TAP_CHECK(packed, "%s: each segment's bytes follow the one before's within %u bytes", name,
              PACKED_GAP_MAX);
    TAP_CHECK(!wx, "%s: no segment is both writable and executable", name);
    TAP_CHECK(code && entry_in_code, "%s: the entry 0x%x is in an executable segment", name,
              image.entry_virtual);
    free(file);
}

int main(int argc, char **argv)
{
    if (!TAP_CHECK(argc > 1, "programs given on the command line"))
        return tap_done();
    for (int i = 1; i < argc; i++)
        check_program(argv[i]);
    return tap_done();
}
