/*
 * The i386 signal return trampolines (arch/x86/entry/vdso/vdso32/sigreturn.S of Linux
 * 6.1). A handler installed without SA_RESTORER returns here: __kernel_sigreturn for a
 * plain sigframe (it pops the signal number the frame's return address left on the
 * stack, then sigreturn(2)), __kernel_rt_sigreturn for an rt_sigframe (rt_sigreturn(2)).
 *
 * Their unwind information is written by hand: it tells a debugger or an unwinder
 * (gdb's backtrace through a signal handler, libgcc's _Unwind_Backtrace) that the
 * caller's registers are the ones saved in the frame's sigcontext, not on a call stack.
 */
#define __NR_sigreturn		119
#define __NR_rt_sigreturn	173

/* struct sigcontext_32 (arch/x86/include/uapi/asm/sigcontext.h): where each register is. */
#define SC_DI	16
#define SC_SI	20
#define SC_BP	24
#define SC_SP	28
#define SC_BX	32
#define SC_DX	36
#define SC_CX	40
#define SC_AX	44
#define SC_IP	56
/* The sigcontext's place in an rt_sigframe_ia32: pretcode, sig, pinfo, puc (16 bytes),
 * the 128-byte compat_siginfo, then uc_flags, uc_link and the 12-byte uc_stack. */
#define RT_SIGFRAME_SC	164

	.text
	.globl	__kernel_sigreturn
	.type	__kernel_sigreturn, @function
	.globl	vdso32_sigreturn_landing_pad
	/* An unwinder looks up (return address - 1); a handler "returns" to the first
	 * instruction here, so the unwind range starts one byte early, on this nop. */
	nop
	.p2align 4, 0x90
__kernel_sigreturn:
.Lsigreturn_start:
	popl	%eax			/* the signal number */
	movl	$__NR_sigreturn, %eax
	int	$0x80
.Lsigreturn_end:
vdso32_sigreturn_landing_pad:
	nop
	.size	__kernel_sigreturn, . - .Lsigreturn_start

	.globl	__kernel_rt_sigreturn
	.type	__kernel_rt_sigreturn, @function
	.globl	vdso32_rt_sigreturn_landing_pad
	.p2align 4, 0x90
__kernel_rt_sigreturn:
.Lrt_sigreturn_start:
	movl	$__NR_rt_sigreturn, %eax
	int	$0x80
.Lrt_sigreturn_end:
vdso32_rt_sigreturn_landing_pad:
	nop
	.size	__kernel_rt_sigreturn, . - .Lrt_sigreturn_start

/*
 * The CFA of a signal trampoline is the interrupted code's stack pointer, read from the
 * sigcontext (DW_CFA_def_cfa_expression: *(esp + offset)); each register's save slot
 * is an address in the sigcontext (DW_CFA_expression: esp + offset). Register numbers
 * are DWARF's for i386: eax 0, ecx 1, edx 2, ebx 3, ebp 5, esi 6, edi 7, eip 8.
 */
#define CFA_AT(off)							\
	.byte 0x0f;			/* DW_CFA_def_cfa_expression */	\
	.uleb128 1f - 0f;						\
0:	.byte 0x74;			/* DW_OP_breg4 (esp) */		\
	.sleb128 off;							\
	.byte 0x06;			/* DW_OP_deref */		\
1:

#define REG_AT(reg, off)						\
	.byte 0x10;			/* DW_CFA_expression */		\
	.uleb128 reg;							\
	.uleb128 1f - 0f;						\
0:	.byte 0x74;			/* DW_OP_breg4 (esp) */		\
	.sleb128 off;							\
1:

/* Every register of a sigcontext that starts `base` bytes above esp. */
#define SIGCONTEXT_AT(base)						\
	CFA_AT((base) + SC_SP)						\
	REG_AT(0, (base) + SC_AX)					\
	REG_AT(1, (base) + SC_CX)					\
	REG_AT(2, (base) + SC_DX)					\
	REG_AT(3, (base) + SC_BX)					\
	REG_AT(5, (base) + SC_BP)					\
	REG_AT(6, (base) + SC_SI)					\
	REG_AT(7, (base) + SC_DI)					\
	REG_AT(8, (base) + SC_IP)

	.section .eh_frame, "a", @progbits
.Lcie:
	.long	.Lcie_end - .Lcie_start		/* length */
.Lcie_start:
	.long	0				/* CIE id */
	.byte	1				/* version */
	.string	"zRS"				/* augmentation: size, FDE encoding, signal frame */
	.uleb128 1				/* code alignment */
	.sleb128 -4				/* data alignment */
	.byte	8				/* return address column: eip */
	.uleb128 1				/* augmentation data length */
	.byte	0x1b				/* FDE addresses: pcrel | sdata4 */
	.byte	0				/* DW_CFA_nop */
	.p2align 2
.Lcie_end:

	/* __kernel_sigreturn: before the popl, the sigframe's sigcontext is at esp + 4
	 * (past the signal number); after it, at esp. */
	.long	.Lfde1_end - .Lfde1_start	/* length */
.Lfde1_start:
	.long	.Lfde1_start - .Lcie		/* CIE pointer */
	.long	.Lsigreturn_start - 1 - .	/* start, with the nop before it */
	.long	.Lsigreturn_end - .Lsigreturn_start + 1
	.uleb128 0				/* augmentation data length */
	SIGCONTEXT_AT(4)
	.byte	0x42				/* DW_CFA_advance_loc 2: past the nop and the popl */
	SIGCONTEXT_AT(0)
	.p2align 2
.Lfde1_end:

	/* __kernel_rt_sigreturn: esp points past pretcode, at the rt_sigframe's sig field. */
	.long	.Lfde2_end - .Lfde2_start	/* length */
.Lfde2_start:
	.long	.Lfde2_start - .Lcie		/* CIE pointer */
	.long	.Lrt_sigreturn_start - 1 - .
	.long	.Lrt_sigreturn_end - .Lrt_sigreturn_start + 1
	.uleb128 0
	SIGCONTEXT_AT(RT_SIGFRAME_SC - 4)
	.p2align 2
.Lfde2_end:
