# A 1 MiB stream through several pipes keeps every byte.
head -c 1048576 /dev/zero | cat | cat | wc -c
head -c 1048576 /dev/zero | cat | cat | cat | cat | wc -c
head -c 300000 /dev/zero > zeros.bin
cat zeros.bin | cat | wc -c
seq 1 100000 > numbers.txt
cat numbers.txt | cat | md5sum
md5sum < numbers.txt
dd if=/dev/zero bs=65536 count=16 2>/dev/null | cat | wc -c
