/* Permission checks use the caller's fs ids, not the host user glasskernel runs as:
 * after setuid(1000) a 0700 directory of root's is not searchable (open, access, chdir)
 * and / is not writable. argv[1]: a scratch directory. */
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
int main(int c, char **v){ char p[4096]; snprintf(p, sizeof p, "%s/sub/f", v[1]);
 char d[4096]; snprintf(d, sizeof d, "%s/sub", v[1]); mkdir(d, 0700); close(open(p, O_CREAT|O_WRONLY, 0644));
 setgid(1000); setuid(1000);
 printf("open: %s\n", open(p, O_RDONLY) < 0 ? strerror(errno) : "ok");
 printf("access: %s\n", access(p, R_OK) < 0 ? strerror(errno) : "ok");
 printf("stat: %s\n", access(d, X_OK) < 0 ? strerror(errno) : "ok");
 printf("chdir: %s\n", chdir(d) < 0 ? strerror(errno) : "ok");
 printf("mkdir in /: %s\n", mkdir("/gk-nope", 0755) < 0 ? strerror(errno) : "ok");
 return 0; }
