/*
 * browser: the buggy program of the isolation demonstration. It keeps its tabs in one page of
 * heap and then writes past the end of that array, as an out-of-bounds bug would: the first write
 * beyond the page lands in unmapped memory and the kernel kills it (#PF). With --kernel it instead
 * writes into the kernel half (the kernel's code at 0xC0100000), as an exploit would: the pages
 * are there but not user-accessible, and it is killed the same way. Nothing else is harmed.
 *
 * Exit status 1: a write that must fault went through (isolation is broken).
 */
#include <user.h>

#define KERNEL_CODE 0xC0100000u

static int overflow_array(void)
{
    /* One page of heap from a page-aligned break: what lies after it is not mapped. */
    char *now = sbrk(0);
    uint32_t misalign = (uint32_t)(uintptr_t)now % PAGODA_PAGE_SIZE;
    if (misalign && sbrk((int32_t)(PAGODA_PAGE_SIZE - misalign)) == (void *)-1)
        return 2;
    volatile uint32_t *tabs = sbrk(PAGODA_PAGE_SIZE);
    if (tabs == (void *)-1) {
        printf("browser: sbrk: %s\n", strerror(errno));
        return 2;
    }
    uint32_t count = PAGODA_PAGE_SIZE / sizeof(*tabs);
    printf("browser: my tabs array holds %u entries at %p..%p; a bug now writes past its end\n",
           count, (void *)tabs, (void *)(tabs + count));
    for (uint32_t i = 0; i < count + 16; i++)
        tabs[i] = 0xB0B0B0B0u + i;
    printf("browser: wrote 16 entries past the end and lived: isolation is broken\n");
    return 1;
}

static int write_kernel(void)
{
    printf("browser: writing to 0x%x, the kernel's code, as an exploit would\n", KERNEL_CODE);
    *(volatile uint32_t *)(uintptr_t)KERNEL_CODE = 0xDEADBEEFu;
    printf("browser: the write to the kernel went through: isolation is broken\n");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--kernel") == 0)
        return write_kernel();
    if (argc != 1) {
        dprintf(PAGODA_FD_STDERR, "usage: browser [--kernel]\n");
        return 2;
    }
    return overflow_array();
}
