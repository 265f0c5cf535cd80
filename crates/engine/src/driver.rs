//! The engine's main task: one `select!` over the SIP socket, media events, the core's next
//! deadline and shutdown. All call logic is in [`CallControl`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tracing::{info, warn};

use crate::cti::CtiSink;
use crate::media_driver::MediaManager;
use crate::{Engine, EngineError};
use call_control::{LegOpened, Output};

/// After the final hang-up, how long to wait for the BYEs and CANCELs to be answered.
const FINAL_ANSWERS: Duration = Duration::from_secs(2);

/// Largest SIP datagram we accept (RFC 3261 18.1.1 allows up to 65535 over UDP).
const MAX_DATAGRAM: usize = 65_535;

pub(crate) async fn run(
    engine: Engine,
    cti: Arc<dyn CtiSink>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), EngineError> {
    let Engine {
        socket,
        mut core,
        prompts,
        config,
        media_seed,
    } = engine;
    let grace = config.shutdown_grace;
    let (media_tx, mut media_rx) = mpsc::unbounded_channel();
    let mut media = MediaManager::new(config.media_ip, prompts, media_tx, media_seed);
    let mut buf = vec![0u8; MAX_DATAGRAM];
    tokio::pin!(shutdown);
    let mut draining_until: Option<Instant> = None;
    let mut hung_up = false;
    loop {
        while let Some(out) = core.poll_output() {
            match out {
                Output::Transmit { to, bytes } => send(&socket, to, &bytes).await,
                Output::OpenLeg { leg } => {
                    let result = match media.open(leg) {
                        Ok(local) => LegOpened::Bound(local),
                        Err(e) => LegOpened::Failed(e),
                    };
                    core.handle_leg_opened(Instant::now(), leg, result);
                }
                Output::Media { leg, command } => media.command(leg, command),
                Output::Fact(fact) => cti.send(*fact),
            }
        }
        if let Some(until) = draining_until {
            let now = Instant::now();
            if core.active_calls() > 0 && now >= until && !hung_up {
                warn!(
                    calls = core.active_calls(),
                    "shutdown grace period over: hanging up"
                );
                core.hang_up_all(now);
                hung_up = true;
                // A little longer for the BYEs and CANCELs just sent to be answered.
                draining_until = Some(now + FINAL_ANSWERS);
                continue;
            }
            let settled = core.active_calls() == 0 && !core.sip_busy();
            let out_of_time = now >= until && (hung_up || core.active_calls() == 0);
            if settled || out_of_time {
                info!("all calls finished: engine stopped");
                return Ok(());
            }
        }
        let mut deadline = core.poll_timeout();
        if let Some(until) = draining_until {
            deadline = Some(deadline.map_or(until, |d| d.min(until)));
        }
        let sleep = deadline
            .map(tokio::time::Instant::from_std)
            .unwrap_or_else(|| tokio::time::Instant::now() + Duration::from_secs(3600));
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => core.handle_datagram(Instant::now(), from, &buf[..n]),
                // ICMP port unreachable and friends surface here on some systems: not fatal.
                Err(e) => warn!(error = %e, "sip socket receive error"),
            },
            Some((leg, event)) = media_rx.recv() => {
                core.handle_media_event(Instant::now(), leg, event);
            }
            () = tokio::time::sleep_until(sleep) => core.handle_timeout(Instant::now()),
            () = &mut shutdown, if draining_until.is_none() => {
                info!(calls = core.active_calls(), "shutting down: refusing new calls");
                core.begin_shutdown();
                draining_until = Some(Instant::now() + grace);
            }
        }
    }
}

async fn send(socket: &UdpSocket, to: SocketAddr, bytes: &[u8]) {
    if let Err(e) = socket.send_to(bytes, to).await {
        warn!(error = %e, %to, "sip send failed");
    }
}
