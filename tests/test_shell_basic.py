"""``busybox sh -c`` scripts (Debian's static /bin/busybox): sequencing,
command substitution, subshells, background jobs and wait, $?, and many
fork+execs in a row.  Run natively and under glasskernel, same stdout,
stderr and exit status.

Only absolute paths to /bin/busybox are run as external commands (the host's
/bin tools may be dynamically linked).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness import differential

BUSYBOX = "/bin/busybox"

pytestmark = [
    pytest.mark.skipif(not Path(BUSYBOX).exists(), reason="needs /bin/busybox (busybox-static)"),
    pytest.mark.timeout(300),
]

B = BUSYBOX

SCRIPTS = {
    "sequential": f"echo one; echo two; {B} echo three; {B} printf '%s\\n' four",
    "and-or": f"{B} true && echo and-yes; {B} false && echo and-no; "
              f"{B} false || echo or-yes; {B} true || echo or-no",
    "command-substitution": f"x=$({B} echo hi); echo \"got $x\"; "
                            f"y=$(echo inner; exit 3); echo \"status $? out $y\"; "
                            f"z=$({B} echo a; {B} echo b); echo \"multi [$z]\"; "
                            f"echo \"nested $(echo $({B} echo deep))\"",
    "subshell": f"( echo in subshell; exit 4 ); echo \"sub status $?\"; "
                f"v=outer; ( v=inner; echo \"sub sees $v\" ); echo \"parent keeps $v\"; "
                f"(cd / && pwd); pwd",
    "background-wait": f"{B} sleep 0.2 & echo started; wait; echo \"waited $?\"; "
                       f"(exit 7) & wait $!; echo \"bg status $?\"; "
                       f"{B} sh -c 'exit 9' & p=$!; wait $p; echo \"bg sh status $?\"",
    "many-background": "for i in 1 2 3 4 5 6 7 8; do (exit $i) & done; wait; echo all-done",
    "exit-status": f"{B} false; echo \"false -> $?\"; {B} true; echo \"true -> $?\"; "
                   f"{B} sh -c 'exit 42'; echo \"nested -> $?\"; exit 5",
    "killed-child": f"{B} sh -c 'kill -TERM $$'; echo \"killed -> $?\"; "
                    f"{B} sh -c 'kill -KILL $$'; echo \"killed -> $?\"",
    "not-found": "nosuchcommand-gk; echo \"status $?\"; /nonexistent/prog; echo \"status $?\"",
    "exec-builtin": f"echo before; exec {B} echo replaced; echo not reached",
    "pipeline": f"echo a b c | {B} wc -w; {B} echo x | {B} cat | {B} cat",
    "loop-300-true": f"i=0; while [ $i -lt 300 ]; do {B} true || echo fail $i; i=$((i+1)); done; "
                     f"echo done $i",
}


@pytest.mark.parametrize("name", list(SCRIPTS))
def test_busybox_sh(name, tmp_path):
    native, _ = differential([BUSYBOX, "sh", "-c", SCRIPTS[name]], cwd=tmp_path)
    if name == "loop-300-true":
        assert native[0] == b"done 300\n"
