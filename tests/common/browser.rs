//! Page stories: a node script (`tests/browser/*.mjs`) drives Debian's headless Chromium
//! through playwright-core against the running centralino, and tells the story what it
//! reached, one `STEP <name> <json>` line at a time on its stdout; the story reacts (dials
//! SIPp callers when the page is ready) and checks what the page saw against the CRM.
//!
//! Nothing is skipped: without Chromium or the script's node_modules the story fails and says
//! to run `scripts/test-deps.sh`.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::repo_root;

/// Where Debian's chromium package puts the browser (override with CHROMIUM).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// Where the stories write their screenshots: `UPDATE_SCREENSHOTS=1` refreshes the committed
/// ones that docs/pages.md shows; otherwise they go to a scratch directory, so that a test run
/// leaves the working tree as it was.
pub fn screenshots_dir() -> PathBuf {
    if std::env::var_os("UPDATE_SCREENSHOTS").is_some() {
        return repo_root().join("docs").join("screenshots");
    }
    let dir = std::env::temp_dir().join("centralino-screenshots");
    std::fs::create_dir_all(&dir).expect("create the scratch screenshots directory");
    dir
}

fn browser_dir() -> PathBuf {
    repo_root().join("tests").join("browser")
}

/// Fails the story, saying how to fix it, if the browser or playwright-core is missing.
fn require_browser() -> String {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    assert!(
        Path::new(&chromium).exists(),
        "no Chromium at {chromium}: run scripts/test-deps.sh (as root) to install the Debian \
         package chromium"
    );
    assert!(
        browser_dir().join("node_modules/playwright-core").is_dir(),
        "tests/browser/node_modules is missing: run scripts/test-deps.sh (it runs npm ci there)"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "node is not on PATH: install Node.js 20 or later"
    );
    chromium
}

/// A running page script.
pub struct PageScript {
    name: String,
    child: Child,
    steps: mpsc::Receiver<(String, serde_json::Value)>,
    stderr: std::thread::JoinHandle<String>,
}

impl PageScript {
    /// Starts `tests/browser/<script>` against the CRM at `http` as `who`, with `extra`
    /// environment.
    pub fn start(
        script: &str,
        http: SocketAddr,
        who: (&str, &str),
        extra: &[(&str, &str)],
    ) -> PageScript {
        let chromium = require_browser();
        let mut command = Command::new("node");
        command
            .arg(browser_dir().join(script))
            .current_dir(browser_dir())
            .env("CENTRALINO_URL", format!("http://{http}"))
            .env("CENTRALINO_LOGIN", who.0)
            .env("CENTRALINO_PASSWORD", who.1)
            .env("SCREENSHOTS", screenshots_dir())
            .env("CHROMIUM", chromium)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in extra {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("node starts");
        let stdout = child.stdout.take().expect("piped");
        let mut stderr = child.stderr.take().expect("piped");
        let (sender, steps) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let Some(rest) = line.strip_prefix("STEP ") else {
                    eprintln!("[page] {line}");
                    continue;
                };
                let (name, data) = rest.split_once(' ').unwrap_or((rest, "{}"));
                let data = serde_json::from_str(data).unwrap_or(serde_json::Value::Null);
                if sender.send((name.to_owned(), data)).is_err() {
                    break;
                }
            }
        });
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        PageScript {
            name: script.to_owned(),
            child,
            steps,
            stderr,
        }
    }

    /// Waits for the script to reach step `name`; fails the story with the script's own
    /// words if it fails first or takes longer than `timeout`.
    pub async fn step(&mut self, name: &str, timeout: Duration) -> serde_json::Value {
        let deadline = Instant::now() + timeout;
        loop {
            match self.steps.try_recv() {
                Ok((reached, data)) if reached == name => return data,
                Ok((reached, _)) => eprintln!("[page] {} reached {reached}", self.name),
                Err(mpsc::TryRecvError::Empty) => {
                    if let Ok(Some(status)) = self.child.try_wait() {
                        // The last lines may still be in the pipe.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        if let Ok((reached, data)) = self.steps.try_recv()
                            && reached == name
                        {
                            return data;
                        }
                        let stderr = self.stderr_text();
                        panic!(
                            "{} ended ({status}) before step {name}:\n{stderr}",
                            self.name
                        );
                    }
                    if Instant::now() > deadline {
                        let stderr = self.stderr_text();
                        panic!(
                            "{} did not reach step {name} within {timeout:?}:\n{stderr}",
                            self.name
                        );
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(mpsc::TryRecvError::Disconnected) => {
                    let stderr = self.stderr_text();
                    panic!(
                        "{} closed its output before step {name}:\n{stderr}",
                        self.name
                    );
                }
            }
        }
    }

    /// Waits for the script to end, and fails the story unless it succeeded.
    pub async fn finish(mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.child.try_wait().expect("wait for node") {
                if !status.success() {
                    let stderr = self.stderr_text();
                    panic!("{} failed ({status}):\n{stderr}", self.name);
                }
                return;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("{} did not end within {timeout:?}", self.name);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn stderr_text(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let handle = std::mem::replace(&mut self.stderr, std::thread::spawn(String::new));
        handle.join().unwrap_or_default()
    }
}

impl Drop for PageScript {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
