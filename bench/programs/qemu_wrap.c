/* Runs TARGET under qemu-x86_64 with this program's arguments: the "all emulated" qemu
 * column of the exec workloads. qemu-user does not follow execve (the new program runs
 * natively), so the exec'd program is this wrapper, which runs natively and starts qemu. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    char *args[argc + 2];
    args[0] = "qemu-x86_64";
    args[1] = TARGET;
    for (int i = 1; i < argc; i++)
        args[i + 1] = argv[i];
    args[argc + 1] = NULL;
    execv(QEMU, args);
    perror(QEMU);
    return 127;
}
