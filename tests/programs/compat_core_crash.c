#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
int global = 42;
static void __attribute__((noinline)) crash(int depth) {
  volatile int local_marker = 1234 + depth;
  if (depth == 0) *(volatile int *)0 = local_marker;
  crash(depth - 1);
}
int main(int argc, char **argv) {
  struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
  setrlimit(RLIMIT_CORE, &r);
  global = 77;
  if (argc > 1 && strcmp(argv[1], "abort") == 0) abort();
  crash(2);
  return 0;
}
