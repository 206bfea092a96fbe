/* mremap(MREMAP_FIXED) argument checks, as LTP's mremap05 makes them: overlapping old and
 * new ranges are EINVAL (glasskernel unmapped the old range and crashed), a misaligned or
 * too-high new address is EINVAL, an unmapped old range EFAULT; then a real move keeps
 * the contents. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void show(const char *what, void *ret)
{
	if (ret == MAP_FAILED)
		printf("%-32s -1 %s\n", what, strerror(errno));
	else
		printf("%-32s ok\n", what);
}

int main(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *area = mmap(NULL, 8 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(area, 'x', 8 * pg);
	show("FIXED without MAYMOVE", mremap(area, pg, pg, MREMAP_FIXED, area + 4 * pg));
	show("new_addr misaligned", mremap(area, pg, pg, MREMAP_FIXED | MREMAP_MAYMOVE, area + 4 * pg + 1));
	show("new range overlaps the old", mremap(area, 2 * pg, 2 * pg, MREMAP_FIXED | MREMAP_MAYMOVE, area + pg));
	show("new range overlaps (before)", mremap(area + 2 * pg, 2 * pg, 2 * pg, MREMAP_FIXED | MREMAP_MAYMOVE, area + pg));
	show("new range past user space", mremap(area, pg, 2 * pg, MREMAP_FIXED | MREMAP_MAYMOVE, (void *)0x7ffffffff000UL));
	munmap(area + 6 * pg, 2 * pg);
	show("old range not mapped", mremap(area + 6 * pg, pg, pg, MREMAP_FIXED | MREMAP_MAYMOVE, area + 4 * pg));
	printf("the old range is still there: %d\n", area[0] == 'x' && area[pg] == 'x');
	char *moved = mremap(area, 2 * pg, 2 * pg, MREMAP_FIXED | MREMAP_MAYMOVE, area + 4 * pg);
	printf("moved to the fixed address: %d, contents kept: %d\n", moved == area + 4 * pg,
	       moved != MAP_FAILED && moved[0] == 'x' && moved[2 * pg - 1] == 'x');
	return 0;
}
