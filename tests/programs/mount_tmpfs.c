/* mount(2)/umount2(2) and tmpfs: the errno matrix, st_dev, statfs, ENOSPC at size=,
 * EROFS on a read-only mount for each write path, EBUSY while in use, MNT_DETACH,
 * remount ro/rw, MS_BIND of a tmpfs directory, MS_MOVE, noexec. Runs in the cwd
 * (a scratch directory) and unmounts everything it mounted. Needs root. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); \
    printf("%-28s %ld %s\n", label, r_, r_ < 0 ? strerrorname_np(errno) : "ok"); } while (0)

static void errno_matrix(void)
{
    TRY("mount NULL type", mount("none", "m", NULL, 0, NULL));
    TRY("mount bad type", mount("none", "m", "nosuchfs", 0, NULL));
    TRY("mount missing dir", mount("none", "nodir", "tmpfs", 0, NULL));
    TRY("mount on a file", mount("none", "file", "tmpfs", 0, NULL));
    TRY("mount path through file", mount("none", "file/x", "tmpfs", 0, NULL));
    TRY("mount bad option", mount("none", "m", "tmpfs", 0, "bogus=1"));
    TRY("mount bad size", mount("none", "m", "tmpfs", 0, "size=12q"));
    TRY("mount MS_NOUSER", mount("none", "m", "tmpfs", MS_NOUSER, NULL));
    TRY("mount bad type ptr", mount("none", "m", (char *)8, 0, NULL));
    TRY("remount not mounted", mount("none", "m", "tmpfs", MS_REMOUNT, NULL));
    TRY("umount not mounted", umount("m"));
    TRY("umount missing", umount("nodir"));
    TRY("umount2 bad flags", umount2("m", 0x100));
    TRY("umount2 expire+detach", umount2("m", MNT_EXPIRE | MNT_DETACH));
    TRY("bind no source", mount(NULL, "m", NULL, MS_BIND, NULL));
    TRY("private not a mount", mount(NULL, "m", NULL, MS_PRIVATE, NULL));
}

static void tmpfs_basics(void)
{
    struct stat a, b;
    struct statfs sf;
    char buf[4096] = {0};
    TRY("mount tmpfs", mount("gk-test", "m", "tmpfs", 0, "size=64k,mode=0750"));
    stat(".", &a); stat("m", &b);
    printf("st_dev differs %d, root mode %o nlink %ld\n", a.st_dev != b.st_dev,
           b.st_mode, (long)b.st_nlink);
    TRY("statfs", statfs("m", &sf));
    printf("f_type %lx f_bsize %ld f_blocks %ld f_bfree %ld\n", (long)sf.f_type,
           (long)sf.f_bsize, (long)sf.f_blocks, (long)sf.f_bfree);
    int fd = open("m/f", O_CREAT | O_RDWR, 0644);
    long total = 0, n;
    while ((n = write(fd, buf, sizeof buf)) > 0)
        total += n;
    printf("wrote %ld then %s\n", total, strerrorname_np(errno));
    statfs("m", &sf);
    printf("f_bfree when full %ld\n", (long)sf.f_bfree);
    TRY("umount with open file", umount("m"));
    TRY("rmdir mount point", rmdir("m"));
    TRY("rename mount point", rename("m", "m2"));
    close(fd);
    TRY("mkdir m/d", mkdir("m/d", 0700));
    TRY("symlink", symlink("f", "m/l"));
    TRY("link", link("m/f", "m/h"));
    TRY("link across mounts", link("m/f", "h"));
    TRY("rename across mounts", rename("m/f", "moved"));
    TRY("rename within", rename("m/h", "m/d/h"));
    stat("m/f", &b);
    printf("nlink %ld size %ld\n", (long)b.st_nlink, (long)b.st_size);
    TRY("chdir into", chdir("m/d"));
    TRY("umount busy cwd", umount("../../m"));
    TRY("chdir back", chdir("../.."));
    TRY("unlink", unlink("m/d/h"));
    TRY("rmdir", rmdir("m/d"));
    TRY("umount", umount("m"));
    TRY("stat after umount", stat("m/f", &b));
}

static void inode_limit(void)
{
    struct statfs sf;
    char name[16];
    TRY("mount nr_inodes=3", mount("none", "m", "tmpfs", 0, "nr_inodes=3,uid=12,gid=34"));
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "m/f%d", i);
        TRY(name, close(open(name, O_CREAT | O_WRONLY, 0600)));
    }
    TRY("mkdir past nr_inodes", mkdir("m/d", 0700));
    statfs("m", &sf);
    printf("f_files %ld f_ffree %ld\n", (long)sf.f_files, (long)sf.f_ffree);
    struct stat st;
    stat("m", &st);
    printf("root owner %d:%d\n", st.st_uid, st.st_gid);
    TRY("remount nr_inodes=1", mount("none", "m", "tmpfs", MS_REMOUNT, "nr_inodes=1"));
    TRY("remount size=4k", mount("none", "m", "tmpfs", MS_REMOUNT, "size=4k"));
    unlink("m/f0");
    unlink("m/f1");
    TRY("create after unlink", close(open("m/g", O_CREAT | O_WRONLY, 0600)));
    TRY("umount", umount("m"));
}

static void readonly_paths(void)
{
    TRY("mount tmpfs", mount("none", "m", "tmpfs", 0, NULL));
    mkdir("m/dir", 0777);
    int fd = open("m/file", O_CREAT | O_WRONLY, 0666);
    TRY("remount ro, file open", mount("none", "m", "tmpfs", MS_REMOUNT | MS_RDONLY, NULL));
    close(fd);
    TRY("remount ro", mount("none", "m", "tmpfs", MS_REMOUNT | MS_RDONLY, NULL));
    TRY("open O_WRONLY", open("m/file", O_WRONLY));
    TRY("open O_RDWR", open("m/file", O_RDWR));
    TRY("open O_RDONLY|O_TRUNC", open("m/file", O_RDONLY | O_TRUNC));
    TRY("open O_CREAT new", open("m/new", O_CREAT | O_RDONLY, 0644));
    fd = open("m/file", O_RDONLY);
    printf("open O_RDONLY ok %d\n", fd >= 0);
    TRY("creat", creat("m/new", 0644));
    TRY("mkdir", mkdir("m/new", 0755));
    TRY("mkdir existing", mkdir("m/dir", 0755));
    TRY("rmdir", rmdir("m/dir"));
    TRY("unlink", unlink("m/file"));
    TRY("unlink missing", unlink("m/missing"));
    TRY("rename", rename("m/file", "m/file2"));
    TRY("link", link("m/file", "m/file2"));
    TRY("symlink", symlink("file", "m/sl"));
    TRY("mknod fifo", mknod("m/fifo", S_IFIFO | 0644, 0));
    TRY("chmod", chmod("m/file", 0600));
    TRY("fchmod", fchmod(fd, 0600));
    TRY("chown", chown("m/file", 1, 1));
    TRY("fchown", fchown(fd, 1, 1));
    TRY("utimes", utimes("m/file", NULL));
    TRY("utimensat", utimensat(AT_FDCWD, "m/file", NULL, 0));
    TRY("truncate", truncate("m/file", 0));
    TRY("setxattr", setxattr("m/file", "user.x", "1", 1, 0));
    TRY("removexattr", removexattr("m/file", "user.x"));
    TRY("access W_OK", access("m/file", W_OK));
    TRY("access R_OK", access("m/file", R_OK));
    TRY("open O_TMPFILE", open("m", O_TMPFILE | O_RDWR, 0600));
    struct statfs sf;
    statfs("m", &sf);
    printf("ST_RDONLY %ld\n", (long)(sf.f_flags & 1));
    close(fd);
    TRY("remount rw", mount("none", "m", "tmpfs", MS_REMOUNT, NULL));
    fd = open("m/file", O_WRONLY);
    printf("open O_WRONLY after rw %d\n", fd >= 0);
    close(fd);
    TRY("umount", umount("m"));
    TRY("mount MS_RDONLY", mount("none", "m", "tmpfs", MS_RDONLY, NULL));
    TRY("mkdir on ro mount", mkdir("m/x", 0755));
    TRY("umount", umount("m"));
}

static void bind_move_detach(void)
{
    struct stat a, b;
    TRY("mount tmpfs", mount("none", "m", "tmpfs", 0, NULL));
    mkdir("m/sub", 0755);
    close(open("m/sub/f", O_CREAT | O_WRONLY, 0644));
    TRY("bind sub", mount("m/sub", "m2", NULL, MS_BIND, NULL));
    stat("m/sub/f", &a); stat("m2/f", &b);
    printf("same inode %d\n", a.st_ino == b.st_ino && a.st_dev == b.st_dev);
    TRY("remount bind ro", mount(NULL, "m2", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL));
    TRY("write through ro bind", open("m2/f", O_WRONLY));
    int wfd = open("m/sub/f", O_WRONLY);
    printf("write through rw mount %d\n", wfd >= 0);
    close(wfd);
    TRY("umount bind", umount("m2"));
    TRY("umount non-root dir", umount("m/sub"));
    TRY("mount over sub", mount("none", "m/sub", "tmpfs", 0, NULL));
    TRY("umount parent busy", umount("m"));
    TRY("private", mount(NULL, "m", NULL, MS_PRIVATE, NULL));
    TRY("move into itself", mount("m", "m/sub", NULL, MS_MOVE, NULL));
    TRY("move", mount("m", "m2", NULL, MS_MOVE, NULL));
    TRY("stat moved", stat("m2/sub", &a));
    int fd = open("m2/sub", O_RDONLY | O_DIRECTORY);
    TRY("detach with open dir", umount2("m2/sub", MNT_DETACH));
    TRY("fstat after detach", fstat(fd, &a));
    close(fd);
    TRY("expire first", umount2("m2", MNT_EXPIRE));
    TRY("expire second", umount2("m2", MNT_EXPIRE));
    TRY("umount again", umount("m2"));
}

static void noexec(const char *self)
{
    TRY("mount noexec", mount("none", "m", "tmpfs", MS_NOEXEC, NULL));
    int in = open(self, O_RDONLY), out = open("m/prog", O_CREAT | O_WRONLY, 0755);
    char buf[65536];
    long n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        write(out, buf, n);
    close(in); close(out);
    pid_t pid = fork();
    if (pid == 0) {
        execl("m/prog", "prog", "child", (char *)NULL);
        printf("execl noexec %s\n", strerrorname_np(errno));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    int fd = open("m/prog", O_RDONLY);
    void *p = mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);
    printf("mmap PROT_EXEC noexec %s\n", p == MAP_FAILED ? strerrorname_np(errno) : "ok");
    p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("mprotect PROT_EXEC noexec %s\n",
           mprotect(p, 4096, PROT_READ | PROT_EXEC) ? strerrorname_np(errno) : "ok");
    munmap(p, 4096);
    close(fd);
    TRY("umount", umount("m"));
}

static void nosymfollow(void)
{
    char buf[8];
    TRY("mount nosymfollow", mount("none", "m", "tmpfs", MS_NOSYMFOLLOW, NULL));
    close(open("m/target", O_CREAT | O_WRONLY, 0644));
    symlink("target", "m/link");
    TRY("open through link", open("m/link", O_RDONLY));
    TRY("open O_CREAT via link", open("m/link", O_CREAT | O_RDONLY, 0644));
    TRY("readlink still works", readlink("m/link", buf, sizeof buf));
    TRY("lstat link", lstat("m/link", &(struct stat){0}));
    TRY("umount", umount("m"));
}

static void self_bind(void)
{
    struct stat a, b;
    char here[4096];
    getcwd(here, sizeof here);
    mkdir("sb", 0755);
    TRY("bind dir onto itself", mount("sb", "sb", NULL, MS_BIND, NULL));
    TRY("make it private", mount(NULL, "sb", NULL, MS_PRIVATE, NULL));
    TRY("file inside", close(open("sb/f", O_CREAT | O_WRONLY, 0644)));
    TRY("link out of it", link("sb/f", "outside"));
    TRY("rename out of it", rename("sb/f", "outside"));
    mkdir("sb/sub", 0755);
    TRY("mount under it", mount("none", "sb/sub", "tmpfs", 0, NULL));
    TRY("umount busy bind", umount("sb"));
    TRY("umount sub", umount("sb/sub"));
    stat("sb", &a);
    stat("sb/sub", &b);
    printf("same device inside %d\n", a.st_dev == b.st_dev);
    TRY("umount bind", umount("sb"));
    TRY("file still there", stat("sb/f", &a));
    unlink("sb/f");
    rmdir("sb/sub");
    TRY("rmdir", rmdir("sb"));
}

static int read_updates_atime(const char *path, int oflags)
{
    struct timeval tv[2] = {{1000, 0}, {2000, 0}};
    struct stat st;
    char c;
    utimes(path, tv);
    int fd = open(path, oflags);
    if (oflags & O_DIRECTORY) {
        char buf[1024];
        syscall(217, fd, buf, sizeof buf);      /* getdents64 */
    } else {
        read(fd, &c, 1);
    }
    close(fd);
    stat(path, &st);
    return st.st_atime != 1000;
}

