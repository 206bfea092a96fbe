/* epoll_nesting.c - epolls watching epolls: a loop is ELOOP, and so is a chain longer
 * than EP_MAX_NESTS (4) links, counted below the added epoll, the new link and above the
 * epoll it is added to. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static int add(int ep, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};
    return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void say(const char *what, int r)
{
    printf("%s: %d %s\n", what, r, r < 0 ? strerror(errno) : "");
}

int main(void)
{
    int p[2];
    pipe(p);
    int chain[6], fd = p[0];
    for (int i = 0; i < 6; i++) {
        chain[i] = epoll_create1(0);
        char what[32];
        snprintf(what, sizeof what, "chain link %d", i + 1);
        say(what, add(chain[i], fd));
        fd = chain[i];
    }
    int a = epoll_create1(0), b = epoll_create1(0);
    say("a watches b", add(a, b));
    say("b watches a (loop)", add(b, a));
    int top = epoll_create1(0), mid = epoll_create1(0), low = epoll_create1(0);
    say("top watches mid", add(top, mid));
    say("mid watches low", add(mid, low));
    say("low watches chain[2] (up 2 + 1 + down 2)", add(low, chain[2]));
    say("low watches chain[1] (up 2 + 1 + down 1)", add(low, chain[1]));
    return 0;
}
