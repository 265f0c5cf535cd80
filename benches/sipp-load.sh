#!/usr/bin/env bash
# Load bench: real SIPp callers and operator phones against `centralino run`, on loopback only.
#
# What it does, bounded in calls and in time:
#   1. builds (or takes $CENTRALINO_BIN) and starts `centralino run` on 127.0.0.1 with free ports
#      and a temporary data directory, and waits until it answers OPTIONS;
#   2. registers $OPERATORS operator phones (demo operators 1001..; each is two SIPp instances:
#      agent_register.xml and an agent_uas.xml that answers every call it is offered);
#   3. runs $TOTAL callers at $RATE calls per second with caller_one_digit.xml: welcome, main
#      menu, key 2 (technology queue), please-hold, a short talk with an operator (or hang-up
#      while still queued if none was free in time), BYE;
#   4. prints calls per second completed, failed calls, setup latency (INVITE -> 200 OK, SIPp
#      response-time "answer") percentiles, and the CRM's outcome per call (answered /
#      abandoned), then stops everything.
#
# Usage: benches/sipp-load.sh            (defaults: 3 operators, 2 cps, 40 calls, <= 240 s)
#   OPERATORS=3 RATE=5 TOTAL=200 TALK_MS=2000 MAX_SECONDS=300 benches/sipp-load.sh
#   CENTRALINO_BIN=target/release/centralino benches/sipp-load.sh   (skip the cargo build)
#   KEEP=1 keeps the work directory (engine log, SIPp stats and logs).
# Needs: sipp (Debian sip-tester), python3, curl.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIPP_DIR="$ROOT/tests/sipp"
PCAP=/usr/share/sip-tester

OPERATORS=${OPERATORS:-3}
RATE=${RATE:-2}
TOTAL=${TOTAL:-40}
TALK_MS=${TALK_MS:-2000}
MAX_SECONDS=${MAX_SECONDS:-240}
DEMO_OPERATORS=3 # 1001..1003 in deploy/demo.toml

# Bounds: this is a loopback bench, not a flood.
((OPERATORS >= 1 && OPERATORS <= DEMO_OPERATORS)) || { echo "OPERATORS must be 1..$DEMO_OPERATORS (demo operators)" >&2; exit 2; }
((RATE >= 1 && RATE <= 50)) || { echo "RATE must be 1..50 calls/s" >&2; exit 2; }
((TOTAL >= 1 && TOTAL <= 2000)) || { echo "TOTAL must be 1..2000 calls" >&2; exit 2; }
((MAX_SECONDS >= 30 && MAX_SECONDS <= 1800)) || { echo "MAX_SECONDS must be 30..1800" >&2; exit 2; }
for tool in sipp python3 curl; do command -v $tool >/dev/null || { echo "missing $tool" >&2; exit 2; }; done

WORK="$(mktemp -d -t centralino-bench-XXXXXX)"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [[ -n ${KEEP:-} ]]; then echo "work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT INT TERM

# Free loopback ports, all distinct: hold many sockets at once so the kernel cannot hand out
# one twice, skip ports whose +2 twin is busy (SIPp binds -mp and -mp+2), release, then use.
mapfile -t PORTS < <(python3 - 200 <<'PY'
import socket, sys
held, ports, used = [], [], set()
def bindable(port):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", port)); s.close(); return True
    except OSError:
        return False
while len(ports) < int(sys.argv[1]):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); held.append(s)
    port = s.getsockname()[1]
    if port in used or port + 2 in used or port > 65000 or not bindable(port + 2):
        continue
    used.update((port, port + 2)); ports.append(port)
print("\n".join(map(str, ports)))
PY
)
NEXT_PORT=0
take_port() { # take_port VAR: the next free port into VAR (no subshell, so nothing is handed out twice)
    printf -v "$1" '%s' "${PORTS[$NEXT_PORT]}"
    NEXT_PORT=$((NEXT_PORT + 1))
}

