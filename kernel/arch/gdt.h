#ifndef PAGODA_GDT_H
#define PAGODA_GDT_H

/* Descriptors in the GDT: null, kernel code and data, two TSSs, user code and data. */
#define GDT_ENTRIES 7

/* Load the kernel's own flat GDT (code 0x08, data 0x10, the main and double-fault TSSs at 0x18
 * and 0x20, user code 0x28 and data 0x30 with DPL 3) and reload every segment register (so nothing
 * depends on the loader's trampoline page staying intact). idt_init (trap/idt.h) then fills the
 * TSSs and loads the task register. */
void gdt_init(void);

#endif
