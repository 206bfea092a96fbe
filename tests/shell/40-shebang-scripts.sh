# Executable scripts run through #! (binfmt_script), with arguments and exit status.
printf '#!/bin/busybox sh\necho "script args: $*"\nexit 5\n' > s1
chmod +x s1
./s1 a b
echo "status $?"
printf '#!/bin/busybox sh -e\nfalse\necho not reached\n' > s2
chmod +x s2
./s2; echo "\"sh -e\" reaches busybox as one argument: $?"
printf 'echo "no #! line: run by the shell itself, args $#"\n' > s3
chmod +x s3
./s3 x y z
mkdir bin2
printf '#!/bin/busybox sh\necho "found on PATH as $(basename $0)"\n' > bin2/onpath
chmod +x bin2/onpath
PATH=$PWD/bin2:$PATH onpath
printf '#!/nonexistent/interp\n' > s4
chmod +x s4
./s4 2>/dev/null; echo "missing interpreter: $?"
