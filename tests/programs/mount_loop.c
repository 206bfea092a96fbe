/* The loop device: /dev/loop-control, LOOP_SET_FD/CLR_FD, LOOP_{GET,SET}_STATUS(64),
 * BLKGETSIZE64/BLKGETSIZE/BLKSSZGET, reads and writes through to the backing file at
 * lo_offset. Detaches what it attached. Needs root. */
#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/loop.h>
#include <linux/fs.h>
int main(void){
  int ctl=open("/dev/loop-control",O_RDWR);
  printf("ctl %d\n", ctl>=0);
  int n=ioctl(ctl,LOOP_CTL_GET_FREE);
  char path[64]; snprintf(path,64,"/dev/loop%d",n);
  struct stat st; stat(path,&st); printf("blk %d major %d\n",S_ISBLK(st.st_mode),major(st.st_rdev));
  int f=open("img",O_CREAT|O_RDWR,0600); ftruncate(f,1<<20);
  pwrite(f,"hello",5,4096);
  int d=open(path,O_RDWR);
  struct loop_info li; int r=ioctl(d,LOOP_GET_STATUS,&li); printf("unbound get %d %s\n",r,strerror(errno));
  r=ioctl(d,LOOP_CLR_FD,0); printf("unbound clr %d %s\n",r,strerror(errno));
  r=ioctl(d,LOOP_SET_FD,f); printf("setfd %d\n",r);
  r=ioctl(d,LOOP_SET_FD,f); printf("setfd again %d %s\n",r,strerror(errno));
  memset(&li,0,sizeof li); strcpy(li.lo_name,"img"); r=ioctl(d,LOOP_SET_STATUS,&li); printf("setstatus %d\n",r);
  uint64_t sz; ioctl(d,BLKGETSIZE64,&sz); unsigned long secs; ioctl(d,BLKGETSIZE,&secs); int ss; ioctl(d,BLKSSZGET,&ss);
  printf("size %llu secs %lu ssz %d\n",(unsigned long long)sz,secs,ss);
  struct loop_info64 l64; r=ioctl(d,LOOP_GET_STATUS64,&l64); printf("get64 %d name %s num %u off %llu\n",r,l64.lo_file_name,l64.lo_number,(unsigned long long)l64.lo_offset);
  char buf[8]={0}; pread(d,buf,5,4096); printf("read %s\n",buf);
  pwrite(d,"WORLD",5,8192); fsync(d); pread(f,buf,5,8192); printf("backing %s\n",buf);
  l64.lo_offset=4096; r=ioctl(d,LOOP_SET_STATUS64,&l64); ioctl(d,BLKGETSIZE64,&sz); pread(d,buf,5,0); printf("offset %d size %llu read %s\n",r,(unsigned long long)sz,buf);
  r=ioctl(d,LOOP_CLR_FD,0); printf("clr %d\n",r);
  r=ioctl(d,LOOP_CLR_FD,0); printf("clr again %d %s\n",r,strerror(errno));
  r=ioctl(ctl,LOOP_CTL_ADD,n); printf("add existing %d %s\n",r,strerror(errno));
  close(d); close(f); unlink("img");
  return 0;
}
