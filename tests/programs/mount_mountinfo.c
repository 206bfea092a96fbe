/* /proc/self/mountinfo and /proc/self/mounts lines of the mounts this program makes in
 * its cwd (mount options, superblock options, a bind mount's root with an escaped space);
 * other lines (the host's or the sandbox's own mounts) are skipped. Needs root. */
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static void show(const char *file, const char *cwd, int skip_fields)
{
    char line[1024];
    FILE *f = fopen(file, "r");
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, cwd))
            continue;
        char *p = line;
        for (int i = 0; i < skip_fields; i++)   /* ids and st_dev differ between runs */
            p = strchr(p, ' ') + 1;
        char *at = strstr(p, cwd);              /* the cwd differs between the runs */
        printf("%.*s.%s", (int)(at - p), p, at + strlen(cwd));
    }
    fclose(f);
}

int main(void)
{
    char cwd[512];
    getcwd(cwd, sizeof cwd);
    mkdir("m", 0755);
    mkdir("b", 0755);
    mount("src", "m", "tmpfs", MS_NOSUID | MS_NODEV, "mode=711,size=1m,nr_inodes=99,uid=5");
    mkdir("m/a", 0755);
    mkdir("m/a/b c", 0755);
    mount("m/a/b c", "b", NULL, MS_BIND, NULL);
    mount(NULL, "b", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOEXEC, NULL);
    show("/proc/self/mountinfo", cwd, 3);
    show("/proc/self/mounts", cwd, 0);
    mount("src", "m", "tmpfs", MS_REMOUNT | MS_RDONLY, "size=2m");
    show("/proc/self/mounts", cwd, 0);
    umount("b");
    umount("m");
    rmdir("m");
    rmdir("b");
    return 0;
}
