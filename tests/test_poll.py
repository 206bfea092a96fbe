"""Waiting on many descriptors: poll, ppoll, select, pselect6 and epoll (fs/select.py,
fs/eventpoll.py), differentially against the native kernel for musl and glibc builds,
plus the wait-queue and pipe pieces they stand on, in isolation.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from harness import differential
from glasskernel.fs.pipe import create_pipe_files
from glasskernel.fs.select import PollTable, PollWqueues, poll_wait
from glasskernel.kernel.sched.wait import WaitQueue, WaitQueueEntry
from glasskernel.uapi.poll import POLLERR, POLLHUP, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM


# ----- differential ----------------------------------------------------------------------------

def run_program(build, toolchain, name) -> str:
    native, _ = differential([build(name, toolchain)])
    assert native[2] == 0
    return native[0].decode()


def test_poll_pipes(build, toolchain):
    """Timeouts 0/short/infinite, POLLHUP and POLLERR, POLLNVAL, a child's late write,
    nfds against RLIMIT_NOFILE, EFAULT."""
    out = run_program(build, toolchain, "poll_basic")
    assert "nval, negative, dup entries: ret=2 [0]=0x20 [1]=0 [2]=0x1 [3]=0" in out
    assert "drained, events 0: ret=1 [0]=0x10" in out
    assert "nfds > RLIMIT_NOFILE: ret=-1 errno=EINVAL" in out


def test_select_and_pselect(build, toolchain):
    """fd_set layout, /dev/null and regular files, a full pipe's write readiness, EBADF,
    the time left written back by select and pselect6."""
    out = run_program(build, toolchain, "poll_select")
    assert "/dev/null and a regular file: ret=4" in out
    assert "after reading 100 bytes: ret=0" in out
    assert "select ready at once: ret=1 tv 4.5s..5s: yes" in out


def test_signal_masks_and_eintr(build, toolchain):
    """ppoll/pselect6/epoll_pwait under a temporary mask: EINTR, the handler runs once
    with the temporary mask, the old mask returns; SA_RESTART does not restart them."""
    out = run_program(build, toolchain, "poll_signal")
    assert out.count("errno=EINTR handled=1 usr2-blocked-in-handler=0 after: usr1=1 usr2=1") == 7
    assert "epoll_wait with SA_RESTART: ret=-1 errno=EINTR handled=1" in out


def test_epoll(build, toolchain):
    """Level/edge triggered, one-shot, hang-ups, ready order, errors, nesting, and an item
    leaving the set with the last descriptor of its file."""
    out = run_program(build, toolchain, "poll_epoll")
    assert "ET no new write: 0" in out
    assert "ONESHOT re-armed: 1 {0x1, 0x2}" in out
    assert "inner watches outer (loop): -1 ELOOP" in out
    assert "last descriptor closed: 0" in out
    assert "readlink: anon_inode:[eventpoll]" in out


# ----- the pieces ------------------------------------------------------------------------------

class FakeSched:
    def __init__(self):
        self.woken = []

    def try_to_wake_up(self, task):
        self.woken.append(task)
        return True


def fake_kernel():
    return SimpleNamespace(sched=FakeSched(), in_fast_syscall=False, current=None,
                           pipe_user_bufs={})      # Kernel's per-user pipe buffer counts


def test_wait_queue_runs_callback_entries_with_the_key():
    kernel = fake_kernel()
    wq = WaitQueue("t")
    calls = []
    entry = WaitQueueEntry(lambda e, k, key: calls.append((e, key)), private="p")
    wq.add("task")
    wq.add_entry(entry)
    assert len(wq) == 2
    wq.wake_up(kernel, POLLIN)
    assert kernel.sched.woken == ["task"] and calls == [(entry, POLLIN)]
    wq.remove_entry(entry)
    wq.remove("task")
    assert len(wq) == 0


def test_pollwake_ignores_events_nobody_wants():
    kernel = fake_kernel()
    task = SimpleNamespace(kernel=kernel)
    pwq = PollWqueues(task)
    wq = WaitQueue("t")
    pwq.pt.key = POLLOUT
    poll_wait(None, wq, pwq.pt)
    wq.wake_up(kernel, POLLIN)
    assert not pwq.triggered and kernel.sched.woken == []
    wq.wake_up(kernel, POLLOUT)
    assert pwq.triggered and kernel.sched.woken == [task]
    pwq.freewait()
    assert len(wq) == 0


def test_pipe_poll_masks_and_registration():
    kernel = fake_kernel()
    reader, writer = create_pipe_files(kernel, 0)
    queued = []
    pt = PollTable(lambda file, wq, table: queued.append(wq))
    assert reader.poll(pt) == 0 and queued == [reader.pipe.rd_wait]
    assert writer.poll(None) == POLLOUT | POLLWRNORM
    for _ in range(reader.pipe.max_usage):
        reader.pipe.append(b"x" * 4000)
    assert reader.poll(None) == POLLIN | POLLRDNORM
    assert writer.poll(None) == 0                     # every page slot used
    writer.put()
    assert reader.poll(None) == POLLIN | POLLRDNORM | POLLHUP
    reader.pipe.take(reader.pipe.nbytes)
    assert reader.poll(None) == POLLHUP
    reader2, writer2 = create_pipe_files(kernel, 0)
    reader2.put()
    assert writer2.poll(None) == POLLOUT | POLLWRNORM | POLLERR


@pytest.mark.parametrize("highest,size", [(2, 64), (63, 64), (64, 128), (127, 128),
                                          (128, 256), (255, 256), (256, 512), (600, 1024)])
def test_select_fd_table_size(highest, size):
    from glasskernel.fs.select import fdtable_max_fds
    assert fdtable_max_fds(SimpleNamespace(fds={0: None, highest: None})) == size


def test_epoll_nesting_limits(build, toolchain):
    """Loops and chains of epolls deeper than EP_MAX_NESTS are ELOOP (LTP epoll_ctl04)."""
    exe = build("epoll_nesting", toolchain)
    native, _ = differential([exe])
    assert b"chain link 6: -1" in native[0]


def test_epoll_exclusive_wakes_one(build, toolchain):
    """EPOLLEXCLUSIVE: one write wakes one of the exclusive waiters (LTP epoll_wait16)."""
    exe = build("epoll_exclusive", toolchain)
    native, _ = differential([exe])
    assert native[0] == b"exclusive: 1 of 4 woken\nplain: 4 of 4 woken\n"
