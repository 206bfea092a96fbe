/* sandbox_ops.c - mutate the directory argv[1] and read the changes back.
 * Expects argv[1] to contain: existing.txt, modify.txt, sub/inner.txt.
 * Creates new.txt and renames it to renamed.txt, deletes existing.txt,
 * appends to modify.txt and chmods it, truncates sub/inner.txt,
 * mkdir+rmdir gone/, mkdir kept/ with a file in it, then prints a sorted
 * listing and the contents it reads back.  Output names are relative to
 * argv[1] so native and sandboxed runs print the same text. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[2048];

static const char *P(const char *rel)
{
    static char bufs[4][4096];
    static int k;
    char *b = bufs[k++ % 4];
    snprintf(b, 4096, "%s/%s", base, rel);
    return b;
}

static void report(const char *what, int r)
{
    if (r < 0)
        printf("%s: -1 %s\n", what, strerror(errno));
    else
        printf("%s: %d\n", what, r);
}

static void cat(const char *rel)
{
    char buf[4096];
    int fd = open(P(rel), O_RDONLY);
    if (fd < 0) {
        printf("cat %s: %s\n", rel, strerror(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n < 0 ? 0 : n] = 0;
    printf("cat %s (%zd bytes): %s", rel, n, buf);
    if (n > 0 && buf[n - 1] != '\n')
        printf("\n");
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *rel)
{
    DIR *d = opendir(P(rel));
    if (!d) {
        printf("ls %s: %s\n", rel, strerror(errno));
        return;
    }
    char *names[256];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 256)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp);
    printf("ls %s:", rel);
    for (int i = 0; i < n; i++)
        printf(" %s", names[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    snprintf(base, sizeof(base), "%s", argv[1]);
    umask(022);
    list(".");

    int fd = open(P("new.txt"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    report("create new.txt", fd < 0 ? -1 : 0);
    report("write new.txt", (int)write(fd, "written by guest\n", 17));
    close(fd);
    report("rename new.txt renamed.txt", rename(P("new.txt"), P("renamed.txt")));
    report("unlink existing.txt", unlink(P("existing.txt")));

    fd = open(P("modify.txt"), O_WRONLY | O_APPEND);
    report("append modify.txt", (int)write(fd, "appended line\n", 14));
    close(fd);
    report("chmod modify.txt 600", chmod(P("modify.txt"), 0600));
    report("truncate sub/inner.txt 4", truncate(P("sub/inner.txt"), 4));

    report("mkdir gone", mkdir(P("gone"), 0755));
    report("rmdir gone", rmdir(P("gone")));
    report("mkdir kept", mkdir(P("kept"), 0755));
    fd = open(P("kept/file.txt"), O_CREAT | O_WRONLY, 0644);
    report("write kept/file.txt", (int)write(fd, "in new dir\n", 11));
    close(fd);
    report("rmdir sub (not empty)", rmdir(P("sub")));

    printf("-- read back --\n");
    list(".");
    list("sub");
    list("kept");
    cat("renamed.txt");
    cat("new.txt");
    cat("existing.txt");
    cat("modify.txt");
    cat("sub/inner.txt");
    cat("kept/file.txt");
    struct stat st;
    if (stat(P("modify.txt"), &st) == 0)
        printf("mode modify.txt: %o size %ld\n", st.st_mode & 0777, (long)st.st_size);
    if (stat(P("gone"), &st) < 0)
        printf("stat gone: %s\n", strerror(errno));
    if (stat(P("kept"), &st) == 0)
        printf("kept is dir: %d\n", S_ISDIR(st.st_mode));
    return 0;
}
