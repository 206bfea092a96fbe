/* dyn_dlopen.c - load libraries at run time: libm by its soname, and a library named
 * on the command line (built by the test) whose constructor runs at dlopen. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    void *m = dlopen("libm.so.6", RTLD_NOW);
    if (!m) { printf("dlopen libm: %s\n", dlerror()); return 1; }
    double (*cosine)(double) = (double (*)(double))dlsym(m, "cos");
    printf("cos(0) = %.1f\n", cosine(0.0));
    if (argc > 1) {
        void *h = dlopen(argv[1], RTLD_LAZY);
        if (!h) { printf("dlopen: %s\n", dlerror()); return 2; }
        int (*answer)(void) = (int (*)(void))dlsym(h, "answer");
        printf("answer() = %d\n", answer());
        dlclose(h);
    }
    void *none = dlopen("libdoesnotexist.so.7", RTLD_NOW);
    printf("missing library: %s\n", none ? "loaded?" : "refused");
    return 0;
}
