# case: globs, alternatives, character classes, fall-through default.
classify() {
    case "$1" in
        "") echo "empty" ;;
        [0-9]|[0-9][0-9]) echo "$1: small number" ;;
        *[!0-9]*) case "$1" in
                      *.txt|*.md) echo "$1: document" ;;
                      -*) echo "$1: option" ;;
                      [A-Z]*) echo "$1: capitalised" ;;
                      *) echo "$1: word" ;;
                  esac ;;
        *) echo "$1: big number" ;;
    esac
}
for w in 7 42 12345 notes.txt README.md --verbose Hello plain ""; do classify "$w"; done
x=abc
case $x in a*) echo "prefix a" ;; esac
case $x in *c) echo "suffix c" ;; esac
case $x in ?b?) echo "three letters, b in the middle" ;; esac
case $x in 'a*') echo "quoted pattern is literal" ;; *) echo "quoted pattern did not match" ;; esac
