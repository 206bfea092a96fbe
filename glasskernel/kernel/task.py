"""task_struct: one schedulable thread of execution (include/linux/sched.h).

Each field notes who owns it, in the gVisor manner:
  - "task"   : only the task itself changes it (from its own kernel path)
  - "kernel" : the Kernel object changes it (scheduler, pid allocator, exit path)
  - shared objects (mm, files, fs) are reference counted and may be shared by several
    tasks according to the clone flags that created them.
"""
from dataclasses import dataclass, field


# ----- run states (include/linux/sched.h) --------------------------------------------------
# task->__state and task->exit_state hold Linux's bit values. docs/run-states.md draws the
# states and the functions that move a task between them; only those functions write the
# two fields (tests/test_run_states.py checks it). Plain ints: a state test on the
# scheduler's and the syscall path's hot paths is one int operation.
TASK_RUNNING = 0x0000
TASK_INTERRUPTIBLE = 0x0001
TASK_UNINTERRUPTIBLE = 0x0002
__TASK_STOPPED = 0x0004
__TASK_TRACED = 0x0008
EXIT_DEAD = 0x0010                  # exit_state: reaped (or autoreaped), about to be freed
EXIT_ZOMBIE = 0x0020                # exit_state: exited, waiting for its parent's wait
TASK_PARKED = 0x0040
TASK_DEAD = 0x0080                  # do_task_dead: the kernel stack is about to end
TASK_WAKEKILL = 0x0100              # a fatal signal wakes the sleeper (signal_wake_up)
TASK_NEW = 0x0800                   # sched_fork until wake_up_new_task
TASK_KILLABLE = TASK_WAKEKILL | TASK_UNINTERRUPTIBLE
TASK_STOPPED = TASK_WAKEKILL | __TASK_STOPPED
TASK_TRACED = __TASK_TRACED
TASK_NORMAL = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE
TASK_REPORT = (TASK_RUNNING | TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE | __TASK_STOPPED
               | __TASK_TRACED | EXIT_DEAD | EXIT_ZOMBIE | TASK_PARKED)
# (Inside a class body Python mangles the names with a leading "__": the functions that
# use them are module-level ones, as their Linux twins are.)

# signal->flags (include/linux/sched/signal.h)
SIGNAL_STOP_STOPPED = 0x0001        # a job-control stop is in effect
SIGNAL_STOP_CONTINUED = 0x0002      # SIGCONT came since the last WCONTINUED report
SIGNAL_GROUP_EXIT = 0x0004          # exit_group or a fatal signal is taking the group down
SIGNAL_CLD_STOPPED = 0x0010         # the parent is yet to hear of the stop ...
SIGNAL_CLD_CONTINUED = 0x0020       # ... or of the continue
SIGNAL_CLD_MASK = SIGNAL_CLD_STOPPED | SIGNAL_CLD_CONTINUED
SIGNAL_STOP_MASK = SIGNAL_CLD_MASK | SIGNAL_STOP_STOPPED | SIGNAL_STOP_CONTINUED


def signal_set_stop_flags(sig, flags: int) -> None:
    """Replace the job-control part of signal->flags (stopped, continued, what to tell)."""
    sig.flags = (sig.flags & ~SIGNAL_STOP_MASK) | flags


def signal_group_exit(sig) -> bool:
    """Is the process being taken down (exit_group, a fatal signal)?"""
    return sig.flags & SIGNAL_GROUP_EXIT != 0


def set_current_state(task, state: int) -> None:
    """The running task announces the sleep it is about to begin (then calls schedule()),
    or that it runs again. (Linux's __set_current_state, the same without a memory
    barrier, has no use here: one CPU.)"""
    task._state = state


def set_special_state(task, state: int) -> None:
    """A state only a wake-up for that state ends: TASK_STOPPED, TASK_TRACED, TASK_DEAD."""
    task._state = state


def task_state_index(task) -> int:
    """__task_state_index: the highest reported bit of the run and exit states, so a
    zombie or dead task reports its exit state whatever its run state is."""
    return ((task._state | task.exit_state) & TASK_REPORT).bit_length()


def task_index_to_char(index: int) -> str:
    return "RSDTtXZPI"[index]


def task_state_to_char(task) -> str:
    """The state's letter in /proc/PID/stat, ps and the tracing outputs."""
    return "RSDTtXZPI"[((task._state | task.exit_state) & TASK_REPORT).bit_length()]


