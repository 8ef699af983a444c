#ifndef PAGODA_GDT_H
#define PAGODA_GDT_H

/* Load the kernel's own flat GDT (code 0x08, data 0x10, the main and double-fault TSSs at 0x18
 * and 0x20) and reload every segment register (so nothing depends on the loader's trampoline
 * page staying intact). idt_init (trap/idt.h) then fills the TSSs and loads the task register. */
void gdt_init(void);

#endif
