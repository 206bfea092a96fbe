/* time.c - clock sanity; prints only "ok ..." lines (or "FAIL ...").
 * argv[1], if given, is the host's time(NULL) just before the run. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static int failures;

static void check(int cond, const char *what)
{
    printf("%s %s\n", cond ? "ok" : "FAIL", what);
    failures += !cond;
}

static double ts(struct timespec t) { return t.tv_sec + t.tv_nsec / 1e9; }

int main(int argc, char **argv)
{
    struct timespec rt, mono, mono2, res;
    check(clock_gettime(CLOCK_REALTIME, &rt) == 0, "clock_gettime REALTIME");
    check(rt.tv_sec > 1600000000 && rt.tv_nsec >= 0 && rt.tv_nsec < 1000000000,
          "realtime after 2020");
    if (argc > 1) {
        long host = atol(argv[1]);
        check(rt.tv_sec >= host - 5 && rt.tv_sec < host + 3600, "realtime near host time");
    }
    struct timeval tv;
    check(gettimeofday(&tv, NULL) == 0, "gettimeofday");
    check(tv.tv_sec >= rt.tv_sec - 2 && tv.tv_sec <= rt.tv_sec + 60 &&
          tv.tv_usec >= 0 && tv.tv_usec < 1000000, "gettimeofday close to realtime");
    time_t t = time(NULL);
    check(t >= rt.tv_sec - 2 && t <= rt.tv_sec + 60, "time() close to realtime");

    check(clock_gettime(CLOCK_MONOTONIC, &mono) == 0, "clock_gettime MONOTONIC");
    int mono_ok = 1;
    struct timespec prev = mono;
    for (int i = 0; i < 1000; i++) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (ts(now) < ts(prev))
            mono_ok = 0;
        prev = now;
    }
    check(mono_ok, "monotonic never goes backwards");
    check(clock_getres(CLOCK_MONOTONIC, &res) == 0 && ts(res) > 0 && ts(res) <= 0.01,
          "clock_getres MONOTONIC");

    struct timespec sl = {0, 20 * 1000 * 1000};
    check(nanosleep(&sl, NULL) == 0, "nanosleep 20ms");
    clock_gettime(CLOCK_MONOTONIC, &mono2);
    check(ts(mono2) - ts(mono) >= 0.020, "monotonic advanced by at least the sleep");
    check(ts(mono2) - ts(mono) < 600, "monotonic advanced by less than 10 minutes");
    return failures ? 1 : 0;
}
