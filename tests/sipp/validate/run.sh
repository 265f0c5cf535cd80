#!/usr/bin/env bash
# Validate the SIPp scenarios against each other (sipp vs sipp, 127.0.0.1 only), so the XML is
# known-good independently of centralino. Each pair must end with both instances exiting 0.
# Also checks, with a small UDP sink, that the pcap audio and RFC 4733 DTMF actually leave SIPp
# towards the SDP address the peer announced ([sink_port]).
#
# Usage: tests/sipp/validate/run.sh          (about 40 s; needs sipp and python3)
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PCAP=/usr/share/sip-tester
WORK="$(mktemp -d)"
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$WORK"' EXIT
BASE=${BASE_PORT:-47000}
fail=0

sipp_run() { # name, then sipp args
    local name=$1; shift
    sipp "$@" -i 127.0.0.1 -nostdin -m 1 -l 1 -timeout "${TIMEOUT:-30s}" -timeout_error -trace_err \
        -error_file "$WORK/$name.err" -trace_msg -message_file "$WORK/$name.msg" \
        -trace_logs -log_file "$WORK/$name.log" >"$WORK/$name.out" 2>&1
}

sink() { # port seconds -> prints "pt:count ..." of what arrived
    python3 - "$1" "$2" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
end = time.time() + float(sys.argv[2]); counts = {}
while time.time() < end:
    s.settimeout(max(0.01, end - time.time()))
    try:
        d, _ = s.recvfrom(4096)
    except socket.timeout:
        break
    pt = d[1] & 0x7F
    counts[pt] = counts.get(pt, 0) + 1
print(" ".join(f"pt{k}:{v}" for k, v in sorted(counts.items())))
PY
}

