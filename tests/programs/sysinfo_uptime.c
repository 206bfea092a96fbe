/* sysinfo_uptime.c - sysinfo(2)'s uptime and loads against /proc/uptime and
 * /proc/loadavg: the same clock and the same (absent) load average. */
#include <stdio.h>
#include <sys/sysinfo.h>

int main(void)
{
    struct sysinfo si;
    double up = 0, load = -1;
    FILE *f = fopen("/proc/uptime", "r");
    if (!f || fscanf(f, "%lf", &up) != 1)
        return 1;
    fclose(f);
    f = fopen("/proc/loadavg", "r");
    if (!f || fscanf(f, "%lf", &load) != 1)
        return 1;
    fclose(f);
    if (sysinfo(&si))
        return 1;
    printf("uptime agrees: %d\n", si.uptime >= (long)up && si.uptime <= (long)up + 2);
    printf("load agrees: %d\n", (si.loads[0] >> 16) == (unsigned long)load);
    return 0;
}
