#!/usr/bin/env python3
"""facts.py RUNDIR [> facts.json] -- the facts of one real lab night, read from Amanda's logs.

An independent oracle for the Rust reader of Amanda's logs: written separately, in another
language, from the same files (the amdump log, the trace log, the planner and dumper debug logs,
meta.json). Works on the run directories of lab/portsim-lab.sh and of the shared recipe, and on the
fixtures made from them. Times are the driver's `time S` (seconds since the driver started) unless
named `*_utc`. Output schema: portsim.lab-facts/1.
"""
import glob
import json
import os
import re
import sys
from datetime import datetime

DEBUG_TS = re.compile(r'^\w{3} (\w{3}) +(\d+) (\d\d:\d\d:\d\d)\.(\d+) (\d{4}): pid (\d+):')


def debug_time(line):
    """The wall-clock time of a debug-log line, as an ISO string with microseconds, or None."""
    m = DEBUG_TS.match(line)
    if not m:
        return None
    t = datetime.strptime(f'{m[1]} {m[2]} {m[5]} {m[3]}', '%b %d %Y %H:%M:%S')
    return t.strftime('%Y-%m-%dT%H:%M:%S') + '.' + m[4][:6].ljust(6, '0') + 'Z'


def one(pattern):
    found = sorted(glob.glob(pattern))
    return found[0] if found else None


def trace_log(run):
    """The trace log: the one with the most lines (amdump leaves a one-line stub when it rolls
    the real one into oldlog/)."""
    cands = glob.glob(f'{run}/amlog/log.*') + glob.glob(f'{run}/amlog/oldlog/log.*')
    if not cands:
        return None
    return max(cands, key=lambda p: sum(1 for _ in open(p, errors='replace')))


# auth "bsdtcp": the process's connection to the client's amandad (10080/tcp) comes from the
# last reserved port `connect_port` tried before `connected to ADDR:10080`.
TCP_TRY = re.compile(r'connect_port: Try +port (\d+): available - Success')
TCP_AMANDAD = re.compile(r'connected to [\d.]+:10080$')


def dumpers_from_debug(run):
    """pid -> {port, bound_utc, rescans, gave_up} from the dumper debug logs."""
    out = {}
    for f in sorted(glob.glob(f'{run}/srvlog/server/*/dumper.*.debug')):
        info = {'port': None, 'bound_utc': None, 'rescans': 0, 'fd_exhausted': False}
        pid, tried = None, None
        for line in open(f, errors='replace'):
            if pid is None:
                m = DEBUG_TS.match(line)
                if m:
                    pid = m[6]
            m = re.search(r'dgram_bind: socket \d+ bound to [\d.]+:(\d+)', line)
            if m and info['port'] is None:
                info['port'] = int(m[1])
                info['bound_utc'] = debug_time(line)
            m = TCP_TRY.search(line)
            if m:
                tried = int(m[1])
            if TCP_AMANDAD.search(line.rstrip()) and info['port'] is None and tried is not None:
                info['port'] = tried
                info['bound_utc'] = debug_time(line)
            if 'bind_portrange: all ports between' in line:
                info['rescans'] += 1
            if 'Too many open files' in line:
                info['fd_exhausted'] = True
        if pid:
            out[pid] = info
    return out


def planner_facts(run):
    f = one(f'{run}/srvlog/server/*/planner.*.debug')
    port, tried = None, None
    if f:
        for line in open(f, errors='replace'):
            m = re.search(r'dgram_bind: socket \d+ bound to [\d.]+:(\d+)', line)
            if m:
                port = int(m[1])
                break
            m = TCP_TRY.search(line)
            if m:
                tried = int(m[1])
            if TCP_AMANDAD.search(line.rstrip()) and tried is not None:
                port = tried
                break
    return port


