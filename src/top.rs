//! `centralino top`: the supervisor's board in a terminal.
//!
//! Logs in to the CRM's HTTP API as a supervisor, follows `GET /api/v1/supervisor/live` (the
//! same Server-Sent Events the wallboard page reads) and redraws a table per view: each queue
//! with its callers waiting, the oldest wait, operators by state, the day's answered and
//! abandoned calls and the service level against the targets; then each operator with their
//! state and time in it. `--once` prints the first view and exits (for scripts).
//!
//! The client is a small HTTP/1.1 one over a TCP stream (`http://` only: run it on the CRM's
//! host or through a tunnel; the CRM itself should sit behind TLS for anything remote).

use std::fmt::Write as _;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Largest response header block or SSE event accepted.
const MAX_EVENT: usize = 4 << 20;
/// Operators listed at most (the rest are counted).
const MAX_OPERATORS: usize = 40;

/// Options of `centralino top`.
#[derive(Debug, Clone)]
pub struct TopOptions {
    /// `http://HOST:PORT` of the CRM's HTTP API.
    pub url: String,
    pub login: String,
    pub password: String,
    /// Print the first view and stop.
    pub once: bool,
    /// Clear the screen before each view (when stdout is a terminal).
    pub clear: bool,
}

/// Runs until the stream ends (or after the first view with `once`).
pub async fn run(
    options: &TopOptions,
    out: &mut (dyn std::io::Write + Send),
) -> Result<(), String> {
    let authority = options
        .url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{}: only http:// addresses are supported", options.url))?
        .trim_end_matches('/')
        .to_owned();
    let token = login(&authority, &options.login, &options.password).await?;
    let mut stream = connect(&authority).await?;
    let request = format!(
        "GET /api/v1/supervisor/live HTTP/1.1\r\nHost: {authority}\r\nAccept: text/event-stream\r\nAuthorization: Bearer {token}\r\n\r\n"
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("{authority}: {e}"))?;
    let mut reader = Body::new(stream);
    let (status, chunked) = reader.head().await?;
    if status != 200 {
        let body = reader.rest().await.unwrap_or_default();
        return Err(format!("the CRM refused the board: HTTP {status} {body}"));
    }
    reader.chunked = chunked;
    let mut event = String::new();
    let mut data = String::new();
    loop {
        let Some(line) = reader.line().await? else {
            return Ok(());
        };
        if line.is_empty() {
            if event == "live" && !data.is_empty() {
                let live: Value = serde_json::from_str(&data)
                    .map_err(|e| format!("a view that is not JSON: {e}"))?;
                let mut text = String::new();
                if options.clear {
                    text.push_str("\x1b[H\x1b[2J");
                }
                text.push_str(&render(&live));
                out.write_all(text.as_bytes())
                    .and_then(|()| out.flush())
                    .map_err(|e| format!("cannot write: {e}"))?;
                if options.once {
                    return Ok(());
                }
            }
            event.clear();
            data.clear();
        } else if let Some(v) = line.strip_prefix("event:") {
            event = v.trim().to_owned();
        } else if let Some(v) = line.strip_prefix("data:") {
            if data.len() + v.len() > MAX_EVENT {
                return Err("an event larger than 4 MiB".into());
            }
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
}

async fn connect(authority: &str) -> Result<TcpStream, String> {
    tokio::time::timeout(Duration::from_secs(10), TcpStream::connect(authority))
        .await
        .map_err(|_| format!("{authority}: no answer in 10 s"))?
        .map_err(|e| format!("{authority}: {e}"))
}

async fn login(authority: &str, login: &str, password: &str) -> Result<String, String> {
    let body = serde_json::json!({ "login": login, "password": password }).to_string();
    let mut stream = connect(authority).await?;
    let request = format!(
        "POST /api/v1/login HTTP/1.1\r\nHost: {authority}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("{authority}: {e}"))?;
    let mut reader = Body::new(stream);
    let (status, chunked) = reader.head().await?;
    reader.chunked = chunked;
    let text = reader.rest().await?;
    if status != 200 {
        return Err(format!("login refused: HTTP {status} {text}"));
    }
    let answer: Value = serde_json::from_str(&text).map_err(|e| format!("login: not JSON: {e}"))?;
    answer["token"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "login: no token in the answer".into())
}

/// An HTTP/1.1 response read off a stream: the head, then the body line by line (chunked or
/// not).
struct Body {
    stream: TcpStream,
    /// Raw bytes read and not consumed yet.
    raw: Vec<u8>,
    /// Decoded body bytes not consumed yet.
    body: Vec<u8>,
    chunked: bool,
    /// Bytes left in the current chunk.
    chunk_left: usize,
    eof: bool,
}

impl Body {
    fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            raw: Vec::new(),
            body: Vec::new(),
            chunked: false,
            chunk_left: 0,
            eof: false,
        }
    }

    async fn fill(&mut self) -> Result<bool, String> {
        if self.eof {
            return Ok(false);
        }
        let mut buf = [0u8; 16 * 1024];
        let n = self
            .stream
            .read(&mut buf)
            .await
            .map_err(|e| format!("reading the CRM's answer: {e}"))?;
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        if self.raw.len() + n > MAX_EVENT {
            return Err("the CRM's answer is too large".into());
        }
        self.raw.extend_from_slice(&buf[..n]);
        Ok(true)
    }

    /// The status code, and whether the body is chunked.
    async fn head(&mut self) -> Result<(u16, bool), String> {
        loop {
            if let Some(end) = find(&self.raw, b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&self.raw[..end]).into_owned();
                self.raw.drain(..end + 4);
                let status = head
                    .split_whitespace()
                    .nth(1)
                    .and_then(|s| s.parse().ok())
                    .ok_or("the CRM's answer is not HTTP")?;
                let chunked = head.lines().any(|l| {
                    let l = l.to_ascii_lowercase();
                    l.starts_with("transfer-encoding:") && l.contains("chunked")
                });
                return Ok((status, chunked));
            }
            if !self.fill().await? {
                return Err("the CRM closed the connection".into());
            }
        }
    }

    /// Moves what can be decoded from `raw` to `body`.
    fn decode(&mut self) -> Result<(), String> {
        if !self.chunked {
            self.body.append(&mut self.raw);
            return Ok(());
        }
        loop {
            if self.chunk_left > 0 {
                let n = self.chunk_left.min(self.raw.len());
                self.body.extend(self.raw.drain(..n));
                self.chunk_left -= n;
                if self.chunk_left > 0 {
                    return Ok(());
                }
                // The chunk's trailing CRLF comes with the next size line.
            }
            let Some(end) = find(&self.raw, b"\r\n") else {
                return Ok(());
            };
            let line = String::from_utf8_lossy(&self.raw[..end]).into_owned();
            self.raw.drain(..end + 2);
            let size = line.split(';').next().unwrap_or_default().trim();
            if size.is_empty() {
                continue; // the CRLF after a chunk
            }
            let size = usize::from_str_radix(size, 16).map_err(|_| "a broken chunk size")?;
            if size == 0 {
                self.eof = true;
                return Ok(());
            }
            if size > MAX_EVENT {
                return Err("a chunk larger than 4 MiB".into());
            }
            self.chunk_left = size;
        }
    }

    /// The next body line (without its line end), or `None` at the end.
    async fn line(&mut self) -> Result<Option<String>, String> {
        loop {
            self.decode()?;
            if let Some(end) = self.body.iter().position(|&b| b == b'\n') {
                let mut line: Vec<u8> = self.body.drain(..=end).collect();
                line.pop();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                return Ok(Some(String::from_utf8_lossy(&line).into_owned()));
            }
            if self.body.len() > MAX_EVENT {
                return Err("a line larger than 4 MiB".into());
            }
            if !self.fill().await? {
                return Ok(None);
            }
        }
    }

    /// The whole rest of the body.
    async fn rest(&mut self) -> Result<String, String> {
        while self.fill().await? {}
        self.decode()?;
        Ok(String::from_utf8_lossy(&self.body).into_owned())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn duration(ms: &Value) -> String {
    let Some(ms) = ms.as_u64() else {
        return "-".into();
    };
    let s = ms / 1000;
    if s >= 3600 {
        format!("{}h{:02}m", s / 3600, s % 3600 / 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

fn share(v: &Value) -> String {
    v.as_f64()
        .map_or_else(|| "-".into(), |f| format!("{:.0}%", f * 100.0))
}

fn count(v: &Value) -> u64 {
    v.as_u64().unwrap_or(0)
}

/// One board view (`{"view": {...}, "stale": bool}`) as text.
pub fn render(live: &Value) -> String {
    let view = &live["view"];
    let mut out = String::new();
    let stale = if live["stale"] == true {
        "   STALE: the engine has not reported for 5 s"
    } else {
        ""
    };
    let _ = writeln!(out, "centralino top{stale}");
    let _ = writeln!(
        out,
        "{:<18} {:>4} {:>7} {:>7} {:>5} {:>5} {:>5} {:>5} {:>8} {:>9} {:>7}  SERVICE LEVEL",
        "QUEUE",
        "OPEN",
        "WAITING",
        "OLDEST",
        "READY",
        "CALL",
        "WRAP",
        "AWAY",
        "ANSWERED",
        "ABANDONED",
        "ON TIME",
    );
    for q in view["queues"].as_array().into_iter().flatten() {
        let ops = &q["operators"];
        let sl = &q["service_level"];
        let verdict = if q["warning"] == true {
            "callers wait, nobody logged in"
        } else if sl["meets_targets"] == false {
            "BREACHED"
        } else {
            "ok"
        };
        let _ = writeln!(
            out,
            "{:<18} {:>4} {:>7} {:>7} {:>5} {:>5} {:>5} {:>5} {:>8} {:>9} {:>7}  {}",
            q["name"].as_str().unwrap_or("?"),
            if q["open"] == false { "no" } else { "yes" },
            count(&q["waiting_count"]),
            duration(&q["oldest_wait_ms"]),
            count(&ops["ready"]),
            count(&ops["on_call"]) + count(&ops["reserved"]),
            count(&ops["wrap_up"]),
            count(&ops["not_ready"]) + count(&ops["held_off"]),
            count(&q["today"]["answered"]),
            count(&q["today"]["abandoned"]),
            share(&sl["on_time_share"]),
            verdict
        );
    }
    let operators: Vec<&Value> = view["operators"].as_array().into_iter().flatten().collect();
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "{:<16} {:<12} {:<14} {:>8} {:>8}  QUEUES",
        "OPERATOR", "STATE", "REASON", "IN STATE", "ANSWERED"
    );
    for o in operators.iter().take(MAX_OPERATORS) {
        let queues: Vec<&str> = o["queues"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let _ = writeln!(
            out,
            "{:<16} {:<12} {:<14} {:>8} {:>8}  {}",
            o["operator"].as_str().unwrap_or("?"),
            o["state"].as_str().unwrap_or("?"),
            o["reason"].as_str().unwrap_or(""),
            duration(&o["in_state_ms"]),
            count(&o["answered_today"]),
            queues.join(",")
        );
    }
    if operators.len() > MAX_OPERATORS {
        let _ = writeln!(out, "... and {} more", operators.len() - MAX_OPERATORS);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_view_renders_queues_and_operators() {
        let live = serde_json::json!({
            "stale": true,
            "view": {
                "queues": [{
                    "name": "technology", "open": true, "waiting_count": 2,
                    "oldest_wait_ms": 75_000, "warning": false,
                    "operators": {"ready": 1, "on_call": 2, "reserved": 1, "wrap_up": 0, "not_ready": 1, "held_off": 0},
                    "today": {"answered": 40, "abandoned": 3},
                    "service_level": {"on_time_share": 0.78, "meets_targets": false}
                }],
                "operators": [{"operator": "1001", "state": "not_ready", "reason": "break",
                               "in_state_ms": 3_725_000, "answered_today": 12, "queues": ["technology", "personnel"]}]
            }
        });
        let text = render(&live);
        assert!(text.starts_with("centralino top   STALE"), "{text}");
        let row = text.lines().find(|l| l.starts_with("technology")).unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            cells,
            [
                "technology",
                "yes",
                "2",
                "1:15",
                "1",
                "3",
                "0",
                "1",
                "40",
                "3",
                "78%",
                "BREACHED"
            ]
        );
        let op = text.lines().find(|l| l.starts_with("1001")).unwrap();
        assert_eq!(
            op.split_whitespace().collect::<Vec<_>>(),
            [
                "1001",
                "not_ready",
                "break",
                "1h02m",
                "12",
                "technology,personnel"
            ]
        );
    }
}
