/* uname.c - print the uname fields that are the same natively and under
 * glasskernel: sysname, machine; and sanity of release/version. */
#include <ctype.h>
#include <stdio.h>
#include <sys/utsname.h>

int main(void)
{
    struct utsname u;
    if (uname(&u) < 0) {
        perror("uname");
        return 1;
    }
    printf("sysname=%s\n", u.sysname);
    printf("machine=%s\n", u.machine);
    printf("release starts with digit: %d\n", isdigit((unsigned char)u.release[0]) != 0);
    printf("version nonempty: %d\n", u.version[0] != 0);
    printf("nodename nonempty: %d\n", u.nodename[0] != 0);
    return 0;
}
