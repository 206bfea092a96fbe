/* POSIX shared memory (shm_open, shm_unlink): files of the tmpfs on /dev/shm, shared
 * between processes through MAP_SHARED, named in /proc/self/fd, gone after unlink. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    char name[64], link[64], buf[256];
    snprintf(name, sizeof name, "/gk_shm_%d", getpid());
    int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0640);
    printf("shm_open: %s\n", fd < 0 ? strerror(errno) : "ok");
    printf("again with O_EXCL: %s\n", shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600) < 0 ? strerror(errno) : "ok");
    ftruncate(fd, 8192);
    struct stat st;
    fstat(fd, &st);
    printf("mode %o size %ld nlink %lu\n", st.st_mode, (long)st.st_size, (unsigned long)st.st_nlink);
    char *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (fork() == 0) {                           /* another open of the same name */
        int cfd = shm_open(name, O_RDWR, 0);
        char *c = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, cfd, 0);
        strcpy(c + 4096, "from the child");
        _exit(0);
    }
    wait(NULL);
    printf("parent sees: \"%s\"\n", a + 4096);
    DIR *d = opendir("/dev/shm");
    struct dirent *e;
    int listed = 0;
    while (d && (e = readdir(d)))
        if (!strcmp(e->d_name, name + 1)) listed = 1;
    if (d) closedir(d);
    printf("listed in /dev/shm: %d\n", listed);
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("fd link is /dev/shm/NAME: %d\n", !strcmp(buf + 8, name) && !strncmp(buf, "/dev/shm", 8));
    char from[80], to[80];
    snprintf(from, sizeof from, "/dev/shm%s", name);
    snprintf(to, sizeof to, "/dev/shm%s.moved", name);
    printf("rename: %s\n", rename(from, to) < 0 ? strerror(errno) : "ok");
    printf("old name: %s\n", access(from, F_OK) < 0 ? strerror(errno) : "ok");
    printf("rename back: %s\n", rename(to, from) < 0 ? strerror(errno) : "ok");
    printf("shm_unlink: %s\n", shm_unlink(name) < 0 ? strerror(errno) : "ok");
    n = readlink(link, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("after unlink, link ends with (deleted): %d\n", strstr(buf, " (deleted)") != NULL);
    printf("still mapped: \"%s\"\n", a + 4096);
    printf("open after unlink: %s\n", shm_open(name, O_RDWR, 0) < 0 ? strerror(errno) : "ok");
    printf("unlink again: %s\n", shm_unlink(name) < 0 ? strerror(errno) : "ok");
    return 0;
}
