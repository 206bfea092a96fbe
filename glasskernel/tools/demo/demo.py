"""`glasskernel demo`: a narrated walk through the kernel path of a real fork + exec.

The bundled example (examples/src/forkexec.c, shipped prebuilt in examples/bin by
scripts/build-examples.sh, so no compiler is needed) forks; the child prints and execs
`hello`; the parent waits and prints the status. The demo runs it (deterministically)
with the trace recorder attached, then tells the story of that run step by step from
the recorded events: every number printed comes from this run's trace.

    glasskernel demo                 the walkthrough of the bundled example
    glasskernel demo PROGRAM [ARGS]  the same walk through any program that forks
    glasskernel demo --i386          the same example built for i386: the 32-bit entry path
    glasskernel demo --explain STEP  the longer explanation of one step
"""
import os
import sys

from glasskernel.tools.demo.demo_steps import (COMPAT_ENTRIES, COPY_STEPS, EXEC_SYSCALLS, FORK_SYSCALLS, STEP_KEYS,
                                    STEPS, WAIT_SYSCALLS, Trace, explanation)

# glasskernel/examples/bin: this file is glasskernel/tools/demo/demo.py
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        "examples", "bin")
RULE = "-" * 90


def example_path(name: str = "forkexec") -> str:
    return os.path.join(EXAMPLES, name)


def record_run(argv: list, deterministic: bool = True):
    """Run argv (with glasskernel's environment) on a fresh kernel with a recorder
    attached: (recorder, exit status as a shell reports it)."""
    from glasskernel.api import Session
    session = Session(deterministic=deterministic)
    session.spawn(argv, env=dict(os.environ))
    return session.recorder, session.run()


# ----- the narration ------------------------------------------------------------------------

