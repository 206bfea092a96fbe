#!/usr/bin/env python3
"""Spike: which address-space design should glasskernel build on?

  A  one Unicorn instance per virtual CPU, real x86-64 4-level page tables,
     physical memory = one host buffer mapped once with mem_map_ptr,
     switch_mm = CR3 write, fork = copy page tables + write-protect (COW).
  B  one Unicorn instance per process, no paging, uc.mem_map regions,
     switch = run the other instance, fork = new instance + copy memory.

Standalone (does not import glasskernel).  Runs in well under a minute and
prints one table of min / median over several repetitions.  See
docs/address-space.md for the decision this informs.

    python3 bench/spike_address_space.py [--reps N]
"""

import argparse
import array
import ctypes
import gc
import mmap
import os
import statistics
import struct
import subprocess
import sys
import tempfile
import time

import greenlet
import unicorn
from unicorn import (Uc, UC_ARCH_X86, UC_MODE_64, UC_HOOK_INSN, UC_HOOK_INTR,
                     UC_PROT_ALL, UC_PROT_READ, UC_PROT_WRITE, UC_PROT_EXEC)
from unicorn.x86_const import *  # noqa: F403  (UC_X86_REG_*, UC_X86_INS_*)
from unicorn.unicorn_py3.unicorn import uclib
from unicorn.unicorn_py3.arch.intel import HOOK_INSN_SYSCALL_CFUNC

HOOK_INTR_CFUNC = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_uint32, ctypes.c_void_p)
ns = time.perf_counter_ns

# --------------------------------------------------------------------------
# Guest code (assembled once with binutils; position independent)
# --------------------------------------------------------------------------
GUEST_ASM = r"""
.intel_syntax noprefix
.text
compute_store:          # rdi = data page, rcx = iterations: xorshift64 + 1 store
    mov rax, 0x9E3779B97F4A7C15
1:  mov rdx, rax
    shl rdx, 13
    xor rax, rdx
    mov rdx, rax
    shr rdx, 7
    xor rax, rdx
    mov rdx, rax
    shl rdx, 17
    xor rax, rdx
    mov edx, eax
    and edx, 0xff8
    mov [rdi+rdx], rax
    dec rcx
    jnz 1b
    jmp done
compute_nostore:        # same loop without the store (baseline)
    mov rax, 0x9E3779B97F4A7C15
1:  mov rdx, rax
    shl rdx, 13
    xor rax, rdx
    mov rdx, rax
    shr rdx, 7
    xor rax, rdx
    mov rdx, rax
    shl rdx, 17
    xor rax, rdx
    mov edx, eax
    and edx, 0xff8
    dec rcx
    jnz 1b
    jmp done
sysloop:                # forever: ++*rdi; syscall(39)
    inc qword ptr [rdi]
    mov eax, 39
    syscall
    jmp sysloop
sysloop_n:              # rbx syscalls, then stop
    mov eax, 39
    mov edi, 1
    syscall
    dec rbx
    jnz sysloop_n
    jmp done
touch_pages:            # store one qword into each of rcx pages from rdi
    mov [rdi], rcx
    add rdi, 4096
    dec rcx
    jnz touch_pages
    jmp done
fault_probe:            # store to rdi (used to locate the fault-state field)
    mov qword ptr [rdi], 1
    jmp done
done:
    int3                # the stop marker: UC_HOOK_INTR intno 3 -> emu_stop
    jmp done
"""


def assemble(src):
    """Assemble GUEST_ASM; return (code bytes, {label: offset})."""
    with tempfile.TemporaryDirectory() as d:
        s, o, b = (os.path.join(d, n) for n in ("g.s", "g.o", "g.bin"))
        open(s, "w").write(src)
        subprocess.run(["as", "--64", "-o", o, s], check=True)
        subprocess.run(["objcopy", "-O", "binary", "-j", ".text", o, b], check=True)
        syms = subprocess.run(["nm", o], check=True, capture_output=True, text=True).stdout
        labels = {l.split()[2]: int(l.split()[0], 16) for l in syms.splitlines()
                  if len(l.split()) == 3}
        return open(b, "rb").read(), labels


CODE, LBL = assemble(GUEST_ASM)

# --------------------------------------------------------------------------
# Raw C fast path (the binding costs several us per call)
# --------------------------------------------------------------------------
class Raw:
    """Preallocated ctypes arrays for uc_reg_*_batch on one engine handle."""

    def __init__(self, uc, read_ids=(), write_ids=()):
        self.h = uc._uch
        self.rn = len(read_ids)
        self.rids = (ctypes.c_int32 * self.rn)(*read_ids)
        self.rvals = (ctypes.c_uint64 * self.rn)()
        base = ctypes.addressof(self.rvals)
        self.rptrs = (ctypes.c_void_p * self.rn)(*[base + 8 * i for i in range(self.rn)])
        self.wn = len(write_ids)
        self.wids = (ctypes.c_int32 * self.wn)(*write_ids)
        self.wvals = (ctypes.c_uint64 * self.wn)()
        base = ctypes.addressof(self.wvals)
        self.wptrs = (ctypes.c_void_p * self.wn)(*[base + 8 * i for i in range(self.wn)])
        self.one = ctypes.c_uint64()
        self.one_p = ctypes.addressof(self.one)

    def read_batch(self):
        uclib.uc_reg_read_batch(self.h, self.rids, self.rptrs, self.rn)
        return self.rvals

    def write_batch(self, values):
        self.wvals[:] = values
        uclib.uc_reg_write_batch(self.h, self.wids, self.wptrs, self.wn)

    def read(self, reg):
        uclib.uc_reg_read(self.h, reg, self.one_p)
        return self.one.value

    def write(self, reg, value):
        self.one.value = value
        uclib.uc_reg_write(self.h, reg, self.one_p)


