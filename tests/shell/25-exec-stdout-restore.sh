# exec >file redirects the rest of the script; a saved copy restores it.
exec 9>&1
exec > redirected.txt
echo "this goes to the file"
ls -d . 
exec 1>&9 9>&-
echo "stdout is back"
cat redirected.txt
exec 8>&2
exec 2> errors.txt
echo "error text" >&2
exec 2>&8 8>&-
echo "stderr file: $(cat errors.txt)"
exec < redirected.txt
read -r l1
echo "read from redirected stdin: $l1"
