/*
 * poke: touches an address on purpose, to watch the CPU and the kernel decide. It says what it is
 * about to do, then does it; when that is not allowed the CPU raises #PF (or #GP) and the kernel
 * ends this process alone, with one line that explains why and walks the tables.
 *
 *   poke read ADDR            reads the 32-bit word at ADDR
 *   poke write ADDR [VALUE]   writes VALUE (default 0x504f4b45, "POKE") there and reads it back
 *   poke exec ADDR            calls ADDR as a function
 *   poke                      this list, and addresses of this process to try
 *
 * Exit status: 0 the access went through; 2 bad arguments (a fault ends it before it exits).
 */
#include <user.h>

#define DEFAULT_VALUE 0x504f4b45u

static uint32_t data_word = 0x12345678u;

/* Something poke exec can call and come back from. */
static int __attribute__((noinline)) returns_seven(void)
{
    return 7;
}

static void usage(void)
{
    int on_stack = 0;
    dprintf(PAGODA_FD_STDERR,
            "usage: poke read ADDR | poke write ADDR [VALUE] | poke exec ADDR\n"
            "poke: addresses in this process: code 0x%08x (r-x), data 0x%08x (rw-), stack "
            "0x%08x (rw-), page 0 (never mapped), kernel 0x%08x (supervisor only)\n",
            (uint32_t)(uintptr_t)&returns_seven, (uint32_t)(uintptr_t)&data_word,
            (uint32_t)(uintptr_t)&on_stack, (uint32_t)PAGODA_USER_END + 0x101000u);
}

static int parse(const char *text, uint32_t *out)
{
    char *end = NULL;
    unsigned long value = strtoul(text, &end, 0);
    if (end == text || *end || text[0] == '-') {
        dprintf(PAGODA_FD_STDERR,
                "poke: \"%s\" is not an address or value (decimal, or hex "
                "with 0x)\n",
                text);
        return -1;
    }
    *out = (uint32_t)value;
    return 0;
}

int main(int argc, char **argv)
{
    uint32_t addr, value = DEFAULT_VALUE;
    if (argc < 3 || argc > 4 || parse(argv[2], &addr) < 0 ||
        (argc == 4 && (strcmp(argv[1], "write") || parse(argv[3], &value) < 0))) {
        usage();
        return 2;
    }
    int pid = getpid();
    if (!strcmp(argv[1], "read")) {
        printf("poke: process %d reads the word at 0x%08x\n", pid, addr);
        uint32_t got = *(volatile uint32_t *)(uintptr_t)addr;
        printf("poke: 0x%08x holds 0x%08x\n", addr, got);
    } else if (!strcmp(argv[1], "write")) {
        printf("poke: process %d writes 0x%08x to 0x%08x\n", pid, value, addr);
        *(volatile uint32_t *)(uintptr_t)addr = value;
        printf("poke: 0x%08x now holds 0x%08x\n", addr, *(volatile uint32_t *)(uintptr_t)addr);
    } else if (!strcmp(argv[1], "exec")) {
        printf("poke: process %d calls the code at 0x%08x\n", pid, addr);
        int result = ((int (*)(void))(uintptr_t)addr)();
        printf("poke: the code at 0x%08x returned %d\n", addr, result);
    } else {
        usage();
        return 2;
    }
    return 0;
}
