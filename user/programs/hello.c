/*
 * The smallest Pagoda program, the one to copy: build your own with
 *   tools/pagoda-cc hello.c -o hello
 * (README.md, "Your own program"). It prints who it is and its arguments, and exits 0.
 */
#include <user.h>

int main(int argc, char **argv)
{
    printf("hello, world: I am %s, process %d\n", argv[0], getpid());
    for (int i = 1; i < argc; i++)
        printf("hello: argument %d is \"%s\"\n", i, argv[i]);
    return 0;
}
