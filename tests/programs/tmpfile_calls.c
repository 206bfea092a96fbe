/* glibc's tmpfile() tries open(O_TMPFILE) first: whatever errno the kernel answers
 * (EOPNOTSUPP when it has no O_TMPFILE) must be one libc knows, and the file must work. */
#include <stdio.h>
#include <string.h>

int main(void) {
    FILE *f = tmpfile();
    if (!f) { perror("tmpfile"); return 1; }
    fputs("tmpfile works\n", f);
    rewind(f);
    char line[64] = {0};
    fgets(line, sizeof line, f);
    fputs(line, stdout);
    fclose(f);
    return 0;
}
