/* Terminal job control as a process on its controlling terminal sees it: the
 * foreground group, SIGTTIN/SIGTTOU for background readers and writers, tcsetpgrp's
 * checks, /dev/tty, TIOCSCTTY/TIOCNOTTY/TIOCGSID.  Run with a pty as the controlling
 * terminal of this program's session (the test harness arranges it). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void say(const char *what, long value)
{
    printf("%s: %ld\n", what, value);
    fflush(stdout);
}

static void report_child(const char *what, pid_t pid)
{
    int status;
    waitpid(pid, &status, WUNTRACED);
    if (WIFSTOPPED(status)) {
        printf("%s: stopped by %s\n", what, strsignal(WSTOPSIG(status)));
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
    } else if (WIFEXITED(status)) {
        printf("%s: exited %d\n", what, WEXITSTATUS(status));
    } else {
        printf("%s: killed by %s\n", what, strsignal(WTERMSIG(status)));
    }
    fflush(stdout);
}

/* A child in a background group of our session runs fn and exits with its result. */
static void in_background(const char *what, int (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        _exit(fn());
    }
    setpgid(pid, pid);
    report_child(what, pid);
}

static int bg_read(void)
{
    char c;
    return read(0, &c, 1) < 0 ? 100 + errno : 0;
}

static int bg_read_ignoring(void)
{
    signal(SIGTTIN, SIG_IGN);
    return bg_read();
}

static int bg_read_blocking_sig(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTTIN);
    sigprocmask(SIG_BLOCK, &set, NULL);
    return bg_read();
}

static int bg_tcsetattr(void)
{
    struct termios t;
    tcgetattr(0, &t);
    return tcsetattr(0, TCSANOW, &t) < 0 ? 100 + errno : 0;
}

static int bg_tcsetattr_ignoring(void)
{
    signal(SIGTTOU, SIG_IGN);
    return bg_tcsetattr();
}

static int bg_write(void)
{
    return write(1, "", 0) < 0 ? 100 + errno : (write(1, "bg write ok\n", 12) < 0 ? 100 + errno : 0);
}

static int bg_tcgetattr(void)
{
    struct termios t;
    return tcgetattr(0, &t) < 0 ? 100 + errno : 0;
}

static int new_session_view(void)
{
    int ret = 0;
    setsid();
    if (tcgetpgrp(0) < 0 && errno == ENOTTY)
        ret |= 1;
    if (open("/dev/tty", O_RDWR) < 0 && errno == ENXIO)
        ret |= 2;
    if (ioctl(0, TIOCSCTTY, 0) < 0 && errno == EPERM)  /* the terminal has a session */
        ret |= 4;
    return ret;
}

static int notty_child(void)
{
    int ret = 0;
    if (ioctl(0, TIOCNOTTY) == 0)
        ret |= 1;
    if (open("/dev/tty", O_RDWR) < 0 && errno == ENXIO)
        ret |= 2;
    if (ioctl(0, TIOCSCTTY, 0) < 0 && errno == EPERM)   /* not a session leader */
        ret |= 4;
    return ret;
}

static void run_child(const char *what, int (*fn)(void))
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn());
    report_child(what, pid);
}

int main(void)
{
    struct termios saved, t;
    pid_t sid;

    say("isatty(0)", isatty(0));
    say("foreground is our group", tcgetpgrp(0) == getpgrp());
    say("TIOCGSID is our session", ioctl(0, TIOCGSID, &sid) == 0 && sid == getsid(0));
    say("we lead the session", getsid(0) == getpid());
    int fd = open("/dev/tty", O_RDWR);
    say("/dev/tty opens", fd >= 0);
    say("/dev/tty has the same foreground", fd >= 0 && tcgetpgrp(fd) == getpgrp());
    close(fd);

    in_background("background read", bg_read);
    in_background("background read, SIGTTIN ignored", bg_read_ignoring);
    in_background("background read, SIGTTIN blocked", bg_read_blocking_sig);
    in_background("background tcsetattr", bg_tcsetattr);
    in_background("background tcsetattr, SIGTTOU ignored", bg_tcsetattr_ignoring);
    in_background("background tcgetattr", bg_tcgetattr);
    in_background("background write, no TOSTOP", bg_write);
    tcgetattr(0, &saved);
    t = saved;
    t.c_lflag |= TOSTOP;
    tcsetattr(0, TCSANOW, &t);
    in_background("background write, TOSTOP", bg_write);
    tcsetattr(0, TCSANOW, &saved);

    /* hand the terminal to a child's group and take it back */
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        pause();
        _exit(0);
    }
    setpgid(pid, pid);
    say("tcsetpgrp(child group)", tcsetpgrp(0, pid));
    say("foreground is the child group", tcgetpgrp(0) == pid);
    say("tcsetpgrp from the background fails", tcsetpgrp(0, getpgrp()) < 0 ? errno : 0);
    signal(SIGTTOU, SIG_IGN);
    say("tcsetpgrp back with SIGTTOU ignored", tcsetpgrp(0, getpgrp()));
    signal(SIGTTOU, SIG_DFL);
    say("foreground is ours again", tcgetpgrp(0) == getpgrp());
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    say("tcsetpgrp(-1)", tcsetpgrp(0, -1) < 0 ? errno : 0);
    say("tcsetpgrp(no such group)", tcsetpgrp(0, 999999) < 0 ? errno : 0);

    run_child("new session view (bits)", new_session_view);
    run_child("TIOCNOTTY in a member (bits)", notty_child);
    say("TIOCSCTTY again as leader", ioctl(0, TIOCSCTTY, 0));
    say("still our terminal", tcgetpgrp(0) == getpgrp());
    return 0;
}
