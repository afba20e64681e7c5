# Shared by the tests that need a running certdeckd (tests/interop and
# tests/tui).  Source it after lib.sh (either one): it uses $T, $S,
# $CERTDECK and fail(), and adds the server's stop to the EXIT trap.
#   srv_prepare            a server certificate for 127.0.0.1, localhost and
#                          ::1 ($SRV_CERT) and the store's CA in $T/ca.pem
#   srv_start [ARGS...]    certdeckd on 127.0.0.1, free ports; waits (up to
#                          20 s) for its "listening" line; sets $SRV_PID,
#                          $SRV_API, $SRV_AGENT (https://127.0.0.1:PORT),
#                          $SRV_API_PORT, $SRV_AGENT_PORT; log in $SRV_LOG
#   srv_stop               SIGTERM, waits; its exit status in $SRV_RC
#   api_curl ARGS...       curl against the console API with the CA
: "${CERTDECKD:=$(cd "$(dirname "$0")/../.." && pwd)/build/certdeckd}"
[ -x "$CERTDECKD" ] || { echo "skip: no certdeckd at $CERTDECKD"; exit 77; }
command -v curl >/dev/null 2>&1 || { echo "skip: curl not installed"; exit 77; }
SRV_PID=""
SRV_LOG="$T/certdeckd.log"
SRV_CERT=""

srv_cleanup() {
    if [ -n "$SRV_PID" ]; then
        kill "$SRV_PID" 2>/dev/null || true
        wait "$SRV_PID" 2>/dev/null || true
        SRV_PID=""
    fi
}
if command -v cleanup >/dev/null 2>&1; then
    trap 'srv_cleanup; cleanup' EXIT
else
    trap 'srv_cleanup; rm -rf "$T"' EXIT
fi

srv_prepare() {
    SRV_CERT=$("$CERTDECK" --store "$S" cert new --ca 1 --product server --cn localhost \
               --host "127.0.0.1,localhost,::1" --description "certdeckd under test") ||
        fail "no server certificate for the test"
    "$CERTDECK" --store "$S" ca export 1 --out "$T/ca.pem" >/dev/null || fail "no CA for curl"
}

srv_start() {
    [ -n "$SRV_CERT" ] || srv_prepare
    : >"$SRV_LOG"
    "$CERTDECKD" --store "$S" --listen 127.0.0.1:0 --agent-listen 127.0.0.1:0 --tls-cert "$SRV_CERT" \
        "$@" >/dev/null 2>>"$SRV_LOG" &
    SRV_PID=$!
    i=0
    while ! grep -q '^certdeckd: listening on ' "$SRV_LOG"; do
        if ! kill -0 "$SRV_PID" 2>/dev/null; then
            cat "$SRV_LOG" >&2; SRV_PID=""; fail "certdeckd exited before listening"
        fi
        i=$((i + 1))
        [ $i -le 200 ] || { cat "$SRV_LOG" >&2; fail "certdeckd did not listen within 20 s"; }
        sleep 0.1
    done
    line=$(grep '^certdeckd: listening on ' "$SRV_LOG" | head -n 1)
    SRV_API=$(echo "$line" | sed -n 's/^certdeckd: listening on \(https:[^ ]*\) (console API), .*/\1/p')
    SRV_AGENT=$(echo "$line" | sed -n 's/.*(console API), \(https:[^ ]*\) (agents)$/\1/p')
    SRV_API_PORT=${SRV_API##*:}
    SRV_AGENT_PORT=${SRV_AGENT##*:}
    [ -n "$SRV_API_PORT" ] && [ -n "$SRV_AGENT_PORT" ] || fail "cannot read the ports: $line"
}

srv_stop() {
    [ -n "$SRV_PID" ] || fail "no certdeckd to stop"
    kill -TERM "$SRV_PID"
    set +e; wait "$SRV_PID"; SRV_RC=$?; set -e
    SRV_PID=""
}

api_curl() { curl -sS --cacert "$T/ca.pem" --max-time 30 "$@"; }
