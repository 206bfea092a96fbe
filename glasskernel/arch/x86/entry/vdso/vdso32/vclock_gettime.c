/*
 * The i386 vDSO's clock functions (arch/x86/entry/vdso/vdso32/vclock_gettime.c of Linux
 * 6.1): ../vclock_gettime.c compiled for i386, reading the same [vvar] page as the
 * 64-bit image; BUILD_VDSO32 selects the 32-bit entry points and syscall fallbacks.
 */
#define BUILD_VDSO32
#include "../vclock_gettime.c"
