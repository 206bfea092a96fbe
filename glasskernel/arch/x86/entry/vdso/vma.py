"""Mapping the vDSO at exec (arch/x86/entry/vdso/vma.c).

``arch_setup_additional_pages`` gives each new program two special mappings: [vvar], the
kernel's data pages (time_vsyscall.py keeps the first one current), and just above it
[vdso], the image built from vclock_gettime.c (vdso64.so, shipped prebuilt; see
scripts/build-vdso.sh). With randomisation off (always, here) Linux 6.1 asks for room
just above the stack, finds none there, and takes the highest free hole below mmap_base:
for a static program [vvar] and [vdso] end at mmap_base, as `setarch -R` shows.

``mm.vdso`` (mm->context.vdso) is the image's address, for AT_SYSINFO_EHDR; it follows
an mremap of [vdso] and is copied on fork with the rest of the mm.

An i386 program (a compat mm) gets the 32-bit image instead, vdso32.so (built from
vdso32/), with the same [vvar] pages below it: its entry point __kernel_vsyscall is
AT_SYSINFO, and ``vdso32_sym`` gives the kernel the offsets it needs in it (the sysenter
landing pad, the signal return trampolines), as vdso2c's vdso_image_32 does.
"""
import struct
from pathlib import Path

from glasskernel.kernel.trace.tracepoint import traced
from glasskernel.mm.memory import zap_page_range
from glasskernel.mm.mmap import SpecialMapping, install_special_mapping
from glasskernel.mm.mm_types import IA32_PAGE_OFFSET, page_align
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError
from glasskernel.arch.x86.kernel.process_64 import get_user_reg, set_user_reg

IMAGE_PATH = Path(__file__).with_name("vdso64.so")
IMAGE32_PATH = Path(__file__).with_name("vdso32.so")
SYMS32_PATH = Path(__file__).with_name("vdso32.syms")     # labels dynsym does not export
VVAR_SIZE = 4 * PAGE_SIZE               # image->sym_vvar_start = -VVAR_SIZE (vdso.lds)
_VDSO_FLAGS = (VmFlags.VM_READ | VmFlags.VM_EXEC | VmFlags.VM_MAYREAD | VmFlags.VM_MAYWRITE
               | VmFlags.VM_MAYEXEC)
_VVAR_FLAGS = (VmFlags.VM_READ | VmFlags.VM_MAYREAD | VmFlags.VM_IO | VmFlags.VM_DONTDUMP
               | VmFlags.VM_PFNMAP)


class VdsoImage:
    """vdso_image: the image's bytes in kernel frames, and the two special mappings."""

    __slots__ = ("data", "size", "vdso_mapping", "vvar_mapping")

    def __init__(self, kernel, data: bytes, landing_pad: int | None = None):
        """landing_pad: the offset of int80_landing_pad (the 32-bit image only)."""
        self.data = data
        self.size = page_align(len(data))
        frames = []
        for off in range(0, self.size, PAGE_SIZE):
            frame = kernel.phys.alloc_page()
            chunk = data[off:off + PAGE_SIZE]
            kernel.phys.view[frame:frame + len(chunk)] = chunk
            frames.append(frame)
        self.vdso_mapping = SpecialMapping(
            "[vdso]", frames, mremap=lambda mm, new_start: vdso_mremap(kernel, landing_pad, mm, new_start))
        # Only the data page exists: the pvclock, hvclock and time-namespace pages are
        # holes here, as on a host without those clocks (vvar_fault: SIGBUS).
        vvar = kernel.timekeeper.vvar_frames
        self.vvar_mapping = VvarMapping("[vvar]", [vvar[0], None, None, None])


class VvarMapping(SpecialMapping):
    """[vvar]: vvar_fault gives an mm in a non-initial time namespace (``mm.timens``)
    another data page, one that sends every vDSO call to the syscall."""

    __slots__ = ()

    def fault(self, mm, vma, page_va: int, write: bool) -> None:
        if mm.timens and vma.file_offset(page_va) == 0:
            from glasskernel.mm.memory import do_cow_fault, vma_pte_flags
            frame = timens_vvar_frame(mm)
            mm.phys.get_page(frame)
            if write:
                do_cow_fault(mm, vma, page_va, frame)
                return
            mm.pgtable.set_pte(page_va, frame | vma_pte_flags(vma, False))
            return
        super().fault(mm, vma, page_va, write)


def vdso_image(kernel) -> VdsoImage:
    """The kernel's vdso_image_64, loaded on first use."""
    image = kernel.vdso_image
    if image is None:
        image = kernel.vdso_image = VdsoImage(kernel, IMAGE_PATH.read_bytes())
    return image


def vdso_image_32(kernel) -> VdsoImage:
    """The kernel's vdso_image_32 (for i386 programs), loaded on first use."""
    image = kernel.vdso_image_32
    if image is None:
        image = kernel.vdso_image_32 = VdsoImage(kernel, IMAGE32_PATH.read_bytes(),
                                                 vdso32_sym("int80_landing_pad"))
    return image


def is_compat_mm(mm) -> bool:
    """Is this an i386 program's address space (set_personality_ia32)?"""
    return mm.task_size == IA32_PAGE_OFFSET


def vdso_image_for(kernel, mm) -> VdsoImage:
    """mm->context.vdso_image: the image an mm of this mode maps."""
    return vdso_image_32(kernel) if is_compat_mm(mm) else vdso_image(kernel)


def vdso_mremap(kernel, landing_pad, mm, new_start: int) -> None:
    """The [vdso] area moved: AT_SYSINFO_EHDR's address for the process is the new one."""
    if landing_pad is not None:
        vdso_fix_landing(kernel, landing_pad, mm, new_start)
    mm.vdso = new_start


