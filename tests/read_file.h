/*
 * A whole file into memory for the host tests: read_file(path, &size) returns a malloc'd buffer of
 * exactly size bytes (so ASan sees any read past its end), or NULL when it cannot be read.
 */
#ifndef PAGODA_TEST_READ_FILE_H
#define PAGODA_TEST_READ_FILE_H

#include <stdio.h>
#include <stdlib.h>

static inline unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    unsigned char *data = n >= 0 ? malloc(n > 0 ? (size_t)n : 1) : NULL;
    if (data && (fseek(f, 0, SEEK_SET) != 0 || fread(data, 1, (size_t)n, f) != (size_t)n)) {
        free(data);
        data = NULL;
    }
    fclose(f);
    *size = data ? (size_t)n : 0;
    return data;
}

#endif
