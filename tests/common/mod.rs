//! Shared harness for the end-to-end stories: real SIPp peers against a real centralino.
//!
//! Each story starts the demo deployment in-process ([`start_demo`]), puts SIPp phones on
//! 127.0.0.1 around it ([`Sipp`], [`OperatorPhone`], [`Caller`]) and checks what a user would
//! check: the caller heard the prompt ([`RtpSink`], [`assert_heard_prompt`]), the two parties
//! heard each other ([`assert_heard_speech`]), the CRM has the service request
//! ([`wait_for_service_request`]).
//!
//! SIPp never reads the RTP it receives, so every phone announces in its SDP a UDP port owned by
//! the test ([`RtpSink`]) and SIPp's own audio (pcap playback) leaves from its `-mp` port. Note
//! that SIPp 3.6.1 plays pcaps through a raw socket with UDP source port 0: the engine must send
//! media to the SDP address, not latch on to the source of what it receives.
//!
//! IVR timings are derived from the shipped prompts ([`IvrTiming`]): keys are pressed after the
//! menu prompt has finished and well inside the 5 s no-input timeout, so the stories pass with or
//! without barge-in.

#![allow(dead_code)]

mod browser;
#[allow(unused_imports)] // only the page stories drive a browser
pub use browser::*;
mod pcap;
#[allow(unused_imports)] // only the in-band DTMF story writes a pcap
pub use pcap::*;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use centralino::{Config, Running};
use prompts::{Prompt, PromptLibrary};
use tempfile::TempDir;

/// Debian's sip-tester ships these pcaps: RFC 4733 key presses (PT 101) and G.711 A-law speech
/// (PT 8, 236 packets, 4.7 s).
pub const PCAP_DIR: &str = "/usr/share/sip-tester";
/// The toll-free number callers dial; any Request-URI user reaches the IVR in the demo.
pub const TOLL_FREE: &str = "800123456";
/// The caller's number, sent as the From user.
pub const CALLER_NUMBER: &str = "3331234567";
/// The demo SIP domain, also the digest realm.
pub const DOMAIN: &str = "centralino.local";
/// Upper bound for any one SIPp instance (its `-timeout`, with `-timeout_error`).
pub const SIPP_TIMEOUT: Duration = Duration::from_secs(120);
/// Frames of a prompt compared to prove the caller heard it: 25 x 20 ms = 0.5 s.
pub const PROMPT_FRAMES: usize = 25;
/// Bytes in one 20 ms G.711 frame.
pub const FRAME: usize = 160;

// ---------------------------------------------------------------------------------------------
// paths

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn scenario(file: &str) -> PathBuf {
    repo_root().join("tests/sipp").join(file)
}

/// The pcap that presses `key` (`0`-`9`, `*`, `#`).
pub fn dtmf_pcap(key: char) -> PathBuf {
    let name = match key {
        '0'..='9' => key.to_string(),
        '*' => "star".to_owned(),
        '#' => "pound".to_owned(),
        other => panic!("no RFC 4733 pcap for key {other:?}"),
    };
    PathBuf::from(PCAP_DIR).join(format!("dtmf_2833_{name}.pcap"))
}

pub fn speech_pcap() -> PathBuf {
    PathBuf::from(PCAP_DIR).join("g711a.pcap")
}

/// One story at a time inside a test binary: two CPU cores, real-time prompts and DTMF timing.
/// An async mutex, since the guard is held across the whole (async) story; tokio's mutex works
/// across the separate runtimes of `#[tokio::test]`s, and a failed story does not poison it.
pub async fn one_story_at_a_time() -> tokio::sync::MutexGuard<'static, ()> {
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    SERIAL.lock().await
}

/// A Call-ID no other run or story uses (SIPp's `-cid_str`, without `%` so it is literal).
pub fn unique_call_id(story: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("e2e-{story}-{}-{nanos:x}-{n}", std::process::id())
}

// ---------------------------------------------------------------------------------------------
// ports

fn handed_out() -> &'static Mutex<HashSet<u16>> {
    static PORTS: OnceLock<Mutex<HashSet<u16>>> = OnceLock::new();
    PORTS.get_or_init(|| Mutex::new(HashSet::new()))
}

/// SIPp binds its `-cp` control socket on 0.0.0.0, its others on 127.0.0.1: check both, one at
/// a time (each probe socket is closed before the next bind).
fn bindable(port: u16) -> bool {
    let loopback = UdpSocket::bind(("127.0.0.1", port)).is_ok();
    let any = UdpSocket::bind(("0.0.0.0", port)).is_ok();
    loopback && any
}

/// A UDP port on 127.0.0.1 that was free a moment ago and that this process never handed out
/// before. (Bind to port 0, read the port, release it.)
pub fn free_udp_port() -> u16 {
    free_port_where(|_| true)
}

/// A port for SIPp's `-mp`: SIPp binds both `mp` and `mp + 2` (audio and video echo sockets).
pub fn free_media_port() -> u16 {
    free_port_where(|port| port < u16::MAX - 2 && bindable(port + 2) && !taken(port + 2))
        .tap_reserve(2)
}

fn taken(port: u16) -> bool {
    handed_out()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .contains(&port)
}

fn free_port_where(extra: impl Fn(u16) -> bool) -> u16 {
    for _ in 0..200 {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("loopback UDP bind");
        let port = socket
            .local_addr()
            .expect("bound socket has an address")
            .port();
        drop(socket);
        if !bindable(port) || !extra(port) {
            continue;
        }
        if handed_out()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(port)
        {
            return port;
        }
    }
    panic!("no free UDP port on 127.0.0.1 after 200 tries");
}

trait ReserveExtra {
    fn tap_reserve(self, offset: u16) -> u16;
}

impl ReserveExtra for u16 {
    /// Also mark `self + offset` as handed out (the media port's video twin).
    fn tap_reserve(self, offset: u16) -> u16 {
        handed_out()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(self + offset);
        self
    }
}

// ---------------------------------------------------------------------------------------------
// SIPp runner

/// How to start one SIPp instance. `remote` set = a UAC calling centralino; unset = a UAS that
/// waits on its `-p` port.
#[derive(Debug, Clone)]
pub struct SippCommand {
    name: String,
    scenario: PathBuf,
    remote: Option<SocketAddr>,
    service: Option<String>,
    call_id: Option<String>,
    port: u16,
    media_port: u16,
    calls: u32,
    /// Calls at once (`-l`); 1 unless told.
    limit: u32,
    /// New calls per second (`-r`), if not SIPp's default.
    rate: Option<u32>,
    call_id_prefix: Option<String>,
    keys: Vec<(String, String)>,
    timeout: Duration,
    log_dir: PathBuf,
}

