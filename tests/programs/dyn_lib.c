/* dyn_lib.c - the shared library dyn_dlopen loads: a constructor and one function. */
#include <stdio.h>

__attribute__((constructor)) static void hello(void) { puts("library constructor ran"); }

int answer(void) { return 42; }
