# printf (the shell's builtin and busybox's external one): widths, flags, bases, reuse.
for p in printf "$(command -v printf)"; do
    echo "== ${p##*/}"
    $p '%d|%5d|%-5d|%05d\n' 42 42 42 42
    $p '%s|%8s|%-8s|%.3s\n' text text text text
    $p '%x %X %o %#x %#o\n' 255 255 8 255 8
    $p '%c%c%c\n' abc def ghi
    $p '%.2f %8.3f %e\n' 3.14159 2.5 12345.678
    $p '%%literal%% %s\n' done
    $p '%s-%s\n' a b c d e
    $p 'tab\there\nnewline\n'
    $p '%b\n' 'escapes\tin %b'
    $p '%d\n' -7 0 +9
    $p '%i %u\n' 12 34
    $p '\101\102\n'
done