check() { # description, uas-pid, uac-status
    local what=$1 uas_pid=$2 uac_rc=$3 uas_rc=0
    wait "$uas_pid" || uas_rc=$?
    if [[ $uac_rc == 0 && $uas_rc == 0 ]]; then
        echo "ok    $what"
    else
        echo "FAIL  $what (uac exit $uac_rc, uas exit $uas_rc)"; fail=1
        cat "$WORK"/*.err 2>/dev/null | tail -20 || true; echo
    fi
}

expect_media() { # description, file, pattern
    if grep -Eq "$3" "$2"; then echo "ok    $1: $(cat "$2")"; else echo "FAIL  $1: $(cat "$2")"; fail=1; fi
}

caller_keys=(-key caller 3331234567 -key pre_digits_ms 300 -key digits_pause 300
    -key digit1_pcap $PCAP/dtmf_2833_1.pcap -key digit2_pcap $PCAP/dtmf_2833_1.pcap
    -key digit3_pcap $PCAP/dtmf_2833_9.pcap -key queue_wait_ms 300
    -key speech_pcap $PCAP/g711a.pcap -key talk_ms 1500)
agent_keys=(-key agent 1001 -key ring_ms 500 -key speech_pcap $PCAP/g711a.pcap -key talk_ms 1500)

# 1. each caller variant against the answering operator phone, with media sinks on both sides
for variant in caller caller_one_digit caller_three_digits caller_no_digit; do
    UAS=$((BASE)) UASMP=$((BASE+2)) UAC=$((BASE+10)) UACMP=$((BASE+12)) CS=$((BASE+20)) AS=$((BASE+30))
    sink $CS 8 >"$WORK/caller_sink" & s1=$!
    sink $AS 8 >"$WORK/agent_sink" & s2=$!
    sleep 0.3
    sipp_run uas-$variant -sf "$HERE/agent_uas.xml" -p $UAS -mp $UASMP -key sink_port $AS "${agent_keys[@]}" & uas=$!
    sleep 0.3
    rc=0; sipp_run $variant 127.0.0.1:$UAS -sf "$HERE/$variant.xml" -s 800123456 -p $UAC -mp $UACMP \
        -cid_str "validate-$variant-%u@%s" -key sink_port $CS "${caller_keys[@]}" || rc=$?
    check "$variant.xml vs agent_uas.xml" $uas $rc
    wait $s1 $s2
    expect_media "  operator's speech reached the caller's sink" "$WORK/caller_sink" 'pt8:[0-9]+'
    case $variant in
        caller) dtmf='pt101:20' ;; caller_one_digit) dtmf='pt101:10' ;;
        caller_three_digits) dtmf='pt101:30' ;; *) dtmf='^pt8:' ;;
    esac
    expect_media "  caller's keys and speech reached the operator's sink" "$WORK/agent_sink" "pt8:[0-9]+.*|$dtmf"
    expect_media "  caller's RFC 4733 events counted" "$WORK/agent_sink" "$dtmf"
    BASE=$((BASE+40))
done

# 2. operator hangs up first; caller waits for the BYE
UAS=$((BASE)) UAC=$((BASE+10))
sipp_run uas-hangup -sf "$HERE/agent_uas_hangup.xml" -p $UAS -mp $((BASE+2)) -key sink_port $((BASE+20)) "${agent_keys[@]}" & uas=$!
sleep 0.3
rc=0; sipp_run caller-hangup 127.0.0.1:$UAS -sf "$HERE/caller_hangup_by_server.xml" -s 800123456 -p $UAC -mp $((BASE+12)) \
    -key sink_port $((BASE+30)) "${caller_keys[@]}" || rc=$?
check "caller_hangup_by_server.xml vs agent_uas_hangup.xml" $uas $rc
BASE=$((BASE+40))

# 3. CANCEL while ringing
UAS=$((BASE)) UAC=$((BASE+10))
sipp_run uas-cancel -sf "$HERE/agent_uas_cancel.xml" -p $UAS -mp $((BASE+2)) -key agent 1001 & uas=$!
sleep 0.3
rc=0; sipp_run caller-cancel 127.0.0.1:$UAS -sf "$HERE/caller_cancel.xml" -s 800123456 -p $UAC -mp $((BASE+12)) \
    -key caller 3331234567 -key sink_port $((BASE+30)) -key ring_ms 500 || rc=$?
check "caller_cancel.xml vs agent_uas_cancel.xml" $uas $rc
BASE=$((BASE+40))

# 4. REGISTER with digest against a challenging registrar
UAS=$((BASE)) UAC=$((BASE+10))
sipp_run registrar -sf "$HERE/validate/registrar.xml" -p $UAS -mp $((BASE+2)) \
    -key agent 1001 -key password demo1001 -key domain centralino.local & uas=$!
sleep 0.3
rc=0; sipp_run register 127.0.0.1:$UAS -sf "$HERE/agent_register.xml" -p $UAC -mp $((BASE+12)) \
    -key agent 1001 -key domain centralino.local -key contact_port 45678 -key expires 3600 || rc=$?
check "agent_register.xml vs validate/registrar.xml" $uas $rc
expect_media "  registrar saw the UAS contact" "$WORK/registrar.log" 'registered contact sip:1001@127.0.0.1:45678'
# the same registrar must reject a wrong password (credentials are literal in the scenario)
sed 's/username=1001 password=demo1001/username=1001 password=wrong/' "$HERE/agent_register.xml" >"$WORK/register_wrong.xml"
UAS=$((BASE+20)) UAC=$((BASE+30))
sipp_run registrar-bad -sf "$HERE/validate/registrar.xml" -p $UAS -mp $((BASE+22)) \
    -key agent 1001 -key password demo1001 -key domain centralino.local & uas=$!
sleep 0.3
rc=0; TIMEOUT=4s sipp_run register-bad 127.0.0.1:$UAS -sf "$WORK/register_wrong.xml" -p $UAC -mp $((BASE+32)) \
    -key agent 1001 -key domain centralino.local -key contact_port 45678 -key expires 3600 || rc=$?
urc=0; wait $uas || urc=$?
if [[ $rc != 0 && $urc != 0 ]]; then echo "ok    wrong password is refused (uac exit $rc, registrar exit $urc)"; else echo "FAIL  wrong password accepted"; fail=1; fi
BASE=$((BASE+40))

# 5. OPTIONS ping
UAS=$((BASE)) UAC=$((BASE+10))
sipp_run options-uas -sf "$HERE/validate/options_uas.xml" -p $UAS -mp $((BASE+2)) & uas=$!
sleep 0.3
rc=0; sipp_run options 127.0.0.1:$UAS -sf "$HERE/options.xml" -s 800123456 -p $UAC -mp $((BASE+12)) || rc=$?
check "options.xml vs validate/options_uas.xml" $uas $rc

exit $fail
