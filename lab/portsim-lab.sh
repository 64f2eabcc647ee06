#!/usr/bin/env bash
# portsim-lab.sh -- run one portsim scenario against a real Amanda 3.5.1 (Debian 12 packages,
# auth "bsdudp", or "bsdtcp" when the scenario's server.auth says so) in network namespaces, and
# collect what Amanda, nftables and conntrack saw.
#
# The scenario is the single source of truth: `portsim lab-config` renders it into amanda.conf
# lines, a disklist, services, an nftables ruleset and lab.env (contract: lab/CONTRACT.md); this
# script adds only lab plumbing (namespaces, bridge, shaping, vtapes, holding disk, data files).
# What the lab cannot express is refused by the renderer or here, with exit 2.
#
# Written for the project after reading the shared recipe /work/shared/lab/real-amanda-lab.sh
# (two namespaces, bind mounts in private mount namespaces, HTB shaping of the client's TCP,
# the tar wrapper that makes estimates slow); differences: one namespace per scenario host on a
# bridge, configuration from a scenario, per-DLE estimate delays, no writes to host paths at
# all (/var/lib/amanda, /tmp and /dev/shm are private too), atomic output directories.
#
#   lab/portsim-lab.sh install                      # Debian packages (apt-get), once
#   lab/portsim-lab.sh run SCENARIO OUTDIR [--set PATH=VALUE]...   # render, set up, amdump, collect, tear down
#   lab/portsim-lab.sh run-config CONFIGDIR OUTDIR  # the same from an already rendered config dir
#   lab/portsim-lab.sh config SCENARIO CONFIGDIR [--set PATH=VALUE]...  # render only
#   lab/portsim-lab.sh setup CONFIGDIR              # namespaces, shaping, files, firewall (to poke at)
#   lab/portsim-lab.sh amdump OUTDIR                # one amdump in a set-up lab, then collect
#   lab/portsim-lab.sh collect OUTDIR               # copy the current run's logs (after amdump)
#   lab/portsim-lab.sh teardown                     # end the lab's processes, delete its namespaces
#   lab/portsim-lab.sh status                       # the lab's namespaces and processes
#
# Needs root (namespaces, mounts, nftables) and the packages `install` names. Environment:
#   LABID        0-9 or empty: a second lab beside the first (own namespaces plLABID-*, work
#                dir, subnet 10.251.LABID.0/24; empty = 10.251.0.0/24)
#   PORTSIM      the portsim binary (default: portsim on PATH, else target/{release,debug}/portsim)
#   PORTSIM_LAB_WORK  scratch dir (default /var/tmp/portsim-labLABID); user backup must traverse it
#   RUN_TIMEOUT  seconds amdump may run (default: LAB_RUN_TIMEOUT from lab.env, else 1800)
#   RATE_DEFAULT TCP rate for a client when the scenario gives none (default 4mbit)
#   LAB_MAX_DATA_MB  refuse scenarios whose DLE data is larger (default 2048)
# Exit codes: 0 the lab ran (amdump's own exit code is in OUTDIR/meta.json), 1 the lab itself
# failed (setup, a bounded wait expired, amdump never started), 2 bad input or a scenario the lab
# cannot express, 3 not root or packages missing.
set -euo pipefail

LABID=${LABID:-}
[[ $LABID =~ ^[0-9]?$ ]] || { echo "portsim-lab: LABID must be one digit or empty, not '$LABID'" >&2; exit 2; }
P=pl$LABID                         # prefix of every namespace and interface this lab creates
SRV=$P-srv; SW=$P-sw               # server namespace; switch namespace holding the bridge
WORK=$(realpath -m "${PORTSIM_LAB_WORK:-/var/tmp/portsim-lab$LABID}")
NET=10.251.${LABID:-0}             # the renderer is asked for NET.0/24 (LAB_NET must match)
CONF=lab
RATE_DEFAULT=${RATE_DEFAULT:-4mbit}
LAB_MAX_DATA_MB=${LAB_MAX_DATA_MB:-2048}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
COMMAND="$0 $*"                    # recorded in meta.json
PACKAGES=(amanda-server amanda-client libencode-locale-perl nftables openbsd-inetd iproute2
          conntrack python3 procps util-linux iputils-ping)

log() { echo "[$(date -u +%T)] portsim-lab: $*" >&2; }
die() { local rc=$1; shift; echo "portsim-lab: $*" >&2; exit "$rc"; }

