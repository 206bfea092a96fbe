/* O_TMPFILE: an unnamed file in a directory (EINVAL read-only), its /proc/self/fd link
 * "DIR/#INO (deleted)", nlink 0, F_GETFL; and stdio's tmpfile(), which uses it. argv[1]: a directory. */
#define _GNU_SOURCE
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>
int main(int c, char **v){
  int fd = open(v[1], O_TMPFILE|O_RDWR, 0640);
  printf("open O_TMPFILE: %s\n", fd < 0 ? strerror(errno) : "ok");
  printf("O_TMPFILE rdonly: %s\n", open(v[1], O_TMPFILE|O_RDONLY, 0640) < 0 ? strerror(errno) : "ok");
  write(fd, "hello", 5);
  char b[16] = {0}; pread(fd, b, 15, 0); printf("read back: %s\n", b);
  struct stat st; fstat(fd, &st); printf("mode %o nlink %ld size %ld\n", st.st_mode, (long)st.st_nlink, (long)st.st_size);
  char p[64], l[4096]; snprintf(p, sizeof p, "/proc/self/fd/%d", fd); ssize_t n = readlink(p, l, sizeof l - 1); l[n<0?0:n] = 0;
  printf("link has #: %s deleted: %s\n", strchr(l, '#') ? "yes" : "no", strstr(l, "(deleted)") ? "yes" : "no");
  FILE *f = tmpfile(); fputs("x", f); rewind(f); printf("tmpfile: %c\n", fgetc(f));
  printf("F_GETFL has O_TMPFILE: %s\n", (fcntl(fd, F_GETFL) & O_TMPFILE) == O_TMPFILE ? "yes" : "no");
  char name[4096]; snprintf(name, sizeof name, "%s/linked", v[1]);
  printf("linkat /proc/self/fd: %s\n", linkat(AT_FDCWD, p, AT_FDCWD, name, AT_SYMLINK_FOLLOW) < 0 ? strerror(errno) : "ok");
  fstat(fd, &st); printf("nlink now %ld\n", (long)st.st_nlink);
  char b2[16] = {0}; int lf = open(name, O_RDONLY); read(lf, b2, 15); printf("linked reads: %s\n", b2); unlink(name);
  int ex = open(v[1], O_TMPFILE|O_RDWR|O_EXCL, 0600); snprintf(p, sizeof p, "/proc/self/fd/%d", ex);
  printf("linkat O_EXCL tmpfile: %s\n", linkat(AT_FDCWD, p, AT_FDCWD, name, AT_SYMLINK_FOLLOW) < 0 ? strerror(errno) : "ok");
  return 0; }
