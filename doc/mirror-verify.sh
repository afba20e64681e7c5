#!/bin/sh
# mirror-verify.sh — checks a certdeck mirror snapshot with nothing but
# curl, openssl, jq and sha256sum, exactly as doc/mirror.md describes:
# the pointer, the index's signature by the CA you trust, the signer named
# in the index, and every file's name, size and SHA-256.
#
#   mirror-verify.sh DIR|URL SIGNER-CA.pem [OUTDIR]
#
# URL is http(s)://HOST/PATH (curl; credentials from ~/.netrc, or set
# CURL_OPTS, e.g. CURL_OPTS="--netrc-file F --cacert web-ca.pem"; a
# password in a command line is seen by every user of the machine).
# OUTDIR (optional) receives the verified files.  Exit 0: the snapshot is
# whole and signed by SIGNER-CA; 1: it is not (the reason on stderr).
set -eu
[ $# -ge 2 ] || { echo "usage: $0 DIR|URL SIGNER-CA.pem [OUTDIR]" >&2; exit 2; }
SRC=${1%/}
CA=$2
W=$(mktemp -d "${TMPDIR:-/tmp}/mirror-verify.XXXXXX")
trap 'rm -rf "$W"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# fetch NAME FILE: a file of the snapshot, from the folder or over HTTP
fetch() {
    case $SRC in
    http://*|https://*)
        # shellcheck disable=SC2086
        curl -fsS --netrc-optional ${CURL_OPTS:-} -o "$2" "$SRC/$1" || fail "$1: cannot be fetched" ;;
    *)  cp "$SRC/$1" "$2" 2>/dev/null || fail "$1: cannot be read" ;;
    esac
}

# 1. the pointer: one line naming the current index
fetch current "$W/current"
name=$(head -n 1 "$W/current" | tr -d '\r')
echo "$name" | grep -Eq '^index-[0-9a-f]{64}\.json$' || fail "current does not name an index"
hex=${name#index-}
hex=${hex%.json}
fetch "$name" "$W/index.json"
fetch "index-$hex.sig" "$W/index.sig"
# the index is named by its own SHA-256
[ "$(sha256sum "$W/index.json" | cut -d' ' -f1)" = "$hex" ] || fail "$name: SHA-256 does not match its name"

# 2. the signature: raw, SHA-256 over the index's exact bytes, by the CA's key
openssl x509 -in "$CA" -noout -pubkey >"$W/pub.pem" 2>/dev/null || fail "$CA: not a certificate"
if openssl pkey -pubin -in "$W/pub.pem" -noout -text 2>/dev/null | head -n 1 | grep -q '^ED25519'; then
    # Ed25519 signs the message itself (no digest first)
    openssl pkeyutl -verify -pubin -inkey "$W/pub.pem" -rawin -in "$W/index.json" -sigfile "$W/index.sig" \
        >/dev/null 2>&1 || fail "$name: not signed by $CA (another CA, or changed after signing)"
else
    # RSA (PKCS#1 v1.5) and ECDSA (DER), both over SHA-256
    openssl dgst -sha256 -verify "$W/pub.pem" -signature "$W/index.sig" "$W/index.json" \
        >/dev/null 2>&1 || fail "$name: not signed by $CA (another CA, or changed after signing)"
fi

# 3. the index itself: format, and the signer it names is this CA
[ "$(jq -r .format "$W/index.json")" = "certdeck-mirror/1" ] || fail "$name: not a certdeck-mirror/1 index"
fp=$(openssl x509 -in "$CA" -noout -fingerprint -sha256 | sed 's/^[^=]*=//')
[ "$(jq -r .signer.sha256 "$W/index.json")" = "$fp" ] || fail "$name: names another signer than $CA"

# 4. every file: its name is files/<its sha256>.<db|pem|crl>, its size and SHA-256 as listed
jq -r '.files[] | "\(.name) \(.size) \(.sha256)"' "$W/index.json" >"$W/list" || fail "$name: no file list"
[ "$(jq '[.files[] | select(.role == "store")] | length' "$W/index.json")" = 1 ] || fail "$name: not one store file"
mkdir "$W/files"
while read -r f size sha; do
    echo "$f" | grep -Eq '^files/[0-9a-f]{64}\.(db|pem|crl)$' || fail "$f: not a snapshot file name"
    [ "${f#files/}" != "${f#files/"$sha"}" ] || fail "$f: name does not match its sha256"
    [ -f "$W/$f" ] || fetch "$f" "$W/$f"
    [ "$(wc -c <"$W/$f" | tr -d ' ')" = "$size" ] || fail "$f: size does not match the index"
    [ "$(sha256sum "$W/$f" | cut -d' ' -f1)" = "$sha" ] || fail "$f: SHA-256 does not match the index"
done <"$W/list"
# files, not entries: the signer's certificate is listed as a ca too
n=$(cut -d' ' -f1 "$W/list" | sort -u | wc -l | tr -d ' ')

if [ $# -ge 3 ]; then
    mkdir -p "$3/files"
    cp "$W/index.json" "$3/$name"
    cp "$W/index.sig" "$3/index-$hex.sig"
    cp "$W/files/"* "$3/files/"
    cp "$W/current" "$3/current"
fi
echo "OK: generation $(jq .generation "$W/index.json"), $(jq .certificates "$W/index.json") certificates," \
     "$n files, signed by $(jq -r .signer.subject "$W/index.json")"