def raw_hook_syscall(uc, fn):
    """uc_hook_add(UC_HOOK_INSN, SYSCALL) with a bare ctypes callback; keeps a ref."""
    cb = HOOK_INSN_SYSCALL_CFUNC(fn)
    hh = ctypes.c_size_t()
    err = uclib.uc_hook_add(uc._uch, ctypes.byref(hh), UC_HOOK_INSN, cb, None,
                            ctypes.c_uint64(1), ctypes.c_uint64(0), ctypes.c_int(UC_X86_INS_SYSCALL))
    assert err == 0, err
    uc._spike_refs = getattr(uc, "_spike_refs", []) + [cb]
    return hh.value


def raw_hook_intr(uc, fn):
    cb = HOOK_INTR_CFUNC(fn)
    hh = ctypes.c_size_t()
    err = uclib.uc_hook_add(uc._uch, ctypes.byref(hh), UC_HOOK_INTR, cb, None,
                            ctypes.c_uint64(1), ctypes.c_uint64(0))
    assert err == 0, err
    uc._spike_refs = getattr(uc, "_spike_refs", []) + [cb]
    return hh.value


def raw_emu_start(uc, begin, until):
    err = uclib.uc_emu_start(uc._uch, begin, until, 0, 0)
    if err:
        raise unicorn.UcError(err)


GPRS = [UC_X86_REG_RAX, UC_X86_REG_RBX, UC_X86_REG_RCX, UC_X86_REG_RDX, UC_X86_REG_RSI,
        UC_X86_REG_RDI, UC_X86_REG_RBP, UC_X86_REG_RSP, UC_X86_REG_R8, UC_X86_REG_R9,
        UC_X86_REG_R10, UC_X86_REG_R11, UC_X86_REG_R12, UC_X86_REG_R13, UC_X86_REG_R14,
        UC_X86_REG_R15, UC_X86_REG_RIP, UC_X86_REG_EFLAGS, UC_X86_REG_FS_BASE]
SYSCALL_ARGS = [UC_X86_REG_RAX, UC_X86_REG_RDI, UC_X86_REG_RSI, UC_X86_REG_RDX,
                UC_X86_REG_R10, UC_X86_REG_R8, UC_X86_REG_R9]

# --------------------------------------------------------------------------
# Design A: physical memory, page tables, one CPU
# --------------------------------------------------------------------------
P, W, U, NX = 1, 2, 4, 1 << 63
ADDR = 0x000F_FFFF_FFFF_F000
TRAMP = 0xFFFF_FFFF_8100_0000          # supervisor page holding `sysretq`
# emu_start's `until`.  It is never executed, and after every stop Unicorn
# invalidates the TB at until-1 by translating it as an instruction fetch at
# the current CPL: if that page is not user-fetchable, the internal #PF leaves
# QEMU's old_exception = 14 (and CR2 = until-1) and the next real #PF arrives
# as a double fault.  So until-1 lies in a present, user, executable page that
# every address space maps (content: int3) and no code ever jumps to.
EXIT_PAGE = 0xFFFF_FFFF_80FF_F000
UNTIL = EXIT_PAGE + 0x800
UNTIL_UNMAPPED = 0xFFFF_FFFF_8000_0800  # the naive choice, for the demonstration
USER_CODE = 0x40_0000
USER_DATA = 0x1000_0000
# one 32768-bit mask that clears W in all 512 PTEs of a page table at once
NOT_W_MASK = int.from_bytes(struct.pack("<512Q", *([(~W) & (2**64 - 1)] * 512)), "little")


class PhysMem:
    """The machine's RAM: one host buffer, a bump frame allocator, page refcounts."""

    def __init__(self, size):
        self.size = size
        self.buf = mmap.mmap(-1, size)
        self.ptr = ctypes.addressof((ctypes.c_char * size).from_buffer(self.buf))
        self.q = memoryview(self.buf).cast("Q")
        self.next = 0x10_0000
        self.refcount = array.array("I", bytes(4 * (size >> 12)))

    def alloc(self, zero=True):
        pa = self.next
        self.next += 4096
        assert self.next <= self.size, "out of physical memory"
        if zero:
            self.buf[pa:pa + 4096] = bytes(4096)
        self.refcount[pa >> 12] = 1
        return pa

    def pte_addr(self, pml4, va, create=False):
        """Physical address of the PTE for va (walks / builds the 4 levels)."""
        table = pml4
        for shift in (39, 30, 21):
            slot = (table >> 3) + ((va >> shift) & 511)
            e = self.q[slot]
            if not e & P:
                if not create:
                    return None
                e = self.alloc() | P | W | U
                self.q[slot] = e
            table = e & ADDR
        return table + ((va >> 12) & 511) * 8

    def map(self, pml4, va, pa, flags):
        self.q[self.pte_addr(pml4, va, True) >> 3] = pa | flags


