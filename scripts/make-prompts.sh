#!/usr/bin/env bash
# Generates the demo prompt set in prompts/ reproducibly: 8 kHz, mono, 16-bit PCM WAV, the format
# the `prompts` crate accepts (it pre-encodes each prompt to G.711 PCMU and PCMA at load).
#
# Needs espeak-ng and sox (Debian: `apt-get install espeak-ng sox`). The voice is English
# (en-gb); speech is brisk and leading/trailing silence is trimmed to keep the files small.
# sox runs with -R (repeatable) and -D (no dither) so the same tools produce the same bytes.
#
# Usage: scripts/make-prompts.sh [output-dir]   (default: prompts/ at the repository root)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/../prompts}"
mkdir -p "$out"

for tool in espeak-ng sox; do
    command -v "$tool" >/dev/null || { echo "make-prompts: $tool is not installed" >&2; exit 1; }
done

VOICE="${VOICE:-en-gb}"
RATE="${RATE:-165}"   # words per minute: brisk but clear on a phone line

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Common sox output options: 8 kHz, mono, 16-bit signed PCM WAV.
OUT_FMT=(-r 8000 -c 1 -b 16 -e signed-integer -t wav)

speak() {
    local name="$1" text="$2"
    espeak-ng -v "$VOICE" -s "$RATE" -w "$work/$name.raw.wav" "$text"
    # Telephone band (300-3400 Hz), trim silence at both ends (keep 80 ms of room before and
    # after), and normalise to -3 dBFS so every prompt plays at the same loudness.
    sox -R -D "$work/$name.raw.wav" "${OUT_FMT[@]}" "$out/$name.wav" \
        highpass 300 lowpass 3400 \
        silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse \
        pad 0.08 0.08 gain -n -3
}

speak welcome "Welcome to the public service desk."
speak out_of_hours "Our offices are open Monday to Friday from 8:30 to 17:30. Please call again during opening hours, or leave a message after the tone."
speak main_menu "For personnel services press 1. For technology support press 2. For other applications press 3."
speak personnel_menu "For administrative information press 1. For a technical or application request press 2. For your own employment record press 3."
speak invalid_choice "Invalid selection."
speak goodbye "We could not understand your choice. Thank you for calling. Goodbye."
speak enter_pin "Please enter your personal PIN, followed by the hash key."
speak identify_failed "We could not identify you. You will now be connected to an operator."
speak please_hold "All our operators are busy. Please hold, you will be answered as soon as possible."
speak queue_position "You are caller number"
speak average_wait "The average waiting time is"
speak minutes "minutes"
speak less_than_one_minute "less than one minute"
# Confirmations of the operators' feature codes (*20 log in, *29 log out, *21 ready,
# *22 not ready, *23 end wrap-up).
speak feature_logged_in "You are logged in."
speak feature_logged_out "You are logged out."
speak feature_ready "You are ready for calls."
speak feature_not_ready "You are not ready."
speak feature_wrap_up_ended "Wrap-up ended."
speak feature_refused "That is not possible now."

digits=(zero one two three four five six seven eight nine)
for i in "${!digits[@]}"; do
    speak "digit_$i" "${digits[$i]}"
done

# Hold music: a gentle arpeggio (C major, A minor, F major, G major), two bars each, played
# twice: 16 notes of 0.625 s = 10 s per pass, 20 s in total. Each note is a pluck plus a sine
# with a short fade; the whole is low-passed at 1.5 kHz to soften it, faded at both ends so the
# loop point is click-free, and kept low (-12 dBFS peak, the speech prompts peak at -3 dBFS).
notes=(C4 E4 G4 E4  A3 C4 E4 C4  F3 A3 C4 A3  G3 B3 D4 B3)
parts=()
n=0
for pass in 1 2; do
    for note in "${notes[@]}"; do
        f="$work/note_$(printf %03d $n).wav"
        sox -R -D -n -r 8000 -c 1 -b 16 "$f" \
            synth 0.625 pluck "$note" synth 0.625 sine mix "$note" \
            fade q 0.01 0.625 0.2 gain -n -16
        parts+=("$f")
        n=$((n + 1))
    done
    : "$pass"
done
sox -R -D "${parts[@]}" "${OUT_FMT[@]}" "$out/hold_music.wav" lowpass 1500 fade t 0.05 0 0.3 gain -n -12

# Voicemail beep: 0.5 s, 1 kHz, with 5 ms ramps so it does not click.
sox -R -D -n "${OUT_FMT[@]}" "$out/voicemail_beep.wav" synth 0.5 sine 1000 fade t 0.005 0.5 0.005 gain -n -6

echo "make-prompts: wrote $(ls "$out"/*.wav | wc -l) prompts to $out ($(du -ch "$out"/*.wav | tail -1 | cut -f1))"