@dataclass(slots=True)
class Cred:
    """struct cred: the identities a task acts with (include/linux/cred.h)."""

    uid: int = 0
    gid: int = 0
    euid: int = 0
    egid: int = 0
    groups: tuple = ()
    suid: int = -1          # saved set-user-ID; -1 at construction means "same as euid"
    sgid: int = -1
    fsuid: int = -1         # file-system ids; -1 means "same as the effective id"
    fsgid: int = -1
    # capability sets (bit N = capability N, uapi/capability.py) and the secure bits.
    # -1 means "what execve gives these ids with a full bounding set": all permitted for
    # a real or effective root, all effective for an effective root, none otherwise.
    cap_inheritable: int = 0
    cap_permitted: int = -1
    cap_effective: int = -1
    cap_bset: int = (1 << 41) - 1
    cap_ambient: int = 0
    securebits: int = 0
    user_ns: object = None  # kernel/user_namespace.py: None is the initial namespace

    def __post_init__(self):
        for saved, effective in (("suid", "euid"), ("sgid", "egid"), ("fsuid", "euid"), ("fsgid", "egid")):
            if getattr(self, saved) == -1:
                setattr(self, saved, getattr(self, effective))
        if self.cap_permitted == -1:
            self.cap_permitted = self.cap_bset if 0 in (self.uid, self.euid) else 0
        if self.cap_effective == -1:
            self.cap_effective = self.cap_permitted if self.euid == 0 else 0


@dataclass(eq=False, slots=True)
class SignalStruct:
    """signal_struct: what the threads of one process share (CLONE_THREAD shares it).

    Process group and session live here, as in Linux; so do the accounting of reaped
    children (cutime/cstime) and the group-exit state.
    """

    pgrp: int = 0                       # process group id (root namespace numbers)
    session: int = 0                    # session id
    tty: object = None                  # controlling terminal, if any
    leader_pid: int = 0                 # tgid of the thread-group leader
    nr_threads: int = 1
    flags: int = 0                      # SIGNAL_*: job-control stop and group exit state
    group_exit_code: int = 0            # the group's exit status, or the stop signal while
                                        # SIGNAL_STOP_STOPPED (0 once wait reported it)
    is_child_subreaper: bool = False    # prctl(PR_SET_CHILD_SUBREAPER)
    has_child_subreaper: bool = False   # an ancestor is (or was) a subreaper: find_new_reaper looks up
    is_init: bool = False               # the init of a pid namespace (SIGNAL_UNKILLABLE)
    cutime_ns: int = 0                  # user time of reaped children (for times/rusage)
    cstime_ns: int = 0
    maxrss: int = 0                     # pages: the largest RSS of the process's finished mms
    cmaxrss: int = 0                    # pages: the largest of its reaped children's
    itimers: object = None              # kernel/time_itimer.py: ITIMER_REAL/VIRTUAL/PROF
    posix_timers: object = None         # kernel/posix_timers.py: timer_create's timers
    wait_pidfd: object = None           # kernel/pidfd.py: pollers of the process's pidfds
    wait_chldexit: object = None        # kernel/exit.py: threads asleep in wait4/waitid, made at the first wait
    users: int = 1
    oom_score_adj: int = 0              # mm/oom_kill.py: -1000 (never) .. 1000 (first)
    oom_victim: bool = False            # the OOM killer chose this process (tsk_is_oom_victim)
    rlim_cpu_poll: object = None        # the HrTimer checking RLIMIT_CPU (time_itimer.py)


