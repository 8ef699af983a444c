/*
 * stackexec: copies a few bytes of machine code onto its own stack and calls them, as an exploit
 * that smuggles code into a buffer would. Whether the CPU runs them depends on the paging format:
 * PAE page-table entries have an execute-disable bit (bit 63, used when the CPU has NX), the
 * 4-byte entries of two-level paging have none, so there every readable page is executable.
 * vminfo's nx field says which case this process is in; the program says what to expect first.
 *
 * Exit status: 0 the code ran and nothing forbade it (no NX); 1 it ran although NX is enforced
 * (a kernel bug); 2 vminfo failed. Under NX the kernel kills it with #PF before it can exit.
 */
#include <user.h>

#include "payload.h"

int main(void)
{
    struct pagoda_vm_info info;
    if (vminfo(0, &info) < 0) {
        printf("stackexec: vminfo: %s\n", strerror(errno));
        return 2;
    }
    if (info.nx)
        printf("stackexec: PAE paging with NX: my stack's pages have the execute-disable bit, so "
               "the CPU will refuse to fetch code there and the kernel will kill me (#PF)\n");
    else if (info.format == PAGODA_VM_PAE)
        printf("stackexec: PAE paging without NX (the CPU has none, or clearcpuid=nx): nothing "
               "forbids executing my stack, the code will run\n");
    else
        printf("stackexec: two-level paging: its 4-byte entries have no execute-disable bit, "
               "every page I can read I can execute, the code will run\n");

    unsigned char code[64];
    memcpy(code, exec_payload, exec_payload_size);
    static const char line[] = "stackexec: this line is written by the code on my stack\n";
    printf("stackexec: copied %u bytes of code to my stack at %p, calling it\n",
           (unsigned)exec_payload_size, (void *)code);
    int32_t written = ((exec_payload_fn)(void *)code)(PAGODA_SYS_WRITE, PAGODA_FD_STDOUT,
                                                      (uint32_t)(uintptr_t)line, sizeof(line) - 1);
    if (info.nx) {
        printf("stackexec: the code on my stack ran (write returned %d) although NX is "
               "enforced: the kernel did not set the execute-disable bit\n",
               (int)written);
        return 1;
    }
    printf("stackexec: the code on my stack ran (write returned %d), as expected without NX\n",
           (int)written);
    return 0;
}