need_root() { [ "$(id -u)" = 0 ] || die 3 "needs root (network namespaces, mounts, nftables); run it with sudo"; }
need_tools() {
    local t missing=()
    for t in ip nft tc conntrack inetd amdump amreport unshare python3 timeout setsid ss ping; do
        command -v "$t" >/dev/null || missing+=("$t")
    done
    [ -x /usr/lib/amanda/amandad ] || missing+=(/usr/lib/amanda/amandad)
    [ ${#missing[@]} = 0 ] || die 3 "missing ${missing[*]}: run '$0 install' first"
}

cmd_install() {
    need_root
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${PACKAGES[@]}"
}

# ---------------------------------------------------------------------------------------------
# Configuration: the one step that turns a scenario into files. Everything after it reads only
# the rendered directory (lab.env, amanda-site.conf, disklist, dles.tsv, hosts, services.add,
# nft.conf, sysctl.conf, scenario.json).
find_portsim() {
    if [ -n "${PORTSIM:-}" ]; then echo "$PORTSIM"; return; fi
    if command -v portsim >/dev/null; then command -v portsim; return; fi
    local b
    for b in "$HERE/../target/release/portsim" "$HERE/../target/debug/portsim"; do
        [ -x "$b" ] && { echo "$b"; return; }
    done
    die 3 "no portsim binary: build it (cargo build --release) or set PORTSIM"
}

render_config() { # SCENARIO CONFIGDIR [--set P=V]...
    local scenario=$1 dir=$2; shift 2
    [ -r "$scenario" ] || die 2 "cannot read the scenario $scenario"
    local bin rc=0
    bin=$(find_portsim)
    "$bin" lab-config "$scenario" "$@" --out "$dir" --net "$NET.0/24" --data-root "$WORK/data" || rc=$?
    case $rc in
        0) ;;
        2) die 2 "portsim lab-config refused $scenario (its message above names the field)" ;;
        *) die 1 "portsim lab-config failed on $scenario (exit $rc)" ;;
    esac
}

# Read a rendered config dir into the shell, and refuse what this harness cannot build.
load_config() { # CONFIGDIR
    local dir=$1 f i
    for f in lab.env amanda-site.conf disklist dles.tsv hosts services.add nft.conf; do
        [ -f "$dir/$f" ] || die 2 "$dir/$f: missing (a lab-config dir has lab.env, amanda-site.conf, disklist, dles.tsv, hosts, services.add, nft.conf)"
    done
    # shellcheck disable=SC1091
    . "$dir/lab.env"
    [ "${LAB_SCHEMA:-}" = portsim.lab-config/1 ] \
        || die 2 "$dir/lab.env: LAB_SCHEMA is '${LAB_SCHEMA:-}', this harness reads portsim.lab-config/1"
    [ "${LAB_NET:-}" = "$NET.0/24" ] \
        || die 2 "$dir/lab.env: LAB_NET is '${LAB_NET:-}' but LABID='$LABID' uses $NET.0/24 (render with --net $NET.0/24)"
    [ "${LAB_SERVER_IP:-}" = "$NET.1" ] || die 2 "$dir/lab.env: LAB_SERVER_IP must be $NET.1"
    LAB_AUTH=${LAB_AUTH:-bsdudp}
    case $LAB_AUTH in bsdudp|bsdtcp) ;; *) die 2 "$dir/lab.env: LAB_AUTH is '$LAB_AUTH'; the lab runs bsdudp or bsdtcp" ;; esac
    [ "${LAB_AMCHECK:-0}" = 0 ] \
        || die 2 "$dir/lab.env: LAB_AMCHECK=1 (server.amcheck): a real amcheck does not stay up all night; the lab cannot hold its port the way the scenario says"
    NHOSTS=0
    for _ in ${LAB_HOSTS:-}; do NHOSTS=$((NHOSTS + 1)); done
    [ "$NHOSTS" -ge 1 ] && [ "$NHOSTS" -le 250 ] || die 2 "$dir/lab.env: LAB_HOSTS must name 1-250 hosts"
    for ((i = 1; i <= NHOSTS; i++)); do
        local lat="LAB_HOST_${i}_LATENCY_MS" ip="LAB_HOST_${i}_IP" name="LAB_HOST_${i}_NAME"
        [ -n "${!name:-}" ] && [ -n "${!ip:-}" ] || die 2 "$dir/lab.env: LAB_HOST_${i}_NAME/_IP missing"
        # up to 1 ms is the order of the veth's own delay and far below Amanda's timers: run it
        # as is; more needs netem
        if awk -v l="${!lat:-0}" 'BEGIN { exit !(l > 1) }'; then
            netem_available || die 2 "$dir/lab.env: ${lat}=${!lat}: host ${!name} has ${!lat} ms of link latency but this kernel has no netem qdisc (sch_netem) to delay the veth; the lab runs latencies up to 1 ms as they are"
            NETEM=1
        fi
    done
    local kb
    kb=$(awk -F'\t' 'NR > 1 { s += $4 } END { printf "%d", s }' "$dir/dles.tsv")
    [ $((kb / 1024)) -le "$LAB_MAX_DATA_MB" ] \
        || die 2 "$dir/dles.tsv: the DLEs hold $((kb / 1024)) MB; the lab writes real data and stops at LAB_MAX_DATA_MB=$LAB_MAX_DATA_MB (make the scenario's full_gb lab-sized)"
    RUN_TIMEOUT=${RUN_TIMEOUT:-${LAB_RUN_TIMEOUT:-1800}}
}

