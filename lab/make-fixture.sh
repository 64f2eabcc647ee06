#!/usr/bin/env bash
# make-fixture.sh RUN_DIR FIXTURE_DIR -- copy the logs a reader of Amanda's logs needs from one lab
# run (a run directory of lab/portsim-lab.sh or of the shared recipe) into a small, text-only
# test fixture. The only change to the logs is the host path of the lab directory, replaced by
# /amanda-lab, so fixtures do not depend on where the lab ran. Conntrack samples that repeat the
# previous sample are collapsed (the first and the changes are kept). Any file still over
# MAX_KB (default 256) is refused rather than silently cut. driver.*.debug is left out: the
# amdump log holds every line the driver writes there (and more).
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
     nft-counters.txt amdump-rc.txt report.txt \
     'amlog/log.*' 'amlog/amdump.*' 'amlog/oldlog/log.*' 'amlog/oldlog/amdump.*' \
     'srvlog/server/*/amdump.*.debug' \
     'srvlog/server/*/planner.*.debug' 'srvlog/server/*/dumper.*.debug' \
     'clilog/amandad/*.debug' 'clilog/client/*/sendbackup.*.debug' 'clilog/client/*/sendsize.*.debug' \
     'clients/*/amandad/*.debug' 'clients/*/client/*/sendbackup.*.debug' 'clients/*/client/*/sendsize.*.debug'
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
    key = re.sub(r'^(\S+\s+\d+\s+)\d+', r'\1', body, flags=re.M)
    if key != prev:
        out.append(s)
    prev = key
open(dst, 'w').write(''.join(out))
PY
done
big=$(find "$tmp" -type f -size +"${MAX_KB}"k)
if [ -n "$big" ]; then
    echo "make-fixture: over ${MAX_KB} KB, not committed as a fixture:" >&2
    echo "$big" | sed "s#$tmp/#  #" >&2
    exit 1
fi
chmod 755 "$tmp"; rm -rf "$dst"; mv "$tmp" "$dst"; trap - EXIT
echo "fixture $dst: $(find "$dst" -type f | wc -l) files, $(du -sk "$dst" | cut -f1) KB"
