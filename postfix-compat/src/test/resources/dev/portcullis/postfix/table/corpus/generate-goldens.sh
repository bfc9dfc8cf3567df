#!/usr/bin/env bash
# Regenerates the golden files of this corpus from the REAL Postfix postmap(1) (Debian
# packages postfix and postfix-pcre). For each table file NAME.TYPE with keys NAME.TYPE.keys:
#   NAME.TYPE.golden    "exit N", then what `postmap -q - TYPE:NAME.TYPE < keys` printed
#   NAME.TYPE.warnings  postmap's warnings (building hash tables included), sorted, unique
# NAME.TYPE.deviations (hand-written) lists the warnings we print on purpose and Postfix does not.
# Run from anywhere: bash generate-goldens.sh. Commit the results.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
postmap=${POSTMAP:-/usr/sbin/postmap}
[ -x "$postmap" ] || { echo "no postmap at $postmap (apt-get install postfix postfix-pcre)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/conf"
: > "$work/conf/main.cf"
"$postmap" -c "$work/conf" -q x inline:{a=b} >/dev/null 2>&1 || true
cd "$work"
for table in "$here"/*.*; do
    name=$(basename "$table")
    case "$name" in *.keys|*.golden|*.warnings|*.deviations|*.sh) continue ;; esac
    type=${name##*.}
    cp "$table" "$name"
    : > build.err
    if [ "$type" = hash ]; then
        "$postmap" -c "$work/conf" "hash:$name" 2> build.err || true
    fi
    set +e
    "$postmap" -c "$work/conf" -q - "$type:$name" < "$here/$name.keys" > out 2> err
    rc=$?
    set -e
    { echo "exit $rc"; cat out; } > "$here/$name.golden"
    cat build.err err | sed 's/^postmap: warning: //' | sort -u > "$here/$name.warnings"
    echo "$name: exit $rc, $(wc -l < out) found, $(wc -l < "$here/$name.warnings") warnings"
done
