# umask decides the mode of new files and directories.
umask 022
touch a022; mkdir d022
umask 077
touch a077; mkdir d077
umask 027
echo > a027; mkdir d027
stat -c '%a %n' a022 d022 a077 d077 a027 d027
umask
( umask 000; touch a000; stat -c '%a %n' a000 )
echo "umask back in parent: $(umask)"
sh -c 'umask'
umask 0755
umask
