#!/bin/sh
# Runs every tests/<dir>/*-test script; each exits 0 (pass), 77 (skip) or
# anything else (fail).  Prints the closing "N passed, N failed" line.
dir=$1
pass=0; fail=0; skip=0; failed=""
for t in "$dir"/*-test; do
    [ -f "$t" ] || continue
    name=$(basename "$t")
    log=$(mktemp)
    if sh "$t" >"$log" 2>&1; then
        pass=$((pass + 1)); echo "ok   $name"
    else
        rc=$?
        if [ $rc -eq 77 ]; then skip=$((skip + 1)); echo "skip $name"
        else fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name"; sed 's/^/     | /' "$log" | tail -40; fi
    fi
    rm -f "$log"
done
echo "$dir: $pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
