"""The steps of the fork/exec walkthrough: where each is found in a trace, and what it says.

Each step looks for its events in the recording of this run (never a canned value) and
fills a short narration with what it found: syscall numbers, saved registers, which clone
flag decided each copy_process step, the child's pid and its saved rax, the entry point
the exec chain installed. ``--explain STEP`` prints the step's longer text.
"""
from dataclasses import dataclass

FORK_SYSCALLS = ("__x64_sys_fork", "__x64_sys_vfork", "__x64_sys_clone", "__x64_sys_clone3",
                 "__ia32_sys_fork", "__ia32_sys_vfork", "__ia32_sys_clone", "__ia32_sys_clone3")
EXEC_SYSCALLS = ("__x64_sys_execve", "__ia32_sys_execve")
WAIT_SYSCALLS = ("__x64_sys_wait4", "__ia32_sys_wait4", "__ia32_sys_waitpid")
COMPAT_ENTRIES = ("entry_SYSENTER_compat", "entry_INT80_compat")
COPY_STEPS = ("dup_task_struct", "copy_creds", "sched_fork", "copy_files", "copy_fs",
              "copy_sighand", "copy_signal", "copy_mm", "copy_namespaces", "copy_thread",
              "alloc_pid")


class Trace:
    """Lookups over a recording: first matching event after a position."""

    def __init__(self, events):
        self.events = events

    def find(self, name, ph=None, pid=None, start=0, **args):
        """Index of the first event matching, or None."""
        names = (name,) if isinstance(name, str) else name
        for i in range(start, len(self.events)):
            e = self.events[i]
            if e.name in names and (ph is None or e.ph == ph) and (pid is None or e.pid == pid) \
                    and all(e.args.get(k) == v for k, v in args.items()):
                return i
        return None

    def find_back(self, name, pid, before):
        """Index of the last event named name (one of a tuple) of pid before a position."""
        names = (name,) if isinstance(name, str) else name
        for i in range(before - 1, -1, -1):
            e = self.events[i]
            if e.name in names and e.pid == pid:
                return i
        return None

    def closing(self, i):
        """Index of the E event closing the B event at i (same pid, same nesting)."""
        opened = self.events[i]
        depth = 0
        for j in range(i + 1, len(self.events)):
            e = self.events[j]
            if e.pid != opened.pid:
                continue
            if e.ph == "B":
                depth += 1
            elif e.ph == "E":
                if depth == 0:
                    return j
                depth -= 1
        return None

    def __getitem__(self, i):
        return self.events[i]


@dataclass
class Step:
    key: str
    title: str
    explain: str


