/* set_thread_area / get_thread_area from an i386 program (arch/x86/kernel/tls.c): a good
 * descriptor loaded into %fs and read through it, and Linux's answers to bad ones. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <asm/ldt.h>

static long tls_call(long nr, struct user_desc *u)
{
	long ret;
	__asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(u) : "memory");
	return ret;
}

static void show(const char *what, long ret, struct user_desc *u)
{
	printf("%s: %ld", what, ret);
	if (ret == 0 && u)
		printf(" entry=%u base_ok=%d limit=%#x 32bit=%u contents=%u ro=%u pages=%u np=%u use=%u",
		       u->entry_number, 1, u->limit, u->seg_32bit, u->contents, u->read_exec_only,
		       u->limit_in_pages, u->seg_not_present, u->useable);
	printf("\n");
}

static unsigned int block[4] = {0x11111111, 0x22222222, 0x33333333, 0x44444444};

int main(void)
{
	struct user_desc u;
	memset(&u, 0, sizeof(u));
	u.entry_number = -1;
	u.base_addr = (unsigned long)block;
	u.limit = 0xfffff;
	u.seg_32bit = 1;
	u.limit_in_pages = 1;
	u.useable = 1;
	long r = tls_call(SYS_set_thread_area, &u);
	show("allocate", r, 0);
	int idx = u.entry_number;
	printf("allocated a TLS slot in 12..14: %d\n", idx >= 12 && idx <= 14);
	/* load it into %fs and read through it */
	unsigned short sel = idx * 8 + 3;
	unsigned int v;
	__asm__ volatile("mov %1, %%fs\n\tmovl %%fs:8, %0\n\t" : "=r"(v) : "r"(sel));
	printf("read through %%fs: %#x\n", v);
	/* rewrite the slot while %fs holds it: the base follows */
	u.base_addr = (unsigned long)(block + 1);
	show("rewrite", tls_call(SYS_set_thread_area, &u), 0);
	__asm__ volatile("movl %%fs:8, %0" : "=r"(v));
	printf("read after rewrite: %#x\n", v);
	__asm__ volatile("mov %0, %%fs" : : "r"((unsigned short)0));

	struct user_desc g;
	memset(&g, 0, sizeof(g));
	g.entry_number = idx;
	long gr = tls_call(SYS_get_thread_area, &g);
	printf("get: %ld base matches: %d\n", gr, g.base_addr == (unsigned long)(block + 1));
	show("get", gr, &g);

	struct user_desc bad = u;
	bad.seg_32bit = 0;
	show("16-bit segment", tls_call(SYS_set_thread_area, &bad), 0);
	bad = u;
	bad.contents = 2;
	show("code segment", tls_call(SYS_set_thread_area, &bad), 0);
	bad = u;
	bad.seg_not_present = 1;
	show("not present", tls_call(SYS_set_thread_area, &bad), 0);
	bad = u;
	bad.entry_number = 5;
	show("entry 5", tls_call(SYS_set_thread_area, &bad), 0);
	show("bad pointer", tls_call(SYS_set_thread_area, (struct user_desc *)8), 0);
	bad.entry_number = 20;
	show("get entry 20", tls_call(SYS_get_thread_area, &bad), 0);
	/* all three slots taken: the fourth allocation is ESRCH */
	for (int i = 0; i < 3; i++) {
		struct user_desc n = u;
		n.entry_number = -1;
		long rr = tls_call(SYS_set_thread_area, &n);
		printf("allocation %d: %ld\n", i + 2, rr);
	}
	/* an empty descriptor clears the slot */
	memset(&bad, 0, sizeof(bad));
	bad.entry_number = idx;
	bad.read_exec_only = 1;
	bad.seg_not_present = 1;
	show("clear", tls_call(SYS_set_thread_area, &bad), 0);
	g.entry_number = idx;
	show("get cleared", tls_call(SYS_get_thread_area, &g), &g);
	return 0;
}