impl SippCommand {
    /// `name` names the log files; `log_dir` should be the story's temporary directory.
    pub fn new(name: &str, scenario: impl Into<PathBuf>, log_dir: &Path) -> Self {
        Self {
            name: name.to_owned(),
            scenario: scenario.into(),
            remote: None,
            service: None,
            call_id: None,
            port: free_udp_port(),
            media_port: free_media_port(),
            calls: 1,
            limit: 1,
            rate: None,
            call_id_prefix: None,
            keys: Vec::new(),
            timeout: SIPP_TIMEOUT,
            log_dir: log_dir.to_path_buf(),
        }
    }

    pub fn remote(mut self, addr: SocketAddr) -> Self {
        self.remote = Some(addr);
        self
    }

    /// The Request-URI user (`-s`).
    pub fn service(mut self, user: &str) -> Self {
        self.service = Some(user.to_owned());
        self
    }

    /// A literal Call-ID for the (single) call: `-cid_str` without `%` escapes.
    pub fn call_id(mut self, call_id: &str) -> Self {
        assert!(!call_id.contains('%'), "a literal Call-ID cannot contain %");
        self.call_id = Some(call_id.to_owned());
        self
    }

    /// Call-IDs `<prefix>-<call number>`, one per call of a multi-call instance.
    pub fn call_id_prefix(mut self, prefix: &str) -> Self {
        assert!(!prefix.contains('%'));
        self.call_id_prefix = Some(prefix.to_owned());
        self
    }

    /// `calls` at once, started `rate` a second.
    pub fn concurrent(mut self, calls: u32, rate: u32) -> Self {
        self.limit = calls;
        self.rate = Some(rate);
        self
    }

    pub fn port(mut self, port: u16) -> Self {
        self.port = port;
        self
    }

    /// Calls before SIPp exits (`-m`). A UAS with 2 answers two calls in turn.
    pub fn calls(mut self, calls: u32) -> Self {
        self.calls = calls;
        self
    }

    pub fn key(mut self, name: &str, value: impl ToString) -> Self {
        self.keys.push((name.to_owned(), value.to_string()));
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn sip_port(&self) -> u16 {
        self.port
    }

    fn args(&self, files: &SippFiles) -> Vec<String> {
        let mut args = Vec::new();
        if let Some(remote) = self.remote {
            args.push(remote.to_string());
        }
        args.extend(["-sf".into(), self.scenario.display().to_string()]);
        args.extend([
            "-i".into(),
            "127.0.0.1".into(),
            "-mi".into(),
            "127.0.0.1".into(),
        ]);
        args.extend([
            "-p".into(),
            self.port.to_string(),
            "-mp".into(),
            self.media_port.to_string(),
        ]);
        // Every instance its own control socket: the default 8888 collides between instances.
        args.extend(["-cp".into(), free_udp_port().to_string()]);
        args.extend(["-m".into(), self.calls.to_string()]);
        if self.remote.is_some() {
            args.extend(["-l".into(), self.limit.to_string()]);
        }
        if let Some(rate) = self.rate {
            args.extend(["-r".into(), rate.to_string()]);
        }
        if let Some(service) = &self.service {
            args.extend(["-s".into(), service.clone()]);
        }
        if let Some(call_id) = &self.call_id {
            args.extend(["-cid_str".into(), call_id.clone()]);
        }
        if let Some(prefix) = &self.call_id_prefix {
            args.extend(["-cid_str".into(), format!("{prefix}-%u")]);
        }
        args.push("-nostdin".into());
        args.extend([
            "-timeout".into(),
            format!("{}s", self.timeout.as_secs().max(1)),
        ]);
        args.push("-timeout_error".into());
        args.extend([
            "-trace_err".into(),
            "-error_file".into(),
            files.errors.display().to_string(),
        ]);
        args.extend([
            "-trace_msg".into(),
            "-message_file".into(),
            files.messages.display().to_string(),
        ]);
        args.extend([
            "-trace_logs".into(),
            "-log_file".into(),
            files.log.display().to_string(),
        ]);
        args.extend([
            "-trace_stat".into(),
            "-stf".into(),
            files.stats.display().to_string(),
        ]);
        for (name, value) in &self.keys {
            args.extend(["-key".into(), name.clone(), value.clone()]);
        }
        args
    }

    /// Starts SIPp. It is killed when the returned [`Sipp`] is dropped.
    pub fn spawn(self) -> Sipp {
        let files = SippFiles::new(&self.log_dir, &self.name);
        let args = self.args(&files);
        let stdout = std::fs::File::create(&files.screen).expect("create SIPp screen file");
        let stderr = stdout.try_clone().expect("clone screen file handle");
        let child = Command::new("sipp")
            .args(&args)
            // SIPp stamps its message log in local time: make that UTC so we can compare.
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start sipp (Debian package sip-tester): {e}"));
        Sipp {
            name: self.name.clone(),
            command_line: format!("sipp {}", args.join(" ")),
            child: Some(child),
            status: None,
            files,
            sip_port: self.port,
        }
    }
}

#[derive(Debug, Clone)]
pub struct SippFiles {
    pub errors: PathBuf,
    pub messages: PathBuf,
    pub log: PathBuf,
    pub stats: PathBuf,
    pub screen: PathBuf,
}

impl SippFiles {
    fn new(dir: &Path, name: &str) -> Self {
        Self {
            errors: dir.join(format!("{name}.errors.log")),
            messages: dir.join(format!("{name}.messages.log")),
            log: dir.join(format!("{name}.actions.log")),
            stats: dir.join(format!("{name}.stats.csv")),
            screen: dir.join(format!("{name}.screen.txt")),
        }
    }
}

/// A running SIPp instance.
pub struct Sipp {
    pub name: String,
    pub command_line: String,
    child: Option<Child>,
    status: Option<ExitStatus>,
    pub files: SippFiles,
    pub sip_port: u16,
}

impl Sipp {
    /// Waits for SIPp to exit, at most `timeout` (then kills it). `Ok` if it exited 0, which
    /// SIPp does only when every call of the scenario completed.
    pub fn wait_blocking(&mut self, timeout: Duration) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let child = self.child.as_mut().expect("sipp child is kept until drop");
        loop {
            match child.try_wait() {
                Ok(Some(status)) => {
                    self.status = Some(status);
                    break;
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Ok(None) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Err(self.failure(&format!("did not finish within {timeout:?}; killed")));
                }
                Err(e) => return Err(self.failure(&format!("cannot wait for sipp: {e}"))),
            }
        }
        let status = self.status.expect("status was just set");
        if status.success() {
            Ok(())
        } else {
            Err(self.failure(&format!("exited with {status} (0 = every call completed)")))
        }
    }

    /// [`Self::wait_blocking`] on tokio's blocking pool; panics with SIPp's logs on failure.
    pub async fn expect_success(self, timeout: Duration) -> Sipp {
        let (sipp, outcome) = tokio::task::spawn_blocking(move || {
            let mut sipp = self;
            let outcome = sipp.wait_blocking(timeout);
            (sipp, outcome)
        })
        .await
        .expect("the waiting thread does not panic");
        if let Err(report) = outcome {
            panic!("{report}");
        }
        sipp
    }