# IVR timing from the shipped prompts: press 2 after welcome + main menu (+1.5 s), hang up
# after please-hold + ringing + talk.
read -r FIRST_KEY_MS PLEASE_HOLD_MS < <(python3 - "$ROOT/prompts" <<'PY'
import sys, wave, os
d = lambda n: int(1000 * (lambda w: w.getnframes() / w.getframerate())(wave.open(os.path.join(sys.argv[1], n + ".wav"))))
print(d("welcome") + d("main_menu") + 1500, d("please_hold"))
PY
)
QUEUE_WAIT_MS=$((PLEASE_HOLD_MS + 1000 + TALK_MS))

# 1. the engine
if [[ -z ${CENTRALINO_BIN:-} ]]; then
    echo "building centralino (release)..."
    (cd "$ROOT" && cargo build --release --quiet --bin centralino)
    CENTRALINO_BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/centralino"
fi
take_port SIP_PORT; take_port HTTP_PORT; take_port GRPC_PORT
(cd "$ROOT" && exec "$CENTRALINO_BIN" run --sip-listen "127.0.0.1:$SIP_PORT" \
    --http-listen "127.0.0.1:$HTTP_PORT" --grpc-listen "127.0.0.1:$GRPC_PORT" \
    --data-dir "$WORK/data") >"$WORK/centralino.log" 2>&1 &
PIDS+=($!)
ENGINE_PID=$!

sipp_common=(-i 127.0.0.1 -mi 127.0.0.1 -nostdin -trace_err)
ready=""
for _ in $(seq 1 30); do
    kill -0 "$ENGINE_PID" 2>/dev/null || { echo "centralino exited:" >&2; tail -20 "$WORK/centralino.log" >&2; exit 1; }
    take_port p; take_port mp; take_port cp
    if (cd "$WORK" && sipp "127.0.0.1:$SIP_PORT" -sf "$SIPP_DIR/options.xml" -s 800123456 "${sipp_common[@]}" \
        -p "$p" -mp "$mp" -cp "$cp" -m 1 -l 1 -timeout 2s -timeout_error -error_file "$WORK/options.err" >/dev/null 2>&1); then
        ready=1; break
    fi
    sleep 1
done
[[ -n $ready ]] || { echo "centralino does not answer OPTIONS on 127.0.0.1:$SIP_PORT" >&2; tail -20 "$WORK/centralino.log" >&2; exit 1; }
echo "centralino up: SIP 127.0.0.1:$SIP_PORT, HTTP 127.0.0.1:$HTTP_PORT"

# 2. operators: an answering phone (RTP goes to its own, unread, -mp socket) + registration.
for i in $(seq 1 "$OPERATORS"); do
    agent=$((1000 + i))
    take_port uas; take_port uas_mp; take_port uas_cp
    (cd "$WORK" && exec sipp -sf "$SIPP_DIR/agent_uas.xml" "${sipp_common[@]}" -p "$uas" -mp "$uas_mp" -cp "$uas_cp" \
        -timeout "$((MAX_SECONDS + 30))s" -error_file "$WORK/operator-$agent.err" \
        -key agent "$agent" -key sink_port "$uas_mp" -key ring_ms 200 -key speech_pcap "$PCAP/g711a.pcap") \
        >"$WORK/operator-$agent.screen" 2>&1 &
    PIDS+=($!)
    sleep 0.2
    # SIPp 3.6.1 expands no keyword inside [authentication]: credentials are literal (1001).
    sed "s/username=1001 password=demo1001/username=$agent password=demo$agent/" \
        "$SIPP_DIR/agent_register.xml" >"$WORK/agent_register_$agent.xml"
    take_port reg; take_port reg_mp; take_port reg_cp
    if ! (cd "$WORK" && sipp "127.0.0.1:$SIP_PORT" -sf "$WORK/agent_register_$agent.xml" "${sipp_common[@]}" \
        -p "$reg" -mp "$reg_mp" -cp "$reg_cp" -m 1 -l 1 -timeout 10s -timeout_error -error_file "$WORK/register-$agent.err" \
        -key agent "$agent" -key domain centralino.local -key contact_port "$uas" -key expires 3600 >/dev/null 2>&1); then
        echo "operator $agent could not register:" >&2; cat "$WORK/register-$agent.err" >&2 || true; exit 1
    fi
    echo "operator $agent registered (phone on 127.0.0.1:$uas)"
