#include "format.h"

#include "../arch/cpu.h"
#include "../console/console.h"
#include "../panic.h"
#include "env.h"

static struct vm_format_choice choice;
static struct paging instances[2]; /* [0] two-level, [1] PAE */
static bool prepared[2];

struct paging *vm_format_paging(bool pae)
{
    if (prepared[pae])
        return &instances[pae];
    struct paging_env env = vm_env();
    const struct paging_mode *mode = pae ? &paging_mode_pae : &paging_mode_2level;
    int rc = mode->init(&instances[pae], &env);
    if (rc == PAGING_ERR_FEATURE)
        return 0;
    if (rc != PAGING_OK)
        panic("vm: %s paging could not be prepared: %s", mode->name, paging_error_name(rc));
    prepared[pae] = true;
    return &instances[pae];
}

static const char *why_pae_is_missing(void)
{
    return (cpu.cleared & CPU_FEATURE_PAE)
               ? "paging=pae asked for, but PAE is hidden by clearcpuid=pae: falling back to "
                 "two-level paging"
               : "paging=pae asked for, but this CPU has no PAE (CPUID.1:EDX bit 6): falling "
                 "back to two-level paging";
}

const struct vm_format_choice *vm_format_choose(enum vm_paging_choice asked)
{
    choice = (struct vm_format_choice){.asked = asked};
    switch (asked) {
    case VM_PAGING_2LEVEL:
        choice.why = "asked for: paging=2level";
        break;
    case VM_PAGING_PAE:
        choice.pae = cpu.pae;
        choice.fallback = !cpu.pae;
        choice.why = cpu.pae ? "asked for: paging=pae" : why_pae_is_missing();
        break;
    case VM_PAGING_AUTO:
    default:
        choice.pae = cpu.pae;
        choice.why = cpu.pae ? "auto: the CPU has PAE" : "auto: the CPU has no PAE";
        break;
    }
    if (choice.fallback) {
        console_set_color(CONSOLE_WARN);
        kprintf("pagoda: %s\n", choice.why);
        console_set_color(CONSOLE_NORMAL);
    }
    if (!vm_format_paging(choice.pae))
        panic("vm: the chosen format cannot run on this CPU");
    return &choice;
}

const struct vm_format_choice *vm_format_chosen(void)
{
    return &choice;
}

struct paging *vm_format_boot(void)
{
    return &instances[choice.pae];
}

uint64_t vm_format_phys_limit(void)
{
    return vm_format_boot()->phys_limit;
}
