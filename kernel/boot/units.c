#include "units.h"

#include "fmt.h"

const char *units_format_size(uint64_t bytes, char *buf, size_t size)
{
    static const char *const names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
    unsigned unit = 0;
    uint64_t whole = bytes, rest = 0;
    while (whole >= 1024 && unit + 1 < sizeof(names) / sizeof(names[0])) {
        rest = whole & 1023;
        whole >>= 10;
        unit++;
    }
    if (unit <= 1 && rest == 0)
        pg_snprintf(buf, size, "%llu %s", (unsigned long long)whole, names[unit]);
    else
        pg_snprintf(buf, size, "%llu.%u %s", (unsigned long long)whole,
                    (unsigned)((rest * 10) >> 10), names[unit]);
    return buf;
}
