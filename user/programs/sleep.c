/*
 * sleep MS: sleeps MS milliseconds, then exits 0. The user library's wait_children() spawns it as
 * the deadline for a group of children. Exit status 2: a bad argument.
 */
#include <user.h>

int main(int argc, char **argv)
{
    char *end;
    unsigned long ms = argc == 2 ? strtoul(argv[1], &end, 10) : 0;
    if (argc != 2 || end == argv[1] || *end) {
        dprintf(PAGODA_FD_STDERR, "usage: sleep MILLISECONDS\n");
        return 2;
    }
    if (sleep_ms((uint32_t)ms) < 0) {
        dprintf(PAGODA_FD_STDERR, "sleep: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}