static void atime(void)
{
    static const struct { const char *name; unsigned long flags; } cases[] = {
        {"relatime", 0}, {"noatime", MS_NOATIME}, {"nodiratime", MS_NODIRATIME},
        {"strictatime", MS_STRICTATIME}, {"rdonly", MS_RDONLY},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        mount("none", "m", "tmpfs", 0, NULL);
        mkdir("m/d", 0755);
        close(open("m/f", O_CREAT | O_WRONLY, 0644));
        int wfd = open("m/f", O_WRONLY);
        write(wfd, "x", 1);
        close(wfd);
        mount("none", "m", "tmpfs", MS_REMOUNT | cases[i].flags, NULL);
        printf("%-12s file %d noatime-open %d dir %d\n", cases[i].name,
               read_updates_atime("m/f", O_RDONLY),
               read_updates_atime("m/f", O_RDONLY | O_NOATIME),
               read_updates_atime("m/d", O_RDONLY | O_DIRECTORY));
        TRY("umount", umount2("m", MNT_DETACH));
    }
}

static void as_user(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        setuid(65534);
        TRY("mount as nobody", mount("none", "m", "tmpfs", 0, NULL));
        TRY("mount missing as nobody", mount("none", "nodir", "tmpfs", 0, NULL));
        TRY("umount as nobody", umount("m"));
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return 0;
    mkdir("m", 0755);
    mkdir("m2", 0755);
    close(open("file", O_CREAT | O_WRONLY, 0644));
    setvbuf(stdout, NULL, _IONBF, 0);
    errno_matrix();
    tmpfs_basics();
    inode_limit();
    readonly_paths();
    bind_move_detach();
    noexec(argv[0]);
    nosymfollow();
    self_bind();
    atime();
    as_user();
    unlink("file"); unlink("moved");
    rmdir("m"); rmdir("m2");
    return 0;
}
