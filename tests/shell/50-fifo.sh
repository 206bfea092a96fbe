# A named pipe between a background writer and a foreground reader.
mkfifo pipe1
seq 1 1000 > pipe1 &
wc -l < pipe1
wait $!
echo "writer status $?"
mkfifo pipe2
( read line < pipe2; echo "reader got: $line" ) &
echo "through the fifo" > pipe2
wait
[ -p pipe2 ] && echo "pipe2 is a fifo"
