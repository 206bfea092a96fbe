# Here-documents: unquoted (expands), quoted delimiter (literal), <<- (strips tabs).
name=world
cat <<EOF
hello $name
sum $((2 + 3)) and $(echo subst)
escaped \$name
EOF
cat <<'EOF'
literal $name $(echo no) `echo no`
EOF
cat <<"END"
double-quoted delimiter $name
END
cat <<-EOF
	tab-indented $name
		two tabs
	EOF
while read a b; do echo "[$b|$a]"; done <<EOF
1 one
2 two
EOF
cat <<A; cat <<B
first doc
A
second doc
B
tr a-z A-Z <<EOF | sed "s/^/> /"
piped heredoc
EOF
# a here-document larger than a pipe buffer
wc -c <<EOF
$(seq 1 20000)
EOF
