/* CLONE_NEWPID: the child is pid 1 of a new namespace and sees no parent (getppid 0). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include <sys/syscall.h>
int main(){
  pid_t c = syscall(SYS_clone, CLONE_NEWPID|SIGCHLD, 0, 0, 0, 0);
  if (c == 0) { printf("child: getpid %d getppid %d\n", getpid(), getppid()); fflush(stdout);
     pid_t g = fork(); if (g==0){ printf("grandchild: getpid %d getppid %d\n", getpid(), getppid()); fflush(stdout); _exit(0);} waitpid(g,0,0); _exit(3);}
  int st; waitpid(c, &st, 0); printf("parent: child status %d, child pid visible %d\n", WEXITSTATUS(st), c > 1);
  return 0;
}
