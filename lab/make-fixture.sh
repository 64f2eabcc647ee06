#!/usr/bin/env bash
# make-fixture.sh RUN_DIR FIXTURE_DIR -- copy the logs a reader of Amanda's logs needs from one lab
# run (a run directory of lab/portsim-lab.sh or of the shared recipe) into a small, text-only
# test fixture. The only change to the logs is the host path of the lab directory, replaced by
# /amanda-lab, so fixtures do not depend on where the lab ran. Conntrack samples that repeat the
# previous sample are collapsed (the first and the changes are kept). Any file still over
# MAX_KB (default 256) is refused rather than silently cut (see OMIT and ALLOW_BIG below).
# Left out: driver.*.debug (the amdump log holds every line the driver writes there, and more),
# chunker/taper/runtar/sendbackup debug logs and the UDP ss samples (in the run directory, not needed
# to read a night); of the TCP ss samples (bsdtcp) only the connections to amandad are kept.
set -euo pipefail
src=$(realpath "$1"); dst=$2
MAX_KB=${MAX_KB:-256}
[ -d "$src/srvlog" ] || { echo "make-fixture: $src is not a lab run directory (no srvlog/)" >&2; exit 2; }
# the lab root: the directory whose data/ the disklist names
labroot=$(grep -o '/[^ ]*/data/' "$src/disklist" 2>/dev/null | head -1 | sed 's#/data/$##' || true)
[ -n "$labroot" ] || labroot=$(dirname "$(dirname "$src")")
mkdir -p "$(dirname "$dst")"; tmp=$(mktemp -d "${dst%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
keep() { # relative paths (globs) to keep
    local g f
    for g in "$@"; do
        for f in $src/$g; do
            [ -f "$f" ] || continue
            grep -Iq . "$f" 2>/dev/null || [ ! -s "$f" ] || continue   # text only
            mkdir -p "$tmp/$(dirname "${f#"$src"/}")"
            sed "s#$labroot#/amanda-lab#g" "$f" > "$tmp/${f#"$src"/}"
        done
    done
}
keep meta.json amanda.conf disklist lab.env scenario.json nft-ruleset.conf nftables.conf \
     nft-counters.txt amdump-rc.txt report.txt tc-link.txt \
     'amlog/log.*' 'amlog/amdump.*' 'amlog/oldlog/log.*' 'amlog/oldlog/amdump.*' \
     'srvlog/server/*/amdump.*.debug' \
     'srvlog/server/*/planner.*.debug' 'srvlog/server/*/dumper.*.debug' \
     'clilog/amandad/*.debug' 'clilog/client/*/sendsize.*.debug' \
     'clients/*/log/amandad/*.debug' \
     'clients/*/log/client/*/sendsize.*.debug' 'clients/*/tc.txt' 'config/*'
# conntrack: keep the first sample and every sample that differs from the one before it
for ct in "$src"/conntrack.txt "$src"/conntrack-*.txt; do
    [ -s "$ct" ] || continue
    python3 - "$ct" "$tmp/$(basename "$ct")" "$labroot" <<'PY'
import sys, re
src, dst, root = sys.argv[1:]
text = open(src, errors='replace').read().replace(root, '/amanda-lab')
samples = re.split(r'(?m)^(?==== )', text)
out, prev = [], None
for s in samples:
    head, _, body = s.partition('\n')
    # conntrack prints the remaining timeout first in each line: ignore it when comparing
    key = re.sub(r'^(\S+\s+\d+\s+)\d+', r'\1', body, flags=re.M)   # conntrack -L
    key = re.sub(r'^\d+ (?=proto=)', '', key, flags=re.M)               # conntrack -L expect
    if key != prev:
        out.append(s)
    prev = key
open(dst, 'w').write(''.join(out))
PY
done
# ss-tcp.txt (bsdtcp runs): the server's TCP connections to the clients' amandad (port 10080)
# only, without the chunkers' loopback connections, and again only the samples that change
if [ -s "$src/ss-tcp.txt" ]; then
    python3 - "$src/ss-tcp.txt" "$tmp/ss-tcp.txt" <<'PY'
import sys, re
src, dst = sys.argv[1:]
out, prev = [], None
for s in re.split(r'(?m)^(?==== )', open(src, errors='replace').read()):
    if not s.startswith('=== '):
        continue
    head, _, body = s.partition('\n')
    body = ''.join(l + '\n' for l in body.split('\n') if ':10080 ' in l)
    if body != prev:
        out.append(head + '\n' + body)
    prev = body
open(dst, 'w').write(''.join(out))
PY
fi
# OMIT: run-relative paths left out on purpose (listed with size and sha256 in OMITTED.txt, so a
# test knows they exist); ALLOW_BIG: run-relative paths kept whole although over MAX_KB
for f in ${OMIT:-}; do
    [ -f "$tmp/$f" ] || { echo "make-fixture: OMIT names $f, which is not in the fixture" >&2; exit 2; }
    printf '%s\t%s bytes\tsha256 %s\n' "$f" "$(stat -c %s "$src/$f")" "$(sha256sum < "$src/$f" | cut -d' ' -f1)" >> "$tmp/OMITTED.txt"
    rm "$tmp/$f"
done
big=$(cd "$tmp" && find . -type f -size +"${MAX_KB}"k | sed 's#^\./##' | while read -r f; do
    case " ${ALLOW_BIG:-} " in *" $f "*) ;; *) echo "$f" ;; esac; done)
if [ -n "$big" ]; then
    echo "make-fixture: over ${MAX_KB} KB, not committed as a fixture:" >&2
    echo "$big" | sed 's#^#  #' >&2
    exit 1
fi
# the night's facts, read independently of the Rust reader (lab/facts.py) from the whole run
# (omitted logs included), for its tests to compare with
python3 "$(dirname "$0")/facts.py" "$src" | sed "s#$labroot#/amanda-lab#g" > "$tmp/facts.json"
chmod 755 "$tmp"; rm -rf "$dst"; mv "$tmp" "$dst"; trap - EXIT
echo "fixture $dst: $(find "$dst" -type f | wc -l) files, $(du -sk "$dst" | cut -f1) KB"
