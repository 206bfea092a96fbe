/* Device nodes in a tmpfs: mknod c/b, opening runs our driver by number (mem, loop-control,
 * loop), st_rdev, and a nodev mount refuses to open them (EACCES). Needs root. */
#define _GNU_SOURCE
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>
#include <linux/fs.h>
int main(void){ mkdir("m",0755); mount("none","m","tmpfs",0,NULL);
 int r=mknod("m/zero",S_IFCHR|0666,makedev(1,5)); printf("mknod %d\n",r);
 int fd=open("m/zero",O_RDONLY); char b[4]={1,1,1,1}; ssize_t n=read(fd,b,4); printf("read %zd %d\n",n,b[0]); close(fd);
 r=mknod("m/lc",S_IFCHR|0600,makedev(10,237)); fd=open("m/lc",O_RDWR); printf("loop-control %d\n", fd>=0); close(fd);
 r=mknod("m/l5",S_IFBLK|0600,makedev(7,5)); fd=open("m/l5",O_RDONLY); uint64_t sz=99; printf("blk open %d size %d\n", fd>=0, ioctl(fd,BLKGETSIZE64,&sz)); close(fd);
 struct stat st; stat("m/l5",&st); printf("rdev %d:%d blk %d\n",major(st.st_rdev),minor(st.st_rdev),S_ISBLK(st.st_mode));
 mount("none","m","tmpfs",MS_REMOUNT|MS_NODEV,NULL); fd=open("m/zero",O_RDONLY); printf("nodev %d %s\n",fd,strerrorname_np(errno));
 umount("m"); rmdir("m"); }
