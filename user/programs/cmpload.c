/*
 * cmpload: what the comparison (mode=compare, kernel/compare/compare_proc.c) spawns besides
 * cmpbench to find the cost of one page of a program: CMPLOAD_KIB of initialized read-only data,
 * so that a spawn must fill that many more pages from the file. The difference between the two
 * programs' spawn times over the difference in their pages is the spawn cost of one page. Run,
 * it exits at once.
 */
#include <user.h>

#define CMPLOAD_KIB 64u

/* Non-zero bytes keep it in the file (a zero array could become bss, which costs no copy). */
#define CMPLOAD_FILL_16                                                                            \
    0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a
static const uint8_t payload[CMPLOAD_KIB * 1024u] = {CMPLOAD_FILL_16};

int main(void)
{
    /* A read of the last byte keeps the array in the image. */
    return ((const volatile uint8_t *)payload)[sizeof(payload) - 1];
}
