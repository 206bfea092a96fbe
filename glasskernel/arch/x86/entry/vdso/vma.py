"""Mapping the vDSO at exec (arch/x86/entry/vdso/vma.c).

``arch_setup_additional_pages`` gives each new program two special mappings: [vvar], the
kernel's data pages (time_vsyscall.py keeps the first one current), and just above it
[vdso], the image built from vclock_gettime.c (vdso64.so, shipped prebuilt; see
scripts/build-vdso.sh). With randomisation off (always, here) Linux 6.1 asks for room
just above the stack, finds none there, and takes the highest free hole below mmap_base:
for a static program [vvar] and [vdso] end at mmap_base, as `setarch -R` shows.

``mm.vdso`` (mm->context.vdso) is the image's address, for AT_SYSINFO_EHDR; it follows
an mremap of [vdso] and is copied on fork with the rest of the mm.
"""
from pathlib import Path

from glasskernel.kernel.trace.tracepoint import traced
from glasskernel.mm.mmap import SpecialMapping, install_special_mapping
from glasskernel.mm.mm_types import page_align
from glasskernel.mm.page_alloc import PAGE_SIZE
from glasskernel.mm.vm_flags import VmFlags
from glasskernel.uapi.errno import Errno, KernelError

IMAGE_PATH = Path(__file__).with_name("vdso64.so")
VVAR_SIZE = 4 * PAGE_SIZE               # image->sym_vvar_start = -VVAR_SIZE (vdso.lds)
_VDSO_FLAGS = (VmFlags.VM_READ | VmFlags.VM_EXEC | VmFlags.VM_MAYREAD | VmFlags.VM_MAYWRITE
               | VmFlags.VM_MAYEXEC)
_VVAR_FLAGS = (VmFlags.VM_READ | VmFlags.VM_MAYREAD | VmFlags.VM_IO | VmFlags.VM_DONTDUMP
               | VmFlags.VM_PFNMAP)


class VdsoImage:
    """vdso_image: the image's bytes in kernel frames, and the two special mappings."""

    __slots__ = ("data", "size", "vdso_mapping", "vvar_mapping")

    def __init__(self, kernel, data: bytes):
        self.data = data
        self.size = page_align(len(data))
        frames = []
        for off in range(0, self.size, PAGE_SIZE):
            frame = kernel.phys.alloc_page()
            chunk = data[off:off + PAGE_SIZE]
            kernel.phys.view[frame:frame + len(chunk)] = chunk
            frames.append(frame)
        self.vdso_mapping = SpecialMapping("[vdso]", frames, mremap=vdso_mremap)
        # Only the data page exists: the pvclock, hvclock and time-namespace pages are
        # holes here, as on a host without those clocks (vvar_fault: SIGBUS).
        vvar = kernel.timekeeper.vvar_frames
        self.vvar_mapping = SpecialMapping("[vvar]", [vvar[0], None, None, None])


def vdso_image(kernel) -> VdsoImage:
    """The kernel's vdso_image_64, loaded on first use."""
    image = getattr(kernel, "vdso_image", None)
    if image is None:
        image = kernel.vdso_image = VdsoImage(kernel, IMAGE_PATH.read_bytes())
    return image


def vdso_mremap(mm, new_start: int) -> None:
    """The [vdso] area moved: AT_SYSINFO_EHDR's address for the process is the new one."""
    mm.vdso = new_start


@traced(args=lambda kernel, mm, addr: {},
        ret=lambda text: {"vvar": f"{text - VVAR_SIZE:#x}", "vdso": f"{text:#x}"})
def map_vdso(kernel, mm, addr: int) -> int:
    """[vvar] then [vdso] in one hole (at addr if free there); returns the image address."""
    image = vdso_image(kernel)
    addr = mm.get_unmapped_area(VVAR_SIZE + image.size, addr)
    if not addr:
        raise KernelError(Errno.ENOMEM)
    text_start = addr + VVAR_SIZE
    install_special_mapping(mm, text_start, image.size, _VDSO_FLAGS, image.vdso_mapping)
    install_special_mapping(mm, addr, VVAR_SIZE, _VVAR_FLAGS, image.vvar_mapping)
    mm.vdso = text_start
    return text_start


def arch_setup_additional_pages(bprm) -> int:
    """map_vdso_randomized with randomisation off: the hint is the page above the stack."""
    mm = bprm.mm
    kernel = bprm.task.kernel
    kernel.timekeeper.refresh_offsets()
    return map_vdso(kernel, mm, page_align(mm.start_stack or bprm.p))
