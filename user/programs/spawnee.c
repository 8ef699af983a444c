/*
 * spawnee [--yield]: the child procbench times. Without arguments it exits at once: procbench
 * times spawn+wait of it. With --yield it yields for ever, until procbench kills it: the partner
 * of the context-switch ping-pong, and the child whose pages procbench counts with vminfo.
 *
 * spawnee_big is the same program built with SPAWNEE_EXTRA_PAGES pages of initialised data,
 * which spawn copies into fresh frames and the reaping gives back: spawn+wait of the two differs
 * by what those pages cost.
 */
#include <user.h>

#ifndef SPAWNEE_EXTRA_PAGES
#define SPAWNEE_EXTRA_PAGES 0
#endif

#if SPAWNEE_EXTRA_PAGES
/* One byte set, so the whole array lies in .data (the file) and not in .bss. */
static volatile uint8_t extra[SPAWNEE_EXTRA_PAGES * PAGODA_PAGE_SIZE] = {1};
#endif

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "--yield"))
        for (;;)
            yield();
    if (argc != 1) {
        dprintf(PAGODA_FD_STDERR, "usage: spawnee [--yield]\n");
        return 2;
    }
#if SPAWNEE_EXTRA_PAGES
    return extra[0] == 1 ? 0 : 1;
#else
    return 0;
#endif
}
