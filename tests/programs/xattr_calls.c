/* xattr_calls.c - extended attributes on a file in the directory argv[1]: set, get (size
 * query, ERANGE), list, XATTR_CREATE/XATTR_REPLACE, remove, ENODATA, user.* on a symlink
 * (EPERM), an unknown namespace (EOPNOTSUPP), bad names (ERANGE), an O_PATH fd (EBADF). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

static void say(const char *what, long r)
{
    printf("%s: %ld %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(int argc, char **argv)
{
    if (argc < 2 || chdir(argv[1]))
        return 1;
    close(open("f", O_CREAT | O_WRONLY, 0644));
    symlink("f", "link");
    char buf[64], small[2], name[300];
    say("set user.k", setxattr("f", "user.k", "value", 5, 0));
    say("get size", getxattr("f", "user.k", NULL, 0));
    long n = getxattr("f", "user.k", buf, sizeof buf);
    printf("get: %.*s\n", (int)(n > 0 ? n : 0), buf);
    say("get into 2 bytes", getxattr("f", "user.k", small, sizeof small));
    say("create existing", setxattr("f", "user.k", "x", 1, XATTR_CREATE));
    say("replace missing", setxattr("f", "user.none", "x", 1, XATTR_REPLACE));
    say("replace existing", setxattr("f", "user.k", "new", 3, XATTR_REPLACE));
    say("set user.k2", setxattr("f", "user.k2", "", 0, 0));
    n = listxattr("f", buf, sizeof buf);
    int has_k = 0, has_k2 = 0;
    for (char *p = buf; p < buf + (n > 0 ? n : 0); p += strlen(p) + 1) {
        has_k |= !strcmp(p, "user.k");
        has_k2 |= !strcmp(p, "user.k2");
    }
    printf("list has user.k %d user.k2 %d\n", has_k, has_k2);
    say("list into 2 bytes", listxattr("f", small, sizeof small));
    say("remove user.k2", removexattr("f", "user.k2"));
    say("remove again", removexattr("f", "user.k2"));
    say("get missing", getxattr("f", "user.k2", buf, sizeof buf));
    say("lsetxattr user.* on a symlink", lsetxattr("link", "user.k", "x", 1, 0));
    say("unknown namespace", setxattr("f", "foo.bar", "x", 1, 0));
    memset(name, 'a', sizeof name - 1);
    name[sizeof name - 1] = 0;
    memcpy(name, "user.", 5);
    say("name too long", setxattr("f", name, "x", 1, 0));
    say("empty name", setxattr("f", "", "x", 1, 0));
    say("bad flags", setxattr("f", "user.k", "x", 1, 4));
    int o = open("f", O_PATH);
    say("fgetxattr on O_PATH", fgetxattr(o, "user.k", buf, sizeof buf));
    int fd = open("f", O_RDONLY);
    say("fgetxattr", fgetxattr(fd, "user.k", buf, sizeof buf));
    return 0;
}
