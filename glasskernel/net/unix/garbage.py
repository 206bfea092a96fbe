"""Garbage collection of sockets passed in flight to each other (net/unix/garbage.c).

A socket whose only references are SCM_RIGHTS messages sitting in socket receive queues
can be kept alive by a cycle (a socket sent into its own queue, or two sent into each
other's) after every descriptor is closed. ``unix_gc`` finds them as Linux does: the
candidates are the sockets all of whose file references are in flight; a candidate
that a non-candidate's queue still references, or that such a socket's messages reach,
is alive; the rest are unreachable, and their queues are purged, which closes them.
It runs when a socket is released while files are in flight (unix_release_sock).
"""


def inflight_files(kernel) -> dict:
    """SocketFile -> how many in-flight messages carry it (unix_sock->inflight)."""
    return kernel.unix_inflight_socks


def unix_inflight(kernel, files) -> None:
    table = inflight_files(kernel)
    for file in files:
        if getattr(file, "unix_socket", False):
            table[file] = table.get(file, 0) + 1


def unix_notinflight(kernel, files) -> None:
    table = inflight_files(kernel)
    for file in files:
        if file in table:
            table[file] -= 1
            if not table[file]:
                del table[file]


def _children(file):
    """The in-flight sockets carried by the messages queued on file's socket (and, for
    a listener, on its not yet accepted connections)."""
    sk = file.sk
    queues = [sk.receive_queue]
    queues += [skb.newsk.receive_queue for skb in sk.receive_queue if skb.newsk is not None]
    for queue in queues:
        for skb in queue:
            for child in skb.fp or ():
                yield child


def unix_gc(kernel) -> None:
    """Purge the queues of the in-flight sockets nothing outside them can reach."""
    if kernel.unix_gc_running:
        return
    table = inflight_files(kernel)
    candidates = {f for f, n in table.items() if f._refs == n and f.sk is not None}
    if not candidates:
        return
    remaining = {f: f._refs for f in candidates}
    for file in candidates:
        for child in _children(file):
            if child in remaining:
                remaining[child] -= 1
    alive = [f for f, n in remaining.items() if n > 0]
    reached = set(alive)
    while alive:                                   # what a live socket's messages hold lives
        for child in _children(alive.pop()):
            if child in candidates and child not in reached:
                reached.add(child)
                alive.append(child)
    hitlist = []
    for file in candidates - reached:
        hitlist.extend(file.sk.receive_queue)
        file.sk.receive_queue.clear()
    kernel.unix_gc_running = True
    try:
        from glasskernel.net.unix.scm import kfree_skb
        for skb in hitlist:
            if skb.newsk is not None:
                from glasskernel.net.unix.af_unix import unix_release_sock
                unix_release_sock(skb.newsk, True)
            kfree_skb(skb)
    finally:
        kernel.unix_gc_running = False