netem_available() {
    local ns=$P-probe rc=0
    ip netns add "$ns" 2>/dev/null || return 1
    ip netns exec "$ns" tc qdisc add dev lo root netem delay 1ms 2>/dev/null || rc=1
    ip netns del "$ns"
    return $rc
}

# ---------------------------------------------------------------------------------------------
# Network: a server namespace and one namespace per scenario host, each with one veth into a
# bridge that lives in a switch namespace of its own, so no interface appears on the host.
host_ns() { echo "$P-h$1"; }

cmd_teardown() {
    local ns p
    local nss; nss=$(ip netns list 2>/dev/null | awk -v p="^$P-" '$1 ~ p { print $1 }')
    for ns in $nss; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -TERM "$p" 2>/dev/null || true; done
    done
    [ -z "$nss" ] || sleep 1
    for ns in $nss; do
        for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || true
    done
    log "teardown: $(ip netns list 2>/dev/null | grep -c "^$P-" || true) namespaces of lab '$P' left"
}

kbit_of_host() { # i: the TCP rate (kbit/s) of host i's uplink
    local i=$1 v="LAB_HOST_${1}_RATE_KBIT" md="LAB_HOST_${1}_MAXDUMPS" name="LAB_HOST_${1}_NAME"
    if [ -n "${!v:-}" ]; then echo "${!v}"; return; fi
    # each dump is limited by its disk's rate; a host runs up to maxdumps dumps at once
    awk -F'\t' -v h="${!name}" -v md="${!md:-1}" '
        NR > 1 && $1 == h { n++; if ($5 > m) m = $5 }
        END { if (m > 0) { k = (n < md ? n : md); printf "%d", m * 8 * k } }' "$CFG/dles.tsv"
}

shape() { # NS DEV RATE: UDP (the Amanda protocol) in a fast class, TCP (dump data) at RATE
    local ns=$1 dev=$2 rate=$3 lat=${4:-0}
    ip netns exec "$ns" tc qdisc add dev "$dev" root handle 1: htb default 20
    ip netns exec "$ns" tc class add dev "$dev" parent 1: classid 1:10 htb rate 1gbit quantum 60000
    ip netns exec "$ns" tc class add dev "$dev" parent 1: classid 1:20 htb rate "$rate" ceil "$rate" quantum 60000
    ip netns exec "$ns" tc filter add dev "$dev" parent 1: protocol ip prio 1 u32 \
        match ip protocol 17 0xff flowid 1:10
    if awk -v l="$lat" 'BEGIN { exit !(l > 0) }'; then
        ip netns exec "$ns" tc qdisc add dev "$dev" parent 1:10 netem delay "${lat}ms"
        ip netns exec "$ns" tc qdisc add dev "$dev" parent 1:20 netem delay "${lat}ms"
    fi
}