done

# 3. callers
RUN="bench-$$"
take_port caller_port; take_port caller_mp; take_port caller_cp
limit=$((RATE * (FIRST_KEY_MS + QUEUE_WAIT_MS + 10000) / 1000 + 10))
echo "load: $TOTAL calls at $RATE cps (at most $limit at once), key 2, talk ${TALK_MS} ms, bounded to ${MAX_SECONDS} s"
start=$(date +%s.%N)
caller_rc=0
(cd "$WORK" && timeout "$((MAX_SECONDS + 20))" sipp "127.0.0.1:$SIP_PORT" -sf "$SIPP_DIR/caller_one_digit.xml" -s 800123456 \
    "${sipp_common[@]}" -p "$caller_port" -mp "$caller_mp" -cp "$caller_cp" \
    -r "$RATE" -m "$TOTAL" -l "$limit" -timeout "${MAX_SECONDS}s" -cid_str "$RUN-%u" \
    -error_file "$WORK/callers.err" -trace_stat -stf "$WORK/callers_stat.csv" -fd 1 -trace_rtt -rtt_freq 1 \
    -key caller 3331234567 -key sink_port "$caller_mp" -key pre_digits_ms "$FIRST_KEY_MS" \
    -key digit1_pcap "$PCAP/dtmf_2833_2.pcap" -key queue_wait_ms "$QUEUE_WAIT_MS" \
    -key speech_pcap "$PCAP/g711a.pcap" -key talk_ms 1000) >"$WORK/callers.screen" 2>&1 || caller_rc=$?
end=$(date +%s.%N)

# 4. figures
sleep 2 # let the CRM write the last records
python3 - "$WORK" "$RUN" "$TOTAL" "$start" "$end" "$HTTP_PORT" "$caller_rc" <<'PY'
import csv, glob, json, os, sys, urllib.request, urllib.parse
work, run, total, start, end, http_port, rc = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), sys.argv[6], sys.argv[7]

def last_row(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header = rows[0]
    return dict(zip(header, rows[-1]))

stat = last_row(os.path.join(work, "callers_stat.csv"))
ok = int(stat.get("SuccessfulCall(C)", 0))
failed = int(stat.get("FailedCall(C)", 0))
created = int(stat.get("OutgoingCall(C)", stat.get("TotalCallCreated", 0)) or 0)
wall = end - start
print()
print(f"calls created            {created} of {total} (sipp exit {rc})")
print(f"calls completed          {ok}")
print(f"calls failed             {failed}")
print(f"wall time                {wall:.1f} s")
print(f"completed calls / s      {ok / wall:.2f}")

samples = []
for path in glob.glob(os.path.join(work, "caller_one_digit_*_rtt.csv")):
    with open(path, newline="") as f:
        for row in csv.reader(f, delimiter=";"):
            try:
                samples.append(float(row[1]))
            except (ValueError, IndexError):
                pass
samples.sort()
if samples:
    pct = lambda p: samples[min(len(samples) - 1, int(p / 100 * len(samples)))]
    print(f"setup latency INVITE->200 OK (ms, {len(samples)} calls): p50 {pct(50):.1f}  p90 {pct(90):.1f}  "
          f"p99 {pct(99):.1f}  max {samples[-1]:.1f}")
else:
    print("setup latency            no samples (no call was answered?)")

outcomes = {}
for n in range(1, min(total, 2000) + 1):
    call_id = f"{run}-{n}"
    url = f"http://127.0.0.1:{http_port}/api/v1/calls/{urllib.parse.quote(call_id, safe='')}/service-request"
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            outcome = json.load(resp).get("call_outcome", "?")
    except urllib.error.HTTPError as e:
        outcome = "no SR" if e.code == 404 else f"HTTP {e.code}"
    except Exception as e:
        outcome = f"error {type(e).__name__}"
    outcomes[outcome] = outcomes.get(outcome, 0) + 1
print("CRM call outcomes        " + ", ".join(f"{k}: {v}" for k, v in sorted(outcomes.items())))
PY
if [[ -s $WORK/callers.err ]]; then echo; echo "first caller errors:"; head -5 "$WORK/callers.err"; fi
