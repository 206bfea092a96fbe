# getopts: flags, options with arguments, unknown options, OPTIND.
parse() {
    OPTIND=1
    verbose=0 name=none
    while getopts "vn:x" opt; do
        case $opt in
            v) verbose=$((verbose + 1)) ;;
            n) name=$OPTARG ;;
            x) echo "x flag" ;;
            \?) echo "bad option" ;;
        esac
    done
    shift $((OPTIND - 1))
    echo "verbose=$verbose name=$name rest=$*"
}
parse -v -n alice file1 file2
parse -vv -nbob
parse -x -- -v notanoption
parse -q 2>/dev/null
parse plain words