# Amanda here is built --without-ipv6; without IPv6 the veths send no router solicitations or
# MLD reports, so the nft counters (an inet table) count only the lab's IPv4 traffic.
no_ipv6() {
    ip netns exec "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

net_setup() {
    cmd_teardown
    local i ns ip rate lat
    ip netns add "$SRV"; ip netns add "$SW"
    no_ipv6 "$SRV"; no_ipv6 "$SW"
    ip -n "$SW" link add br0 type bridge
    ip -n "$SW" link set br0 up
    ip link add "${P}s" netns "$SRV" type veth peer name "${P}sb" netns "$SW"
    ip -n "$SRV" addr add "$LAB_SERVER_IP/24" dev "${P}s"
    ip -n "$SW" link set "${P}sb" master br0
    ip -n "$SRV" link set lo up; ip -n "$SRV" link set "${P}s" up; ip -n "$SW" link set "${P}sb" up
    # the narrowest link of the path (LAB_RATE_KBIT), shared by all clients: the switch's port
    # towards the server
    if [ -n "${LAB_RATE_KBIT:-}" ]; then shape "$SW" "${P}sb" "${LAB_RATE_KBIT}kbit"; fi
    for ((i = 1; i <= NHOSTS; i++)); do
        ns=$(host_ns "$i"); ip="LAB_HOST_${i}_IP"; lat="LAB_HOST_${i}_LATENCY_MS"
        ip netns add "$ns"; no_ipv6 "$ns"
        ip link add "${P}h$i" netns "$ns" type veth peer name "${P}h${i}b" netns "$SW"
        ip -n "$ns" addr add "${!ip}/24" dev "${P}h$i"
        ip -n "$SW" link set "${P}h${i}b" master br0
        ip -n "$ns" link set lo up; ip -n "$ns" link set "${P}h$i" up; ip -n "$SW" link set "${P}h${i}b" up
        rate=$(kbit_of_host "$i"); rate=${rate:+${rate}kbit}
        shape "$ns" "${P}h$i" "${rate:-$RATE_DEFAULT}" "$([ "${NETEM:-0}" = 1 ] && echo "${!lat:-0}" || echo 0)"
    done
    # bounded wait for the bridge to forward (STP is off, but ports start in 'learning' briefly)
    for ((i = 0; i < 50; i++)); do
        ip netns exec "$(host_ns 1)" ping -c1 -W1 "$LAB_SERVER_IP" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die 1 "the server $LAB_SERVER_IP does not answer from $(host_ns 1) after 10 s"
}

# ---------------------------------------------------------------------------------------------
# Files: everything under $WORK; the standard paths are bind mounts inside private mount
# namespaces, so nothing on the host changes.
files_setup() { # CONFIGDIR
    local src=$1 i name dev d
    rm -rf "$WORK/config" "$WORK/etc-srv" "$WORK/clients"
    mkdir -p "$WORK"/{config,etc-srv/$CONF,clients,data,bin,runs,varlib-srv}
    chmod 755 "$WORK"
    su backup -s /bin/sh -c "test -x '$WORK'" 2>/dev/null \
        || die 2 "user backup cannot traverse $WORK: set PORTSIM_LAB_WORK to a directory it can reach"
    cp -a "$src/." "$WORK/config/"
    CFG=$WORK/config
    { echo '127.0.0.1 localhost'; cat "$CFG/hosts"; } > "$WORK/hosts"
    { cat /etc/services; cat "$CFG/services.add"; } > "$WORK/services"
    write_server_conf
    # the tar wrapper: sleeps the scenario's estimate_s for the DLE whose directory tar is given,
    # only for estimates (sendsize runs tar with --file /dev/null)
    cp /usr/bin/tar "$WORK/bin/tar.real"
    cat > "$WORK/bin/tar-wrapper" <<EOF
#!/bin/sh
case " \$* " in *" --file /dev/null "*)
    dir=\$(printf '%s\n' "\$@" | sed -n '/^--directory\$/{n;p;q}')
    s=\$(awk -F'\t' -v d="\$dir" '\$1 == d { print \$2; exit }' "$WORK/bin/estsleep.tsv")
    [ -z "\$s" ] || sleep "\$s";;
esac
exec "$WORK/bin/tar.real" "\$@"
EOF
    awk -F'\t' 'NR > 1 && $6 > 0 { print $3 "\t" $6 }' "$CFG/dles.tsv" > "$WORK/bin/estsleep.tsv"
    chmod 755 "$WORK/bin/tar-wrapper" "$WORK/bin/tar.real"
    # the data: each DLE's device directory holds one incompressible file of its full_kb
    while IFS=$'\t' read -r dev kb; do
        case $dev in "$WORK/data/"*) ;; *) die 2 "$CFG/dles.tsv: device $dev is not under $WORK/data (render with --data-root $WORK/data)" ;; esac
        mkdir -p "$dev"
        if [ "$(stat -c %s "$dev/blob" 2>/dev/null || echo -1)" != $((kb * 1024)) ]; then
            head -c $((kb * 1024)) /dev/urandom > "$dev/blob"
        fi
    done < <(awk -F'\t' 'NR > 1 { print $3 "\t" $4 }' "$CFG/dles.tsv")
    chmod -R a+rX "$WORK/data"
    for ((i = 1; i <= NHOSTS; i++)); do
        name="LAB_HOST_${i}_NAME"; d=$WORK/clients/${!name}
        mkdir -p "$d"/{etc,home,varlib}
        cat > "$d/etc/amanda-client.conf" <<EOF