    /// True while SIPp runs.
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut().map(Child::try_wait) {
            Some(Ok(None)) => true,
            Some(Ok(Some(status))) => {
                self.status = Some(status);
                false
            }
            _ => false,
        }
    }

    /// Stops SIPp now (for a phone that is expected to stay idle).
    pub fn kill(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The SIP messages SIPp traced so far.
    pub fn messages(&self) -> Vec<TracedMessage> {
        parse_message_log(&std::fs::read_to_string(&self.files.messages).unwrap_or_default())
    }

    /// Requests with this method that SIPp received (e.g. "INVITE", "BYE").
    pub fn received_requests(&self, method: &str) -> Vec<TracedMessage> {
        self.messages()
            .into_iter()
            .filter(|m| !m.sent && m.start_line.starts_with(&format!("{method} ")))
            .collect()
    }

    fn failure(&self, what: &str) -> String {
        let mut report = format!(
            "SIPp instance {:?} {what}\ncommand: {}\n",
            self.name, self.command_line
        );
        for (label, path, limit) in [
            ("error log", &self.files.errors, 6000),
            ("action log", &self.files.log, 2000),
            ("message log (tail)", &self.files.messages, 6000),
            ("screen (tail)", &self.files.screen, 3000),
        ] {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            if !text.trim().is_empty() {
                let _ = write!(
                    report,
                    "--- {label} {} ---\n{}\n",
                    path.display(),
                    tail(&text, limit)
                );
            }
        }
        report
    }
}

impl Drop for Sipp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            if matches!(child.try_wait(), Ok(None)) {
                let _ = child.kill();
            }
            let _ = child.wait();
        }
    }
}