def vdso_fix_landing(kernel, landing_pad: int, mm, new_start: int) -> None:
    """An i386 mremap that came through sysenter returns to the landing pad, which
    do_fast_syscall_32 set before the call: move it with the image."""
    from glasskernel.arch.x86.kernel.process import in_ia32_syscall
    task = kernel.current
    if task is None or task.mm is not mm or not in_ia32_syscall(task):
        return
    if get_user_reg(task, "rip") == mm.vdso + landing_pad:
        set_user_reg(task, "rip", new_start + landing_pad)


@traced(args=lambda kernel, mm, addr: {},
        ret=lambda text: {"vvar": f"{text - VVAR_SIZE:#x}", "vdso": f"{text:#x}"})
def map_vdso(kernel, mm, addr: int) -> int:
    """[vvar] then [vdso] in one hole (at addr if free there); returns the image address."""
    image = vdso_image_for(kernel, mm)
    addr = mm.get_unmapped_area(VVAR_SIZE + image.size, addr)
    if not addr:
        raise KernelError(Errno.ENOMEM)
    text_start = addr + VVAR_SIZE
    install_special_mapping(mm, text_start, image.size, _VDSO_FLAGS, image.vdso_mapping)
    install_special_mapping(mm, addr, VVAR_SIZE, _VVAR_FLAGS, image.vvar_mapping)
    mm.vdso = text_start
    return text_start


def vdso_entry_32(mm) -> int:
    """AT_SYSINFO: __kernel_vsyscall in the mm's 32-bit vDSO (VDSO_ENTRY)."""
    return mm.vdso + vdso32_sym("__kernel_vsyscall")


def arch_setup_additional_pages(bprm) -> int:
    """map_vdso_randomized with randomisation off: the hint is the page above the stack.
    A compat mm gets the 32-bit image with no hint (load_vdso32): below mmap_base."""
    mm = bprm.mm
    kernel = bprm.task.kernel
    kernel.timekeeper.refresh_offsets()
    from glasskernel.kernel.time_namespace import init_time_ns, time_ns_of
    ns = time_ns_of(bprm.task)
    mm.timens = ns is not None and ns is not init_time_ns(kernel)
    if is_compat_mm(mm):
        return map_vdso(kernel, mm, 0)
    return map_vdso(kernel, mm, page_align(mm.start_stack or bprm.p))


# ----- the 32-bit image's symbols (vdso2c) -----------------------------------------------------

_vdso32_syms: dict | None = None


def vdso32_sym(name: str) -> int:
    """The offset in vdso32.so of an exported symbol (dynsym: __kernel_vsyscall,
    __kernel_sigreturn, __vdso_time, ...) or of a label the build recorded in vdso32.syms
    (int80_landing_pad, vdso32_sigreturn_landing_pad, vdso32_rt_sigreturn_landing_pad).
    KeyError for any other name."""
    global _vdso32_syms
    if _vdso32_syms is None:
        syms = elf32_dynsyms(IMAGE32_PATH.read_bytes())
        for line in SYMS32_PATH.read_text().splitlines():
            if line and not line.startswith("#"):
                label, value = line.split()
                syms[label] = int(value, 16)
        _vdso32_syms = syms
    return _vdso32_syms[name]


def elf32_dynsyms(data: bytes) -> dict:
    """{name: st_value} of the defined symbols in an ELF32 image's .dynsym (located through
    the section headers: the vDSO keeps them)."""
    shoff, = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    sections = [struct.unpack_from("<IIIIIIIIII", data, shoff + i * shentsize) for i in range(shnum)]
    syms = {}
    for _name, sh_type, _flags, _addr, off, size, link, _info, _align, entsize in sections:
        if sh_type != 11:                                   # SHT_DYNSYM
            continue
        strtab_off = sections[link][4]
        for pos in range(off + entsize, off + size, entsize):       # entry 0 is the null symbol
            st_name, st_value, _size, _info, _other, st_shndx = struct.unpack_from("<IIIBBH", data, pos)
            if st_shndx not in (0, 0xFFF1):                 # SHN_UNDEF, SHN_ABS (version names)
                end = data.index(b"\0", strtab_off + st_name)
                syms[data[strtab_off + st_name:end].decode()] = st_value
    return syms


# ----- time namespaces ---------------------------------------------------------------------------

_VDSO_DATA_REST = 34       # vdso_data's fields after seq and clock_mode


def timens_vvar_frame(mm) -> int:
    """The data page of tasks in a non-initial time namespace: both vdso_data with
    clock_mode VDSO_CLOCKMODE_NONE and an even seq (made once per physical memory)."""
    from glasskernel.kernel.time_vsyscall import CS_RAW, VDSO_CLOCKMODE_NONE, VDSO_DATA, VVAR_DATA_OFFSET
    phys = mm.phys
    frame = getattr(phys, "timens_vvar_frame", None)
    if frame is None:
        frame = phys.alloc_page()
        for cs in range(CS_RAW + 1):
            off = frame + VVAR_DATA_OFFSET + cs * VDSO_DATA.size
            VDSO_DATA.pack_into(phys.view, off, 2, VDSO_CLOCKMODE_NONE, *([0] * _VDSO_DATA_REST))
        phys.timens_vvar_frame = frame
    return frame


def vdso_join_timens(kernel, mm, timens: bool) -> None:
    """The mm's [vvar] data page is the time-namespace one (or the shared one again):
    zap its PTE so the next read faults the right page in."""
    if mm.timens == timens:
        return
    mm.timens = timens
    for vma in mm.vmas:
        if isinstance(vma.file, VvarMapping):
            zap_page_range(mm, vma.start, vma.start + PAGE_SIZE)
            mm.flush_tlb()