class MachineA:
    """One virtual CPU (one Uc) over PhysMem, in long mode with paging on."""

    def __init__(self, phys):
        self.phys = phys
        self.code_pa = phys.alloc()
        phys.buf[self.code_pa:self.code_pa + len(CODE)] = CODE
        tramp_pa = phys.alloc()
        phys.buf[tramp_pa:tramp_pa + 3] = b"\x48\x0f\x07"            # sysretq
        self.kernel_pml4 = phys.alloc()
        phys.map(self.kernel_pml4, TRAMP, tramp_pa, P)               # supervisor, RX
        exit_pa = phys.alloc()
        phys.buf[exit_pa:exit_pa + 4096] = b"\xcc" * 4096
        phys.map(self.kernel_pml4, EXIT_PAGE, exit_pa, P | U)        # user RX, see UNTIL
        self.uc = uc = Uc(UC_ARCH_X86, UC_MODE_64)
        uc.mem_map_ptr(0, phys.size, UC_PROT_ALL, phys.ptr)
        uc.reg_write(UC_X86_REG_CR3, self.kernel_pml4)
        uc.reg_write(UC_X86_REG_CR4, uc.reg_read(UC_X86_REG_CR4) | (1 << 5))
        uc.reg_write(UC_X86_REG_MSR, (0xC0000080, 1 | 1 << 8 | 1 << 10 | 1 << 11))
        uc.reg_write(UC_X86_REG_CR0, 1 | 1 << 16 | 1 << 31)
        uc.reg_write(UC_X86_REG_MSR, (0xC0000081, (0x1B << 48) | (0x10 << 32)))
        self.raw = Raw(uc, GPRS, GPRS)
        self.on_syscall = None
        self.on_fault = None
        raw_hook_syscall(uc, self._syscall)
        raw_hook_intr(uc, self._intr)
        self.faults_seen = []
        self.boot()

    def _syscall(self, h, ud):
        if self.on_syscall:
            self.on_syscall()
        else:
            uclib.uc_emu_stop(self.raw.h)

    def _intr(self, h, intno, ud):
        if intno == 14 and self.on_fault:
            try:
                self.on_fault()
            except Exception as e:  # never let a bug in the hook pass silently
                self.faults_seen.append(e)
                uclib.uc_emu_stop(self.raw.h)
            return
        if intno != 3:
            self.faults_seen.append((intno, hex(self.raw.read(UC_X86_REG_RIP))))
        uclib.uc_emu_stop(self.raw.h)

    def new_mm(self):
        """A fresh user address space: code page + kernel half shared."""
        pml4 = self.phys.alloc()
        self.phys.q[(pml4 >> 3) + 511] = self.phys.q[(self.kernel_pml4 >> 3) + 511]
        self.phys.map(pml4, USER_CODE, self.code_pa, P | U)         # user RX
        return pml4

    def populate(self, pml4, va, npages, nx=True):
        for i in range(npages):
            pa = self.phys.alloc(zero=False)
            self.phys.buf[pa:pa + 4096] = b"\xa5" * 4096          # touched memory
            self.phys.map(pml4, va + i * 4096, pa, P | W | U | (NX if nx else 0))

    def boot(self):
        """Enter ring 3 once per CPU: sysretq from the supervisor trampoline
        (RCX = user rip, R11 = rflags).  The Python kernel never runs on the
        emulated CPU, so it stays at CPL 3 from here on: every later entry is
        a register write + emu_start at the user rip."""
        uc = self.uc
        pml4 = self.new_mm()
        uc.reg_write(UC_X86_REG_CR3, pml4)
        uc.reg_write(UC_X86_REG_RCX, USER_CODE + LBL["done"])
        uc.reg_write(UC_X86_REG_R11, 0x202)
        uc.reg_write(UC_X86_REG_RSP, USER_DATA - 0x100)
        raw_emu_start(uc, TRAMP, UNTIL)
        assert uc.reg_read(UC_X86_REG_CS) == 0x2B and not self.faults_seen, self.faults_seen

    def run(self, pml4, label, **regs):
        """switch_mm(pml4), set registers, run user code from label until stopped."""
        self.raw.write(UC_X86_REG_CR3, pml4)
        for name, v in regs.items():
            self.uc.reg_write(getattr(unicorn.x86_const, "UC_X86_REG_" + name.upper()), v)
        raw_emu_start(self.uc, USER_CODE + LBL[label], UNTIL)


def dup_mmap_bigint(phys, src_pml4, dst_pml4):
    """copy_page_range for the user half: copy all tables, clear W in parent and
    child PTEs (whole page table at once via one big-int AND), bump page refcounts."""
    q, buf, rc = phys.q, phys.buf, phys.refcount
    for i4 in range(256):
        e4 = q[(src_pml4 >> 3) + i4]
        if not e4 & P:
            continue
        pdpt, npdpt = e4 & ADDR, phys.alloc()
        q[(dst_pml4 >> 3) + i4] = npdpt | (e4 & ~ADDR)
        for i3 in range(512):
            e3 = q[(pdpt >> 3) + i3]
            if not e3 & P:
                continue
            pd, npd = e3 & ADDR, phys.alloc()
            q[(npdpt >> 3) + i3] = npd | (e3 & ~ADDR)
            for i2 in range(512):
                e2 = q[(pd >> 3) + i2]
                if not e2 & P:
                    continue
                pt, npt = e2 & ADDR, phys.alloc(zero=False)
                q[(npd >> 3) + i2] = npt | (e2 & ~ADDR)
                ro = (int.from_bytes(buf[pt:pt + 4096], "little") & NOT_W_MASK).to_bytes(4096, "little")
                buf[pt:pt + 4096] = ro
                buf[npt:npt + 4096] = ro
                for e in q[pt >> 3:(pt >> 3) + 512]:
                    if e & P:
                        rc[(e & ADDR) >> 12] += 1