class Walk:
    """Finds each step of the story in the trace and writes its lines."""

    def __init__(self, events):
        self.t = Trace(events)
        self.lines = []
        self.facts = {}             # what the tests check: child pid, saved rax, entry...
        self.steps = 0

    def say(self, text: str = "", indent: int = 0) -> None:
        self.lines.append("    " * indent + text)

    def heading(self, key: str) -> None:
        step = explanation(key)
        self.steps += 1
        self.say()
        self.say(f"[{self.steps:2}] {step.title}   (--explain {key})")

    def run(self) -> list:
        t = self.t
        fork_i = t.find(FORK_SYSCALLS, ph="B")
        if fork_i is None:
            self.say("This run made no fork/clone syscall: there is no fork to walk through.")
            self.say("Here is how the kernel started the program itself.")
            first = t.find("do_execveat_common", ph="B")
            if first is not None:
                self.walk_exec(t[first].pid, via_syscall=False)
            return self.lines
        first = t.find("do_execveat_common", ph="B")
        if first is not None and first < fork_i and \
                t.find("elf_interp_loaded", pid=t[first].pid, start=first) is not None:
            self.say("First, how the kernel started this dynamically linked program:")
            self.walk_exec(t[first].pid, via_syscall=False)
            self.say()
            self.say("Then the program forks:")
        self.walk_fork(fork_i)
        self.walk_exec()
        self.walk_exit_and_wait()
        return self.lines

    def walk_fork(self, fork_i: int) -> None:
        t = self.t
        entry = t[fork_i]
        parent = entry.pid
        self.facts["parent"] = parent
        compat = entry.name.startswith("__ia32_")
        self.facts["ax"] = ax = "eax" if compat else "rax"
        if compat:
            self.walk_entry32(entry, fork_i)
        else:
            self.heading("entry")
            self.say(f"{entry.comm} (pid {parent}) executes `syscall` with rax = {entry.args['nr']} "
                     f"({entry.name[len('__x64_sys_'):]}).", 1)
            self.say(f"entry_SYSCALL_64 saves pt_regs: rip = {entry.args['rip']} (after the syscall "
                     f"instruction), rsp = {entry.args['rsp']}; do_syscall_64 calls {entry.name}.", 1)
        clone_i = t.find("kernel_clone", ph="B", pid=parent, start=fork_i)
        self.heading("kernel_clone")
        self.say(f"kernel_clone(flags = {t[clone_i].args['flags']})", 1)
        self.walk_copy_process(parent, clone_i)
        wake_i = t.find("wake_up_new_task", ph="B", pid=parent, start=clone_i)
        self.heading("wake_up_new_task")
        self.say(f"pid {t[wake_i].args['pid']} goes on the run queue; the parent keeps the CPU.", 1)
        ret_i = t.closing(fork_i)
        self.heading("parent_return")
        self.say(f"{entry.name} returns {t[ret_i].args.get('ret')} into the parent's saved {ax}: "
                 f"fork() returns the child's pid in the parent.", 1)
        self.facts["parent_fork_ret"] = t[ret_i].args.get("ret")
        self.walk_switch_to_child(ret_i)

    def walk_entry32(self, entry, fork_i: int) -> None:
        """The 32-bit entry of an i386 program's fork: __kernel_vsyscall and sysenter (or
        int $0x80), entry_*_compat, do_*_syscall_32 and ia32_sys_call_table."""
        t = self.t
        parent = entry.pid
        do_i = t.find_back(("do_fast_syscall_32", "do_int80_syscall_32"), parent, fork_i)
        ev = t[t.find_back(COMPAT_ENTRIES, parent, do_i)].args
        do = t[do_i].args
        name = entry.name[len("__ia32_sys_"):]
        self.heading("entry32")
        regs = ", ".join(f"{r} = {ev[r]}" for r in ("ebx", "ecx", "edx", "esi", "edi"))
        if t[do_i].name == "do_fast_syscall_32":
            self.say(f"{entry.comm} (pid {parent}) is an i386 program: its C library calls "
                     f"__kernel_vsyscall at {do['vsyscall']} in the 32-bit vDSO (AT_SYSINFO), "
                     f"which pushes ecx, edx, ebp, copies esp ({ev['esp']}) into ebp and executes "
                     f"`sysenter` at {ev['eip']} with eax = {ev['eax']} = {do['nr']} ({name}).", 1)
            self.say(f"entry_SYSENTER_compat saves the 32-bit pt_regs: orig_ax = eax = "
                     f"{do['nr']}, {regs}; esp comes from ebp.", 1)
            self.say(f"do_fast_syscall_32 reads the sixth argument from the user stack at "
                     f"{do['arg6_at']} (= {do['arg6']}), sets the return address to the vDSO's "
                     f"int80_landing_pad ({do['landing_pad']}) and calls {do['row']} = "
                     f"{entry.name}.", 1)
        else:
            self.say(f"{entry.comm} (pid {parent}) is an i386 program: it executes `int $0x80` "
                     f"(returning to {ev['eip']}) with eax = {ev['eax']} = {do['nr']} ({name}).", 1)
            self.say(f"entry_INT80_compat saves the 32-bit pt_regs: orig_ax = eax = {do['nr']}, "
                     f"{regs}, ebp = {ev['ebp']}; do_int80_syscall_32 calls {do['row']} = "
                     f"{entry.name}.", 1)
        self.say("(the 32-bit kernel of the course write-ups: ia32_sysenter_target → "
                 "sysenter_do_call → call *sys_call_table(,%eax,4) → ptregs_clone → sys_clone)", 1)
        self.facts["compat_entry"] = t[do_i].name
        self.facts["compat_nr"] = do["nr"]
        self.facts["landing_pad"] = do.get("landing_pad")

    def walk_copy_process(self, parent: int, clone_i: int) -> None:
        t = self.t
        cp_i = t.find("copy_process", ph="B", pid=parent, start=clone_i)
        end = t.closing(cp_i)
        self.heading("copy_process")
        for i in range(cp_i + 1, end):
            e = t[i]
            if e.pid != parent or e.ph != "B" or e.name not in COPY_STEPS:
                continue
            detail = ""
            if "action" in e.args:
                detail = f"{e.args['action']}"
                if "what" in e.args:
                    detail += f" {e.args['what']}"
                detail += f" ({e.args['why']})"
            if e.name == "copy_thread":
                self.walk_copy_thread(i)
                continue
            if e.name == "alloc_pid":
                pid = t[t.closing(i)].args.get("ret")
                self.facts["child"] = pid
                self.heading("alloc_pid")
                self.say(f"alloc_pid → pid {pid}", 1)
                continue
            self.say(f"{e.name:<16} {detail}".rstrip(), 1)

    def walk_copy_thread(self, i: int) -> None:
        ret = self.t[self.t.closing(i)].args
        self.heading("copy_thread")
        e = "e" if self.facts.get("ax") == "eax" else "r"
        self.say(f"child's saved registers = the parent's, except {e}ax = {ret['child_rax']}", 1)
        self.say(f"child's {e}ip = {ret['child_rip']}, {e}sp = {ret['child_rsp']} (the parent's); "
                 f"its kernel stack starts in {ret['entry']}", 1)
        self.facts["child_rax"] = ret["child_rax"]
        self.facts["child_rip"] = ret["child_rip"]

    def walk_switch_to_child(self, start: int) -> None:
        t = self.t
        child = self.facts.get("child")
        sw_i = t.find("sched_switch", start=start, next_pid=child)
        if sw_i is None:
            return
        sw = t[sw_i]
        self.heading("context_switch")
        state = {"S": "sleeping", "R": "runnable (time slice used up)", "D": "sleeping",
                 "T": "stopped", "Z": "exiting"}.get(sw.args["prev_state"], sw.args["prev_state"])
        self.say(f"{sw.args['prev_comm']} (pid {sw.args['prev_pid']}) leaves the CPU, {state}; "
                 f"schedule → context_switch → switch_mm → switch_to pid {child}", 1)
        rf_i = t.find("ret_from_fork", ph="B", pid=child, start=sw_i)
        if rf_i is None:
            return
        rf = t[rf_i]
        self.heading("ret_from_fork")
        if "eip" in rf.args:
            self.say(f"pid {child} starts in ret_from_fork → schedule_tail, then returns to "
                     f"compatibility mode (cs = {rf.args['cs']}) at eip = {rf.args['eip']} with "
                     f"eax = {rf.args['eax']}: fork() returns 0 here (in the write-ups' entry_32.S: "
                     f"ret_from_fork → jmp syscall_exit).", 1)
            self.facts["child_first_rax"] = rf.args["eax"]
            self.facts["child_first_ip"] = rf.args["eip"]
            return
        self.say(f"pid {child} starts in ret_from_fork → schedule_tail, then returns to user mode "
                 f"at rip = {rf.args['rip']} with rax = {rf.args['rax']}: fork() returns 0 here.", 1)
        self.facts["child_first_rax"] = rf.args["rax"]

    def walk_exec(self, pid=None, via_syscall: bool = True) -> None:
        t = self.t
        child = self.facts.get("child") if pid is None else pid
        if via_syscall:
            ex_i = t.find(EXEC_SYSCALLS, ph="B", pid=child)
            if ex_i is None:
                return
            self.heading("execve")
        else:
            ex_i = 0
        common_i = t.find("do_execveat_common", ph="B", pid=child, start=ex_i)
        filename = t[common_i].args["filename"]
        if via_syscall:
            self.say(f"execve(\"{filename}\") → do_execveat_common → bprm_execve → "
                     f"search_binary_handler", 1)
        load_i = t.find("load_elf_binary", ph="B", pid=child, start=common_i)
        entry_i = t.find("load_elf_binary_entry", pid=child, start=load_i)
        interp_i = t.find("elf_interp_loaded", pid=child, start=load_i)
        if interp_i is not None and interp_i > entry_i:
            interp_i = None
        st_i = t.find(("start_thread", "compat_start_thread"), ph="B", pid=child, start=load_i)
        self.heading("load_elf_binary")
        self.say(f"the ELF handler accepts {filename}; begin_new_exec drops the old address space; "
                 f"the segments are mapped", 1)
        e = t[entry_i].args
        if interp_i is None:
            self.say(f"entry point = e_entry {e['e_entry']} + load bias {e['bias']} = {e['entry']}", 1)
        else:
            self.walk_interp(t[interp_i].args, e)
        self.heading("start_thread")
        st = t[st_i].args
        before = self.facts.get("child_rip")
        before = f"{before} (in the old program)" if before else "(a new task)"
        if "eip" in st:
            self.say(f"compat_start_thread: saved eip: {before} → {st['eip']}; saved esp → "
                     f"{st['esp']} (the new 32-bit stack: argc, argv, envp, auxv with AT_SYSINFO); "
                     f"cs = __USER32_CS: the program runs in compatibility mode", 1)
        else:
            self.say(f"saved rip: {before} → {st['rip']}; "
                     f"saved rsp → {st['rsp']} (the new stack: argc, argv, envp, auxv)", 1)
        self.facts["exec_filename"] = filename
        self.facts["exec_entry"] = st.get("rip", st.get("eip"))

    def walk_interp(self, interp: dict, e: dict) -> None:
        """The dynamic linker's part of load_elf_binary (the program has PT_INTERP)."""
        self.say(f"PT_INTERP asks for {interp['interpreter']}: opened before the point of no "
                 f"return; the program is mapped at load bias {e['bias']}", 1)
        self.heading("load_elf_interp")
        self.say(f"load_elf_interp maps {interp['interpreter']} at base {interp['base']}; "
                 f"its entry is {interp['entry']}", 1)
        self.say(f"the auxv gets AT_BASE = {interp['base']} and AT_ENTRY = {interp['at_entry']} "
                 f"(e_entry {e['e_entry']} + bias {e['bias']}): where the linker jumps once "
                 f"the libraries are loaded", 1)
        self.facts["interp_base"] = interp["base"]
        self.facts["at_entry"] = interp["at_entry"]

    def walk_exit_and_wait(self) -> None:
        t = self.t
        child, parent = self.facts.get("child"), self.facts.get("parent")
        exit_i = t.find("do_exit", ph="B", pid=child)
        if exit_i is None:
            return
        code = t[exit_i].args["code"]
        self.heading("exit")
        self.say(f"pid {child} calls exit_group({code >> 8}): do_exit(status {code:#06x}) → "
                 f"exit_notify: pid {child} is now a zombie", 1)
        notify_i = t.find("do_notify_parent", ph="B", pid=child, start=exit_i)
        if notify_i is not None:
            self.heading("sigchld")
            self.say(f"do_notify_parent sends {t[notify_i].args['sig']} to pid "
                     f"{t[notify_i].args['parent']} and wakes it", 1)
        wait_i = t.find(WAIT_SYSCALLS, ph="E", pid=parent, start=exit_i)
        if wait_i is not None:
            self.heading("wait")
            self.say(f"the parent's wait4 returns {t[wait_i].args.get('ret')}; the child's status "
                     f"{code:#06x} means exit code {code >> 8}; release_task frees pid {child}", 1)
            self.facts["wait_ret"] = t[wait_i].args.get("ret")


