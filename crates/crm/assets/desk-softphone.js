// The browser softphone (docs/webrtc.md): with it on, the desk page is the operator's phone.
// The page offers (RTCPeerConnection with the microphone, ICE gathered first: no trickle) over
// POST /api/v1/desk/softphone and the engine's WebRTC leg answers; an offered call then rings
// here (the screen pop is the ring), Answer/Reject/Hang up go over
// POST /api/v1/desk/softphone/call. Keys pressed on the keypad go as RFC 4733 events.
import { ApiError, post, request } from './api.js';

const $ = (id) => document.getElementById(id);

let pc = null;
let mic = null;
let ringing = null; // the call ID ringing here
let talking = null; // the call ID on the softphone

function say(text) {
  $('softphone-message').textContent = text;
  $('softphone-message').hidden = !text;
}

function status(text, state) {
  $('softphone-status').textContent = text;
  $('softphone').dataset.state = state;
}

function show() {
  const on = pc !== null && pc.connectionState === 'connected';
  $('softphone-toggle').textContent = pc ? 'Turn the softphone off' : 'Use this browser as my phone';
  $('softphone-ring').hidden = !(on && ringing);
  $('softphone-call').hidden = !(on && talking);
}

function failure(error) {
  if (error instanceof ApiError) return error.message;
  return `Cannot reach the CRM: ${error.message}`;
}

/** Resolves once ICE gathering is complete (the offer then lists every candidate). */
function gathered(connection) {
  if (connection.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (connection.iceGatheringState !== 'complete') return;
      connection.removeEventListener('icegatheringstatechange', done);
      resolve();
    };
    connection.addEventListener('icegatheringstatechange', done);
    // Some networks never finish gathering: go with what there is after 3 s.
    setTimeout(resolve, 3000);
  });
}

async function enable() {
  say('');
  if (!window.isSecureContext || !navigator.mediaDevices || !window.RTCPeerConnection) {
    say('This page cannot use the microphone: the softphone needs a browser with WebRTC and the desk on https (or on localhost).');
    return;
  }
  status('asking for the microphone…', 'starting');
  try {
    mic = await navigator.mediaDevices.getUserMedia({ audio: true, video: false });
  } catch (error) {
    status('off', 'off');
    say(error && error.name === 'NotAllowedError'
      ? 'The microphone is blocked for this site: allow it in the browser to use the softphone.'
      : `No microphone could be opened: ${error.message}`);
    return;
  }
  const connection = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
  pc = connection;
  for (const track of mic.getAudioTracks()) connection.addTrack(track, mic);
  connection.addEventListener('track', (event) => {
    const stream = event.streams[0] || new MediaStream([event.track]);
    $('softphone-audio').srcObject = stream;
  });
  connection.addEventListener('connectionstatechange', () => {
    if (pc !== connection) return;
    const state = connection.connectionState;
    if (state === 'connected') status('on: calls ring here', 'on');
    else if (state === 'failed' || state === 'closed') {
      status('off', 'off');
      say('The softphone lost its connection to the telephony engine: turn it on again.');
      stop();
    } else if (state === 'disconnected') status('connection unstable…', 'starting');
    show();
  });
  status('connecting…', 'starting');
  show();
  try {
    await connection.setLocalDescription(await connection.createOffer());
    await gathered(connection);
    const { body } = await post('/api/v1/desk/softphone', { offer: connection.localDescription.sdp });
    if (pc !== connection) return;
    await connection.setRemoteDescription({ type: 'answer', sdp: body.answer });
  } catch (error) {
    status('off', 'off');
    say(failure(error));
    stop();
  }
}

function stop() {
  if (pc) pc.close();
  pc = null;
  if (mic) for (const track of mic.getTracks()) track.stop();
  mic = null;
  ringing = null;
  talking = null;
  $('softphone-audio').srcObject = null;
  show();
}

async function disable() {
  stop();
  status('off', 'off');
  try {
    await request('DELETE', '/api/v1/desk/softphone');
  } catch (error) {
    say(failure(error));
  }
}

async function act(action) {
  say('');
  try {
    await post('/api/v1/desk/softphone/call', { action });
    if (action === 'answer') {
      talking = ringing;
    } else {
      talking = null;
    }
    ringing = null;
  } catch (error) {
    say(failure(error));
  }
  show();
}

/** The desk's `offered` event: with the softphone on, the call rings here. */
export function softphoneOffered(pop) {
  if (!pc || pc.connectionState !== 'connected') return;
  ringing = pop.service_request.call_id;
  show();
  $('softphone-answer').focus();
}

/** The desk's `ended` event. */
export function softphoneEnded(event) {
  if (ringing === event.call_id) ringing = null;
  if (talking === event.call_id) talking = null;
  show();
}

/**
 * The desk's `state` event: an operator paused or logged out (an offer that rang unanswered
 * pauses her) has nothing ringing. ("ready" is no proof: the board may lag the offer.)
 */
export function softphoneState(event) {
  if (ringing && (event.state === 'not_ready' || event.state === 'logged_out')) {
    ringing = null;
    show();
  }
}

/** The desk's `connected` event (answered, maybe from elsewhere). */
export function softphoneConnected(event) {
  if (ringing === event.call_id) {
    talking = ringing;
    ringing = null;
  }
  show();
}

export function initSoftphone() {
  $('softphone-toggle').addEventListener('click', () => (pc ? disable() : enable()));
  $('softphone-answer').addEventListener('click', () => act('answer'));
  $('softphone-reject').addEventListener('click', () => act('reject'));
  $('softphone-hangup').addEventListener('click', () => act('hang_up'));
  for (const key of document.querySelectorAll('[data-key]')) {
    key.addEventListener('click', () => {
      const sender = pc && pc.getSenders().find((s) => s.dtmf);
      if (sender && talking) sender.dtmf.insertDTMF(key.dataset.key, 120, 70);
    });
  }
  // The session ends with the page.
  window.addEventListener('pagehide', () => stop());
  status('off', 'off');
  show();
}

/** For the browser tests: the softphone's peer connection (stats of the remote audio). */
export function softphoneConnection() {
  return pc;
}
