#!/usr/bin/env bash
# Regenerates every committed validation report from the committed real-run fixtures
# (tests/fixtures/amanda/) and nothing else, so that anyone with a clone gets the same reports.
# No root needed: this reads runs already made. To make new real runs, see README "The lab"
# (`--real N`), and commit each run as a fixture (lab/make-fixture.sh) before it is cited here.
set -euo pipefail
cd "$(dirname "$0")/.."
P=${PORTSIM:-target/debug/portsim}
F=tests/fixtures/amanda
N=${NIGHTS:-400}
v() { local out=$1; shift; "$P" validate "$@" --nights "$N" --out "validation/$out" >/dev/null; }

# A hole narrower than the range, one client (20 DLEs, and 15 DLEs).
v lab-hole-one-host lab/scenarios/hole-one-host.json \
  --from $F/exp1 $F/harness-hole-one-host-1 $F/harness-hole-one-host-2 $F/harness-hole-one-host-3 \
         $F/harness-hole-one-host-4
v lab-hole-one-host-15 validation/scenarios/hole-one-host-15.json \
  --from $F/exp1c $F/planner-outside-hole
# The same site with auth "bsdtcp" (issue 11, item 5): one TCP connection per request, nothing
# for the filter to drop.
v lab-hole-one-host-bsdtcp lab/scenarios/hole-one-host-bsdtcp.json \
  --from $F/harness-hole-one-host-bsdtcp-1 $F/harness-hole-one-host-bsdtcp-2
# The same with one client per DLE.
v lab-hole-host-per-dle lab/scenarios/hole-host-per-dle.json \
  --from $F/harness-hole-host-per-dle-1 $F/harness-hole-host-per-dle-2
# Range exhaustion: inparallel 24 for 20 usable ports.
v lab-range-exhaustion lab/scenarios/range-exhaustion.json --from $F/full $F/harness-range-exhaustion-1
# conntrack with slow estimates, no helper: positive etimeout (harness) and etimeout -150 (recipe).
v lab-conntrack-slow-estimates lab/scenarios/conntrack-slow-estimates.json \
  --from $F/harness-conntrack-slow-estimates-1
v lab-conntrack-slow-estimates-etimeout-150 lab/scenarios/conntrack-slow-estimates.json \
  --set server.etimeout=-150 --from $F/ct900 $F/ct
# conntrack with the amanda helper, slow estimates, 4 concurrent dumps.
v lab-helper-four-dumps lab/scenarios/helper-four-dumps.json \
  --from $F/harness-helper-four-dumps-1
v lab-helper-four-dumps-etimeout-150 lab/scenarios/helper-four-dumps.json \
  --set server.etimeout=-150 --from $F/cthelper
echo "validation: reports in validation/"
