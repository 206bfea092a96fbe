# set -o pipefail: a pipeline's status is its last failing stage.
false | true
echo "without pipefail: $?"
set -o pipefail
false | true
echo "false | true: $?"
true | false | true
echo "true | false | true: $?"
sh -c 'exit 3' | sh -c 'exit 4' | true
echo "3 | 4 | true: $?"
true | true
echo "all true: $?"
yes | head -1 > /dev/null
echo "yes | head -1 (SIGPIPE): $?"
set +o pipefail
yes | head -1 > /dev/null
echo "pipefail off again: $?"
