/* An i386 program that leaves two values on the x87 stack (3.25 * 1.5, then 3.25) and
 * faults: its core's NT_PRFPREG holds them in the fsave layout. */
#include <sys/resource.h>

volatile long double x = 3.25L, y = 1.5L;

int main(void)
{
	struct rlimit r = {RLIM_INFINITY, RLIM_INFINITY};
	long double z;

	setrlimit(RLIMIT_CORE, &r);
	__asm__ volatile("fldt %1\n\tfldt %2\n\tfmulp\n\tfldt %1" : "=m"(z) : "m"(x), "m"(y));
	*(volatile int *)0 = 1;
	return 0;
}
