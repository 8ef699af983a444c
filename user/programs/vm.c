/*
 * vm [PID]: the address space of a process (itself by default) as the kernel reports it with
 * vminfo: the paging format, every region with its permissions and resident pages, and the
 * page-table pages per level.
 *
 * Exit status: 0 printed; 1 vminfo failed (no such process, say); 2 bad arguments.
 */
#include <user.h>

static const char *level_name(const struct pagoda_vm_info *info, uint32_t level)
{
    static const char *const two_level[] = {"PD", "PT"};
    static const char *const pae[] = {"PDPT", "PD", "PT"};
    if (info->format == PAGODA_VM_PAE && level < 3)
        return pae[level];
    if (info->format == PAGODA_VM_2LEVEL && level < 2)
        return two_level[level];
    return "?";
}

int main(int argc, char **argv)
{
    char *end = NULL;
    int pid = argc > 1 ? (int)strtol(argv[1], &end, 10) : 0;
    if (argc > 2 || (argc == 2 && (end == argv[1] || *end))) {
        dprintf(PAGODA_FD_STDERR, "usage: vm [PID]\n");
        return 2;
    }
    struct pagoda_vm_info info;
    if (vminfo(pid, &info) < 0) {
        printf("vm: process %d: %s\n", pid, strerror(errno));
        return 1;
    }
    printf("vm: process %u (%.*s): %s paging, %u levels, %u-byte entries, NX %s\n", info.pid,
           PAGODA_PROGRAM_NAME_LEN, info.name, info.format == PAGODA_VM_PAE ? "PAE" : "two-level",
           info.levels, info.entry_bytes, info.nx ? "on" : "off");
    printf("vm:   start      end          KiB  kind    prot resident\n");
    uint32_t regions =
        info.region_count < PAGODA_VM_MAX_REGIONS ? info.region_count : PAGODA_VM_MAX_REGIONS;
    for (uint32_t i = 0; i < regions; i++) {
        const struct pagoda_vm_region *r = &info.regions[i];
        printf("vm:   0x%08x 0x%08x %8u  %-7s %c%c%c  %u\n", r->start, r->end,
               (r->end - r->start) / 1024, pagoda_region_kind_name(r->kind),
               r->prot & PAGODA_PROT_READ ? 'r' : '-', r->prot & PAGODA_PROT_WRITE ? 'w' : '-',
               r->prot & PAGODA_PROT_EXEC ? 'x' : '-', r->resident_pages);
    }
    /* One line, one write: other processes may be printing too. */
    char line[160];
    size_t used = (size_t)snprintf(line, sizeof(line), "vm:   page-table pages of its own:");
    uint32_t levels = info.levels < PAGODA_VM_MAX_LEVELS ? info.levels : PAGODA_VM_MAX_LEVELS;
    for (uint32_t level = 0; level < levels && used < sizeof(line); level++)
        used += (size_t)snprintf(line + used, sizeof(line) - used, " %s %u",
                                 level_name(&info, level), info.table_pages[level]);
    printf("%s; kernel-half tables shared with every process: %u\n", line, info.kernel_tables);
    printf("vm:   resident user pages: %u\n", info.resident_pages);
    return 0;
}
