# Shared by the mirror tests (tests/interop/mirror-*-test, tests/tui):
# lighttpd as the real outside web server of a published snapshot.  Source
# it after lib.sh (either one): it uses $T, $S, $CERTDECK and fail(), and
# adds the servers' stop to the EXIT trap.
#   mir_user NAME PASSFILE   adds NAME to the htpasswd file ($MIR_HTPASSWD),
#                            the password read from PASSFILE (htpasswd -i)
#   mir_start                two lighttpd on free loopback ports, serving
#                            $MIR_WWW (the snapshot goes in $MIR_DIR, i.e.
#                            $MIR_WWW/mirror):
#                            #1 at $MIR_URL (http://127.0.0.1:P1/mirror):
#                               basic auth required under /mirror/ and
#                               /moved/; /moved/X is redirected (302, after
#                               the login) to #2's /mirror/X: $MIR_MOVED
#                            #2 at $MIR_URL2: no auth, the same folder
#                            access logs $MIR_LOG1, $MIR_LOG2, one line a
#                            request: "METHOD PATH STATUS auth=HEADER|-
#                            inm=IF-NONE-MATCH|- ims=IF-MODIFIED-SINCE|-"
#   mir_stop                 stops both (also done at exit)
#   mir_mark 1|2             a marker request to that server, waited for in
#                            its log
#   mir_new 1|2              a new marker, then prints the log lines between
#                            the previous marker on that server and this one:
#                            exactly the requests made in between
#   mir_env                  the cache and config folders inside $T
#   mir_seed, mir_publish, mir_cli, mir_pull, mir_state, mir_flip, mir_file:
#                            a source store and its snapshot, certdeck on
#                            the mirror, and tampering (see each below)
# Every wait polls with a timeout; nothing sleeps a fixed time for a server.
command -v lighttpd >/dev/null 2>&1 || { echo "skip: lighttpd not installed"; exit 77; }
command -v htpasswd >/dev/null 2>&1 || { echo "skip: htpasswd (apache2-utils) not installed"; exit 77; }
[ -f /usr/lib/lighttpd/mod_auth.so ] && [ -f /usr/lib/lighttpd/mod_authn_file.so ] ||
    { echo "skip: lighttpd without mod_auth/mod_authn_file"; exit 77; }
MIR_WWW="$T/www"
MIR_DIR="$MIR_WWW/mirror"
MIR_HTPASSWD="$T/htpasswd"
MIR_LOG1="$T/access1.log"
MIR_LOG2="$T/access2.log"
MIR_PID1=""
MIR_PID2=""
MIR_PORT1=""
MIR_PORT2=""
mkdir -p "$MIR_DIR"
: >"$MIR_HTPASSWD"

mir_cleanup() {
    for p in $MIR_PID1 $MIR_PID2; do
        kill "$p" 2>/dev/null || true
        wait "$p" 2>/dev/null || true
    done
    MIR_PID1=""; MIR_PID2=""
}
if command -v srv_cleanup >/dev/null 2>&1; then
    if command -v cleanup >/dev/null 2>&1; then trap 'mir_cleanup; srv_cleanup; cleanup' EXIT
    else trap 'mir_cleanup; srv_cleanup; rm -rf "$T"' EXIT; fi
elif command -v cleanup >/dev/null 2>&1; then
    trap 'mir_cleanup; cleanup' EXIT
else
    trap 'mir_cleanup; rm -rf "$T"' EXIT
fi

mir_env() {
    XDG_CACHE_HOME="$T/cache"; XDG_CONFIG_HOME="$T/cfg"
    export XDG_CACHE_HOME XDG_CONFIG_HOME
    mkdir -p "$XDG_CACHE_HOME" "$XDG_CONFIG_HOME"
}
mir_env

mir_user() {
    # bcrypt at the lowest cost: lighttpd checks it on every request
    htpasswd -i -B -C 4 "$MIR_HTPASSWD" "$1" <"$2" >/dev/null 2>&1 || fail "htpasswd: cannot add $1"
}

