/* Sticky directories (check_sticky): uid 1000 may not remove, rename or replace root's
 * entries in a 01777 directory, and may remove its own. argv[1]: a scratch directory. */
#include <stdio.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
static void show(const char *w, int r){ printf("%s = %d %s\n", w, r, r<0?strerror(errno):""); }
int main(int c, char **v){ chdir(v[1]); mkdir("st", 01777); chmod("st", 01777);
 mkdir("st/rootdir", 0777); close(open("st/rootfile", O_CREAT|O_WRONLY, 0666));
 setgid(1000); setuid(1000);
 show("rmdir other's dir", rmdir("st/rootdir")); show("unlink other's file", unlink("st/rootfile"));
 show("rename other's file", rename("st/rootfile", "st/x"));
 close(open("st/mine", O_CREAT|O_WRONLY, 0666)); show("rename over other's", rename("st/mine", "st/rootfile"));
 show("unlink mine", unlink("st/mine")); return 0; }