def dup_mmap_loop(phys, src_pml4, dst_pml4):
    """Same as dup_mmap_bigint but one PTE at a time (the obvious Python)."""
    q, rc = phys.q, phys.refcount
    for i4 in range(256):
        e4 = q[(src_pml4 >> 3) + i4]
        if not e4 & P:
            continue
        pdpt, npdpt = e4 & ADDR, phys.alloc()
        q[(dst_pml4 >> 3) + i4] = npdpt | (e4 & ~ADDR)
        for i3 in range(512):
            e3 = q[(pdpt >> 3) + i3]
            if not e3 & P:
                continue
            pd, npd = e3 & ADDR, phys.alloc()
            q[(npdpt >> 3) + i3] = npd | (e3 & ~ADDR)
            for i2 in range(512):
                e2 = q[(pd >> 3) + i2]
                if not e2 & P:
                    continue
                pt, npt = e2 & ADDR, phys.alloc()
                q[(npd >> 3) + i2] = npt | (e2 & ~ADDR)
                s, d = pt >> 3, npt >> 3
                for i in range(512):
                    e = q[s + i]
                    if e & P:
                        e &= ~W
                        q[s + i] = e
                        q[d + i] = e
                        rc[(e & ADDR) >> 12] += 1


# --------------------------------------------------------------------------
# Design B: one instance per process, no paging
# --------------------------------------------------------------------------
B_CODE, B_DATA = 0x40_0000, 0x1000_0000


def new_b(data_size=0x1000, data_prot=UC_PROT_READ | UC_PROT_WRITE):
    uc = Uc(UC_ARCH_X86, UC_MODE_64)
    uc.mem_map(B_CODE, 0x1000, UC_PROT_READ | UC_PROT_EXEC)
    uc.mem_write(B_CODE, CODE)
    uc.mem_map(B_DATA, data_size, data_prot)
    uc.raw = Raw(uc, SYSCALL_ARGS, GPRS)
    raw_hook_intr(uc, lambda h, intno, ud: uclib.uc_emu_stop(h))
    return uc


def fork_b(parent):
    """Design B fork: new instance, same regions, copy every byte, copy registers."""
    child = Uc(UC_ARCH_X86, UC_MODE_64)
    for begin, end, perms in parent.mem_regions():
        size = end - begin + 1
        child.mem_map(begin, size, perms)
        child.mem_write(begin, bytes(parent.mem_read(begin, size)))
    child.context_restore(parent.context_save())
    return child


def rss_kib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


# --------------------------------------------------------------------------
# Measurements
# --------------------------------------------------------------------------
ROWS = []


def measure(name, fn, reps, unit="us", scale=1.0, note=""):
    """fn() returns ns for one repetition (already divided as wanted)."""
    vals = [fn() for _ in range(reps)]
    div = {"ns": 1, "us": 1e3, "ms": 1e6}[unit]
    vals = [v / div * scale for v in vals]
    ROWS.append((name, min(vals), statistics.median(vals), unit, note))
    print(f"  {name:<58} {min(vals):10.3f} {statistics.median(vals):10.3f} {unit}  {note}",
          flush=True)


