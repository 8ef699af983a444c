#include "compare_side.h"

#include "../vm/format.h"
#include "../vm/kernel_half.h"
#include "fmt.h"

struct compare_side compare_sides[COMPARE_MODES];
static enum compare_mode current;

static enum compare_mode mode_of(bool pae)
{
    return pae ? COMPARE_PAE : COMPARE_2LEVEL;
}

bool compare_sides_init(char *why, size_t why_size)
{
    bool boot_pae = vm_format_chosen()->pae;
    for (unsigned pae = 0; pae < COMPARE_MODES; pae++)
        compare_sides[mode_of(pae)] = (struct compare_side){
            .name = pae ? "pae" : "2level", .pae = pae, .booted = pae == boot_pae};
    current = mode_of(boot_pae);
    compare_sides[current].space = vm_kernel_space();
    const char *reason = 0;
    struct vm_space *other = vm_kernel_space_of(!boot_pae, &reason);
    if (!other) {
        pg_snprintf(why, why_size, "the %s kernel space cannot be built: %s",
                    boot_pae ? "two-level" : "PAE", reason);
        return false;
    }
    compare_sides[mode_of(!boot_pae)].space = other;
    return true;
}

enum compare_mode compare_current(void)
{
    return current;
}

struct paging *compare_paging(enum compare_mode mode)
{
    return vm_space_paging(compare_sides[mode].space);
}

void compare_enter(enum compare_mode mode)
{
    vm_space_switch(compare_sides[mode].space);
    current = mode;
}

void compare_sides_finish(void)
{
    bool boot_pae = vm_format_chosen()->pae;
    compare_enter(mode_of(boot_pae));
    vm_kernel_space_release(!boot_pae); /* its tables go back to the allocator */
}
