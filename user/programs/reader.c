/*
 * reader: the well-behaved program of the isolation demonstration, a "PDF reader" that goes
 * through the pages of a document in its own memory and prints its progress, while the browser
 * next to it crashes. At the end it checks that every page is as it wrote it.
 *
 *   reader [PAGES [MS]]   PAGES pages (default 20), MS milliseconds per page (default 150)
 *
 * Exit status: 0 all pages intact; 1 a page changed under it; 2 bad arguments.
 */
#include <user.h>

#define PAGE_WORDS (PAGODA_PAGE_SIZE / 4)
#define MAX_PAGES  32

static uint32_t document[MAX_PAGES][PAGE_WORDS];

/* FNV-1a over the page's words: any changed word changes it. */
static uint32_t page_checksum(uint32_t page)
{
    uint32_t sum = 2166136261u;
    for (uint32_t i = 0; i < PAGE_WORDS; i++)
        sum = (sum ^ document[page][i]) * 16777619u;
    return sum;
}

int main(int argc, char **argv)
{
    uint32_t pages = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 20;
    uint32_t ms = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 150;
    if (argc > 3 || pages == 0 || pages > MAX_PAGES) {
        dprintf(PAGODA_FD_STDERR, "usage: reader [PAGES (1..%d) [MS]]\n", MAX_PAGES);
        return 2;
    }
    uint32_t sums[MAX_PAGES];
    for (uint32_t p = 0; p < pages; p++) {
        for (uint32_t i = 0; i < PAGE_WORDS; i++)
            document[p][i] = (p + 1) * 2654435761u + i * 40503u;
        sums[p] = page_checksum(p);
    }
    printf("reader: process %d, reading a %u-page document at %p\n", getpid(), pages,
           (void *)document);
    for (uint32_t p = 0; p < pages; p++) {
        printf("reader: page %u of %u, checksum 0x%08x\n", p + 1, pages, page_checksum(p));
        sleep_ms(ms);
    }
    for (uint32_t p = 0; p < pages; p++) {
        if (page_checksum(p) != sums[p]) {
            printf("reader: page %u changed under me: isolation is broken\n", p + 1);
            return 1;
        }
    }
    printf("reader: done, all %u pages intact\n", pages);
    return 0;
}
