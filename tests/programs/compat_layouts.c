/* The i386 struct layouts glasskernel's compat syscalls write, as the compiler lays them
 * out: "struct.field offset size" and "sizeof struct size" lines. Built with gcc -m32 by
 * tests/test_compat_syscalls.py, which decodes the wrappers' output with them. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <asm/stat.h>
#include <asm/statfs.h>
#include <linux/sysinfo.h>
#include <linux/utsname.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <linux/ipc.h>
#include <linux/msg.h>
#include <linux/sem.h>
#include <linux/shm.h>

/* the kernel's struct linux_dirent (fs/readdir.c), which no header exports */
struct linux_dirent { unsigned long d_ino, d_off; unsigned short d_reclen; char d_name[1]; };
/* struct flock and flock64 as the kernel declares them (asm-generic/fcntl.h): glibc's
 * <fcntl.h> cannot be included beside <asm/stat.h> */
struct flock32 { short l_type, l_whence; long l_start, l_len; int l_pid; };
struct flock64 { short l_type, l_whence; long long l_start, l_len; int l_pid; };

#define F(s, f) printf("%s.%s %zu %zu\n", #s, #f, offsetof(struct s, f), sizeof(((struct s *)0)->f))
#define S(s) printf("sizeof %s %zu\n", #s, sizeof(struct s))

int main(void)
{
    S(stat64); F(stat64, st_dev); F(stat64, __st_ino); F(stat64, st_mode); F(stat64, st_nlink);
    F(stat64, st_uid); F(stat64, st_gid); F(stat64, st_rdev); F(stat64, st_size);
    F(stat64, st_blksize); F(stat64, st_blocks); F(stat64, st_atime); F(stat64, st_atime_nsec);
    F(stat64, st_mtime); F(stat64, st_mtime_nsec); F(stat64, st_ctime); F(stat64, st_ctime_nsec);
    F(stat64, st_ino);
    S(stat); F(stat, st_dev); F(stat, st_ino); F(stat, st_mode); F(stat, st_nlink); F(stat, st_uid);
    F(stat, st_gid); F(stat, st_size); F(stat, st_blksize); F(stat, st_blocks);
    F(stat, st_mtime); F(stat, st_mtime_nsec);
    S(__old_kernel_stat); F(__old_kernel_stat, st_ino); F(__old_kernel_stat, st_mode);
    F(__old_kernel_stat, st_nlink); F(__old_kernel_stat, st_size); F(__old_kernel_stat, st_mtime);
    S(statfs); F(statfs, f_type); F(statfs, f_bsize); F(statfs, f_blocks); F(statfs, f_bfree);
    F(statfs, f_files); F(statfs, f_fsid); F(statfs, f_namelen); F(statfs, f_frsize); F(statfs, f_flags);
    S(statfs64); F(statfs64, f_type); F(statfs64, f_bsize); F(statfs64, f_blocks);
    F(statfs64, f_bfree); F(statfs64, f_files); F(statfs64, f_fsid); F(statfs64, f_namelen);
    F(statfs64, f_frsize); F(statfs64, f_flags);
    S(sysinfo); F(sysinfo, uptime); F(sysinfo, totalram); F(sysinfo, freeram); F(sysinfo, procs);
    F(sysinfo, totalhigh); F(sysinfo, mem_unit);
    S(rusage); F(rusage, ru_utime); F(rusage, ru_stime); F(rusage, ru_maxrss); F(rusage, ru_nivcsw);
    S(tms); F(tms, tms_utime); F(tms, tms_cstime);
    S(rlimit); F(rlimit, rlim_cur); F(rlimit, rlim_max);
    S(timeval); F(timeval, tv_sec); F(timeval, tv_usec);
    S(timespec); F(timespec, tv_sec); F(timespec, tv_nsec);
    S(itimerval); F(itimerval, it_interval); F(itimerval, it_value);
    S(itimerspec); F(itimerspec, it_interval); F(itimerspec, it_value);
    S(old_utsname); F(old_utsname, release); F(old_utsname, machine);
    S(oldold_utsname); F(oldold_utsname, release); F(oldold_utsname, machine);
    S(linux_dirent); F(linux_dirent, d_ino); F(linux_dirent, d_off); F(linux_dirent, d_reclen);
    F(linux_dirent, d_name);
    S(flock32); F(flock32, l_type); F(flock32, l_whence); F(flock32, l_start); F(flock32, l_len);
    F(flock32, l_pid);
    S(flock64); F(flock64, l_type); F(flock64, l_whence); F(flock64, l_start); F(flock64, l_len);
    F(flock64, l_pid);
    S(iovec); F(iovec, iov_base); F(iovec, iov_len);
    S(msghdr); F(msghdr, msg_name); F(msghdr, msg_namelen); F(msghdr, msg_iov);
    F(msghdr, msg_iovlen); F(msghdr, msg_control); F(msghdr, msg_controllen); F(msghdr, msg_flags);
    S(cmsghdr); F(cmsghdr, cmsg_len); F(cmsghdr, cmsg_level); F(cmsghdr, cmsg_type);
    printf("CMSG_LEN(4) %zu\nCMSG_SPACE(4) %zu\n", (size_t)CMSG_LEN(4), (size_t)CMSG_SPACE(4));
    S(mmsghdr); F(mmsghdr, msg_len);
    S(ipc64_perm); F(ipc64_perm, uid); F(ipc64_perm, mode); F(ipc64_perm, seq);
    S(msqid64_ds); F(msqid64_ds, msg_stime); F(msqid64_ds, msg_cbytes); F(msqid64_ds, msg_qnum);
    F(msqid64_ds, msg_qbytes); F(msqid64_ds, msg_lspid);
    S(semid64_ds); F(semid64_ds, sem_ctime); F(semid64_ds, sem_nsems);
    S(shmid64_ds); F(shmid64_ds, shm_segsz); F(shmid64_ds, shm_cpid); F(shmid64_ds, shm_nattch);
    S(shminfo64); F(shminfo64, shmmni);
    return 0;
}
