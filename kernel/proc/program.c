#include "program.h"

#include "../boot/phys.h"
#include "../console/console.h"
#include "../ramdisk/ustar.h"
#include "../vm/mmio.h"
#include "pg_string.h"

#define PROGRAM_MAX 64

static struct uvm_program programs[PROGRAM_MAX];
static unsigned count;
static struct pagoda_modules modules; /* the kernel's copy of the loader's block */

static bool name_terminated(const char *name, size_t size)
{
    for (size_t i = 0; i < size; i++)
        if (!name[i])
            return true;
    return false;
}

/* The block as the loader promises it (boot_info.h), or a reason it is not. */
static const char *check_block(const struct pagoda_modules *m)
{
    if (m->magic != PAGODA_MODULES_MAGIC)
        return "bad magic";
    if (m->version != PAGODA_MODULES_VERSION)
        return "unknown version";
    if (m->size < sizeof(*m))
        return "block smaller than this kernel's version of it";
    if (m->count > PAGODA_MAX_MODULES)
        return "more modules than PAGODA_MAX_MODULES";
    for (uint32_t i = 0; i < m->count; i++) {
        const struct pagoda_module *mod = &m->module[i];
        if (!name_terminated(mod->name, sizeof(mod->name)) ||
            !name_terminated(mod->string, sizeof(mod->string)))
            return "a name or string is not NUL-terminated";
        if ((mod->base & 0xFFFu) || mod->base >= (1ull << 32) ||
            mod->size > (1ull << 32) - mod->base)
            return "a module lies outside [0, 4 GiB) or is not page-aligned";
    }
    return 0;
}

static void add(const char *name, const uint8_t *data, size_t size)
{
    struct uvm_program existing;
    if (program_find(name, &existing) == 0) {
        kprintf("programs: %s appears twice; the first one is kept\n", name);
        return;
    }
    if (count == PROGRAM_MAX) {
        kprintf("programs: more than %u programs: %s is left out\n", PROGRAM_MAX, name);
        return;
    }
    programs[count++] = (struct uvm_program){.name = name, .data = data, .size = size};
}

static void add_archive(const struct pagoda_module *mod, const uint8_t *data)
{
    char why[160];
    uint32_t entries;
    if (ustar_check(data, (size_t)mod->size, &entries, why, sizeof(why)) != USTAR_OK) {
        console_set_color(CONSOLE_BAD);
        kprintf("programs: the archive %s is broken, none of its programs is used: %s\n", mod->name,
                why);
        console_set_color(CONSOLE_NORMAL);
        return;
    }
    struct ustar_reader reader;
    struct ustar_entry entry;
    ustar_open(&reader, data, (size_t)mod->size);
    while (ustar_next(&reader, &entry, why, sizeof(why)) == USTAR_OK)
        add(entry.name, entry.data, entry.size);
    kprintf("programs: %s: a ustar archive of %u files\n", mod->name, entries);
}

/* Whether the data starts like a ustar archive (its first header's magic at offset 257). */
static bool looks_like_archive(const uint8_t *data, uint64_t size)
{
    return size >= USTAR_BLOCK && !memcmp(data + 257, "ustar", 5);
}

void program_init(const struct pagoda_boot_info *info)
{
    if (!info->modules) {
        kprintf("programs: the loader passed no modules: no program can run\n");
        return;
    }
    const struct pagoda_modules *block = phys_to_ptr(info->modules);
    const char *problem = block ? 0 : "unreachable";
    if (block) {
        memcpy(&modules, block, sizeof(modules));
        problem = check_block(&modules);
    }
    if (problem) {
        console_set_color(CONSOLE_BAD);
        kprintf("programs: the modules block at 0x%llx is unusable (%s): no program can run\n",
                (unsigned long long)info->modules, problem);
        console_set_color(CONSOLE_NORMAL);
        modules.count = 0;
        return;
    }
    for (uint32_t i = 0; i < modules.count; i++) {
        const struct pagoda_module *mod = &modules.module[i];
        const char *why = "empty";
        const uint8_t *data = mod->size ? vm_map_physical(mod->name, mod->base, mod->size,
                                                          PAGING_PROT_READ, PAGING_CACHE_WB, &why)
                                        : 0;
        if (!data) {
            kprintf("programs: module %s (%llu bytes at 0x%llx) cannot be mapped: %s\n", mod->name,
                    (unsigned long long)mod->size, (unsigned long long)mod->base, why);
            continue;
        }
        if (looks_like_archive(data, mod->size))
            add_archive(mod, data);
        else
            add(mod->name, data, (size_t)mod->size);
    }
}

int program_find(const char *name, struct uvm_program *out)
{
    for (unsigned i = 0; i < count; i++) {
        if (!strcmp(programs[i].name, name)) {
            *out = programs[i];
            return 0;
        }
    }
    return -PAGODA_ENOENT;
}

unsigned program_count(void)
{
    return count;
}

bool program_at(unsigned i, struct uvm_program *out)
{
    if (i >= count)
        return false;
    *out = programs[i];
    return true;
}
