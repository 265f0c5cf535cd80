#!/usr/bin/env bash
# Builds the fuzz targets in fuzz/ and runs each for a bounded time, on the stable toolchain.
#
#   scripts/fuzz.sh                       # every target, 60 s each
#   FUZZ_SECONDS=600 scripts/fuzz.sh      # longer
#   scripts/fuzz.sh sip_parse sdp_parse   # only these targets
#   scripts/fuzz.sh --list                # the targets and what they get
#
# cargo-fuzz is installed from crates.io when missing. libFuzzer's sanitizer flags are
# nightly-only (-Zsanitizer=address); RUSTC_BOOTSTRAP=1 lets the stable compiler take them,
# which is what this script does: no nightly toolchain is needed.
#
# Corpora live in fuzz/corpus/<target> (gitignored, kept between runs so a longer campaign
# builds on a shorter one). Seeds are made from files already in the repository (the RFC 4475
# torture messages, SDP bodies of the SIPp scenarios, small prompts, IVR scripts and the
# examples in docs/ivr-scripts.md) into fuzz/corpus/seeds/<target> on every run. Logs go to
# fuzz/logs/<target>.log. Builds go to fuzz/target, or to $CARGO_TARGET_DIR when it is set.
#
# Targets run one after another (the machine is shared). When one crashes, times out or runs
# out of memory, the script goes on with the others, prints the reproducer (under
# fuzz/artifacts/<target>/) and how to replay and minimise it, and exits 1 at the end.
# See docs/fuzzing.md.
set -euo pipefail