# ----- the command --------------------------------------------------------------------------

INTRO = """\
glasskernel demo: {program} runs on glasskernel's kernel with tracing on. Its own output
comes first; then the walk through the kernel path of that run, built from its trace.
{rule}"""
OUTRO = """
{rule}
Every value above comes from this run's trace. See one step in depth with
`glasskernel demo --explain STEP` (steps: {steps}), the whole trace with
`glasskernel trace PROGRAM`, and a timeline with `glasskernel run --timeline t.html PROGRAM`."""


def cmd_demo(args: list) -> int:
    """demo [PROGRAM [ARGS...] | --i386 | --explain STEP]: options come before PROGRAM."""
    from glasskernel.cli_usage import HELP_OPTIONS, HelpRequested, UsageError
    if args[:1] and args[0] in HELP_OPTIONS:
        raise HelpRequested()
    if args[:1] == ["--explain"]:
        if len(args) != 2:
            raise UsageError(f"--explain needs one STEP (one of {', '.join(STEP_KEYS)})")
        return explain_step(args[1])
    if args == ["--i386"]:
        args = [example_path("i386/forkexec")]
    elif args[:1] == ["--"]:
        args = args[1:]
    elif args[:1] and args[0].startswith("-"):
        raise UsageError(f"unknown option {args[0]}")
    argv = args or [example_path()]
    sys.stdout.write(INTRO.format(program=os.path.basename(argv[0]), rule=RULE) + "\n")
    sys.stdout.flush()
    try:
        recorder, status = record_run(argv)
    except Exception as exc:                    # a program that cannot start
        from glasskernel.uapi.errno import KernelError, strerror
        if isinstance(exc, KernelError):
            print(f"glasskernel demo: cannot run {argv[0]}: {strerror(exc.errno)}", file=sys.stderr)
            return 126
        raise
    sys.stdout.flush()
    walk = Walk(recorder.events)
    print(RULE)
    print("\n".join(walk.run()))
    print(OUTRO.format(rule=RULE, steps=", ".join(STEP_KEYS)))
    return status


def explain_step(key: str) -> int:
    step = explanation(key)
    if step is None:
        print(f"glasskernel demo: unknown step {key!r}; steps: {', '.join(STEP_KEYS)}",
              file=sys.stderr)
        return 2
    import textwrap
    print(step.title)
    print()
    print(textwrap.fill(step.explain, width=90))
    return 0


__all__ = ["cmd_demo", "record_run", "Walk", "STEPS"]
