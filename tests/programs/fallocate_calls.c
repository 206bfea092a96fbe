/* fallocate(2): preallocation, KEEP_SIZE, PUNCH_HOLE and vfs_fallocate's checks (EINVAL,
 * EOPNOTSUPP, EBADF for a read-only fd, ESPIPE for a pipe). argv[1]: a scratch directory. */
#define _GNU_SOURCE
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
static void show(const char *w, int r){ printf("%s = %d %s\n", w, r, r<0?strerror(errno):""); }
int main(int c, char **v){ char p[4096]; snprintf(p,sizeof p,"%s/fa",v[1]);
 int fd=open(p,O_CREAT|O_RDWR,0644); struct stat st;
 show("fallocate 1M", fallocate(fd, 0, 0, 1<<20)); fstat(fd,&st); printf("size %ld blocks>=2048 %d\n",(long)st.st_size, st.st_blocks>=2048);
 show("keep size", fallocate(fd, FALLOC_FL_KEEP_SIZE, 1<<20, 1<<20)); fstat(fd,&st); printf("size %ld\n",(long)st.st_size);
 show("punch no keep", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
 show("punch", fallocate(fd, FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE, 0, 4096));
 show("bad len", fallocate(fd, 0, 0, 0)); show("neg off", fallocate(fd, 0, -1, 10));
 show("bad mode", fallocate(fd, 0x1000, 0, 10));
 int r=open(p,O_RDONLY); show("rdonly", fallocate(r, 0, 0, 10));
 int pp[2]; pipe(pp); show("pipe", fallocate(pp[1], 0, 0, 10));
 unlink(p); return 0;}
