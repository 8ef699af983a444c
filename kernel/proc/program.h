/*
 * Where programs come from: the modules the loader passed (boot info v2, struct pagoda_modules).
 * A module that is a ustar archive (the default programs.tar) contributes each of its files as a
 * program under the file's name; any other module is one program under its own file name. The
 * modules are mapped read-only into the kernel half once (kernel/vm/mmio.h), so a program is
 * read in place.
 */
#ifndef PAGODA_PROC_PROGRAM_H
#define PAGODA_PROC_PROGRAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pagoda/boot_info.h"
#include "uvm.h"

/* Maps and checks the modules of info; a bad module or archive is reported and left out. */
void program_init(const struct pagoda_boot_info *info);
/* The program called name: 0 and *out, or -PAGODA_ENOENT. */
int program_find(const char *name, struct uvm_program *out);
/* How many programs there are, and the i-th one (for the boot log). */
unsigned program_count(void);
bool program_at(unsigned i, struct uvm_program *out);

#endif
