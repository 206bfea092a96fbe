/* gdb stub tests: spins in user mode for ever, without a syscall (Ctrl-C). */
#include <stdio.h>

volatile unsigned long counter;

__attribute__((noinline)) void spin(void)
{
    for (;;)
        counter++;
}

int main(void)
{
    printf("looping\n");
    fflush(stdout);
    spin();
    return 0;
}
