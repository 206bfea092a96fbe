/* SIGSTOP / SIGCONT / SIGTERM on a child, reported through WUNTRACED and WCONTINUED. */
#include <stdio.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>
#include <time.h>
int main(){
  pid_t c = fork();
  if (c == 0) { for(;;) { struct timespec t={0,10000000}; nanosleep(&t,0);} }
  int st;
  kill(c, SIGSTOP);
  pid_t w = waitpid(c, &st, WUNTRACED);
  printf("stopped: %d sig %d\n", w==c && WIFSTOPPED(st), WSTOPSIG(st));
  kill(c, SIGCONT);
  w = waitpid(c, &st, WCONTINUED);
  printf("continued: %d\n", w==c && WIFCONTINUED(st));
  kill(c, SIGTERM);
  w = waitpid(c, &st, 0);
  printf("killed: %d sig %d\n", WIFSIGNALED(st), WTERMSIG(st));
  return 0;
}
