/* The kernel's copies to and from user memory after the page tables change under them.
 *
 * Each case first lets the kernel write (read()) or read (write()) a page, so the page is
 * known to its user-access TLB, then changes the mapping (mprotect, munmap, fork's
 * copy-on-write, new code) and has the kernel touch the page again: the result must
 * follow the new mapping, not the remembered one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void *page(int prot)
{
    void *p = mmap(NULL, 4096, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        _exit(2);
    }
    return p;
}

/* A fresh pipe in p, or exit. */
static void open_pipe(int p[2])
{
    if (pipe(p) != 0) {
        perror("pipe");
        _exit(2);
    }
}

static void close_pipe(int p[2])
{
    close(p[0]);
    close(p[1]);
}

/* read() n bytes sent through a fresh pipe into dst: the kernel writes the page. */
static long fill(void *dst, const void *src, size_t n)
{
    int p[2];
    long r;
    open_pipe(p);
    if (write(p[1], src, n) != (long)n)
        _exit(2);
    r = read(p[0], dst, n);
    close_pipe(p);
    return r;
}

/* write() n bytes from src into a fresh pipe: the kernel reads the page. */
static long drain(const void *src, size_t n)
{
    int p[2];
    long r;
    open_pipe(p);
    r = write(p[1], src, n);
    close_pipe(p);
    return r;
}

static void report(const char *what, long r)
{
    printf("%s: %ld%s%s\n", what, r, r < 0 ? " " : "", r < 0 ? strerror(errno) : "");
}

static void after_mprotect(void)
{
    char *buf = page(PROT_READ | PROT_WRITE);
    report("fill rw", fill(buf, "first", 5));
    mprotect(buf, 4096, PROT_READ);
    report("fill after PROT_READ", fill(buf, "again", 5));
    report("drain after PROT_READ", drain(buf, 5));
    mprotect(buf, 4096, PROT_NONE);
    report("drain after PROT_NONE", drain(buf, 5));
    mprotect(buf, 4096, PROT_READ | PROT_WRITE);
    report("fill after PROT_READ|PROT_WRITE", fill(buf, "third", 5));
    printf("content: %.5s\n", buf);
}

static void after_munmap(void)
{
    char *buf = page(PROT_READ | PROT_WRITE);
    report("fill before munmap", fill(buf, "gone", 4));
    report("drain before munmap", drain(buf, 4));
    munmap(buf, 4096);
    report("fill after munmap", fill(buf, "gone", 4));
    report("drain after munmap", drain(buf, 4));
}

static void after_fork(void)
{
    char *buf = page(PROT_READ | PROT_WRITE);
    int go[2];
    pid_t child;
    int status;
    fill(buf, "before fork", 12);
    pipe(go);
    fflush(stdout);
    child = fork();
    if (child == 0) {
        char c;
        read(go[0], &c, 1);                 /* after the parent wrote its copy */
        printf("child sees: %s\n", buf);
        fflush(stdout);
        _exit(0);
    }
    report("parent fill after fork", fill(buf, "parent only", 12));
    write(go[1], "x", 1);
    waitpid(child, &status, 0);
    printf("parent sees: %s\n", buf);
}

static void after_new_code(void)
{
    /* mov eax, imm32; ret */
    unsigned char one[] = {0xb8, 1, 0, 0, 0, 0xc3}, two[] = {0xb8, 2, 0, 0, 0, 0xc3};
    void *code = page(PROT_READ | PROT_WRITE | PROT_EXEC);
    int (*fn)(void) = (int (*)(void))code;
    fill(code, one, sizeof one);
    printf("code returns %d\n", fn());
    fill(code, two, sizeof two);
    printf("code returns %d\n", fn());
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    after_mprotect();
    after_munmap();
    after_fork();
    after_new_code();
    return 0;
}
