# Shared by the console tests: a store made with the CLI, certdeck in a
# detached tmux session of fixed size, keys sent with send-keys, and the
# screen polled with capture-pane until the expected text shows or a
# timeout passes (no fixed sleeps waiting for a screen).
set -eu
export LC_ALL=C.UTF-8
: "${CERTDECK:=$(cd "$(dirname "$0")/../.." && pwd)/build/certdeck}"
command -v tmux >/dev/null 2>&1 || { echo "skip: tmux not installed"; exit 77; }
T=$(mktemp -d /tmp/cdtui.XXXXXX)
S="$T/store.db"
SOCK="cdtui$$"
SOCKS=""
STARTS=0
tm() { tmux -L "$SOCK" "$@"; }
cleanup() {
    for s in $SOCKS; do tmux -L "$s" kill-server >/dev/null 2>&1 || true; done
    rm -rf "$T"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "---- screen ----" >&2; screen >&2 || true; exit 1; }
cd_() { "$CERTDECK" --store "$S" "$@"; }

# start [WIDTH HEIGHT [EXTRA ENV/ARGS...]]: the console on $S; after it exits
# the pane prints EXITED:<status> and the terminal modes, and stays open.
start() {
    w=${1:-120}; h=${2:-30}; shift 2 2>/dev/null || true
    # a fresh server each time: a new session on a server being killed fails
    [ -n "$SOCKS" ] && { tm kill-server >/dev/null 2>&1 || true; }
    STARTS=$((STARTS + 1)); SOCK="cdtui$$.$STARTS"; SOCKS="$SOCKS $SOCK"
    rm -f "$T/pid"
    # the inner sh writes its pid and execs certdeck, so $T/pid is certdeck's
    # pid (tests may run only what `make deps` installs: no process-listing tools)
    tm new-session -d -s t -x "$w" -y "$h" \
        "sh -c 'echo \$\$ >\"$T/pid\"; exec env LC_ALL=C.UTF-8 $* \"$CERTDECK\" --store \"$S\" $CD_ARGS'; rc=\$?; echo \"EXITED:\$rc MODES: \$(stty -a | tr ' ;' '\n\n' | grep -E '^-?(echo|icanon)\$' | tr '\n' ' ')END\"; sleep 600"
    wait_for "certdeck |"
}
CD_ARGS=""
screen() { tm capture-pane -p -t t; }
screen_e() { tm capture-pane -p -e -t t; }
keys() { tm send-keys -t t "$@"; }
type_text() { tm send-keys -t t -l "$1"; }
# wait_for TEXT [SECONDS]: polls the screen every 50 ms
wait_for() {
    n=$(( ${2:-5} * 20 ))
    while [ $n -gt 0 ]; do
        screen 2>/dev/null | grep -qF -- "$1" && return 0
        n=$((n - 1)); sleep 0.05
    done
    fail "timed out waiting for: $1"
}
wait_gone() {
    n=$(( ${2:-5} * 20 ))
    while [ $n -gt 0 ]; do
        screen 2>/dev/null | grep -qF -- "$1" || return 0
        n=$((n - 1)); sleep 0.05
    done
    fail "still on screen: $1"
}
# wait_true WHAT CMD...: polls CMD every 50 ms until it succeeds (5 s);
# for what the console writes to the store, read back by the CLI (a
# dialog's closing is no proof: a busy line may hide its title meanwhile)
wait_true() {
    what=$1; shift
    n=100
    while [ $n -gt 0 ]; do
        "$@" && return 0
        n=$((n - 1)); sleep 0.05
    done
    fail "timed out waiting for: $what"
}
# app_pid: the pid of the certdeck that start() launched
app_pid() { cat "$T/pid"; }
# cursor_on TEXT: the table row holding TEXT is the highlighted one (the
# cursor row is drawn with a background colour or reverse video right after
# the side panel's border)
cursor_on() {
    e=$(printf '\033')
    screen_e | grep -F -- "$1" | grep -qE "│($e\[[0-9;]*m)*$e\[([0-9;]*;)?(7|4[0-7])m"
}
wait_cursor() {
    n=$(( ${2:-5} * 20 ))
    while [ $n -gt 0 ]; do
        cursor_on "$1" && return 0
        n=$((n - 1)); sleep 0.05
    done
    fail "the cursor is not on: $1"
}
expect_screen() { screen | grep -qF -- "$1" || fail "not on screen: $1"; }
# wait_drawn WIDTH: until the app has redrawn for that width (line 2 ends
# with the right-aligned "revoked: hidden", so its length is the width the
# app drew for; tmux reshapes its own grid before the program sees a resize)
wait_drawn() {
    n=100
    while [ $n -gt 0 ]; do
        [ "$(screen | sed -n 2p | sed 's/│/|/g' | awk '{ print length($0) }')" = "$1" ] && return 0
        n=$((n - 1)); sleep 0.05
    done
    fail "not redrawn for width $1"
}