conf "$CONF"
index_server "server.sim"
tape_server "server.sim"
auth "$LAB_AUTH"
EOF
        cp /etc/amanda-security.conf "$d/etc/amanda-security.conf" 2>/dev/null || : > "$d/etc/amanda-security.conf"
        echo 'server.sim backup amdump' > "$d/home/.amandahosts"
        chmod 700 "$d/home"; chmod 600 "$d/home/.amandahosts"
        inetd_line > "$d/inetd.conf"
        mkdir -p "$d/varlib/gnutar-lists"; : > "$d/varlib/amandates"
        chown -R backup:backup "$d/home" "$d/varlib"
    done
    mkdir -p "$WORK/varlib-srv/gnutar-lists"; : > "$WORK/varlib-srv/amandates"
    chown -R backup:backup "$WORK/etc-srv" "$WORK/varlib-srv" "$WORK/config"
}

# The client's amandad service: bsdudp, one amandad at a time per datagram socket (`wait`);
# bsdtcp, one amandad per connection the server opens (`nowait`), as Amanda 3.5.1's
# example/inetd.conf.amandaclient has it (Debian's postinst writes the same service line).
inetd_line() {
    case $LAB_AUTH in
        bsdtcp) echo "10080 stream tcp nowait backup /usr/lib/amanda/amandad amandad -auth=bsdtcp amdump" ;;
        *) echo "10080 dgram udp wait backup /usr/lib/amanda/amandad amandad -auth=bsdudp amdump" ;;
    esac
}

write_server_conf() {
    local c=$WORK/etc-srv/$CONF
    # lab plumbing only; every setting the scenario owns comes from amanda-site.conf
    cat > "$c/amanda.conf" <<EOF
org "portsim-lab"
mailto ""
dumpuser "backup"
dumpcycle 0
runspercycle 1
tapecycle 100
runtapes 1
define changer vtl {
    tpchanger "chg-disk:$WORK/state/vtapes"
    property "num-slot" "100"
    property "auto-create-slot" "yes"
}
tpchanger "vtl"
autolabel "LAB-%%%" any
labelstr "^LAB-[0-9][0-9][0-9]\$"
define tapetype vt {
    length 100 gbytes
}
tapetype "vt"
infofile "$WORK/state/curinfo"
logdir "$WORK/state/log"
indexdir "$WORK/state/index"
tapelist "$WORK/state/tapelist"
holdingdisk hd1 {
    directory "$WORK/state/holding"
    use $((LAB_MAX_DATA_MB * 2)) mbytes
    chunksize 1 gbytes
}
reserve 0
define dumptype lab-base {
    program "GNUTAR"
    compress none
    index no
    record no
}
includefile "$WORK/config/amanda-site.conf"
EOF
    cp "$CFG/disklist" "$c/disklist"
}

fresh_state() {
    rm -rf "$WORK/state"
    mkdir -p "$WORK/state"/{curinfo,log,index,holding,vtapes}
    touch "$WORK/state/tapelist"
    chown -R backup:backup "$WORK/state"
}

firewall() {
    ip netns exec "$SRV" nft flush ruleset
    ip netns exec "$SRV" nft -f "$CFG/nft.conf" || die 2 "$CFG/nft.conf: nft refused it (message above)"
    if [ -s "$CFG/sysctl.conf" ]; then
        ip netns exec "$SRV" sysctl -q -p "$CFG/sysctl.conf" \
            || die 2 "$CFG/sysctl.conf: not settable in a network namespace (message above)"
    fi
}

# A command in the server namespace inside a private mount namespace. $1 = log dir.
in_srv() {
    local logdir=$1; shift
    ip netns exec "$SRV" unshare -m --propagation private bash -c '
        set -e
        mount --bind "$0/hosts" /etc/hosts
        mount --bind "$0/services" /etc/services
        mount --bind "$0/etc-srv" /etc/amanda
        mount --bind "$0/varlib-srv" /var/lib/amanda
        mount --bind "$1" /var/log/amanda
        mount -t tmpfs -o mode=1777 portsim-lab-tmp /tmp
        mount -t tmpfs -o mode=1777 portsim-lab-shm /dev/shm
        install -d -o backup -g backup -m 700 /tmp/amanda
        shift 1; exec "$@"' "$WORK" "$logdir" "$@"
}