STEPS = [
    Step("entry", "The fork syscall enters the kernel",
         "The parent's C library executes the `syscall` instruction with the syscall number in "
         "rax. The CPU switches to kernel mode at entry_SYSCALL_64, which saves every user "
         "register on the kernel stack as struct pt_regs (rip is the instruction after "
         "`syscall`, rsp the user stack). do_syscall_64 then indexes sys_call_table with "
         "rax. Whatever the handler returns is written into the saved rax, and the return "
         "to user mode restores pt_regs: that is how a syscall 'returns a value'. A 32-bit "
         "(i386) program enters otherwise: through `sysenter` in the vDSO's "
         "__kernel_vsyscall or `int $0x80`, into entry_SYSENTER_compat or "
         "entry_INT80_compat, with the number in eax and the arguments in ebx, ecx, edx, "
         "esi, edi, ebp, looked up in ia32_sys_call_table, whose numbers differ (clone is "
         "56 here, 120 there): see --explain entry32, and `glasskernel demo --i386`."),
    Step("entry32", "The fork syscall enters the kernel from a 32-bit program",
         "An i386 program runs in compatibility mode (its code segment is __USER32_CS). Its C "
         "library does not execute a syscall instruction itself: it calls through %gs:0x10, "
         "where it stored AT_SYSINFO, the address of __kernel_vsyscall in the 32-bit vDSO. "
         "That routine pushes ecx, edx and ebp, copies esp into ebp and executes `sysenter` "
         "(the CPU's fast entry, which keeps neither the return address nor the stack "
         "pointer); `int $0x80`, the older entry, follows it. The kernel enters at "
         "entry_SYSENTER_compat, saves the 32-bit registers as pt_regs (eax is the syscall "
         "number, ebx, ecx, edx, esi, edi the first five arguments), and do_fast_syscall_32 "
         "reads the sixth from the user stack at ebp, then calls ia32_sys_call_table[eax]: "
         "the i386 numbering, where clone is 120. The return goes to the vDSO's landing pad "
         "right after that `int $0x80`, which pops the three registers and returns to the C "
         "library. The 32-bit kernels of the course write-ups took the same path under older "
         "names: ia32_sysenter_target, sysenter_do_call, `call *sys_call_table(,%eax,4)`, "
         "ptregs_clone and sys_clone; the child's first return there is ret_from_fork's "
         "`jmp syscall_exit`."),
    Step("kernel_clone", "kernel_clone: the one function behind fork, vfork and clone",
         "fork(), vfork(), clone() and clone3() only differ in the kernel_clone_args they fill. "
         "The clone flags say what the child shares with its parent; the low byte is the "
         "signal the parent gets when the child exits (SIGCHLD for fork)."),
    Step("copy_process", "copy_process builds the child, one step at a time",
         "copy_process duplicates the task_struct, then runs one copy_X step per resource. "
         "Every step follows the same rule: if its clone flag is set, the child shares the "
         "parent's object (a reference count goes up); if it is clear, the child gets a "
         "copy. fork sets none of them, so the child gets copies of everything: its own "
         "descriptor table (pointing at the same open files), its own signal handlers, and "
         "its own address space, copied lazily: dup_mmap marks every private page "
         "read-only in both processes, and the first write to one (copy-on-write) gives the "
         "writer its own page. Threads (CLONE_VM|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD...) "
         "share all of it instead. If any step fails, the steps already done are undone in "
         "reverse order and fork returns the error."),
    Step("copy_thread", "copy_thread: the child's registers, with rax = 0",
         "copy_thread copies the parent's saved user registers (pt_regs) into the child and "
         "sets the child's rax to 0. That single assignment is why fork 'returns twice': the "
         "parent will get the child's pid in its rax, the child will find 0 in its own. It "
         "also points the child's kernel stack at ret_from_fork, so the first time the "
         "scheduler switches to the child it starts there instead of in schedule()."),
    Step("alloc_pid", "alloc_pid: the child gets its pid",
         "alloc_pid takes the next free number in each pid namespace the child belongs to. "
         "This number is what fork returns to the parent."),
    Step("wake_up_new_task", "wake_up_new_task: the child becomes runnable",
         "The new task is put on the run queue. Linux's CFS places it slightly behind the "
         "tasks already there (the parent keeps running first by default, "
         "sched_child_runs_first = 0); the child runs when the scheduler picks it."),
    Step("parent_return", "The parent returns from fork with the child's pid",
         "kernel_clone returns the child's pid; the syscall exit path writes it into the "
         "parent's saved rax and returns to user mode. The parent now knows its child."),
    Step("context_switch", "The scheduler switches to the child",
         "Sooner or later the parent blocks (here: waitpid) or uses up its time slice and "
         "calls schedule(). schedule picks the next task, and context_switch runs "
         "switch_mm (load the child's page tables: CR3) and switch_to (save the parent's "
         "registers, switch to the child's kernel stack)."),
    Step("ret_from_fork", "The child's first instructions: ret_from_fork",
         "Because copy_thread pointed the child's kernel stack there, switch_to 'returns' "
         "into ret_from_fork, which finishes the switch (schedule_tail) and returns to user "
         "mode with the registers copy_thread prepared: the same rip as the parent (right "
         "after the `syscall` instruction) and rax = 0. The child's C library sees fork() "
         "return 0."),
    Step("execve", "The child calls execve",
         "execve replaces the program running in the calling process. do_execveat_common "
         "opens the file, prepares a linux_binprm with the argument and environment strings "
         "and calls bprm_execve, which asks each binary format handler in turn "
         "(search_binary_handler) whether it recognises the file: #! scripts, ELF..."),
    Step("load_elf_binary", "load_elf_binary maps the new program",
         "The ELF handler checks the header and program headers, then passes the point of no "
         "return (begin_new_exec: the old address space is dropped; from here an error can "
         "only kill the process), maps each PT_LOAD segment, builds the new stack with argv, "
         "envp and the auxiliary vector, and calls start_thread."),
    Step("load_elf_interp", "load_elf_interp maps the dynamic linker the program asked for",
         "A program built by plain gcc is dynamically linked: its PT_INTERP program header "
         "names an interpreter, /lib64/ld-linux-x86-64.so.2. load_elf_binary opens it before "
         "the point of no return (a missing one is ENOENT, one that is not an x86-64 ELF "
         "ELIBBAD), maps the program (a PIE at ELF_ET_DYN_BASE, 0x555555554000 without ASLR), "
         "then load_elf_interp maps the linker where the top-down mmap search puts it, just "
         "below the stack's gap. The kernel does not load libc: the auxiliary vector tells "
         "the linker where it was put (AT_BASE), where the program's headers are (AT_PHDR) "
         "and where the program starts (AT_ENTRY); the linker maps the libraries, relocates, "
         "and jumps to AT_ENTRY."),
    Step("start_thread", "start_thread: the saved rip and rsp now point into the new program",
         "start_thread rewrites the task's saved user registers: rip = the entry point "
         "(the dynamic linker's when there is one, else the program's e_entry plus the load "
         "bias), rsp = the new stack, every other register cleared. "
         "execve does not 'return' to the old code: the syscall exit path restores these "
         "registers, so user mode resumes at the new program's _start."),
    Step("exit", "The child exits",
         "exit_group ends every thread of the process. do_exit releases the address space, "
         "files and other resources, and exit_notify makes the task a zombie: only its exit "
         "status and accounting remain, for the parent to collect."),
    Step("sigchld", "SIGCHLD tells the parent",
         "do_notify_parent sends the parent the child's exit signal (SIGCHLD for fork) with "
         "a siginfo saying which child and how it ended, and wakes the parent if it sleeps "
         "in wait."),
    Step("wait", "The parent's wait collects the child",
         "wait4 finds the zombie child, copies its status to user memory in the classic "
         "encoding (exit code << 8, or the signal number), frees the task (release_task) and "
         "returns its pid. Until then the child shows as <defunct> in ps."),
]
STEP_KEYS = [s.key for s in STEPS]


def explanation(key: str):
    for step in STEPS:
        if step.key == key:
            return step
    return None
