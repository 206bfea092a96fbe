/* Core dumps (fs/coredump.c, LTP madvise08, waitpid01): a child killed by SIGABRT with
 * RLIMIT_CORE set leaves "core" in its working directory: an ELF core with the notes in
 * Linux's order, memory the dump filter keeps (MADV_DONTDUMP drops a mapping), and the
 * wait status's WCOREDUMP bit. No core without RLIMIT_CORE; a 4 KiB limit cuts the file
 * but still counts as dumped. argv[1]: a scratch directory (the host's core_pattern must
 * be "core" for the native run). */
#include <elf.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MARK_LEN 8192

static char *kept, *dropped;

static int dump(long limit, int dontdump)
{
	struct rlimit r = {limit, limit};
	int st;

	unlink("core");
	if (fork() == 0) {
		setrlimit(RLIMIT_CORE, &r);
		if (dontdump)
			madvise(dropped, MARK_LEN, MADV_DONTDUMP);
		abort();
	}
	wait(&st);
	return st;
}

static int contains(const char *buf, size_t len, char mark)
{
	size_t run = 0;

	for (size_t i = 0; i < len; i++) {
		run = buf[i] == mark ? run + 1 : 0;
		if (run == MARK_LEN)
			return 1;
	}
	return 0;
}

static void describe(void)
{
	struct stat st;
	Elf64_Ehdr *eh;
	Elf64_Phdr *ph;
	char *core;
	int fd = open("core", O_RDONLY), loads = 0;

	if (fd < 0) {
		printf("  no core file\n");
		return;
	}
	fstat(fd, &st);
	core = malloc(st.st_size);
	read(fd, core, st.st_size);
	close(fd);
	eh = (Elf64_Ehdr *)core;
	printf("  ELF %d, type %d, machine %d, mode %o\n", !memcmp(core, ELFMAG, 4), eh->e_type,
	       eh->e_machine, st.st_mode & 0777);
	ph = (Elf64_Phdr *)(core + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			loads++;
			continue;
		}
		printf("  notes:");
		for (size_t off = 0; off < ph[i].p_filesz;) {
			Elf64_Nhdr *n = (Elf64_Nhdr *)(core + ph[i].p_offset + off);
			/* "LINUX" notes: XSAVE state (the emulated CPU has no XSAVE) and,
			 * after 6.1, its layout */
			if (strcmp((char *)(n + 1), "LINUX"))
				printf(" %s/%x", (char *)(n + 1), n->n_type);
			off += sizeof(*n) + ((n->n_namesz + 3) & ~3) + ((n->n_descsz + 3) & ~3);
		}
		printf("\n");
	}
	printf("  loads > 3: %d; kept bytes: %d, dropped bytes: %d\n", loads > 3,
	       contains(core, st.st_size, 'K'), contains(core, st.st_size, 'D'));
	free(core);
}

static void show(const char *what, int st)
{
	printf("%s: signal %d, WCOREDUMP %d\n", what, WTERMSIG(st), WCOREDUMP(st) ? 1 : 0);
}

int main(int argc, char **argv)
{
	char filter[32] = "";
	int fd;

	if (argc < 2 || chdir(argv[1]))
		return 2;
	kept = mmap(NULL, MARK_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dropped = mmap(NULL, MARK_LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(kept, 'K', MARK_LEN);
	memset(dropped, 'D', MARK_LEN);
	fd = open("/proc/self/coredump_filter", O_RDONLY);
	read(fd, filter, sizeof filter - 1);
	close(fd);
	printf("coredump_filter: %s", filter);

	show("no RLIMIT_CORE", dump(0, 0));
	describe();
	show("unlimited", dump(RLIM_INFINITY, 0));
	describe();
	show("MADV_DONTDUMP", dump(RLIM_INFINITY, 1));
	describe();
	show("4 KiB limit", dump(4096, 0));
	struct stat st;
	printf("  file at most 4 KiB: %d\n", stat("core", &st) == 0 && st.st_size <= 4096);

	fd = open("/proc/self/coredump_filter", O_WRONLY);      /* anonymous memory: not dumped */
	write(fd, "0x30", 4);
	close(fd);
	show("filter 0x30", dump(RLIM_INFINITY, 0));
	describe();
	unlink("core");
	return 0;
}
