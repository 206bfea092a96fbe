/* escape.c - try to read a file outside the guest root.
 *   argv[1]: directory to start in (the root, as the guest sees it)
 *   argv[2]: path of the marker relative to the parent of the root
 *            (e.g. "outside_marker.txt")
 *   argv[3]: absolute host path of the marker
 * Each attempt prints "ATTEMPT name: " followed by what it read, or the
 * error.  Run natively from the root directory, several attempts succeed;
 * under glasskernel --root none may. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void try_read(const char *name, const char *path)
{
    char buf[256];
    int fd = open(path, O_RDONLY);
    printf("ATTEMPT %s: ", name);
    if (fd < 0) {
        printf("open failed: %s\n", strerror(errno));
        return;
    }
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n < 0) {
        printf("read failed: %s\n", strerror(errno));
        return;
    }
    buf[n] = 0;
    for (ssize_t i = 0; i < n; i++)
        if (buf[i] == '\n')
            buf[i] = ' ';
    printf("read %zd bytes: %s\n", n, buf);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 2;
    const char *start = argv[1], *rel = argv[2], *abs = argv[3];
    char path[8192];

    if (chdir(start) < 0)
        printf("chdir %s failed: %s\n", start, strerror(errno));

    try_read("etc-hostname-dotdot", "../../../../etc/hostname");

    snprintf(path, sizeof(path), "../%s", rel);
    try_read("dotdot-rel", path);
    snprintf(path, sizeof(path), "../../../../../../../../../..%s", abs);
    try_read("many-dotdot-abs", path);
    snprintf(path, sizeof(path), "/../../../..%s", abs);
    try_read("root-dotdot-abs", path);
    try_read("abs", abs);

    /* A symlink to "/" must resolve to the guest's root. */
    unlink("esc_link_root");
    if (symlink("/", "esc_link_root") < 0)
        printf("symlink / failed: %s\n", strerror(errno));
    snprintf(path, sizeof(path), "esc_link_root/../%s", rel);
    try_read("symlink-root-dotdot", path);
    snprintf(path, sizeof(path), "esc_link_root%s", abs);
    try_read("symlink-root-abs", path);

    unlink("esc_link_up");
    if (symlink("../../../../../../..", "esc_link_up") < 0)
        printf("symlink ../.. failed: %s\n", strerror(errno));
    snprintf(path, sizeof(path), "esc_link_up%s", abs);
    try_read("symlink-up-abs", path);

    unlink("esc_link_marker");
    snprintf(path, sizeof(path), "../%s", rel);
    symlink(path, "esc_link_marker");
    try_read("symlink-to-marker", "esc_link_marker");
    unlink("esc_link_marker_abs");
    symlink(abs, "esc_link_marker_abs");
    try_read("symlink-to-abs-marker", "esc_link_marker_abs");

    snprintf(path, sizeof(path), "/proc/self/root/../%s", rel);
    try_read("proc-root-dotdot", path);
    snprintf(path, sizeof(path), "/proc/self/root/../../../..%s", abs);
    try_read("proc-root-abs", path);
    snprintf(path, sizeof(path), "/proc/self/cwd/../%s", rel);
    try_read("proc-cwd-dotdot", path);

    /* openat relative to a directory fd of the root */
    int dfd = open("/", O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        snprintf(path, sizeof(path), "../../..%s", abs);
        int fd = openat(dfd, path, O_RDONLY);
        printf("ATTEMPT openat-root-dotdot: %s\n", fd >= 0 ? "opened" : strerror(errno));
        if (fd >= 0) {
            char buf[256];
            ssize_t n = read(fd, buf, sizeof(buf) - 1);
            buf[n < 0 ? 0 : n] = 0;
            printf("  content: %s\n", buf);
            close(fd);
        }
        close(dfd);
    }

    /* chdir("..") repeatedly, then a relative path */
    chdir(start);
    for (int i = 0; i < 64; i++)
        chdir("..");
    char cwd[4096];
    printf("cwd after chdir(..) x64: %s\n", getcwd(cwd, sizeof(cwd)) ? cwd : strerror(errno));
    try_read("chdir-up-rel", abs[0] == '/' ? abs + 1 : abs);
    chdir(start);
    chdir("..");
    try_read("chdir-once-rel", rel);

    unlink("esc_link_root");
    unlink("esc_link_up");
    unlink("esc_link_marker");
    unlink("esc_link_marker_abs");
    return 0;
}
