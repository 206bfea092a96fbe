"""task_struct: one schedulable thread of execution (include/linux/sched.h).

Each field notes who owns it, in the gVisor manner:
  - "task"   : only the task itself changes it (from its own kernel path)
  - "kernel" : the Kernel object changes it (scheduler, pid allocator, exit path)
  - shared objects (mm, files, fs) are reference counted and may be shared by several
    tasks according to the clone flags that created them.
"""
from dataclasses import dataclass, field
from enum import Enum


class TaskState(str, Enum):
    """Process states as /proc/<pid>/stat prints them."""

    RUNNING = "R"
    INTERRUPTIBLE = "S"
    UNINTERRUPTIBLE = "D"
    STOPPED = "T"
    ZOMBIE = "Z"
    DEAD = "X"


# Linux's names for the states, as plain module constants: reading an Enum member through
# its class costs a descriptor call (~0.1-0.4 us), too much for the scheduler's hot paths.
# A task's state is always one of these members, so hot paths test it with ``is``: an
# Enum's == is a generic call the interpreter does not specialize.
TASK_RUNNING = TaskState.RUNNING
TASK_INTERRUPTIBLE = TaskState.INTERRUPTIBLE
TASK_UNINTERRUPTIBLE = TaskState.UNINTERRUPTIBLE
TASK_STOPPED = TaskState.STOPPED
EXIT_ZOMBIE = TaskState.ZOMBIE
EXIT_DEAD = TaskState.DEAD


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
    group_exit: bool = False            # exit_group or a fatal signal is killing the group
    group_exit_code: int = 0
    is_child_subreaper: bool = False    # prctl(PR_SET_CHILD_SUBREAPER)
    has_child_subreaper: bool = False   # an ancestor is (or was) a subreaper: find_new_reaper looks up
    is_init: bool = False               # the init of a pid namespace (SIGNAL_UNKILLABLE)
    cutime_ns: int = 0                  # user time of reaped children (for times/rusage)
    cstime_ns: int = 0
    maxrss: int = 0                     # pages: the largest RSS of the process's finished mms
    cmaxrss: int = 0                    # pages: the largest of its reaped children's
    stop_state: str = ""                # "stopped"/"continued" to report to wait (WUNTRACED, WCONTINUED)
    stop_signal: int = 0
    itimers: object = None              # kernel/time_itimer.py: ITIMER_REAL/VIRTUAL/PROF
    posix_timers: object = None         # kernel/posix_timers.py: timer_create's timers
    wait_pidfd: object = None           # kernel/pidfd.py: pollers of the process's pidfds
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
    # kernel. A default made per instance, not a class attribute: an Enum member on the
    # class stops the interpreter from caching where task.state is (its class is mutable).
    state: TaskState = field(default_factory=lambda: TaskState.RUNNING)
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
    exit_state: str = ""                # "" while alive, "zombie", then "dead" once reaped
    kthread: bool = False               # a kernel thread: no mm, never in user mode
    sysvsem: object = None              # ipc/sem.py: the SEM_UNDO list (shared by CLONE_SYSVSEM)
    personality: int = 0
    did_exec: bool = False              # task: has called execve since fork (setpgid EACCES)
    kthread_fn: object = None           # kernel threads: the function they run
    mempolicy: tuple = None             # task: set_mempolicy's (mode, flags, nodes); None: MPOL_DEFAULT
    signal_wait: object = None          # wait4's sleepers, made at the first wait (Linux: signal->wait_chldexit)
    fork_flow: object = None            # tracing: the flow joining fork to the child's first run

    @property
    def is_leader(self) -> bool:
        return self.pid == self.tgid

    def __repr__(self) -> str:
        return f"<task {self.pid} {self.comm!r} {self.state.value}>"
