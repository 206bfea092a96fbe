/* tmpfs chattr flags (FS_IOC_GETFLAGS/SETFLAGS) and what they forbid, statx's
 * attributes (immutable, append, nodump, STATX_ATTR_MOUNT_ROOT). Needs root; unmounts. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%-24s %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "ok"); } while (0)

static void show_statx(const char *path)
{
    struct statx sx;
    statx(AT_FDCWD, path, 0, STATX_BASIC_STATS, &sx);
    printf("%-10s attributes %llx mask %llx\n", path,
           (unsigned long long)(sx.stx_attributes & 0x2070),
           (unsigned long long)(sx.stx_attributes_mask & 0x2070));
}

int main(void)
{
    int flags, fd;
    setvbuf(stdout, NULL, _IONBF, 0);
    mkdir("m", 0755);
    TRY("mount", mount("none", "m", "tmpfs", 0, NULL));
    fd = open("m/f", O_CREAT | O_RDWR, 0644);
    TRY("GETFLAGS", ioctl(fd, FS_IOC_GETFLAGS, &flags));
    printf("flags %x\n", flags);
    flags = FS_IMMUTABLE_FL | FS_NODUMP_FL;
    TRY("SETFLAGS immutable", ioctl(fd, FS_IOC_SETFLAGS, &flags));
    show_statx("m/f");
    show_statx("m");
    TRY("unlink immutable", unlink("m/f"));
    TRY("open W immutable", open("m/f", O_WRONLY));
    TRY("chmod immutable", chmod("m/f", 0600));
    TRY("rename immutable", rename("m/f", "m/g"));
    flags = FS_APPEND_FL;
    TRY("SETFLAGS append", ioctl(fd, FS_IOC_SETFLAGS, &flags));
    TRY("open W append-only", open("m/f", O_WRONLY));
    int afd = open("m/f", O_WRONLY | O_APPEND);
    printf("open O_APPEND ok %d\n", afd >= 0);
    close(afd);
    TRY("unlink append-only", unlink("m/f"));
    flags = 0x1000000;
    TRY("SETFLAGS unsupported", ioctl(fd, FS_IOC_SETFLAGS, &flags));
    if (fork() == 0) {
        setuid(65534);
        flags = 0;
        TRY("SETFLAGS as nobody", ioctl(fd, FS_IOC_SETFLAGS, &flags));
        _exit(0);
    }
    wait(NULL);
    int dfd = open("m", O_RDONLY | O_DIRECTORY);
    TRY("GETFLAGS dir", ioctl(dfd, FS_IOC_GETFLAGS, &flags));
    close(dfd);
    flags = 0;
    TRY("SETFLAGS clear", ioctl(fd, FS_IOC_SETFLAGS, &flags));
    close(fd);
    TRY("unlink", unlink("m/f"));
    TRY("umount", umount("m"));
    rmdir("m");
    return 0;
}
