/* segv.c - store through a NULL pointer: the task must die of SIGSEGV.
 * The pointer is derived from argc so the compiler cannot turn the store
 * into a trap instruction (which would raise SIGILL instead). */
#include <stdint.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argv;
    volatile int *p = (volatile int *)(uintptr_t)(argc - 1);   /* NULL */
    printf("about to fault\n");
    fflush(stdout);
    *p = 42;
    printf("survived the fault\n");
    return 0;
}
