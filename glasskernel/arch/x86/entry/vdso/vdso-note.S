/* The vDSO's ELF note (arch/x86/entry/vdso/vdso-note.S): "Linux", the kernel version
 * (6.1.0 as LINUX_VERSION_CODE), which glibc's dl_discover_osversion may read. */
	.section .note.Linux, "a", @note
	.balign 4
	.long 2f - 1f			/* name size */
	.long 4f - 3f			/* desc size */
	.long 0				/* type */
1:	.asciz "Linux"
2:	.balign 4
3:	.long 0x060100			/* 6.1.0 */
4:	.balign 4
