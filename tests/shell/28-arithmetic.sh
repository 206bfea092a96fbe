# Arithmetic expansion: operators, precedence, bases, assignment, comparison.
echo $(( 1 + 2 * 3 ))
echo $(( (1 + 2) * 3 ))
echo $(( 17 / 5 )) $(( 17 % 5 )) $(( -17 / 5 )) $(( -17 % 5 ))
echo $(( 2 ** 10 )) 2>/dev/null || echo "no ** operator"
echo $(( 0x1f )) $(( 010 )) $(( 1 << 10 )) $(( 255 >> 4 ))
echo $(( 6 & 3 )) $(( 6 | 3 )) $(( 6 ^ 3 )) $(( ~0 ))
echo $(( 3 > 2 )) $(( 3 < 2 )) $(( 3 == 3 )) $(( 3 != 3 )) $(( !0 ))
echo $(( 1 && 0 )) $(( 1 || 0 )) $(( 5 > 3 ? 10 : 20 ))
i=5
echo $(( i += 3 )) $i
echo $(( i *= 2 )) $i
n=0; while [ $n -lt 10 ]; do n=$((n + 1)); done; echo "n=$n"
echo $(( 9223372036854775807 ))
echo $(( 2147483647 + 1 ))
a=3 b=4
echo "hyp^2 = $(( a * a + b * b ))"