start_client() { # i RUNDIR: inetd of host i in its own session; prints its pid
    local i=$1 name="LAB_HOST_${1}_NAME" wrap=0
    local d=$WORK/clients/${!name} logdir=$2/clients/${!name}
    mkdir -p "$logdir/log"; chown -R backup:backup "$logdir"
    awk -F'\t' -v h="${!name}" 'NR > 1 && $1 == h && $6 > 0 { f = 1 } END { exit !f }' "$CFG/dles.tsv" && wrap=1
    setsid ip netns exec "$(host_ns "$i")" unshare -m --propagation private bash -c '
        set -e
        mount --bind "$0/hosts" /etc/hosts
        mount --bind "$0/services" /etc/services
        mount --bind "$1/etc" /etc/amanda
        mount --bind "$1/etc/amanda-security.conf" /etc/amanda-security.conf
        mount --bind "$1/home" /var/backups
        mount --bind "$1/varlib" /var/lib/amanda
        mount --bind "$2/log" /var/log/amanda
        mount -t tmpfs -o mode=1777 portsim-lab-tmp /tmp
        mount -t tmpfs -o mode=1777 portsim-lab-shm /dev/shm
        install -d -o backup -g backup -m 700 /tmp/amanda
        if [ "$3" = 1 ]; then mount --bind "$0/bin/tar-wrapper" /usr/bin/tar; fi
        exec inetd -d "$1/inetd.conf"' "$WORK" "$d" "$logdir" "$wrap" \
        > "$logdir/inetd.out" 2>&1 < /dev/null &
    echo $!
}

hold_ports() { # the server UDP ports other processes hold (server.ports_in_use); prints the pid
    [ -n "${LAB_PORTS_IN_USE:-}" ] || return 0
    setsid ip netns exec "$SRV" python3 -c '
import socket, sys, time
held = []
for p in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", int(p))); held.append(s)
print("holding", *sys.argv[1:], flush=True)
time.sleep(86400)' $LAB_PORTS_IN_USE > "$RUN/ports-in-use.txt" 2>&1 < /dev/null &
    echo $!
}

stop_pgrp() { [ -n "${1:-}" ] || return 0; kill -TERM -- "-$1" 2>/dev/null || true; sleep 0.5; kill -KILL -- "-$1" 2>/dev/null || true; }

cmd_setup() { # CONFIGDIR
    need_root; need_tools
    local dir; dir=$(realpath "$1")
    load_config "$dir"
    CFG=$dir
    net_setup
    files_setup "$dir"
    firewall
    log "lab '$P' up: server $LAB_SERVER_IP, $NHOSTS client namespace(s), work dir $WORK"
}

