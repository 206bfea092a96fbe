/* personality_calls.c - personality(2): query (0xffffffff), set and read back, and
 * UNAME26 making uname report a 2.6 release; the personality survives fork. */
#include <stdio.h>
#include <sys/personality.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int start = personality(0xffffffff);
    printf("start: %#x\n", start);
    struct utsname u;
    uname(&u);
    printf("set UNAME26: old %#x\n", personality(PER_LINUX | UNAME26));
    printf("now: %#x\n", personality(0xffffffff));
    struct utsname v;
    uname(&v);
    printf("release starts 2.6.: %d\n", v.release[0] == '2' && v.release[1] == '.' && v.release[2] == '6');
    pid_t pid = fork();
    if (pid == 0) {
        printf("child: %#x\n", personality(0xffffffff));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    personality(start);
    uname(&v);
    printf("restored release equal: %d\n", !__builtin_strcmp(u.release, v.release));
    return 0;
}
