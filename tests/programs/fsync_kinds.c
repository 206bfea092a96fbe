/* fsync_kinds.c - fsync and fdatasync by kind of file: regular files, directories and
 * memfds sync; pipes, /dev/null, /proc files and eventfds have no ->fsync (EINVAL);
 * O_PATH is EBADF. */
#define _GNU_SOURCE
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/eventfd.h>
static void t(const char *w, int fd) { int r = fsync(fd); int e = errno; int r2 = fdatasync(fd); printf("%s: fsync %d %s fdatasync %d\n", w, r, r ? strerror(e) : "", r2); }
int main(void) {
  int p[2]; pipe(p); t("pipe", p[0]); t("stdin", 0); t("stdout", 1);
  t("devnull", open("/dev/null", O_RDWR)); t("dir", open("/tmp", O_RDONLY)); t("file", open("/etc/hostname", O_RDONLY));
  t("proc", open("/proc/self/status", O_RDONLY)); t("memfd", memfd_create("x", 0)); t("eventfd", eventfd(0,0));
  t("opath", open("/etc/hostname", O_PATH)); t("shm", open("/dev/shm", O_RDONLY));
  return 0;
}
