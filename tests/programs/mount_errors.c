/* Bad input to mount(2), umount2(2) and the loop ioctls: option values, bad pointers,
 * proc mounted twice, descriptors that cannot back a loop device, geometry limits.
 * Needs root; unmounts and detaches what it made. */
#define _GNU_SOURCE
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/loop.h>
#include <linux/fs.h>
#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%-28s %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "ok"); } while (0)
int main(void){
 mkdir("m",0755);
 TRY("size=abc", mount("x","m","tmpfs",0,"size=abc"));
 TRY("mode=9", mount("x","m","tmpfs",0,"mode=9"));
 TRY("uid=-1", mount("x","m","tmpfs",0,"uid=-1"));
 TRY("size=", mount("x","m","tmpfs",0,"size="));
 TRY("huge=bogus", mount("x","m","tmpfs",0,"huge=bogus"));
 TRY("empty opts ,,", mount("x","m","tmpfs",0,",,"));
 TRY("umount", umount("m"));
 TRY("data EFAULT", mount("x","m","tmpfs",0,(void*)8));
 TRY("dir EFAULT", mount("x",(char*)8,"tmpfs",0,NULL));
 TRY("dev EFAULT", mount((char*)8,"m","tmpfs",0,NULL));
 TRY("mount proc", mount("proc","m","proc",0,NULL));
 TRY("stat m/self", access("m/self/status",R_OK));
 TRY("umount proc", umount("m"));
 TRY("umount /proc busy?", umount2("/proc/self", 0));
 TRY("move not mount", mount("m","m",NULL,MS_MOVE,NULL));
 TRY("shared+private", mount(NULL,"/",NULL,MS_SHARED|MS_PRIVATE,NULL));
 int ctl=open("/dev/loop-control",O_RDWR);
 TRY("ctl remove -1", ioctl(ctl,LOOP_CTL_REMOVE,-1));
 TRY("ctl bad cmd", ioctl(ctl,0x4C99,0));
 int d=open("/dev/loop6",O_RDWR);
 int dir=open(".",O_RDONLY);
 TRY("set_fd dir", ioctl(d,LOOP_SET_FD,dir));
 TRY("set_fd badfd", ioctl(d,LOOP_SET_FD,999));
 TRY("get_status EFAULT unbound", ioctl(d,LOOP_GET_STATUS64,(void*)8));
 int f=open("img",O_CREAT|O_RDWR,0600); ftruncate(f,65536);
 TRY("set_fd", ioctl(d,LOOP_SET_FD,f));
 TRY("get_status EFAULT", ioctl(d,LOOP_GET_STATUS64,(void*)8));
 TRY("set_status EFAULT", ioctl(d,LOOP_SET_STATUS64,(void*)8));
 TRY("blksize 1000", ioctl(d,LOOP_SET_BLOCK_SIZE,1000));
 TRY("blksize 1024", ioctl(d,LOOP_SET_BLOCK_SIZE,1024));
 int ss=0; ioctl(d,BLKSSZGET,&ss); printf("ssz %d\n",ss);
 TRY("ctl remove bound", ioctl(ctl,LOOP_CTL_REMOVE,6));
 TRY("change_fd rw", ioctl(d,LOOP_CHANGE_FD,f));
 TRY("read past end", pread(d,&ss,4,1<<20));
 TRY("write past end", pwrite(d,&ss,4,1<<20));
 TRY("clr", ioctl(d,LOOP_CLR_FD,0));
 TRY("mount loop tmpfs", mount("/dev/loop6","m","tmpfs",0,NULL));
 TRY("umount", umount("m"));
 close(d); close(f); close(ctl); unlink("img"); rmdir("m");
}