def bench_compute(reps, iters):
    print("[1] compute loop with stores (ns / iteration)")

    # --- A
    phys = PhysMem(64 << 20)
    m = MachineA(phys)
    pml4 = m.new_mm()
    m.populate(pml4, USER_DATA, 1, nx=True)
    m.populate(pml4, USER_DATA + 0x1000, 1, nx=False)

    def run_a(label, data, n):
        def one():
            m.raw.write(UC_X86_REG_CR3, pml4)  # fresh TLB each rep
            t = ns()
            m.run(pml4, label, rdi=data, rcx=n)
            dt = ns() - t
            assert not m.faults_seen, m.faults_seen
            return dt / n
        return one

    measure("A: xorshift loop, no store (baseline)", run_a("compute_nostore", USER_DATA, iters), reps, "ns")
    measure("A: + store, data page NX", run_a("compute_store", USER_DATA, iters), reps, "ns")
    measure("A: + store, data page executable (no NX)", run_a("compute_store", USER_DATA + 0x1000, iters // 4), reps, "ns")
    del m, phys

    # --- B
    for prot, label in ((UC_PROT_READ | UC_PROT_WRITE, "RW"), (UC_PROT_ALL, "RWX")):
        uc = new_b(0x1000, prot)

        def one(uc=uc):
            t = ns()
            uc.reg_write(UC_X86_REG_RDI, B_DATA)
            uc.reg_write(UC_X86_REG_RCX, iters // 4)
            raw_emu_start(uc, B_CODE + LBL["compute_store"], UNTIL)
            return (ns() - t) / (iters // 4)
        measure(f"B: + store, data region {label}", one, reps, "ns")
    uc = new_b()

    def one():
        t = ns()
        uc.reg_write(UC_X86_REG_RCX, iters)
        raw_emu_start(uc, B_CODE + LBL["compute_nostore"], UNTIL)
        return (ns() - t) / iters
    measure("B: xorshift loop, no store (baseline)", one, reps, "ns")


def bench_fork(reps):
    print("[2] fork-sized copies (ms)")
    phys = PhysMem(96 << 20)
    m = MachineA(phys)
    for mib in (1, 16):
        pml4 = m.new_mm()
        m.populate(pml4, USER_DATA, mib * 256)
        # touch once from the guest so the numbers are for a live address space
        m.run(pml4, "touch_pages", rdi=USER_DATA, rcx=mib * 256)
        assert not m.faults_seen, m.faults_seen
        mark = phys.next
        for fn, what in ((dup_mmap_bigint, "big-int mask per page table"),
                         (dup_mmap_loop, "per-PTE Python loop")):
            def one(fn=fn):
                phys.next = mark                       # drop the previous child
                t = ns()
                child = m.new_mm()
                fn(phys, pml4, child)
                m.raw.write(UC_X86_REG_CR3, pml4)      # flush parent's stale W bits
                return ns() - t
            measure(f"A: fork {mib:2d} MiB: copy tables + write-protect ({what})", one, reps, "ms")
        # sanity: child maps the same frames read-only
        child = m.new_mm()
        dup_mmap_bigint(phys, pml4, child)
        pa, ca = phys.pte_addr(pml4, USER_DATA), phys.pte_addr(child, USER_DATA)
        assert phys.q[pa >> 3] == phys.q[ca >> 3] and not phys.q[pa >> 3] & W
    del m, phys
    gc.collect()

    for mib in (1, 16):
        parent = new_b(mib << 20)
        parent.mem_write(B_DATA, b"\xa5" * (mib << 20))

        def one():
            t = ns()
            child = fork_b(parent)
            dt = ns() - t
            del child
            return dt
        measure(f"B: fork {mib:2d} MiB: new Uc + mem_map + mem_read/mem_write", one, reps, "ms")
        del parent
        gc.collect()

    # B': the same, but each region backed by a host buffer (mem_map_ptr), so the
    # copy is one host memcpy instead of mem_read/mem_write through the binding
    for mib in (1, 16):
        size = mib << 20
        pbuf = mmap.mmap(-1, size)
        pbuf[:] = b"\xa5" * size
        parent = new_b()
        parent.mem_map_ptr(B_DATA + 0x100_0000, size, UC_PROT_READ | UC_PROT_WRITE,
                           ctypes.addressof((ctypes.c_char * size).from_buffer(pbuf)))

        def one():
            t = ns()
            child = Uc(UC_ARCH_X86, UC_MODE_64)
            cbuf = mmap.mmap(-1, size)
            cbuf[:] = pbuf
            child.mem_map_ptr(B_DATA + 0x100_0000, size, UC_PROT_READ | UC_PROT_WRITE,
                              ctypes.addressof((ctypes.c_char * size).from_buffer(cbuf)))
            child.context_restore(parent.context_save())
            dt = ns() - t
            del child
            cbuf.close()
            return dt
        measure(f"B': fork {mib:2d} MiB: new Uc + host memcpy + mem_map_ptr", one, reps, "ms")
        del parent
        gc.collect()

    def new_and_run():
        t = ns()
        uc = new_b()
        uc.reg_write(UC_X86_REG_RBX, 1)
        raw_hook_syscall(uc, lambda h, ud: None)
        raw_emu_start(uc, B_CODE + LBL["sysloop_n"], UNTIL)
        return ns() - t
    measure("B: new Uc + map + first emu_start (no copy)", new_and_run, reps, "ms")

    gc.collect()
    keep, r0 = [], rss_kib()
    for _ in range(20):
        uc = new_b()
        uc.reg_write(UC_X86_REG_RBX, 1)
        raw_hook_syscall(uc, lambda h, ud: None)
        raw_emu_start(uc, B_CODE + LBL["sysloop_n"], UNTIL)
        keep.append(uc)
    per = (rss_kib() - r0) / 20
    ROWS.append(("B: host RSS per instance (ran once, 8 KiB guest memory)", per / 1024, per / 1024, "MiB", ""))
    print(f"  {ROWS[-1][0]:<58} {per / 1024:10.3f} {'':10} MiB")
    del keep
    gc.collect()


def bench_switch(reps, n):
    print("[3] task switch (us per switch)")
    phys = PhysMem(16 << 20)
    m = MachineA(phys)
    raw = m.raw
    mms, ctxs, rips, regs = [], [], [], []
    for t in range(2):
        pml4 = m.new_mm()
        m.populate(pml4, USER_DATA, 1)
        mms.append(pml4)
        m.run(pml4, "sysloop", rdi=USER_DATA)   # runs until its first syscall
        ctxs.append(m.uc.context_save())
        rips.append(raw.read(UC_X86_REG_RIP))
        regs.append(list(raw.read_batch()))
    counters = [phys.pte_addr(p, USER_DATA) for p in mms]
    counters = [phys.q[c >> 3] & ADDR for c in counters]

    def restart_only():
        rip = rips[0]
        m.raw.write(UC_X86_REG_CR3, mms[0])
        ctx_restore(ctxs[0])
        t = ns()
        for _ in range(n):
            raw_emu_start(m.uc, rip, UNTIL)
            rip = raw.read(UC_X86_REG_RIP)
        return (ns() - t) / n

    h = m.uc._uch
    ctx_save = lambda c: uclib.uc_context_save(h, c.context)
    ctx_restore = lambda c: uclib.uc_context_restore(h, c.context)

    def switch_ctx():
        cur = 0
        ctx_restore(ctxs[0]); raw.write(UC_X86_REG_CR3, mms[0])
        t = ns()
        for _ in range(n):
            raw_emu_start(m.uc, rips[cur], UNTIL)
            # switch_to: save prev, restore next, switch_mm
            rips[cur] = raw.read(UC_X86_REG_RIP)
            ctx_save(ctxs[cur])
            cur ^= 1
            ctx_restore(ctxs[cur])
            raw.write(UC_X86_REG_CR3, mms[cur])
        return (ns() - t) / n

    def switch_regs():
        cur = 0
        raw.write_batch(regs[0]); raw.write(UC_X86_REG_CR3, mms[0])
        t = ns()
        for _ in range(n):
            raw_emu_start(m.uc, regs[cur][16], UNTIL)
            regs[cur] = raw.read_batch()[:]
            cur ^= 1
            raw.write_batch(regs[cur])
            raw.write(UC_X86_REG_CR3, mms[cur])
        return (ns() - t) / n

    measure("A: stop + restart emu_start, same task (no switch)", restart_only, reps, "us")
    c0 = [phys.q[c >> 3] for c in counters]
    measure("A: switch: context_save/restore + CR3 + restart", switch_ctx, reps, "us")
    c1 = [phys.q[c >> 3] for c in counters]
    measure("A: switch: batch write 19 regs + CR3 + restart", switch_regs, reps, "us")
    c2 = [phys.q[c >> 3] for c in counters]
    # each task incremented its own counter (same VA, different frames) once per run
    assert all(b - a == reps * n // 2 for a, b in zip(c0, c1)), (c0, c1)
    assert all(b - a == reps * n // 2 for a, b in zip(c1, c2)), (c1, c2)
    assert not m.faults_seen, m.faults_seen
    del m, phys

    # --- B: two instances
    ucs = [new_b(), new_b()]
    for uc in ucs:
        raw_hook_syscall(uc, lambda h, ud: uclib.uc_emu_stop(h))
    brips = [B_CODE + LBL["sysloop"]] * 2

    def switch_b_restart():
        cur = 0
        t = ns()
        for _ in range(n):
            uc = ucs[cur]
            raw_emu_start(uc, brips[cur], UNTIL)
            brips[cur] = uc.raw.read(UC_X86_REG_RIP)
            cur ^= 1
        return (ns() - t) / n
    for uc in ucs:
        uc.reg_write(UC_X86_REG_RDI, B_DATA)
    measure("B: switch: stop + emu_start on the other instance", switch_b_restart, reps, "us")

    # --- B with greenlets: switch kernel stacks inside the syscall hook, no stop
    def switch_b_greenlet():
        ucs2 = [new_b(), new_b()]
        state = {"left": n, "done": False}
        gls = [None, None]

        def mk_hook(i):
            def hook(h, ud):
                if state["done"]:
                    uclib.uc_emu_stop(h)
                    return
                state["left"] -= 1
                if state["left"] <= 0:
                    state["done"] = True
                    uclib.uc_emu_stop(h)
                    return
                gls[i ^ 1].switch()
            return hook

        def run(i):
            raw_emu_start(ucs2[i], B_CODE + LBL["sysloop"], UNTIL)

        for i, uc in enumerate(ucs2):
            uc.reg_write(UC_X86_REG_RDI, B_DATA)
            raw_hook_syscall(uc, mk_hook(i))
            gls[i] = greenlet.greenlet(lambda i=i: run(i))
        t = ns()
        gls[0].switch()          # g0's first syscall switches to g1, and so on
        dt = ns() - t
        for g in gls:            # let the other one leave its emu_start too
            if not g.dead:
                g.switch()
        return dt / n
    measure("B: switch: greenlet switch inside the syscall hook", switch_b_greenlet, reps, "us")


def bench_cow(reps, npages):
    print("[4] copy-on-write fault in A (us per fault)")
    phys = PhysMem(64 << 20)
    m = MachineA(phys)
    raw, q, buf = m.raw, phys.q, phys.buf
    uc = m.uc
    wctx = uc.context_save()
    blob = (ctypes.c_char * wctx.size).from_address(ctypes.cast(wctx.context, ctypes.c_void_p).value)
    h = uc._uch
    state = {"pml4": 0, "faults": 0}

    # locate the fault-state field (QEMU env->old_exception): -1 before, 14 after a #PF
    pml4 = m.new_mm()
    m.populate(pml4, USER_DATA, 1)
    before, after = {}, {}

    def probe():
        uclib.uc_context_save(h, wctx.context)
        after["blob"] = bytes(blob)
        uclib.uc_emu_stop(h)
    m.on_fault = probe
    uclib.uc_context_save(h, wctx.context)
    before["blob"] = bytes(blob)
    m.run(pml4, "fault_probe", rdi=0x7000_0000)        # not mapped
    b32 = struct.unpack(f"<{wctx.size // 4}i", before["blob"][:wctx.size // 4 * 4])
    a32 = struct.unpack(f"<{wctx.size // 4}i", after["blob"][:wctx.size // 4 * 4])
    cands = [4 * i for i in range(len(b32)) if b32[i] == -1 and a32[i] == 14]
    print(f"  fault-state field candidates (int32 -1 -> 14): {cands}  (expected 5536 on 2.1.4)")
    off = 5536 if 5536 in cands else cands[0]
    FAULT_FIELD = off

    def reset_fault_state():
        uclib.uc_context_save(h, wctx.context)
        struct.pack_into("<i", blob, FAULT_FIELD, -1)
        uclib.uc_context_restore(h, wctx.context)
    reset_fault_state()                      # the probe's #PF left it at 14

    def do_wp_page():
        """#PF: CR2 -> PTE; present & !W & private -> copy the frame, make it writable."""
        cr2 = raw.read(UC_X86_REG_CR2)
        pte = phys.pte_addr(state["pml4"], cr2)
        e = q[pte >> 3] if pte is not None else 0
        if not e & P:
            raise RuntimeError(f"unexpected #PF at {cr2:#x}")
        old = e & ADDR
        if phys.refcount[old >> 12] > 1:
            new = phys.alloc(zero=False)
            buf[new:new + 4096] = buf[old:old + 4096]
            phys.refcount[old >> 12] -= 1
            q[pte >> 3] = new | (e & ~ADDR) | W
        else:
            q[pte >> 3] = e | W
        reset_fault_state()
        raw.write(UC_X86_REG_CR3, state["pml4"])            # flush the TLB
        state["faults"] += 1
    m.on_fault = do_wp_page

    parent = m.new_mm()
    m.populate(parent, USER_DATA, npages)
    mark = phys.next

    def one():
        phys.next = mark
        for i in range(npages):
            phys.refcount[(q[phys.pte_addr(parent, USER_DATA + i * 4096) >> 3] & ADDR) >> 12] = 1
        child = m.new_mm()
        dup_mmap_bigint(phys, parent, child)
        state["pml4"], state["faults"] = child, 0
        t = ns()
        m.run(child, "touch_pages", rdi=USER_DATA, rcx=npages)
        dt_fault = ns() - t
        assert state["faults"] == npages and not m.faults_seen, (state, m.faults_seen)
        t = ns()
        m.run(child, "touch_pages", rdi=USER_DATA, rcx=npages)   # now no faults
        dt_plain = ns() - t
        assert state["faults"] == npages
        # parent still sees its bytes, child sees its stores
        pa = q[phys.pte_addr(parent, USER_DATA) >> 3] & ADDR
        ca = q[phys.pte_addr(child, USER_DATA) >> 3] & ADDR
        assert pa != ca and buf[pa] == 0xA5 and q[ca >> 3] == npages
        return (dt_fault - dt_plain) / npages
    measure(f"A: COW fault, full path ({npages} faults, raw hooks)", one, reps, "us")

    def wa():
        t = ns()
        for _ in range(1000):
            reset_fault_state()
        return (ns() - t) / 1000
    measure("A:   of which fault-state workaround (save/poke/restore)", wa, reps, "us")

    def without_wa():
        """Show the bug: without the workaround the 2nd #PF is a double fault."""
        nonlocal reset_fault_state
        saved = reset_fault_state
        reset_fault_state = lambda: None
        phys.next = mark
        child = m.new_mm()
        dup_mmap_bigint(phys, parent, child)
        state["pml4"], state["faults"] = child, 0
        m.faults_seen.clear()
        m.run(child, "touch_pages", rdi=USER_DATA, rcx=8)
        reset_fault_state = saved
        reset_fault_state()
        got = list(m.faults_seen)
        m.faults_seen.clear()
        return state["faults"], got
    nf, got = without_wa()
    print(f"  without the workaround: {nf} #PF handled, then (vector, rip) {got[:1]}")

    def naive_until():
        """Show the exit probe: a run that stops with until-1 unmapped poisons the next run."""
        phys.next = mark
        child = m.new_mm()
        dup_mmap_bigint(phys, parent, child)
        state["pml4"], state["faults"] = child, 0
        m.faults_seen.clear()
        raw.write(UC_X86_REG_CR3, child)
        raw_emu_start(uc, USER_CODE + LBL["done"], UNTIL_UNMAPPED)   # no fault inside
        cr2 = raw.read(UC_X86_REG_CR2)
        m.run(child, "touch_pages", rdi=USER_DATA, rcx=2)
        reset_fault_state()
        got = list(m.faults_seen)
        m.faults_seen.clear()
        return cr2, state["faults"], got
    cr2, nf, got = naive_until()
    print(f"  until-1 unmapped: after a clean run CR2={cr2:#x}; next run: {nf} #PF handled, "
          f"first fault arrived as (vector, rip) {got[:1]}")
    m.on_fault = None


def check_code_cache():
    """Host writes into the physical buffer bypass QEMU's self-modifying-code
    tracking: translated code in that frame stays stale until invalidated."""
    print("[6] translated-code cache vs host writes to a frame (design A)")
    phys = PhysMem(16 << 20)
    m = MachineA(phys)
    pml4 = m.new_mm()
    pa = phys.alloc()
    phys.map(pml4, 0x50_0000, pa, P | U)
    phys.buf[pa:pa + 6] = b"\xb8\x11\x00\x00\x00\xcc"          # mov eax, 0x11; int3

    def run():
        m.raw.write(UC_X86_REG_CR3, pml4)
        raw_emu_start(m.uc, 0x50_0000, UNTIL)
        return m.raw.read(UC_X86_REG_RAX)
    first = run()
    phys.buf[pa + 1] = 0x22
    stale = run()
    m.uc.ctl_remove_cache(0x50_0000, 0x50_1000)
    fixed = run()
    print(f"  mov eax,0x11 -> host writes 0x22 -> run: {stale:#x} (stale); "
          f"after ctl_remove_cache(va): {fixed:#x}")
    ctx = m.uc.context_save()
    blob = (ctypes.c_char * ctx.size).from_address(ctypes.cast(ctx.context, ctypes.c_void_p).value)
    m.uc.ctl_remove_cache(0x700_0000, 0x700_1000)                  # not mapped
    m.uc.context_update(ctx)
    print(f"  ctl_remove_cache on an unmapped va: fault-state field = "
          f"{struct.unpack_from('<i', blob, 5536)[0]}, CR2 = {m.raw.read(UC_X86_REG_CR2):#x}")
    t = ns()
    for _ in range(100):
        m.uc.ctl_remove_cache(0x50_0000, 0x50_1000)
    t1 = ns()
    for _ in range(20):
        m.uc.ctl_flush_tb()
    t2 = ns()
    print(f"  ctl_remove_cache(1 page) {(t1 - t) / 100e3:.1f} us, ctl_flush_tb {(t2 - t1) / 20e3:.1f} us")


def bench_regs(reps, n):
    print("[5] register access (us)")
    uc = new_b()
    raw = uc.raw
    uc.reg_write(UC_X86_REG_RDI, 7)

    def loop(fn):
        def one():
            t = ns()
            for _ in range(n):
                fn()
            return (ns() - t) / n
        return one
    measure("binding reg_read(RDI), one register", loop(lambda: uc.reg_read(UC_X86_REG_RDI)), reps)
    measure("raw uc_reg_read, one register", loop(lambda: raw.read(UC_X86_REG_RDI)), reps)
    measure("binding reg_read x7 (syscall nr + 6 args)",
            loop(lambda: [uc.reg_read(r) for r in SYSCALL_ARGS]), reps)
    measure("binding reg_read_batch(7)", loop(lambda: uc.reg_read_batch(SYSCALL_ARGS)), reps)
    measure("raw uc_reg_read_batch(7), preallocated", loop(lambda: raw.read_batch()[:]), reps)
    # all GPRs from one uc_context_save into a preallocated context: find where
    # env->regs[] sits in the blob (QEMU order rax rcx rdx rbx rsp rbp rsi rdi r8..r15)
    ctx = uc.context_save()
    blob = (ctypes.c_char * ctx.size).from_address(ctypes.cast(ctx.context, ctypes.c_void_p).value)
    uc.reg_write(UC_X86_REG_RAX, 0x0123456789ABCDEF)
    uc.reg_write(UC_X86_REG_RCX, 0x0FEDCBA987654321)
    uclib.uc_context_save(uc._uch, ctx.context)
    regs_off = bytes(blob).find(struct.pack("<2Q", 0x0123456789ABCDEF, 0x0FEDCBA987654321))
    assert regs_off >= 0
    gpr16 = struct.Struct("<16Q").unpack_from
    h, cc, csave = uc._uch, ctx.context, uclib.uc_context_save
    measure(f"uc_context_save + unpack 16 GPRs (regs[] at blob+{regs_off})",
            loop(lambda: (csave(h, cc), gpr16(blob, regs_off))), reps)
    measure("binding reg_write(RAX)", loop(lambda: uc.reg_write(UC_X86_REG_RAX, 5)), reps)
    measure("raw uc_reg_write(RAX)", loop(lambda: raw.write(UC_X86_REG_RAX, 5)), reps)

    # whole syscall round trip from the guest: hook, read nr + 6 args, write rax
    def trip(kind):
        u = new_b()
        r = u.raw
        if kind == "binding":
            def cb(uc_, ud):
                a = [uc_.reg_read(x) for x in SYSCALL_ARGS]
                uc_.reg_write(UC_X86_REG_RAX, a[1])
            u.hook_add(UC_HOOK_INSN, cb, None, 1, 0, UC_X86_INS_SYSCALL)
        elif kind == "binding-empty":
            u.hook_add(UC_HOOK_INSN, lambda uc_, ud: None, None, 1, 0, UC_X86_INS_SYSCALL)
        elif kind == "ctx":
            ctx = u._spike_ctx = u.context_save()     # keep it alive: the hook uses its memory
            blob = (ctypes.c_char * ctx.size).from_address(ctypes.cast(ctx.context, ctypes.c_void_p).value)
            h, cc, csave, gpr16 = u._uch, ctx.context, uclib.uc_context_save, struct.Struct("<16Q").unpack_from

            def cb(h_, ud):
                csave(h, cc)
                a = gpr16(blob, regs_off)
                r.write(UC_X86_REG_RAX, a[7])          # rdi
            raw_hook_syscall(u, cb)
        elif kind == "raw-empty":
            raw_hook_syscall(u, lambda h, ud: None)
        else:
            def cb(h, ud):
                a = r.read_batch()
                r.write(UC_X86_REG_RAX, a[1])
            raw_hook_syscall(u, cb)

        def one():
            u.reg_write(UC_X86_REG_RBX, n)
            t = ns()
            raw_emu_start(u, B_CODE + LBL["sysloop_n"], UNTIL)
            return (ns() - t) / n
        return one
    measure("syscall round trip: binding hook, empty", trip("binding-empty"), reps)
    measure("syscall round trip: binding hook, reg_read x7 + reg_write", trip("binding"), reps)
    measure("syscall round trip: raw hook, empty", trip("raw-empty"), reps)
    measure("syscall round trip: raw hook, read_batch(7) + raw write", trip("raw"), reps)
    measure("syscall round trip: raw hook, context_save+unpack + raw write", trip("ctx"), reps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--iters", type=int, default=10_000_000)
    a = ap.parse_args()
    print(f"unicorn {unicorn.__version__}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs")
    print(f"  {'':58} {'min':>10} {'median':>10}")
    t0 = time.time()
    bench_compute(a.reps, a.iters)
    bench_fork(a.reps)
    bench_switch(a.reps, 20_000)
    bench_cow(a.reps, 1024)
    bench_regs(a.reps, 20_000)
    check_code_cache()
    print(f"\ntotal {time.time() - t0:.1f} s\n")
    print("| measurement | min | median | unit |")
    print("|---|---:|---:|---|")
    for name, lo, med, unit, note in ROWS:
        print(f"| {name} | {lo:.3g} | {med:.3g} | {unit} |")


if __name__ == "__main__":
    main()