def main(run):
    run = run.rstrip('/')
    amdump = one(f'{run}/amlog/amdump.*')
    if not amdump:
        sys.exit(f'facts.py: {run}: no amlog/amdump.* file')
    started, sends, results, requeues = {}, {}, [], []
    for line in open(amdump, errors='replace'):
        m = re.match(r'driver: started (dumper\d+) pid (\d+)', line)
        if m:
            started[m[1]] = m[2]
            continue
        m = re.match(r'driver: send-cmd time ([\d.]+) to (dumper\d+): (\S+-DUMP) (\S+) \S+ \S+ \S+ (\S+) \S+ (\S+) ', line)
        if m:
            sends[m[4]] = {'t': float(m[1]), 'dumper': m[2], 'host': m[5], 'disk': m[6]}
            continue
        m = re.match(r'driver: result time ([\d.]+) from (dumper\d+): (DONE|TRY-AGAIN|FAILED) (\S+) ?(.*)', line)
        if m:
            results.append({'t': float(m[1]), 'dumper': m[2], 'result': m[3], 'handle': m[4], 'rest': m[5]})
            continue
        m = re.match(r'driver: requeue dump time ([\d.]+) (\S+) (\S+)', line)
        if m:
            requeues.append({'t': float(m[1]), 'host': m[2], 'disk': m[3]})

    debug = dumpers_from_debug(run)
    dumpers = []
    for name in sorted(started, key=lambda d: int(d[6:])):
        d = debug.get(started[name], {})
        dumpers.append({'dumper': int(name[6:]), 'pid': int(started[name]), 'port': d.get('port'),
                        'bound_utc': d.get('bound_utc'), 'rescans': d.get('rescans', 0),
                        'fd_exhausted': d.get('fd_exhausted', False)})

    attempts = []
    done_handles = set()
    for r in results:
        s = sends.get(r['handle'])
        if not s:
            continue
        done_handles.add(r['handle'])
        msg = re.search(r'"(.*)"', r['rest'])
        attempts.append({'host': s['host'], 'disk': s['disk'], 'dumper': int(s['dumper'][6:]),
                         'handle': r['handle'], 'start': s['t'], 'end': r['t'], 'result': r['result'],
                         'message': msg[1] if msg and r['result'] != 'DONE' else None})
    for h, s in sends.items():
        if h not in done_handles:
            attempts.append({'host': s['host'], 'disk': s['disk'], 'dumper': int(s['dumper'][6:]),
                             'handle': h, 'start': s['t'], 'end': None, 'result': None, 'message': None})
    attempts.sort(key=lambda a: (a['start'], a['dumper']))

    trace = trace_log(run)
    dles, planner_failed, finish, trace_lines = {}, [], None, []
    if trace:
        for line in open(trace, errors='replace'):
            trace_lines.append(line.rstrip('\n'))
            m = re.match(r'DISK planner (\S+) (\S+)', line)
            if m:
                dles[(m[1], m[2])] = 'not-scheduled'
            m = re.match(r'FAIL planner (\S+) (\S+) \S+ \S+ "(.*)"', line)
            if m:
                planner_failed.append({'host': m[1], 'disk': m[2], 'message': m[3]})
            m = re.match(r'FINISH driver date \S+ time ([\d.]+)', line)
            if m:
                finish = float(m[1])
    for a in attempts:
        key = (a['host'], a['disk'])
        if a['result'] == 'DONE':
            dles[key] = 'dumped'
        elif dles.get(key) != 'dumped':
            dles[key] = 'lost'

    meta = {}
    if os.path.exists(f'{run}/meta.json'):
        meta = json.load(open(f'{run}/meta.json'))
    rc = meta.get('amdump_exit_code')
    if rc is None and os.path.exists(f'{run}/amdump-rc.txt'):
        rc = int(re.search(r'rc=(\d+)', open(f'{run}/amdump-rc.txt').read())[1])

    facts = {
        'schema': 'portsim.lab-facts/1',
        'run': os.path.basename(run),
        'amdump_exit_code': rc,
        'driver_finish_s': finish,
        'planner': {'port': planner_facts(run), 'failed_dles': len(planner_failed),
                    'messages': sorted({p['message'] for p in planner_failed})},
        'empty_schedule': any('got empty schedule from planner' in l for l in trace_lines),
        'dumpers': dumpers,
        'attempts': attempts,
        'dles': [{'host': h, 'disk': d, 'fate': f} for (h, d), f in dles.items()],
        'summary': {
            'dles': len(dles),
            'dumped': sum(1 for f in dles.values() if f == 'dumped'),
            'lost': sum(1 for f in dles.values() if f == 'lost'),
            'not_scheduled': sum(1 for f in dles.values() if f == 'not-scheduled'),
            'attempts': len(attempts),
            'failed_attempts': sum(1 for a in attempts if a['result'] in ('TRY-AGAIN', 'FAILED')),
            'dumpers_bound': sum(1 for d in dumpers if d['port'] is not None),
            'requeues': len(requeues),
        },
    }
    json.dump(facts, sys.stdout, indent=1)
    sys.stdout.write('\n')


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