# mir_lighttpd NAME EXTRA_CONF_FILE: starts lighttpd on a free port (tries
# another when the port is taken); sets MIR_PORT and MIR_PID.
mir_lighttpd() {
    name=$1 extra=$2
    MIR_PORT=""; MIR_PID=""
    for try in 1 2 3 4 5 6 7 8 9 10; do
        p=$(( $(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % 30000 + 20000 ))
        {
            echo "server.document-root = \"$MIR_WWW\""
            echo "server.bind = \"127.0.0.1\""
            echo "server.port = $p"
            echo "server.errorlog = \"$T/$name-error.log\""
            echo "server.modules += ( \"mod_auth\", \"mod_authn_file\", \"mod_redirect\", \"mod_accesslog\" )"
            # a piped logger: lighttpd writes to a pipe at once (to a file, in batches every few seconds)
            echo "accesslog.filename = \"|cat >>$T/access-$name.log\""
            echo "accesslog.format = \"%m %U %>s auth=%{Authorization}i inm=%{If-None-Match}i ims=%{If-Modified-Since}i\""
            echo "mimetype.assign = ( \"\" => \"application/octet-stream\" )"
            # lighttpd keeps small files open for a second (its stat cache): a
            # publish then a pull within that second would get the old `current`
            echo "server.stat-cache-engine = \"disable\""
            sed "s/@PORT@/$p/g" "$extra"
        } >"$T/$name.conf"
        : >"$T/$name-error.log"
        : >"$T/access-$name.log"
        lighttpd -D -f "$T/$name.conf" >"$T/$name.out" 2>&1 &
        MIR_PID=$!
        i=0
        while [ $i -lt 200 ] && kill -0 "$MIR_PID" 2>/dev/null && ! grep -q 'server started' "$T/$name-error.log"; do
            sleep 0.05; i=$((i + 1))
        done
        if kill -0 "$MIR_PID" 2>/dev/null && grep -q 'server started' "$T/$name-error.log"; then
            MIR_PORT=$p; return 0
        fi
        kill "$MIR_PID" 2>/dev/null || true
        wait "$MIR_PID" 2>/dev/null || true
        MIR_PID=""
    done
    cat "$T/$name.out" "$T/$name-error.log" >&2
    fail "lighttpd ($name) did not start"
}

mir_start() {
    # #2: the target of the redirect, on another port; no login asked, so
    # a client that sent its password there did so of its own accord
    : >"$T/two.extra"
    mir_lighttpd two "$T/two.extra"
    MIR_PID2=$MIR_PID MIR_PORT2=$MIR_PORT
    ln -sf "$T/access-two.log" "$MIR_LOG2"
    # #1: mod_auth is listed before mod_redirect, so /moved/ asks for the
    # login first and redirects only a request that carried it
    cat >"$T/one.extra" <<EOF
auth.backend = "htpasswd"
auth.backend.htpasswd.userfile = "$MIR_HTPASSWD"
auth.require = ( "/mirror/" => ( "method" => "basic", "realm" => "certdeck mirror", "require" => "valid-user" ),
                 "/moved/" => ( "method" => "basic", "realm" => "certdeck mirror", "require" => "valid-user" ) )
url.redirect = ( "^/moved/(.*)\$" => "http://127.0.0.1:$MIR_PORT2/mirror/\$1" )
url.redirect-code = 302
EOF
    mir_lighttpd one "$T/one.extra"
    MIR_PID1=$MIR_PID MIR_PORT1=$MIR_PORT
    ln -sf "$T/access-one.log" "$MIR_LOG1"
    MIR_URL="http://127.0.0.1:$MIR_PORT1/mirror"
    MIR_MOVED="http://127.0.0.1:$MIR_PORT1/moved"
    MIR_URL2="http://127.0.0.1:$MIR_PORT2/mirror"
}

mir_stop() { mir_cleanup; }

MIR_K=0
MIR_LAST1=""
MIR_LAST2=""
mir_mark() {
    MIR_K=$((MIR_K + 1))
    if [ "$1" = 1 ]; then port=$MIR_PORT1 log=$MIR_LOG1; else port=$MIR_PORT2 log=$MIR_LOG2; fi
    curl -s -o /dev/null --max-time 10 "http://127.0.0.1:$port/.mark-$MIR_K" || fail "marker request to #$1"
    i=0
    until grep -q "^GET /\.mark-$MIR_K " "$log"; do
        i=$((i + 1))
        [ $i -le 200 ] || { cat "$log" >&2; fail "the marker is not in $log after 10 s"; }
        sleep 0.05
    done
    if [ "$1" = 1 ]; then MIR_LAST1=$MIR_K; else MIR_LAST2=$MIR_K; fi
}
mir_new() {
    if [ "$1" = 1 ]; then prev=$MIR_LAST1 log=$MIR_LOG1; else prev=$MIR_LAST2 log=$MIR_LOG2; fi
    [ -n "$prev" ] || fail "mir_new $1 without an earlier mir_mark $1"
    mir_mark "$1"
    sed -n "/^GET \/\.mark-$prev /,/^GET \/\.mark-$MIR_K /p" "$log" | sed '1d;$d'
}

# ---- a source store and its snapshot ------------------------------------------

# mir_seed: a store in $S with something of everything public (groups, tags,
# descriptions, a revoked certificate, a shared preset, a hostile
# description), its CA in $T/ca.pem, the mirror's reader "reader" with the
# password in $T/mpw, and a first snapshot published into $MIR_DIR.
mir_seed() {
    "$CERTDECK" --store "$S" init >/dev/null || fail "init"
    "$CERTDECK" --store "$S" group add /All/Lab >/dev/null
    "$CERTDECK" --store "$S" group add /All/Lab/Bench >/dev/null
    "$CERTDECK" --store "$S" cert new --ca 1 --product agent --cn lab-agent-1 --group /All/Lab \
        --description "Lab agent one" --tag lab --tag linux >/dev/null
    "$CERTDECK" --store "$S" cert new --ca 1 --product proxy --cn bench-proxy --group /All/Lab/Bench \
        --host "proxy.bench.example,10.0.0.7" --description "Bench proxy" --tag lab >/dev/null
    MIR_REVOKED=$("$CERTDECK" --store "$S" cert new --ca 1 --product agent --cn gone-agent --group /All/Lab \
        --description "revoked one")
    "$CERTDECK" --store "$S" cert revoke "$MIR_REVOKED" --reason keyCompromise --yes >/dev/null
    MIR_HOSTILE=$("$CERTDECK" --store "$S" cert new --ca 1 --product agent --cn hostile-agent \
        --description "$(printf 'evil \033[31mred\342\200\256txt')")
    "$CERTDECK" --store "$S" preset save lab-only "group:/All/Lab" --shared >/dev/null
    "$CERTDECK" --store "$S" ca export 1 --out "$T/ca.pem" >/dev/null
    printf 'mirror-pw-1\n' >"$T/mpw"
    printf 'not-the-password\n' >"$T/badpw"
    chmod 600 "$T/mpw" "$T/badpw"
    mir_user reader "$T/mpw"
    mir_publish
}

# mir_publish: a new snapshot of $S into $MIR_DIR, signed by CA 1
mir_publish() {
    "$CERTDECK" --store "$S" mirror publish "$MIR_DIR" --sign-ca 1 >"$T/publish.out" 2>"$T/publish.err" ||
        { cat "$T/publish.err" >&2; fail "mirror publish"; }
}

# mir_cli ARGS...: certdeck on the mirror store, logged in as reader (the
# password in ${MIR_PW:-$T/mpw}), trusting $T/ca.pem as the signer
mir_cli() {
    "$CERTDECK" --store "mirror+$MIR_URL" --user reader --password-file "${MIR_PW:-$T/mpw}" --signer-ca "$T/ca.pem" "$@" </dev/null
}
# mir_pull URL FILE [ARGS...]: certdeck mirror pull URL --into FILE [ARGS],
# as reader with the password in ${MIR_PW:-$T/mpw}
mir_pull() {
    u=$1 f=$2; shift 2
    "$CERTDECK" --user reader --password-file "${MIR_PW:-$T/mpw}" --signer-ca "$T/ca.pem" \
        mirror pull "$u" --into "$f" "$@" </dev/null
}

# mir_state PATH...: names and SHA-256 of every file under the paths (a
# file or a folder; a missing path is said so): equal before and after
# means byte for byte unchanged
mir_state() {
    for p in "$@"; do
        if [ -e "$p" ]; then find "$p" | sort; find "$p" -type f -exec sha256sum {} + | sort
        else echo "missing: $p"; fi
    done
}

# mir_flip FILE OFFSET: changes the byte at OFFSET (to another value)
mir_flip() {
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    [ -n "$b" ] || fail "mir_flip: $1 has no byte at $2"
    n=$(( (b + 1) % 256 ))
    printf '%b' "\\0$(printf '%03o' "$n")" | dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null
    [ "$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')" = "$n" ] || fail "mir_flip: $1 unchanged"
}

# mir_file ROLE: the path (under $MIR_DIR) of the current snapshot's file of
# that role (store, ca, crl, signer), as the index lists it
mir_index() { echo "$MIR_DIR/$(tr -d '\n' <"$MIR_DIR/current")"; }
mir_file() {
    n=$(jq -r --arg r "$1" '[.files[] | select(.role == $r)][0].name' "$(mir_index)")
    [ -n "$n" ] && [ "$n" != null ] || fail "no file of role $1 in $(mir_index)"
    echo "$MIR_DIR/$n"
}
