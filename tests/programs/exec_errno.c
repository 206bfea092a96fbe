/* exec_errno.c - execve(argv[1], argv+1) and report how it failed, by errno name. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char *name(int e)
{
    switch (e) {
    case ENOENT: return "ENOENT";
    case ENOEXEC: return "ENOEXEC";
    case EACCES: return "EACCES";
    case EIO: return "EIO";
    case ELIBBAD: return "ELIBBAD";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case ELOOP: return "ELOOP";
    case ENOTDIR: return "ENOTDIR";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    default: return "other";
    }
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    execv(argv[1], argv + 1);
    printf("execve %s: %s\n", argv[1], name(errno));
    return 1;
}
