/* pipe_packet.c - pipe2(O_DIRECT): packet mode. Each write is a packet (one per page),
 * a read returns at most one and drops what it did not take; only the write end shows
 * O_DIRECT. */
#define _GNU_SOURCE
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
#include <string.h>
int main(void) {
  int p[2]; if (pipe2(p, O_DIRECT)) { perror("pipe2"); return 1; }
  printf("flags w %d r %d\n", !!(fcntl(p[1], F_GETFL) & O_DIRECT), !!(fcntl(p[0], F_GETFL) & O_DIRECT));
  write(p[1], "hello", 5); write(p[1], "world!", 6);
  char b[100]; ssize_t n = read(p[0], b, 100); printf("read1 %zd %.*s\n", n, (int)n, b);
  n = read(p[0], b, 3); printf("read2 %zd %.*s\n", n, (int)n, b);
  write(p[1], "abc", 3); n = read(p[0], b, 100); printf("read3 %zd %.*s\n", n, (int)n, b);
  static char big[10000]; memset(big, 'x', sizeof big); printf("big write %zd\n", write(p[1], big, sizeof big));
  for (int i = 0; i < 3; i++) { n = read(p[0], b, 100); printf("big read %zd\n", n); }
  return 0;
}
