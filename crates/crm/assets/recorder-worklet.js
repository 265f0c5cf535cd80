// The microphone's samples, as they come, to the page (recorder.js): an AudioWorklet, so
// that capture runs off the page's main thread. Mono: the first channel.
class Capture extends AudioWorkletProcessor {
  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (channel && channel.length) this.port.postMessage(channel.slice(0));
    return true;
  }
}

registerProcessor('centralino-capture', Capture);