fn tail(text: &str, limit: usize) -> &str {
    if text.len() <= limit {
        return text;
    }
    let mut start = text.len() - limit;
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// One message from SIPp's `-trace_msg` log.
#[derive(Debug, Clone)]
pub struct TracedMessage {
    pub at: SystemTime,
    pub sent: bool,
    pub start_line: String,
    pub text: String,
}

impl TracedMessage {
    pub fn header(&self, name: &str) -> Option<String> {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.text
            .lines()
            .find(|line| line.to_ascii_lowercase().starts_with(&prefix))
            .map(|line| line[prefix.len()..].trim().to_owned())
    }
}

/// Parses SIPp's message log: a dashed line with a UTC timestamp (we run SIPp with TZ=UTC),
/// "UDP message sent (n bytes):" or "UDP message received [n] bytes :", then the message.
pub fn parse_message_log(log: &str) -> Vec<TracedMessage> {
    let mut out = Vec::new();
    let mut lines = log.lines().peekable();
    while let Some(line) = lines.next() {
        let Some(stamp) = line
            .strip_prefix("-----")
            .map(|s| s.trim_start_matches('-').trim())
        else {
            continue;
        };
        let Some(at) = parse_utc_stamp(stamp) else {
            continue;
        };
        let Some(direction) = lines.next() else { break };
        let sent = direction.contains("message sent");
        let mut text = String::new();
        while let Some(next) = lines.peek() {
            if next.starts_with("-----")
                && parse_utc_stamp(next.trim_start_matches('-').trim()).is_some()
            {
                break;
            }
            text.push_str(next);
            text.push('\n');
            lines.next();
        }
        let text = text.trim().to_owned();
        let start_line = text.lines().next().unwrap_or_default().to_owned();
        out.push(TracedMessage {
            at,
            sent,
            start_line,
            text,
        });
    }
    out
}

/// "2026-11-23 18:22:00.362861" (or with a tab) as UTC.
fn parse_utc_stamp(stamp: &str) -> Option<SystemTime> {
    let mut parts = stamp.split([' ', '\t']).filter(|s| !s.is_empty());
    let date = parts.next()?;
    let time = parts.next()?;
    let mut d = date.split('-').map(|p| p.parse::<i64>());
    let (year, month, day) = (d.next()?.ok()?, d.next()?.ok()?, d.next()?.ok()?);
    let (hms, frac) = time.split_once('.').unwrap_or((time, "0"));
    let mut t = hms.split(':').map(|p| p.parse::<u64>());
    let (h, m, s) = (t.next()?.ok()?, t.next()?.ok()?, t.next()?.ok()?);
    let micros: u64 = format!("{frac:0<6}")[..6].parse().ok()?;
    let days = days_from_civil(year, month, day);
    let secs = u64::try_from(days).ok()? * 86_400 + h * 3600 + m * 60 + s;
    Some(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_micros(micros))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// ---------------------------------------------------------------------------------------------
// RTP sink

/// One RTP packet as the phone's "ear" received it.
#[derive(Debug, Clone)]
pub struct RtpPacket {
    pub at: SystemTime,
    pub from: SocketAddr,
    pub payload_type: u8,
    pub marker: bool,
    pub sequence: u16,
    pub timestamp: u32,
    pub ssrc: u32,
    pub payload: Vec<u8>,
}

/// Parses an RTP packet (RFC 3550 section 5.1); `None` if it is not one.
pub fn parse_rtp(data: &[u8]) -> Option<(u8, bool, u16, u32, u32, Vec<u8>)> {
    if data.len() < 12 || data[0] >> 6 != 2 {
        return None;
    }
    let csrc_count = usize::from(data[0] & 0x0F);
    let mut start = 12 + 4 * csrc_count;
    if data[0] & 0x10 != 0 {
        let ext = data.get(start..start + 4)?;
        start += 4 + 4 * usize::from(u16::from_be_bytes([ext[2], ext[3]]));
    }
    let mut end = data.len();
    if data[0] & 0x20 != 0 {
        end = end.checked_sub(usize::from(*data.last()?))?;
    }
    let payload = data.get(start..end)?.to_vec();
    Some((
        data[1] & 0x7F,
        data[1] & 0x80 != 0,
        u16::from_be_bytes([data[2], data[3]]),
        u32::from_be_bytes([data[4], data[5], data[6], data[7]]),
        u32::from_be_bytes([data[8], data[9], data[10], data[11]]),
        payload,
    ))
}

/// A UDP socket owned by the test, put in a phone's SDP: a background thread records every RTP
/// packet that arrives until the sink is stopped or dropped.
pub struct RtpSink {
    port: u16,
    packets: Arc<Mutex<Vec<RtpPacket>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RtpSink {
    pub fn bind() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind RTP sink on loopback");
        let port = socket
            .local_addr()
            .expect("bound socket has an address")
            .port();
        handed_out()
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(port);
        socket
            .set_read_timeout(Some(Duration::from_millis(50)))
            .expect("set read timeout");
        let packets = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let packets = Arc::clone(&packets);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut buf = [0u8; 2048];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((len, from)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    let at = SystemTime::now();
                    // Anything that is not RTP is what a phone would drop too.
                    if let Some((payload_type, marker, sequence, timestamp, ssrc, payload)) =
                        parse_rtp(&buf[..len])
                    {
                        let packet = RtpPacket {
                            at,
                            from,
                            payload_type,
                            marker,
                            sequence,
                            timestamp,
                            ssrc,
                            payload,
                        };
                        packets
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(packet);
                    }
                }
            })
        };
        Self {
            port,
            packets,
            stop,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Everything received so far, in arrival order.
    pub fn snapshot(&self) -> Vec<RtpPacket> {
        self.packets
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Stops listening and returns everything received.
    pub fn stop(mut self) -> Vec<RtpPacket> {
        self.halt();
        self.snapshot()
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Polls until `condition` holds over what arrived so far; false after `timeout`.
    pub async fn wait_until(
        &self,
        timeout: Duration,
        condition: impl Fn(&[RtpPacket]) -> bool,
    ) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if condition(&self.snapshot()) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the phone has heard the first [`PROMPT_FRAMES`] frames of `prompt`.
    pub async fn wait_for_prompt(&self, prompt: &Prompt, timeout: Duration) -> bool {
        self.wait_until(timeout, |packets| {
            find_prompt(&payload_stream(packets, 0), prompt, PROMPT_FRAMES).is_some()
        })
        .await
    }
}

impl Drop for RtpSink {
    fn drop(&mut self) {
        self.halt();
    }
}

pub fn packets_with_pt(packets: &[RtpPacket], payload_type: u8) -> Vec<&RtpPacket> {
    packets
        .iter()
        .filter(|p| p.payload_type == payload_type)
        .collect()
}

/// The payloads of one payload type, concatenated in arrival order: what the ear heard.
pub fn payload_stream(packets: &[RtpPacket], payload_type: u8) -> Vec<u8> {
    packets_with_pt(packets, payload_type)
        .iter()
        .flat_map(|p| p.payload.iter().copied())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// prompts and speech

pub fn prompt_library() -> &'static PromptLibrary {
    static LIBRARY: OnceLock<PromptLibrary> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        PromptLibrary::load_dir(repo_root().join("prompts"))
            .unwrap_or_else(|e| panic!("the shipped prompts load: {e}"))
    })
}

pub fn prompt(name: &str) -> Arc<Prompt> {
    prompt_library()
        .get(name)
        .unwrap_or_else(|| panic!("prompt {name:?} is shipped in prompts/"))
}

/// The first `frames` frames of the prompt's PCMU encoding (whole frames only: the engine may
/// pad the last frame of a prompt).
fn prompt_prefix(prompt: &Prompt, frames: usize) -> &[u8] {
    let whole = prompt.pcmu.len() / FRAME * FRAME;
    &prompt.pcmu[..whole.min(frames * FRAME)]
}

/// Where in `stream` the first `frames` frames of `prompt` start, if they are there.
pub fn find_prompt(stream: &[u8], prompt: &Prompt, frames: usize) -> Option<usize> {
    let needle = prompt_prefix(prompt, frames);
    if needle.is_empty() || stream.len() < needle.len() {
        return None;
    }
    stream.windows(needle.len()).position(|w| w == needle)
}

/// The caller's ear started with the first talkspurt of `prompt` (PCMU, PT 0).
pub fn assert_heard_prompt_first(packets: &[RtpPacket], name: &str) {
    let prompt = prompt(name);
    let stream = payload_stream(packets, 0);
    let needle = prompt_prefix(&prompt, PROMPT_FRAMES);
    if !stream.starts_with(needle) {
        let first_difference = stream.iter().zip(needle).position(|(a, b)| a != b);
        panic!(
            "the caller's first audio is not the {name} prompt: received {} PCMU bytes ({} RTP packets of any \
             type), expected to start with {} bytes of {name}.wav; first difference at byte {:?}",
            stream.len(),
            packets.len(),
            needle.len(),
            first_difference
        );
    }
}

/// The caller heard at least the first 0.5 s of `prompt` somewhere in the call.
pub fn assert_heard_prompt(packets: &[RtpPacket], name: &str) {
    let stream = payload_stream(packets, 0);
    assert!(
        find_prompt(&stream, &prompt(name), PROMPT_FRAMES).is_some(),
        "the caller did not hear the {name} prompt ({} PCMU bytes received in {} packets); {}",
        stream.len(),
        packets.len(),
        describe_audio(packets)
    );
}

/// What the ear heard, for failure messages: where in the PCMU stream each shipped prompt
/// starts, plus the packet counts per payload type.
pub fn describe_audio(packets: &[RtpPacket]) -> String {
    let stream = payload_stream(packets, 0);
    let library = prompt_library();
    let mut starts: Vec<(usize, &str)> = Vec::new();
    for name in library.names() {
        let prompt = library.get(name).expect("listed names exist");
        let needle = prompt_prefix(&prompt, 10);
        if needle.is_empty() {
            continue;
        }
        let mut from = 0;
        while let Some(at) = stream
            .get(from..)
            .and_then(|s| s.windows(needle.len()).position(|w| w == needle))
        {
            starts.push((from + at, name));
            from += at + needle.len();
        }
    }
    starts.sort();
    let mut counts = std::collections::BTreeMap::new();
    for p in packets {
        *counts.entry(p.payload_type).or_insert(0) += 1;
    }
    let heard: Vec<String> = starts
        .iter()
        .map(|(at, name)| format!("{name}@{:.2}s", *at as f64 / 8000.0))
        .collect();
    format!(
        "packets per payload type {counts:?}; PCMU prompts heard (stream offset): [{}]",
        heard.join(", ")
    )
}

/// Index of the last packet carrying the whole of `prompt` (all whole frames), if heard.
pub fn last_packet_of_prompt(packets: &[RtpPacket], name: &str) -> Option<usize> {
    let prompt = prompt(name);
    let frames = prompt.pcmu.len() / FRAME;
    let pcmu: Vec<&RtpPacket> = packets_with_pt(packets, 0);
    let stream: Vec<u8> = pcmu
        .iter()
        .flat_map(|p| p.payload.iter().copied())
        .collect();
    let start = find_prompt(&stream, &prompt, frames)?;
    let end = start + frames * FRAME;
    let mut offset = 0;
    for packet in pcmu {
        offset += packet.payload.len();
        if offset >= end {
            return packets.iter().position(|p| std::ptr::eq(p, packet));
        }
    }
    None
}

/// RTP payloads of a pcap capture (Ethernet, IPv4, UDP, RTP), in order.
pub fn pcap_rtp_payloads(path: &Path) -> Vec<(u8, Vec<u8>)> {
    let data = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    assert!(data.len() >= 24, "{} is not a pcap", path.display());
    let little = data[..4] == [0xD4, 0xC3, 0xB2, 0xA1];
    let u32_at = |b: &[u8]| {
        let a = [b[0], b[1], b[2], b[3]];
        if little {
            u32::from_le_bytes(a)
        } else {
            u32::from_be_bytes(a)
        }
    };
    let mut out = Vec::new();
    let mut offset = 24;
    while offset + 16 <= data.len() {
        let captured = u32_at(&data[offset + 8..]) as usize;
        let frame = &data[offset + 16..(offset + 16 + captured).min(data.len())];
        offset += 16 + captured;
        // Ethernet II, IPv4 only (what the Debian pcaps hold).
        if frame.len() < 14 + 20 + 8 || frame[12..14] != [0x08, 0x00] {
            continue;
        }
        let ip = &frame[14..];
        let header = usize::from(ip[0] & 0x0F) * 4;
        if ip[9] != 17 || ip.len() < header + 8 {
            continue;
        }
        if let Some((pt, _, _, _, _, payload)) = parse_rtp(&ip[header + 8..]) {
            out.push((pt, payload));
        }
    }
    out
}

/// The ear received `speech` (e.g. the other party's g711a.pcap, PT 8) relayed unchanged: at
/// least `min_packets` of its packets, every one equal to a packet of the recording, in the
/// recording's order.
pub fn assert_heard_speech(packets: &[RtpPacket], speech: &Path, min_packets: usize, who: &str) {
    let recording = pcap_rtp_payloads(speech);
    let payload_type = recording
        .first()
        .map(|(pt, _)| *pt)
        .expect("the speech pcap holds RTP");
    let heard = packets_with_pt(packets, payload_type);
    assert!(
        heard.len() >= min_packets,
        "{who} heard {} packets of payload type {payload_type} (the other party's voice), expected at least \
         {min_packets}; received {} RTP packets in all",
        heard.len(),
        packets.len()
    );
    let mut next = 0;
    for (i, packet) in heard.iter().enumerate() {
        match recording[next..]
            .iter()
            .position(|(_, p)| *p == packet.payload)
        {
            Some(found) => next += found + 1,
            None => panic!(
                "{who}: relayed packet {i} of payload type {payload_type} is not the next part of {} (audio altered, \
                 reordered or from somewhere else)",
                speech.display()
            ),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// IVR timing, from the shipped prompts

/// When to press keys so that every menu prompt has finished (barge-in or not) and the 5 s
/// no-input timeout has not run out.
#[derive(Debug, Clone, Copy)]
pub struct IvrTiming {
    pub welcome: Duration,
    pub main_menu: Duration,
    pub personnel_menu: Duration,
    pub invalid_choice: Duration,
    pub please_hold: Duration,
    pub goodbye: Duration,
}

/// After a menu prompt ends: late enough for a slow start, early enough for the 5 s timeout.
pub const KEY_MARGIN: Duration = Duration::from_millis(1500);

impl IvrTiming {
    pub fn from_prompts() -> Self {
        let d = |name: &str| prompt(name).duration;
        Self {
            welcome: d("welcome"),
            main_menu: d("main_menu"),
            personnel_menu: d("personnel_menu"),
            invalid_choice: d("invalid_choice"),
            please_hold: d("please_hold"),
            goodbye: d("goodbye"),
        }
    }

    /// From the answer to the first key at the top menu.
    pub fn first_key(&self) -> Duration {
        self.welcome + self.main_menu + KEY_MARGIN
    }

    /// From a key that opens the personnel sub-menu to the next key.
    pub fn submenu_key(&self) -> Duration {
        self.personnel_menu + KEY_MARGIN
    }

    /// From an invalid key at the top menu to the retry.
    pub fn retry_top(&self) -> Duration {
        self.invalid_choice + self.main_menu + KEY_MARGIN
    }

    /// From an invalid key in the personnel sub-menu to the retry.
    pub fn retry_personnel(&self) -> Duration {
        self.invalid_choice + self.personnel_menu + KEY_MARGIN
    }
}

pub fn ms(d: Duration) -> u128 {
    d.as_millis()
}

// ---------------------------------------------------------------------------------------------
// HTTP

/// The demo supervisor of `deploy/demo.toml`: the stories read service requests as them.
pub const SUPERVISOR: (&str, &str) = ("supervisor", "demosupervisor");

/// Session tokens by server: each story logs in once per server it reads from.
fn session_tokens() -> &'static Mutex<std::collections::HashMap<SocketAddr, String>> {
    static TOKENS: OnceLock<Mutex<std::collections::HashMap<SocketAddr, String>>> = OnceLock::new();
    TOKENS.get_or_init(Default::default)
}

/// One request over a plain TCP connection (HTTP/1.1, `Connection: close`), with `token` as
/// the bearer token and `body` sent as JSON: status and body.
pub fn http_request(
    addr: SocketAddr,
    method: &str,
    path_and_query: &str,
    token: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut head = format!(
        "{method} {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nAccept: application/json\r\nConnection: close\r\n"
    );
    if let Some(token) = token {
        let _ = write!(head, "Authorization: Bearer {token}\r\n");
    }
    if let Some(body) = body {
        let _ = write!(
            head,
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    head.push_str("\r\n");
    head.push_str(body.unwrap_or(""));
    stream.write_all(head.as_bytes())?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("no end of HTTP headers"))?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut body = raw[split + 4..].to_vec();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line in {head:?}")))?;
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        body = dechunk(&body);
    }
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// `POST /api/v1/login`: the session token, or an error saying why not.
pub fn http_login(addr: SocketAddr, (login, password): (&str, &str)) -> std::io::Result<String> {
    let body = serde_json::json!({"login": login, "password": password}).to_string();
    let (status, answer) = http_request(addr, "POST", "/api/v1/login", None, Some(&body))?;
    let json: serde_json::Value = serde_json::from_str(&answer).unwrap_or_default();
    match (status, json["token"].as_str()) {
        (200, Some(token)) => Ok(token.to_owned()),
        _ => Err(std::io::Error::other(format!(
            "login as {login} refused: {status} {answer}"
        ))),
    }
}

/// GET as the demo supervisor ([`SUPERVISOR`]): logs in at the first request to a server,
/// and again if the server no longer knows the session (a restart with a new store).
pub fn http_get(addr: SocketAddr, path_and_query: &str) -> std::io::Result<(u16, String)> {
    let cached = session_tokens()
        .lock()
        .expect("no test panics holding the token cache")
        .get(&addr)
        .cloned();
    let token = match cached {
        Some(token) => token,
        None => http_login(addr, SUPERVISOR)?,
    };
    let mut answer = http_request(addr, "GET", path_and_query, Some(&token), None)?;
    let mut token = token;
    if answer.0 == 401 {
        token = http_login(addr, SUPERVISOR)?;
        answer = http_request(addr, "GET", path_and_query, Some(&token), None)?;
    }
    session_tokens()
        .lock()
        .expect("no test panics holding the token cache")
        .insert(addr, token);
    Ok(answer)
}

/// GET without logging in.
pub fn http_get_anonymous(
    addr: SocketAddr,
    path_and_query: &str,
) -> std::io::Result<(u16, String)> {
    http_request(addr, "GET", path_and_query, None, None)
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(line_end) = data.windows(2).position(|w| w == b"\r\n") {
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("0").trim(), 16)
            .unwrap_or(0);
        data = &data[line_end + 2..];
        if size == 0 || data.len() < size {
            break;
        }
        out.extend_from_slice(&data[..size]);
        data = data.get(size + 2..).unwrap_or_default();
    }
    out
}

/// GET as the demo supervisor, expecting JSON (or an empty body for errors).
pub fn http_get_json(addr: SocketAddr, path_and_query: &str) -> (u16, serde_json::Value) {
    let (status, body) =
        http_get(addr, path_and_query).unwrap_or_else(|e| panic!("GET {path_and_query}: {e}"));
    let value = if body.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body))
    };
    (status, value)
}

