/*
 * __kernel_vsyscall, the i386 system call entry point that AT_SYSINFO names
 * (arch/x86/entry/vdso/vdso32/system_call.S of Linux 6.1).
 *
 * A 32-bit program calls it instead of executing int $0x80: eax holds the number and
 * ebx, ecx, edx, esi, edi, ebp the arguments, as for int $0x80. Linux patches in the
 * fastest entry the CPU has; glasskernel's CPU is an Intel-like one with SYSENTER32, so
 * the SYSENTER sequence is built in.
 *
 * sysenter saves no return address and no user stack pointer, so the kernel finds the
 * user stack in ebp (copied from esp here) and the sixth argument at (%ebp), where the
 * push left the caller's ebp; it returns to int80_landing_pad (do_fast_syscall_32).
 * ecx and edx are saved because the fast return paths (SYSEXIT, SYSRETL) use them.
 * The int $0x80 right before the pad runs when the kernel restarts an interrupted call
 * (it moves the return address back 2 bytes, onto it) or on a CPU without a fast entry:
 * it makes the call the slow way and falls through to the same pad.
 */
	.text
	.globl	__kernel_vsyscall
	.type	__kernel_vsyscall, @function
	.globl	int80_landing_pad
	.p2align 4, 0x90
__kernel_vsyscall:
	.cfi_startproc
	pushl	%ecx
	.cfi_adjust_cfa_offset	4
	.cfi_rel_offset	ecx, 0
	pushl	%edx
	.cfi_adjust_cfa_offset	4
	.cfi_rel_offset	edx, 0
	pushl	%ebp
	.cfi_adjust_cfa_offset	4
	.cfi_rel_offset	ebp, 0

	movl	%esp, %ebp		/* the user stack, for the kernel */
	sysenter

	int	$0x80
int80_landing_pad:
	/* Where every entry returns: restore what the entry could clobber. */
	popl	%ebp
	.cfi_restore	ebp
	.cfi_adjust_cfa_offset	-4
	popl	%edx
	.cfi_restore	edx
	.cfi_adjust_cfa_offset	-4
	popl	%ecx
	.cfi_restore	ecx
	.cfi_adjust_cfa_offset	-4
	ret
	.cfi_endproc
	.size	__kernel_vsyscall, . - __kernel_vsyscall
