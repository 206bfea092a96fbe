/* New inodes belong to the creator's fs ids (inode_init_owner): files, directories, symlinks
 * and FIFOs made after setuid/setgid; a set-group-ID directory gives its group and its bit.
 * argv[1]: a scratch directory others may write. */
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/stat.h>
static void st(const char *p){ struct stat s; if(lstat(p,&s)==0) printf("%s uid=%d gid=%d mode=%o\n",p,s.st_uid,s.st_gid,s.st_mode); else perror(p);}
int main(int c, char **v){ chdir(v[1]);
 mkdir("sg", 02777); chown("sg", 0, 4242); chmod("sg", 02777);
 setgid(1001); setuid(1001);
 mkdir("d", 0755); st("d"); close(open("d/f", O_CREAT|O_WRONLY, 0644)); st("d/f");
 symlink("x", "d/l"); st("d/l"); mkfifo("d/p", 0600); st("d/p");
 mkdir("sg/sub", 0755); st("sg/sub"); close(open("sg/f", O_CREAT|O_WRONLY, 02755)); st("sg/f");
 return 0;}