@dataclass(eq=False, slots=True)
class Task:
    """struct task_struct, the fields this kernel uses."""

    kernel: object                      # the Kernel that owns this task
    pid: int                            # kernel: thread id in the root pid namespace
    tgid: int                           # kernel: thread-group (process) id
    comm: str = ""                      # task: executable name, 15 chars at most
    # Linux's task->__state (a TASK_* value). Spelled with one underscore: Python mangles a
    # "__" name inside every class body that touches it (Task, Scheduler ...), and the
    # underscore says what Linux's rename said: write it only through set_current_state
    # and friends. A default made per instance, not a class attribute: one on the class
    # stops the interpreter from caching where task._state is (its class is mutable).
    _state: int = field(default_factory=int)
    parent: "Task | None" = None        # kernel: who gets SIGCHLD
    real_parent: "Task | None" = None   # kernel: who forked us
    children: list = field(default_factory=list)  # kernel
    exit_code: int = 0                  # kernel: wait status once a zombie
    exit_signal: int = 17               # task: signal sent to parent at exit (SIGCHLD)
    cred: Cred = field(default_factory=Cred)  # task
    mm: object = None                   # shared by CLONE_VM: mm.mmap.MmStruct
    files: object = None                # shared by CLONE_FILES: fs.file.FilesStruct
    fs: object = None                   # shared by CLONE_FS: fs.fs_struct.FsStruct
    thread: object = None               # task: arch state (saved pt_regs, fs base)
    clear_child_tid: int = 0            # task: set_tid_address / CLONE_CHILD_CLEARTID
    set_child_tid: int = 0              # task: CLONE_CHILD_SETTID, written in schedule_tail
    robust_list: tuple = (0, 0)         # task: set_robust_list head and length
    rlimits: dict = field(default_factory=dict)  # shared with the thread group
    exiting: bool = False               # task: do_exit has begun (PF_EXITING)
    pending_fault: object = None        # task: signal from a user fault, delivered on the way out
    sighand: object = None              # shared by CLONE_SIGHAND: kernel.signal.SighandStruct
    blocked: int = 0                    # task: blocked signal mask
    pending: int = 0                    # kernel: pending signals (its own, and shared ones queued here)
    pending_info: dict = field(default_factory=dict)  # kernel: signo -> [(shared, siginfo)] (sigqueue)
    saved_sigmask: int = 0              # task: mask to restore after sigsuspend's handler
    restore_sigmask: bool = False
    real_blocked: int = 0               # task: the mask outside rt_sigtimedwait's wait
    restart_block: object = None        # task: how restart_syscall resumes (nanosleep)
    sas: tuple = None                   # task: sigaltstack (sp, flags, size) or None
    pdeath_signal: int = 0              # task: prctl(PR_SET_PDEATHSIG)
    dumpable: int = 1                   # belongs to mm in Linux: prctl(PR_SET_DUMPABLE)
    no_new_privs: bool = False          # task: prctl(PR_SET_NO_NEW_PRIVS)
    timer_slack_ns: int = 50000         # task: prctl(PR_SET_TIMERSLACK)
    default_timer_slack_ns: int = 50000  # task: what PR_SET_TIMERSLACK 0 restores (fork: the parent's slack)
    signal: SignalStruct = None         # shared by CLONE_THREAD: process-wide state
    nsproxy: object = None              # shared namespaces (pid namespace for children)
    pid_links: list = field(default_factory=list)  # kernel: (pid namespace, number) per level
    se: object = None                   # scheduler: sched_entity (vruntime, load weight)
    nice: int = 0                       # task: -20..19 (static_prio - 120)
    on_rq: bool = False                 # scheduler: queued on a run queue
    greenlet: object = None             # scheduler: this task's kernel stack
    start_time_ns: int = 0              # kernel: monotonic time at fork
    utime_ns: int = 0                   # scheduler: time spent in user mode
    stime_ns: int = 0                   # scheduler: time spent in the kernel
    user_entered_ns: int = 0            # entry: when its current run in user mode began
    kernel_entered_ns: int = 0          # entry: when it entered the kernel (0: not running there)
    vdso_reads: int = 0                 # clock reads done in user mode (rdtsc: the vDSO), traced
    nvcsw: int = 0                      # voluntary context switches
    nivcsw: int = 0                     # involuntary context switches (preemption)
    vfork_done: object = None           # a Completion the vfork parent sleeps on
    exit_state: int = field(default_factory=int)  # 0 while alive, EXIT_ZOMBIE, then EXIT_DEAD once reaped
    kthread: bool = False               # a kernel thread: no mm, never in user mode
    sysvsem: object = None              # ipc/sem.py: the SEM_UNDO list (shared by CLONE_SYSVSEM)
    personality: int = 0
    did_exec: bool = False              # task: has called execve since fork (setpgid EACCES)
    kthread_fn: object = None           # kernel threads: the function they run
    mempolicy: tuple = None             # task: set_mempolicy's (mode, flags, nodes); None: MPOL_DEFAULT
    fork_flow: object = None            # tracing: the flow joining fork to the child's first run

    @property
    def is_leader(self) -> bool:
        return self.pid == self.tgid

    def __repr__(self) -> str:
        return f"<task {self.pid} {self.comm!r} {task_state_to_char(self)}>"