/// Percent-encodes everything but RFC 3986 unreserved characters.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Polls `GET /api/v1/service-requests?sip_call_id=...` (as the demo supervisor, like every
/// read here) until the call's SR carries its call record (the engine reports the end a
/// moment after the call ends); panics after `timeout`.
/// The SR is keyed by the engine's own call ID; the SIP Call-ID the caller's phone chose is
/// how a test (or an operator tracing a call) finds it.
pub async fn wait_for_service_request(
    http: SocketAddr,
    sip_call_id: &str,
    timeout: Duration,
) -> serde_json::Value {
    let deadline = Instant::now() + timeout;
    let mut last = Vec::new();
    while Instant::now() < deadline {
        last = service_requests_for_call(http, sip_call_id);
        if let [sr] = last.as_slice()
            && field(sr, "call.outcome").is_some()
        {
            return sr.clone();
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!(
        "no service request with a call record for SIP call {sip_call_id} within {timeout:?}: \
         last answer {last:#?}"
    );
}

/// A server-sent event stream as a browser page reads it (an operator's desk,
/// `GET /api/v1/desk/events`; the supervisor's board, `GET /api/v1/supervisor/live`), read
/// by a thread of its own that keeps every event (`event:` name and `data:` JSON) until the
/// stream ends.
pub struct DeskWatcher {
    events: Arc<Mutex<Vec<(String, serde_json::Value)>>>,
}

impl DeskWatcher {
    /// Logs in as `who` and opens their desk stream.
    pub fn open(http: SocketAddr, who: (&str, &str)) -> DeskWatcher {
        Self::open_path(http, who, "/api/v1/desk/events")
    }

    /// Logs in as `who` and opens the event stream at `path`.
    pub fn open_path(http: SocketAddr, who: (&str, &str), path: &str) -> DeskWatcher {
        let token = http_login(http, who).expect("the operator logs in");
        let mut stream =
            TcpStream::connect_timeout(&http, Duration::from_secs(5)).expect("connect");
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nHost: {http}\r\nAuthorization: Bearer {token}\r\n\
             Accept: text/event-stream\r\n\r\n"
        )
        .expect("request sent");
        let events = Arc::new(Mutex::new(Vec::new()));
        let kept = Arc::clone(&events);
        std::thread::spawn(move || {
            use std::io::BufRead;
            let mut name = String::new();
            for line in std::io::BufReader::new(stream).lines() {
                let Ok(line) = line else { break };
                if let Some(n) = line.strip_prefix("event: ") {
                    name = n.to_owned();
                } else if let Some(data) = line.strip_prefix("data: ") {
                    let json = serde_json::from_str(data).unwrap_or(serde_json::Value::Null);
                    kept.lock()
                        .expect("not poisoned")
                        .push((std::mem::take(&mut name), json));
                }
            }
        });
        DeskWatcher { events }
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<(String, serde_json::Value)> {
        self.events.lock().expect("not poisoned").clone()
    }

    /// Waits until an event satisfies `test`, and returns its data.
    pub async fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        test: impl Fn(&str, &serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((_, data)) = self.events().into_iter().find(|(n, d)| test(n, d)) {
                return data;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not seen within {timeout:?}; last events: {:#?}",
                self.events().into_iter().rev().take(3).collect::<Vec<_>>()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits for the first event named `name` whose `call_id` is `call_id`.
    pub async fn wait_for(
        &self,
        name: &str,
        call_id: &str,
        timeout: Duration,
    ) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((_, data)) = self
                .events()
                .into_iter()
                .find(|(n, d)| n == name && d["call_id"] == call_id)
            {
                return data;
            }
            assert!(
                Instant::now() < deadline,
                "no {name} event for call {call_id} on the desk within {timeout:?}: {:#?}",
                self.events()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// `GET /api/v1/service-requests?sip_call_id=...`: every SR of the call.
pub fn service_requests_for_call(http: SocketAddr, sip_call_id: &str) -> Vec<serde_json::Value> {
    let path = format!(
        "/api/v1/service-requests?sip_call_id={}",
        url_encode(sip_call_id)
    );
    // A bare array, or an envelope such as {"service_requests": [...]}.
    match http_get_json(http, &path) {
        (200, serde_json::Value::Array(items)) => items,
        (200, serde_json::Value::Object(map))
            if map.values().filter(|v| v.is_array()).count() == 1 =>
        {
            map.into_values()
                .find_map(|v| match v {
                    serde_json::Value::Array(items) => Some(items),
                    _ => None,
                })
                .expect("counted one array")
        }
        (status, body) => panic!(
            "GET {path}: expected 200 and a JSON array of service requests, got {status} {body}"
        ),
    }
}

/// A string field of an SR (numbers are turned into text); `call.queue` reads a nested one.
pub fn field(sr: &serde_json::Value, name: &str) -> Option<String> {
    let value = name.split('.').try_fold(sr, |v, part| v.get(part))?;
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Lower case, with ' ' and '-' read as '_': "Released by IVR" == "released_by_ivr".
pub fn normalized(text: &str) -> String {
    text.trim().to_ascii_lowercase().replace([' ', '-'], "_")
}

/// Asserts an SR field, compared [`normalized`].
pub fn assert_field(sr: &serde_json::Value, name: &str, expected: &str) {
    let actual = field(sr, name);
    assert_eq!(
        actual.as_deref().map(normalized),
        Some(normalized(expected)),
        "service request field {name}: expected {expected:?}, got {actual:?} in {sr:#}"
    );
}

/// Asserts the SR's call outcome: `expected` or a refinement of it ("abandoned" accepts
/// "abandoned_in_queue"), compared [`normalized`].
pub fn assert_outcome(sr: &serde_json::Value, expected: &str) {
    let actual = field(sr, "call.outcome").map(|o| normalized(&o));
    let expected = normalized(expected);
    assert!(
        actual
            .as_deref()
            .is_some_and(|a| a == expected || a.starts_with(&format!("{expected}_"))),
        "service request call.outcome: expected {expected:?}, got {actual:?} in {sr:#}"
    );
}

/// A value the IVR collected, from `ivr_data` as `[[key, value], ...]`, `[{"key":..,"value":..}]`
/// or `{"key": value}`.
pub fn ivr_value(sr: &serde_json::Value, key: &str) -> Option<String> {
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let data = sr
        .get("call")
        .and_then(|c| c.get("ivr_data"))
        .or_else(|| sr.get("ivr_data"))?;
    match data {
        serde_json::Value::Array(items) => items.iter().find_map(|item| match item {
            serde_json::Value::Array(pair) if pair.len() == 2 && pair[0].as_str() == Some(key) => {
                Some(text(&pair[1]))
            }
            serde_json::Value::Object(map) => {
                let k = map.get("key").or_else(|| map.get("name"))?;
                (k.as_str() == Some(key)).then(|| map.get("value").map(text))?
            }
            _ => None,
        }),
        serde_json::Value::Object(map) => map.get(key).map(text),
        _ => None,
    }
}

/// The operator an SR was answered by, under whichever name the CRM uses for it.
pub fn answering_agent(sr: &serde_json::Value) -> Option<String> {
    ["call.agent_id", "agent_id", "answered_by"]
        .iter()
        .find_map(|name| field(sr, name))
}

// ---------------------------------------------------------------------------------------------
// the engine

/// Starts the demo deployment in-process: every listener on 127.0.0.1 and a free port, the
/// store in a fresh temporary directory (kept alive by the returned `TempDir`, which also
/// holds the SIPp logs of the story).
/// The demo on its own copy of the shipped script and prompts, for a story that changes them:
/// the engine, its data directory, the copies' directory, the script's and the prompts' paths.
pub async fn start_demo_with_own_assets() -> (Running, TempDir, TempDir, PathBuf, PathBuf) {
    let assets = tempfile::tempdir().unwrap();
    let script = assets.path().join("toll-free.ivr");
    let prompts_dir = assets.path().join("prompts");
    std::fs::copy(repo_root().join("ivr-scripts/toll-free.ivr"), &script).unwrap();
    std::fs::create_dir(&prompts_dir).unwrap();
    for entry in std::fs::read_dir(repo_root().join("prompts")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, prompts_dir.join(path.file_name().unwrap())).unwrap();
    }
    let (engine, data) = start_demo(|config| {
        config.ivr_script = script.clone();
        config.prompts_dir = prompts_dir.clone();
    })
    .await;
    (engine, data, assets, script, prompts_dir)
}

pub async fn start_demo(tweak: impl FnOnce(&mut Config)) -> (Running, TempDir) {
    let keep = std::env::var_os("E2E_KEEP_LOGS").is_some();
    let data = tempfile::Builder::new()
        .prefix("centralino-e2e-")
        .disable_cleanup(keep)
        .tempdir()
        .expect("create temp dir");
    if keep {
        eprintln!(
            "story files (SIPp logs, store) kept in {}",
            data.path().display()
        );
    }
    let mut config = Config::demo_for_tests(&repo_root(), data.path());
    tweak(&mut config);
    let running = centralino::start(config)
        .await
        .unwrap_or_else(|e| panic!("centralino did not start: {e}"));
    (running, data)
}

/// Where a story keeps SIPp's logs: a `sipp/` folder in the story's temporary directory. Set
/// E2E_KEEP_LOGS=1 to keep the directory after the test, passed or failed (its path is printed).
pub fn log_dir(data: &TempDir) -> PathBuf {
    let dir = data.path().join("sipp");
    std::fs::create_dir_all(&dir).expect("create SIPp log dir");
    dir
}

/// Ends a story's use of its directory (kept when E2E_KEEP_LOGS is set, see [`start_demo`]).
pub fn keep_logs_if_asked(data: TempDir) {
    drop(data);
}

// ---------------------------------------------------------------------------------------------
// the real binary as a process

/// The engine's service credential given to separate processes, as an operator would in a
/// unit file.
pub const TOKEN: &str = "story-engine-credential-0123456789";

pub fn free_tcp_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process of the real binary, killed if the test fails before stopping it.
pub struct Process(Option<std::process::Child>);

impl Process {
    pub fn spawn(args: &[String]) -> Process {
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_centralino"))
            .args(args)
            .current_dir(repo_root())
            .env("RUST_LOG", "warn")
            .env(centralino::CTI_TOKEN_ENV, TOKEN)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("the centralino binary starts");
        Process(Some(child))
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let mut child = self.0.take().expect("not terminated yet");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        assert!(status.is_ok_and(|s| s.success()), "kill -TERM works");
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "centralino did not stop within 20 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `kill -9`: the process gets no chance to tidy up.
    pub fn kill_hard(mut self) {
        let mut child = self.0.take().expect("not stopped yet");
        child.kill().expect("SIGKILL");
        child.wait().expect("reaped");
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Polls `GET /api/v1/service-requests` (logged in as the demo supervisor) until it answers
/// at all.
pub async fn wait_for_http(http: SocketAddr, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while http_get(http, "/api/v1/service-requests?limit=1").is_err() {
        assert!(Instant::now() < deadline, "{what} did not come up");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------
// phones

/// How an operator phone behaves when called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OperatorBehaviour {
    /// agent_uas.xml: rings, answers, speaks, waits for the BYE.
    AnswersAndWaitsForBye,
    /// agent_uas_hangup.xml: rings, answers, speaks, hangs up after `talk`.
    AnswersAndHangsUp { talk: Duration },
    /// agent_uas_cancel.xml: rings until the call is cancelled.
    RingsUntilCancelled,
}

/// A registered operator phone: a SIPp UAS that answers calls (with its RTP ear) whose port
/// a second SIPp instance registered, with digest authentication, as the Contact.
pub struct OperatorPhone {
    pub agent: String,
    pub phone: Sipp,
    pub ear: RtpSink,
}

impl OperatorPhone {
    /// Starts the answering phone, then registers it as `agent` (password `demo<agent>`) and
    /// waits for the 200 OK. `calls`: how many calls the phone answers before it exits.
    pub async fn register(
        sip: SocketAddr,
        agent: &str,
        behaviour: OperatorBehaviour,
        calls: u32,
        logs: &Path,
    ) -> OperatorPhone {
        let ear = RtpSink::bind();
        let (file, talk) = match behaviour {
            OperatorBehaviour::AnswersAndWaitsForBye => ("agent_uas.xml", Duration::ZERO),
            OperatorBehaviour::AnswersAndHangsUp { talk } => ("agent_uas_hangup.xml", talk),
            OperatorBehaviour::RingsUntilCancelled => ("agent_uas_cancel.xml", Duration::ZERO),
        };
        let phone = SippCommand::new(&format!("operator-{agent}"), scenario(file), logs)
            .calls(calls)
            .key("agent", agent)
            .key("sink_port", ear.port())
            .key("ring_ms", 1000)
            .key("talk_ms", ms(talk))
            .key("speech_pcap", speech_pcap().display())
            .spawn();
        register_agent(sip, agent, phone.sip_port, logs).await;
        OperatorPhone {
            agent: agent.to_owned(),
            phone,
            ear,
        }
    }
}

/// Runs agent_register.xml for `agent` with Contact port `contact_port` and waits for success.
pub async fn register_agent(sip: SocketAddr, agent: &str, contact_port: u16, logs: &Path) {
    let password = format!("demo{agent}");
    // SIPp 3.6.1 expands no keyword inside [authentication ...]: credentials are literal in the
    // scenario (demo operator 1001) and rewritten here for other operators.
    let template =
        std::fs::read_to_string(scenario("agent_register.xml")).expect("read agent_register.xml");
    let demo = "username=1001 password=demo1001";
    assert!(
        template.contains(demo),
        "agent_register.xml carries the literal demo credentials"
    );
    let file = logs.join(format!("agent_register_{agent}.xml"));
    std::fs::write(
        &file,
        template.replace(demo, &format!("username={agent} password={password}")),
    )
    .expect("write the operator's register scenario");
    SippCommand::new(&format!("register-{agent}"), file, logs)
        .remote(sip)
        .key("agent", agent)
        .key("domain", DOMAIN)
        .key("contact_port", contact_port)
        .key("expires", 3600)
        .timeout(Duration::from_secs(20))
        .spawn()
        .expect_success(Duration::from_secs(30))
        .await;
}

/// What a caller does, i.e. which caller scenario and with which keys.
#[derive(Debug, Clone)]
pub struct CallPlan {
    pub scenario: &'static str,
    pub keys: Vec<char>,
    pub first_key_after: Duration,
    pub between_keys: Duration,
    pub wait_after_keys: Duration,
    pub talk: Duration,
    pub ring: Duration,
    /// The caller's number (the From user): [`CALLER_NUMBER`] unless [`CallPlan::from`].
    pub caller: String,
    /// Keys typed after the menu keys ([`CallPlan::then_pin`]), and when.
    pub pin: Vec<char>,
    pub pin_wait: Duration,
    pub pin_pause: Duration,
}

impl CallPlan {
    fn defaults() -> Self {
        Self {
            scenario: "caller.xml",
            keys: Vec::new(),
            first_key_after: Duration::ZERO,
            between_keys: Duration::ZERO,
            wait_after_keys: Duration::ZERO,
            talk: Duration::ZERO,
            ring: Duration::ZERO,
            caller: CALLER_NUMBER.to_owned(),
            pin: Vec::new(),
            pin_wait: Duration::ZERO,
            pin_pause: Duration::ZERO,
        }
    }

    /// Calls from `number` instead of [`CALLER_NUMBER`].
    pub fn from(mut self, number: &str) -> Self {
        self.caller = number.to_owned();
        self
    }

    /// After the two menu keys of [`CallPlan::hangs_up_after`], waits `wait`, then types the
    /// four digits of `pin` and `#`, `pause` apart (caller_pin.xml).
    pub fn then_pin(mut self, pin: &str, wait: Duration, pause: Duration) -> Self {
        assert_eq!(
            self.keys.len(),
            2,
            "caller_pin.xml presses two menu keys first"
        );
        assert_eq!(pin.len(), 4, "caller_pin.xml types four digits and #");
        self.scenario = "caller_pin.xml";
        self.pin = pin.chars().chain(['#']).collect();
        self.pin_wait = wait;
        self.pin_pause = pause;
        self
    }

    /// Presses `keys` (0 to 3 of them) with the given pauses, waits, speaks g711a.pcap and hangs
    /// up (caller.xml and its one, three and no-digit variants).
    pub fn hangs_up_after(
        keys: &[char],
        first_key_after: Duration,
        between_keys: Duration,
        wait_after_keys: Duration,
        talk: Duration,
    ) -> Self {
        let scenario = match keys.len() {
            0 => "caller_no_digit.xml",
            1 => "caller_one_digit.xml",
            2 => "caller.xml",
            3 => "caller_three_digits.xml",
            n => panic!("no caller scenario presses {n} keys"),
        };
        Self {
            scenario,
            keys: keys.to_vec(),
            first_key_after,
            between_keys,
            wait_after_keys,
            talk,
            ring: Duration::ZERO,
            ..Self::defaults()
        }
    }

    /// Presses two keys, then stays on the line until the other side sends BYE.
    pub fn waits_for_bye(
        keys: [char; 2],
        first_key_after: Duration,
        between_keys: Duration,
    ) -> Self {
        Self {
            scenario: "caller_hangup_by_server.xml",
            keys: keys.to_vec(),
            first_key_after,
            between_keys,
            wait_after_keys: Duration::ZERO,
            talk: Duration::ZERO,
            ring: Duration::ZERO,
            ..Self::defaults()
        }
    }

    /// Presses two keys, waits, speaks g711a.pcap and stays on the line until the other side
    /// sends BYE (caller_talks_until_bye.xml).
    pub fn talks_until_bye(
        keys: [char; 2],
        first_key_after: Duration,
        between_keys: Duration,
        wait_after_keys: Duration,
    ) -> Self {
        Self {
            scenario: "caller_talks_until_bye.xml",
            keys: keys.to_vec(),
            first_key_after,
            between_keys,
            wait_after_keys,
            ..Self::defaults()
        }
    }

    /// Lets it ring `ring` after the 180, then cancels.
    pub fn cancels_while_ringing(ring: Duration) -> Self {
        Self {
            scenario: "caller_cancel.xml",
            keys: Vec::new(),
            first_key_after: Duration::ZERO,
            between_keys: Duration::ZERO,
            wait_after_keys: Duration::ZERO,
            talk: Duration::ZERO,
            ring,
            ..Self::defaults()
        }
    }
}

/// A caller on the line: its SIPp instance, its ear, and the Call-ID of its call.
pub struct Caller {
    pub call_id: String,
    pub phone: Sipp,
    pub ear: RtpSink,
}

impl Caller {
    /// Dials the toll-free number with `plan`.
    pub fn dial(sip: SocketAddr, name: &str, plan: &CallPlan, logs: &Path) -> Caller {
        let ear = RtpSink::bind();
        let call_id = unique_call_id(name);
        let key = |i: usize| {
            dtmf_pcap(plan.keys.get(i).copied().unwrap_or('1'))
                .display()
                .to_string()
        };
        let mut phone = SippCommand::new(name, scenario(plan.scenario), logs)
            .remote(sip)
            .service(TOLL_FREE)
            .call_id(&call_id)
            .key("caller", &plan.caller)
            .key("sink_port", ear.port())
            .key("pre_digits_ms", ms(plan.first_key_after))
            .key("digits_pause", ms(plan.between_keys))
            .key("digit1_pcap", key(0))
            .key("digit2_pcap", key(1))
            .key("digit3_pcap", key(2))
            .key("queue_wait_ms", ms(plan.wait_after_keys))
            .key("talk_ms", ms(plan.talk))
            .key("ring_ms", ms(plan.ring))
            .key("speech_pcap", speech_pcap().display());
        if !plan.pin.is_empty() {
            phone = phone
                .key("pin_wait_ms", ms(plan.pin_wait))
                .key("pin_pause_ms", ms(plan.pin_pause));
            for (i, key) in plan.pin.iter().enumerate() {
                phone = phone.key(&format!("pin{}_pcap", i + 1), dtmf_pcap(*key).display());
            }
        }
        let phone = phone.spawn();
        Caller {
            call_id,
            phone,
            ear,
        }
    }
}
