/* open(O_NOATIME) then read: the access time stays as it was, even where the file
 * system (relatime) would update an access time older than the modification time. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

int main(void)
{
    struct timeval tv[2] = {{1000, 0}, {2000, 0}};
    struct stat st;
    char c;
    int fd = open("noatime.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    write(fd, "data", 4);
    close(fd);
    utimes("noatime.txt", tv);
    fd = open("noatime.txt", O_RDONLY | O_NOATIME);
    printf("read %zd\n", read(fd, &c, 1));
    close(fd);
    stat("noatime.txt", &st);
    printf("atime after O_NOATIME read: %ld\n", (long)st.st_atime);
    unlink("noatime.txt");
    return 0;
}