# One amdump in a lab that cmd_setup built; the run's files go to $WORK/runs/current.
run_amdump() {
    [ -f "$WORK/config/lab.env" ] || die 1 "no lab is set up in $WORK (run setup first)"
    CFG=$WORK/config
    load_config "$CFG"
    RUN=$WORK/runs/current
    rm -rf "$RUN"; mkdir -p "$RUN"/{srvlog,clients,amlog}; chown -R backup:backup "$RUN"
    fresh_state
    ip netns exec "$SRV" nft reset counters >/dev/null 2>&1 || true
    ip netns exec "$SRV" conntrack -F >/dev/null 2>&1 || true
    local i cpids=() hpid spid t0 t1 rc
    for ((i = 1; i <= NHOSTS; i++)); do cpids+=("$(start_client "$i" "$RUN")"); done
    hpid=$(hold_ports)
    # bounded wait until every client's inetd listens on 10080 (udp for bsdudp, tcp for bsdtcp)
    local proto=udp; [ "$LAB_AUTH" = bsdtcp ] && proto=tcp
    for ((i = 1; i <= NHOSTS; i++)); do
        local n=0
        until ip netns exec "$(host_ns "$i")" ss -ln --"$proto" 2>/dev/null | grep -q ':10080 '; do
            n=$((n + 1)); [ $n -lt 50 ] || die 1 "inetd of host $i does not listen on 10080/$proto after 10 s"
            sleep 0.2
        done
    done
    # sample the server's UDP sockets (with owners; bsdtcp: its TCP connections too, in
    # ss-tcp.txt) and the conntrack tables every 0.5 s, and hard-link the amdump/trace logs
    # (amdump renames them at exit)
    ( while :; do
          echo "=== $(date -u +%T.%N)"; ip netns exec "$SRV" ss -uanp
          [ "$LAB_AUTH" != bsdtcp ] || { echo "=== $(date -u +%T.%N)"; ip netns exec "$SRV" ss -tanp; } >> "$RUN/ss-tcp.txt"
          { echo "=== $(date -u +%T.%N)"; ip netns exec "$SRV" conntrack -L -p udp 2>/dev/null
            [ "$LAB_AUTH" != bsdtcp ] || ip netns exec "$SRV" conntrack -L -p tcp 2>/dev/null
            ip netns exec "$SRV" conntrack -L expect 2>/dev/null; } >> "$RUN/conntrack.txt"
          ln -f "$WORK"/state/log/amdump.2* "$WORK"/state/log/log.2* "$RUN/amlog/" 2>/dev/null || true
          sleep 0.5
      done ) > "$RUN/ss-udp.txt" 2>&1 &
    spid=$!
    t0=$(date +%s.%N)
    log "amdump start: scenario ${LAB_SCENARIO:-?}, auth $LAB_AUTH, $NHOSTS host(s), $LAB_NDLE DLEs, inparallel $LAB_INPARALLEL, timeout ${RUN_TIMEOUT}s"
    # timeout runs inside su (su starts a new session: a timeout outside would leave amdump
    # running); the outer timeout bounds su itself
    rc=0
    timeout -k 10 $((RUN_TIMEOUT + 60)) \
        bash -c "$(declare -f in_srv); WORK='$WORK' SRV='$SRV' in_srv '$RUN/srvlog' su backup -s /bin/sh -c 'timeout -k 10 $RUN_TIMEOUT amdump $CONF'" \
        || rc=$?
    t1=$(date +%s.%N)
    log "amdump exit $rc after $(awk "BEGIN { printf \"%.1f\", $t1 - $t0 }") s"
    echo "rc=$rc start=$t0 end=$t1" > "$RUN/amdump-rc.txt"
    kill "$spid" 2>/dev/null || true; wait "$spid" 2>/dev/null || true
    ip netns exec "$SRV" nft list ruleset > "$RUN/nft-counters.txt" 2>&1 || true
    ip netns exec "$SRV" nft -j list ruleset > "$RUN/nft-counters.json" 2>&1 || true
    { ip netns exec "$SRV" conntrack -L 2>/dev/null; ip netns exec "$SRV" conntrack -L expect 2>/dev/null; } \
        > "$RUN/conntrack-final.txt" || true
    for ((i = 1; i <= NHOSTS; i++)); do
        local name="LAB_HOST_${i}_NAME"
        ip netns exec "$(host_ns "$i")" tc -s class show dev "${P}h$i" > "$RUN/clients/${!name}/tc.txt" 2>&1 || true
    done
    [ -z "${LAB_RATE_KBIT:-}" ] || ip netns exec "$SW" tc -s class show dev "${P}sb" > "$RUN/tc-link.txt" 2>&1 || true
    ln -f "$WORK"/state/log/amdump.2* "$WORK"/state/log/log.2* "$RUN/amlog/" 2>/dev/null || true
    cp -a "$WORK/state/log/oldlog" "$RUN/amlog/" 2>/dev/null || true
    timeout 60 bash -c "$(declare -f in_srv); WORK='$WORK' SRV='$SRV' in_srv '$RUN/srvlog' su backup -s /bin/sh -c 'amreport $CONF -f $RUN/report.txt'" \
        >/dev/null 2>&1 || true
    stop_pgrp "$hpid"
    for i in "${cpids[@]}"; do stop_pgrp "$i"; done
    # amandad/sendbackup children of inetd run in sessions of their own: end what is left in
    # the client namespaces (only this lab's processes live there)
    for ((i = 1; i <= NHOSTS; i++)); do
        for p in $(ip netns pids "$(host_ns "$i")" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
    done
    compgen -G "$RUN/amlog/log.*" >/dev/null || compgen -G "$RUN/amlog/oldlog/log.*" >/dev/null \
        || die 1 "amdump left no trace log (exit $rc): see $RUN/srvlog"
    AMDUMP_RC=$rc; AMDUMP_T0=$t0; AMDUMP_T1=$t1
}

# Copy the current run to OUTDIR atomically (built beside it, then renamed).
cmd_collect() { # OUTDIR
    local out=$1 run=$WORK/runs/current
    [ -f "$run/amdump-rc.txt" ] || die 1 "no finished run in $run"
    [ ! -e "$out" ] || die 2 "$out exists: give a new directory (the lab never overwrites a run)"
    local tmp; tmp=$(mktemp -d "$(dirname "$(realpath -m "$out")")/.$(basename "$out").partial.XXXXXX")
    cp -a "$run/." "$tmp/"
    mkdir -p "$tmp/config"; cp -a "$WORK/config/." "$tmp/config/"
    cp "$WORK/etc-srv/$CONF/amanda.conf" "$WORK/etc-srv/$CONF/disklist" "$tmp/"
    cp "$WORK/config/nft.conf" "$tmp/nft-ruleset.conf"
    write_meta "$tmp/meta.json"
    chmod -R u+rwX,go+rX "$tmp"
    mv "$tmp" "$out"
    log "collected: $out"
}

write_meta() {
    local rc start end
    eval "$(tr ' ' '\n' < "$WORK/runs/current/amdump-rc.txt")"
    python3 - "$1" "$rc" "$start" "$end" "$WORK/config/lab.env" "${LAB_SCENARIO:-}" "$LABID" "$RUN_TIMEOUT" "$NHOSTS" "$COMMAND" "$LAB_AUTH" <<'PY'
import json, os, sys, datetime, subprocess, shlex
path, rc, start, end, envfile, scen, labid, run_timeout, nhosts, command, auth = sys.argv[1:]
env = {}
for line in open(envfile):
    line = line.strip()
    if line and not line.startswith('#') and '=' in line:
        k, v = line.split('=', 1)
        env[k] = ' '.join(shlex.split(v)) if v else ''
def ver(pkg):
    try:
        return subprocess.run(['dpkg-query', '-W', '-f=${Version}', pkg], capture_output=True, text=True).stdout
    except OSError:
        return None
utc = lambda t: datetime.datetime.fromtimestamp(float(t), datetime.timezone.utc).isoformat().replace('+00:00', 'Z')
meta = {
    "schema": "portsim.lab-run/1",
    "scenario": scen,
    "harness": "lab/portsim-lab.sh",
    "command": command,
    "labid": labid or None,
    "hosts": int(nhosts),
    "amdump_exit_code": int(rc),
    "amdump_timed_out": rc == "124",
    "run_timeout_s": int(run_timeout),
    "start_utc": utc(start),
    "end_utc": utc(end),
    "wall_clock_s": round(float(end) - float(start), 3),
    "amanda": {"package": ver("amanda-server"), "auth": auth, "built_udpportrange": "840,860"},
    "kernel": os.uname().release,
    "lab_env": env,
}
with open(path, 'w') as f:
    json.dump(meta, f, indent=2)
    f.write('\n')
PY
}

cmd_amdump() { # OUTDIR
    need_root; need_tools
    local out=$1
    [ ! -e "$out" ] || die 2 "$out exists: give a new directory (the lab never overwrites a run)"
    run_amdump
    cmd_collect "$out"
}

cmd_run_config() { # CONFIGDIR OUTDIR
    need_root; need_tools
    local dir=$1 out=$2
    [ ! -e "$out" ] || die 2 "$out exists: give a new directory (the lab never overwrites a run)"
    mkdir -p "$(dirname "$(realpath -m "$out")")"
    # shellcheck disable=SC2154 # RENDER_TMP is set by cmd_run
    trap 'cmd_teardown; [ -z "${RENDER_TMP:-}" ] || rm -rf "$RENDER_TMP"' EXIT
    cmd_setup "$dir"
    run_amdump
    cmd_collect "$out"
    log "amdump exit code $AMDUMP_RC, $(awk "BEGIN { printf \"%.1f\", $AMDUMP_T1 - $AMDUMP_T0 }") s; logs in $out"
}

cmd_run() { # SCENARIO OUTDIR [--set P=V]...
    need_root; need_tools
    local scenario=$1 out=$2; shift 2
    [ ! -e "$out" ] || die 2 "$out exists: give a new directory (the lab never overwrites a run)"
    local cfg; mkdir -p "$WORK"; cfg=$(mktemp -d "$WORK/render.XXXXXX")
    rmdir "$cfg"    # lab-config creates its --out itself (atomically)
    RENDER_TMP=$cfg  # removed at exit: setup copies it to the work dir, collect to OUTDIR/config
    trap 'rm -rf "$RENDER_TMP"' EXIT
    render_config "$scenario" "$cfg" "$@"
    cmd_run_config "$cfg" "$out"
}

cmd_config() { # SCENARIO CONFIGDIR [--set P=V]...
    local scenario=$1 dir=$2; shift 2
    render_config "$scenario" "$dir" "$@"
    load_config "$dir"
    log "rendered $dir: $NHOSTS host(s), $LAB_NDLE DLEs (lab '$P', net $NET.0/24)"
}

cmd_status() {
    local ns
    for ns in $(ip netns list 2>/dev/null | awk -v p="^$P-" '$1 ~ p { print $1 }'); do
        echo "$ns: $(ip netns pids "$ns" 2>/dev/null | wc -l) processes"
    done
}

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }

case "${1:-}" in
    install)    cmd_install ;;
    run)        [ $# -ge 3 ] || usage; shift; cmd_run "$@" ;;
    run-config) [ $# -eq 3 ] || usage; cmd_run_config "$2" "$3" ;;
    config)     [ $# -ge 3 ] || usage; shift; cmd_config "$@" ;;
    setup)      [ $# -eq 2 ] || usage; cmd_setup "$2" ;;
    amdump)     [ $# -eq 2 ] || usage; cmd_amdump "$2" ;;
    collect)    [ $# -eq 2 ] || usage; need_root; CFG=$WORK/config; load_config "$CFG"; cmd_collect "$2" ;;
    teardown)   need_root; cmd_teardown ;;
    status)     cmd_status ;;
    *)          usage ;;
esac
