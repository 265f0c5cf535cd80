// Recording a prompt in the browser: the microphone's PCM through WebAudio (an AudioWorklet),
// kept as float samples at the context's rate, then written as a 16-bit mono WAV. The CRM
// hands the WAV to the engine, which resamples it once to 8 kHz like any upload.
// (MediaRecorder's WebM/Opus is not used: the engine does not decode Opus.)

/** Longest recording kept: 10 minutes, the longest prompt. */
const MAX_SECONDS = 600;

export class Recorder {
  constructor() {
    this.chunks = [];
    this.length = 0;
    this.context = null;
    this.stream = null;
  }

  /** Asks for the microphone and starts capturing. */
  async start() {
    this.stream = await navigator.mediaDevices.getUserMedia({
      audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
    });
    this.context = new AudioContext();
    await this.context.audioWorklet.addModule('/assets/recorder-worklet.js');
    const source = this.context.createMediaStreamSource(this.stream);
    this.node = new AudioWorkletNode(this.context, 'centralino-capture');
    this.node.port.onmessage = (event) => {
      if (this.length >= MAX_SECONDS * this.context.sampleRate) return;
      this.chunks.push(event.data);
      this.length += event.data.length;
    };
    source.connect(this.node);
    // Pulled by the destination through a muted gain: nothing reaches the speakers.
    const mute = this.context.createGain();
    mute.gain.value = 0;
    this.node.connect(mute).connect(this.context.destination);
  }

  /** Seconds captured so far. */
  seconds() {
    return this.context ? this.length / this.context.sampleRate : 0;
  }

  /** Stops capturing; resolves to the recording as a WAV Blob. */
  async stop() {
    const rate = this.context.sampleRate;
    this.node.port.onmessage = null;
    this.node.disconnect();
    for (const track of this.stream.getTracks()) track.stop();
    await this.context.close();
    return wav(this.chunks, this.length, rate);
  }
}

/** A 16-bit PCM mono WAV of float chunks. */
export function wav(chunks, length, rate) {
  const buffer = new ArrayBuffer(44 + length * 2);
  const view = new DataView(buffer);
  const text = (offset, s) => [...s].forEach((c, i) => view.setUint8(offset + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  view.setUint32(4, 36 + length * 2, true);
  text(8, 'WAVE');
  text(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  text(36, 'data');
  view.setUint32(40, length * 2, true);
  let offset = 44;
  for (const chunk of chunks) {
    for (const sample of chunk) {
      const s = Math.max(-1, Math.min(1, sample));
      view.setInt16(offset, s < 0 ? s * 0x8000 : s * 0x7fff, true);
      offset += 2;
    }
  }
  return new Blob([buffer], { type: 'audio/wav' });
}