# The whole script is one function, read before it runs: editing this file while a campaign
# runs does not break the campaign.
main() {
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FUZZ="$ROOT/fuzz"
FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
# Seconds one input may take before libFuzzer calls it a hang (every target handles one
# input in well under a millisecond; anything near this is a bug).
FUZZ_TIMEOUT="${FUZZ_TIMEOUT:-5}"

say() { printf '[fuzz] %s\n' "$*" >&2; }
die() { printf '[fuzz] error: %s\n' "$*" >&2; exit 2; }

# target:max_len:rss_limit_mb:len_control. max_len is the largest input that reaches the code
# in real use (a UDP datagram, an SDP body, an uploaded prompt held small so the fuzzer stays
# fast). The memory limit is per process and includes AddressSanitizer's own overhead; a
# single allocation above half of it is reported as an OOM (-malloc_limit_mb). len_control 0
# lets the sequence targets use long inputs at once (libFuzzer's default, 100, grows the
# length slowly, which suits parsers).
TARGETS=(
    "sip_parse:8192:1024:100"
    "sip_transaction:4096:1024:0"
    "sdp_parse:4096:1024:100"
    "rtp_parse:1500:1024:100"
    "rtp_receive:4096:1024:0"
    "prompt_wav:16384:1024:100"
    "prompt_import:16384:1024:100"
    "prompt_archive:32768:1024:100"
    "ivr_script_parse:8192:1024:100"
    "ivr_session:1024:1024:0"
    "acd_sequence:2048:1024:0"
    "webrtc_offer:8192:1024:100"
)

target_names() { for t in "${TARGETS[@]}"; do echo "${t%%:*}"; done; }

if [[ "${1:-}" == "--list" || "${1:-}" == "-h" || "${1:-}" == "--help" ]]; then
    sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'
    echo
    echo "targets (max_len, rss limit MB, len_control):"
    for t in "${TARGETS[@]}"; do
        IFS=: read -r name len rss control <<<"$t"
        printf '  %-18s %6s %6s %4s\n' "$name" "$len" "$rss" "$control"
    done
    exit 0
fi
[[ "$FUZZ_SECONDS" =~ ^[0-9]+$ && "$FUZZ_SECONDS" -gt 0 ]] || die "FUZZ_SECONDS must be a positive number of seconds"

selected=("$@")
if [[ ${#selected[@]} -eq 0 ]]; then
    mapfile -t selected < <(target_names)
fi
for name in "${selected[@]}"; do
    target_names | grep -qx "$name" || die "unknown target '$name' (scripts/fuzz.sh --list)"
done

# --- cargo-fuzz ------------------------------------------------------------------------------
if ! cargo fuzz --version >/dev/null 2>&1; then
    say "cargo-fuzz is missing: installing it from crates.io (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked >&2 || die "could not install cargo-fuzz"
fi
say "using $(cargo fuzz --version) with $(rustc --version)"
export RUSTC_BOOTSTRAP=1
# cargo fuzz builds for the host triple, under its own target directory unless given one.
TARGET_DIR="${CARGO_TARGET_DIR:-$FUZZ/target}"
HOST="$(rustc -vV | sed -n 's/^host: //p')"

# --- seeds -----------------------------------------------------------------------------------
seed_dir() { echo "$FUZZ/corpus/seeds/$1"; }

make_seeds() {
    local name="$1" dir
    dir="$(seed_dir "$name")"
    rm -rf "$dir"
    mkdir -p "$dir"
    case "$name" in
        sip_parse)
            cp "$ROOT"/test-vectors/rfc4475/*.dat "$dir"/
            ;;
        sip_transaction)
            # Its input is a sequence of Arbitrary operations, not a datagram: libFuzzer starts
            # from nothing and the operations build valid messages themselves.
            ;;
        sdp_parse)
            # Bodies of the RFC 4475 messages that carry SDP...
            local f
            for f in "$ROOT"/test-vectors/rfc4475/*.dat; do
                if grep -q '^v=0' "$f"; then
                    awk 'body { print } /^\r?$/ && !body { body = 1 }' "$f" >"$dir/$(basename "$f" .dat).sdp"
                fi
            done
            # ...and the SDP of the SIPp scenarios, placeholders filled in, with CRLF and LF.
            for f in "$ROOT"/tests/sipp/*.xml; do
                grep -q '^ *v=0' "$f" || continue
                awk '/^ *v=0/ { on = 1 } on && /\]\]>|^ *$/ { exit } on { sub(/^ +/, ""); print }' "$f" |
                    sed -e 's/\[[a-z_]*ip_type\]/4/g' -e 's/\[[a-z_]*ip\]/192.0.2.1/g' \
                        -e 's/\[[a-z_]*port\]/6000/g' -e 's/\[[a-z_]*\]/1/g' >"$dir/$(basename "$f" .xml).sdp"
                sed 's/$/\r/' "$dir/$(basename "$f" .xml).sdp" >"$dir/$(basename "$f" .xml).crlf.sdp"
            done
            ;;
        rtp_parse | rtp_receive)
            local packets="$dir"
            [[ $name == rtp_receive ]] && packets="$(mktemp -d)"
            # A PCMU packet, a PCMA packet with a CSRC and an extension, a padded packet,
            # RFC 4733 start/update/end packets of key 5 (payload type 101).
            printf '\x80\x00\x00\x01\x00\x00\x00\xa0\x12\x34\x56\x78%s' "$(head -c 160 /dev/zero | tr '\0' '\377')" >"$packets/pcmu"
            printf '\x91\x08\x00\x02\x00\x00\x01\x40\x12\x34\x56\x78\xca\xfe\xba\xbe\xbe\xde\x00\x01\x10\xaa\x00\x00\xd5\xd5\xd5\xd5' >"$packets/pcma-csrc-ext"
            printf '\xa0\x00\x00\x03\x00\x00\x01\xe0\x12\x34\x56\x78\xff\xff\x00\x00\x00\x03' >"$packets/padded"
            printf '\x80\xe5\x00\x04\x00\x00\x02\x80\x12\x34\x56\x78\x05\x0a\x00\xa0' >"$packets/dtmf-start"
            printf '\x80\x65\x00\x05\x00\x00\x02\x80\x12\x34\x56\x78\x05\x0a\x01\x40' >"$packets/dtmf-update"
            printf '\x80\x65\x00\x06\x00\x00\x02\x80\x12\x34\x56\x78\x05\x8a\x03\x20' >"$packets/dtmf-end"
            if [[ $name == rtp_receive ]]; then
                # A settings byte (1: behind NAT, 2: an SDP address), then records of source,
                # time gap and length before each datagram: audio then a key press.
                local settings f
                for settings in 01 02 03; do
                    {
                        printf "\\x$settings"
                        for f in pcmu pcma-csrc-ext dtmf-start dtmf-update padded dtmf-end dtmf-end; do
                            printf "\\x00\\x02\\x$(printf %02x "$(stat -c %s "$packets/$f")")"
                            cat "$packets/$f"
                        done
                    } >"$dir/stream-$settings"
                done
                rm -rf "$packets"
            fi
            ;;
        prompt_wav)
            # The shortest shipped prompts whole, and the start of a longer one (a data chunk
            # that announces more than it holds).
            local f
            for f in "$ROOT"/prompts/*.wav; do
                if [[ $(stat -c %s "$f") -le 16384 ]]; then
                    cp "$f" "$dir/"
                fi
            done
            head -c 512 "$ROOT/prompts/welcome.wav" >"$dir/welcome-truncated.wav"
            ;;
        prompt_import)
            # The import tests' recordings (MP3, Ogg Vorbis, FLAC, and formats it refuses: AAC
            # in MP4, IMA ADPCM WAV, Opus), the shortest shipped prompts, a cut-short one.
            local f
            for f in "$ROOT"/crates/prompts/tests/fixtures/*.{wav,mp3,ogg,flac} "$ROOT"/prompts/*.wav; do
                if [[ -f "$f" && $(stat -c %s "$f") -le 16384 ]]; then
                    cp "$f" "$dir/"
                fi
            done
            head -c 4096 "$ROOT/crates/prompts/tests/fixtures/speech_it.mp3" >"$dir/speech_it-truncated.mp3"
            ;;
        prompt_archive)
            # A backup as the pages make one (a plain tar of prompt files), one with a file
            # that is no prompt, and one cut short.
            tar -cf "$dir/backup.tar" -C "$ROOT/prompts" digit_3.wav digit_8.wav
            tar -cf "$dir/not-a-prompt.tar" -C "$ROOT" README.md
            head -c 3000 "$dir/backup.tar" >"$dir/backup-truncated.tar"
            ;;
        ivr_script_parse | ivr_session)
            cp "$ROOT"/ivr-scripts/*.ivr "$dir/"
            # Every fenced example of docs/ivr-scripts.md, one file each.
            awk -v dir="$dir" '/^```/ { if (on) { on = 0; close(f) } else { on = 1; n++; f = dir "/doc-" n ".ivr" } next } on { print > f }' \
                "$ROOT/docs/ivr-scripts.md"
            ;;
        acd_sequence)
            # Operations are byte pairs: a few calls joining, operators logging in and
            # answering, time passing.
            printf '\x09\x00\x09\x01\x0b\x00\x0b\x01\x00\x01\x10\x02\x0f\x08\x04\x00\x07\x01\x0f\x20' >"$dir/basic"
            ;;
        webrtc_offer)
            # A Chromium-shaped audio offer (Opus first, G.711, telephone-event at 126).
            printf '%s\r\n' 'v=0' 'o=- 4611731400430051336 2 IN IP4 127.0.0.1' 's=-' 't=0 0' \
                'a=group:BUNDLE 0' 'a=msid-semantic: WMS' \
                'm=audio 9 UDP/TLS/RTP/SAVPF 111 0 8 126' 'c=IN IP4 0.0.0.0' \
                'a=candidate:1 1 udp 2122260223 192.0.2.7 50000 typ host' \
                'a=ice-ufrag:abcd' 'a=ice-pwd:abcdefghijklmnopqrstuvwx' 'a=ice-options:trickle' \
                'a=fingerprint:sha-256 DB:26:B8:26:7B:3F:5D:26:D8:D2:3C:09:3D:A0:93:AA:F6:54:8E:92:6E:D7:E1:EC:EE:F9:F7:33:9E:54:D8:DF' \
                'a=setup:actpass' 'a=mid:0' 'a=sendrecv' 'a=rtcp-mux' \
                'a=rtpmap:111 opus/48000/2' 'a=fmtp:111 minptime=10;useinbandfec=1' \
                'a=rtpmap:0 PCMU/8000' 'a=rtpmap:8 PCMA/8000' 'a=rtpmap:126 telephone-event/8000' \
                'a=ssrc:3544837901 cname:l6aD1483AdFQX6HKxN8r' >"$dir/chromium-audio.sdp"
            ;;
    esac
}

# --- build -----------------------------------------------------------------------------------
# -O: optimised, as cargo fuzz does by default; -a: with debug assertions and overflow checks
# (an overflow on remote input is a bug; the ACD's invariant checks are debug assertions).
cd "$ROOT"
say "building ${#selected[@]} target(s) (first build takes a few minutes)"
if [[ ${#selected[@]} -eq $(target_names | wc -l) ]]; then
    cargo fuzz build -O -a --target-dir "$TARGET_DIR" >&2 || die "build failed"
else
    for name in "${selected[@]}"; do
        cargo fuzz build -O -a --target-dir "$TARGET_DIR" "$name" >&2 || die "build of $name failed"
    done
fi

# --- run -------------------------------------------------------------------------------------
mkdir -p "$FUZZ/logs"
failed=()
summary=()
for entry in "${TARGETS[@]}"; do
    IFS=: read -r name max_len rss len_control <<<"$entry"
    printf '%s\n' "${selected[@]}" | grep -qx "$name" || continue
    make_seeds "$name"
    corpus="$FUZZ/corpus/$name"
    artifacts="$FUZZ/artifacts/$name"
    log="$FUZZ/logs/$name.log"
    mkdir -p "$corpus" "$artifacts"
    dict=()
    case "$name" in
        sip_parse) dict=(-dict="$FUZZ/dicts/sip.dict") ;;
        sdp_parse) dict=(-dict="$FUZZ/dicts/sdp.dict") ;;
        ivr_script_parse) dict=(-dict="$FUZZ/dicts/ivr.dict") ;;
    esac
    say "running $name for ${FUZZ_SECONDS}s (max_len $max_len, rss limit ${rss} MB, timeout ${FUZZ_TIMEOUT}s), log $log"
    status=0
    cargo fuzz run -O -a --target-dir "$TARGET_DIR" "$name" "$corpus" "$(seed_dir "$name")" -- \
        -max_total_time="$FUZZ_SECONDS" \
        -max_len="$max_len" \
        -len_control="$len_control" \
        -rss_limit_mb="$rss" \
        -malloc_limit_mb="$((rss / 2))" \
        -timeout="$FUZZ_TIMEOUT" \
        -report_slow_units=1 \
        -print_final_stats=1 \
        -artifact_prefix="$artifacts/" \
        "${dict[@]}" \
        >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]* ft: [0-9]* corp: [0-9]*' "$log" | tail -1 || true)
    # libFuzzer saves an input that took over a second as slow-unit-*. On a shared machine
    # most are a stall of the machine, not of the code: replay each 20 times, keep and
    # report those that are still slow, drop the others.
    slow=0
    while read -r unit; do
        [[ -f "$unit" ]] || continue
        start_ns=$(date +%s%N)
        "$TARGET_DIR/$HOST/release/$name" -runs=20 "$unit" >/dev/null 2>&1 || true
        ms=$(( ($(date +%s%N) - start_ns) / 1000000 ))
        if [[ $ms -ge 2000 ]]; then
            slow=$((slow + 1))
            failed+=("$name")
            say "$name: slow input, 20 replays took ${ms} ms: $unit"
        else
            say "$name: an input took over a second once but replays fast (${ms} ms for 20): dropped $unit"
            rm -f "$unit"
        fi
    done < <(sed -n 's/.*Test unit written to \(.*slow-unit-.*\)$/\1/p' "$log")
    summary+=("$(printf '%-18s %10s runs %7s exec/s  %s  slow units: %s' "$name" "${runs:-?}" "${rate:-?}" "${cov:-?}" "$slow")")
    if [[ $status -ne 0 ]]; then
        reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | grep -v slow-unit- | tail -1 || true)
        kind=$(grep -o -m1 -E 'deadly signal|ERROR: libFuzzer: [a-z-]+|ERROR: AddressSanitizer: [a-z-]+|panicked at' "$log" || echo "exit $status")
        failed+=("$name")
        say "$name FAILED ($kind); see $log"
        if [[ -n "$reproducer" ]]; then
            say "  reproducer: $reproducer"
            say "  replay:     RUSTC_BOOTSTRAP=1 cargo fuzz run -O -a${CARGO_TARGET_DIR:+ --target-dir $TARGET_DIR} $name $reproducer"
            say "  minimise:   RUSTC_BOOTSTRAP=1 cargo fuzz tmin -O -a${CARGO_TARGET_DIR:+ --target-dir $TARGET_DIR} $name $reproducer"
        fi
        grep -m3 -E 'panicked at|ERROR:|SUMMARY' "$log" | sed 's/^/[fuzz]   /' >&2 || true
    fi
done

say "summary (${FUZZ_SECONDS}s per target):"
for line in "${summary[@]}"; do say "  $line"; done
if [[ ${#failed[@]} -gt 0 ]]; then
    say "failed: $(printf '%s\n' "${failed[@]}" | sort -u | tr '\n' ' ')"
    exit 1
fi
say "no crash, hang or out-of-memory found"
}

main "$@"
