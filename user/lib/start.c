/* What crt0 calls: main, then exit with its result. */
#include "user.h"

const char *program_name = "?";

/* A program's main may also take no arguments: on i386 the extra ones are harmless. */
int main(int argc, char **argv);
__attribute__((noreturn, used)) void user_start(int argc, char **argv);

void user_start(int argc, char **argv)
{
    if (argc > 0 && argv[0])
        program_name = argv[0];
    exit(main(argc, argv));
}
