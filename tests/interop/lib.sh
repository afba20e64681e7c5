# Shared by the interop tests: a fresh store in a temporary folder, and
# helpers that fail loudly.  $CERTDECK is the binary under test.
set -eu
export LC_ALL=C.UTF-8
: "${CERTDECK:=$(cd "$(dirname "$0")/../.." && pwd)/build/certdeck}"
T=$(mktemp -d /tmp/cdinterop.XXXXXX)
trap 'rm -rf "$T"' EXIT
S="$T/store.db"
cd_() { "$CERTDECK" --store "$S" "$@"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || { echo "skip: $1 not installed"; exit 77; }; }
# expect STATUS CMD...: runs CMD, checks its exit status, keeps stderr in $T/err
expect() {
    want=$1; shift
    set +e; "$@" >"$T/out" 2>"$T/err"; got=$?; set -e
    [ "$got" -eq "$want" ] || { cat "$T/err" >&2; fail "exit $got, wanted $want: $*"; }
}
grep_err() { grep -q -- "$1" "$T/err" || { cat "$T/err" >&2; fail "stderr lacks: $1"; }; }
printf 'pass-phrase-1\n' >"$T/pass"
