//! The engine's main task: one `select!` over the SIP socket, media events, the core's next
//! deadline, outbox commits and shutdown. All call logic is in `call_control::CallControl`;
//! this loop only
//! moves bytes and keeps one promise: **nothing the core asks for after a fact is done before
//! the fact is on disk**. Outputs are collected in batches; a batch with facts (call facts,
//! ACD journal entries, registrations) goes to the outbox writer and its SIP messages and
//! media commands wait until the writer reports the commit (later batches queue behind it, so
//! order is kept).

use std::collections::VecDeque;
use std::future::Future;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use call_control::{LegOpened, Output};
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tracing::{info, warn};

use crate::durable_state::StoredJournalEntry;
use crate::media_driver::MediaManager;
use crate::outbox::{self, Durable, Outbox};
use crate::{Engine, EngineError};

/// After the final hang-up, how long to wait for the BYEs and CANCELs to be answered.
const FINAL_ANSWERS: Duration = Duration::from_secs(2);

/// Largest SIP datagram we accept (RFC 3261 18.1.1 allows up to 65535 over UDP).
const MAX_DATAGRAM: usize = 65_535;

/// Batches of facts the writer may have queued before the loop waits for it (backpressure
/// when the disk is slow).
const WRITER_QUEUE: usize = 1024;

/// What the core asked for that must wait for a commit.
enum Act {
    Transmit { to: SocketAddr, bytes: Vec<u8> },
    Media(call_control::LegId, call_control::MediaCommand),
}

/// Outputs held back until their batch (or an earlier one) is committed.
struct Held {
    /// The batch number whose commit releases these acts; `None` for acts without facts that
    /// only wait for earlier batches.
    batch: Option<u64>,
    acts: Vec<Act>,
}

pub(crate) async fn run(
    engine: Engine,
    outbox: Outbox,
    shutdown: impl Future<Output = ()>,
) -> Result<(), EngineError> {
    let Engine {
        socket,
        mut core,
        prompts,
        config,
        media_seed,
        directory,
        live,
        commands,
        activations,
        opened,
    } = engine;
    // Without a command source, a channel nobody sends on.
    let mut commands = commands.unwrap_or_else(|| mpsc::channel(1).1);
    let mut activations = activations.unwrap_or_else(|| mpsc::channel(1).1);
    let mut opened = opened.unwrap_or_else(|| mpsc::channel(1).1);
    // The live view: due after a change (at most every MIN_INTERVAL) or every MAX_INTERVAL.
    let mut live_changed = true;
    let mut live_sent = Instant::now()
        .checked_sub(crate::live::MAX_INTERVAL)
        .unwrap_or_else(Instant::now);
    let (lookup_tx, mut lookup_rx) = mpsc::unbounded_channel();
    let grace = config.shutdown_grace;
    let (media_tx, mut media_rx) = mpsc::unbounded_channel();
    let mut media = MediaManager::new(config.media_ip, prompts, media_tx, media_seed)
        .with_rtp_timeout(Some(config.limits.rtp_timeout))
        .with_port_range(config.rtp_ports);
    let (batches, batch_rx) = mpsc::channel(WRITER_QUEUE);
    let (committed_tx, mut committed) = watch::channel(0u64);
    let writer = tokio::spawn(outbox::write(outbox, batch_rx, committed_tx));
    let mut held: VecDeque<Held> = VecDeque::new();
    let mut next_batch = 0u64;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    tokio::pin!(shutdown);
    let mut draining_until: Option<Instant> = None;
    let mut hung_up = false;
    // Once no call is left, how long the BYEs and CANCELs still in flight may take.
    let mut quiet_until: Option<Instant> = None;
    loop {
        // Collect what the core asks for. Opening an RTP leg is local and answered at once.
        let mut durable = Durable::default();
        let mut acts = Vec::new();
        while let Some(out) = core.poll_output() {
            match out {
                Output::Transmit { to, bytes } => acts.push(Act::Transmit { to, bytes }),
                Output::Media { leg, command } => acts.push(Act::Media(leg, command)),
                Output::OpenLeg { leg } => {
                    let result = match media.open(leg) {
                        Ok(local) => LegOpened::Bound(local),
                        Err(e) => LegOpened::Failed(e),
                    };
                    core.handle_leg_opened(Instant::now(), leg, result);
                }
                Output::Fact(fact) => durable.facts.push(*fact),
                Output::AcdJournal { entry, at_unix_ms } => {
                    live_changed = true;
                    durable.journal.push(StoredJournalEntry {
                        seq: entry.seq,
                        at_unix_ms,
                        event: entry.event,
                    });
                }
                Output::Registrations { aor, bindings } => {
                    durable.registrations.push((aor, bindings));
                }
                Output::IdentifyCaller {
                    lookup,
                    number,
                    pin,
                } => {
                    // Not a fact: nothing waits for the outbox. Each look-up is a task of its
                    // own; the core gives up on it after IDENTIFY_TIMEOUT anyway.
                    if !directory.is_configured() {
                        core.handle_identified(Instant::now(), lookup, None);
                    } else if let Some(slot) = directory.slot() {
                        let directory = directory.clone();
                        let answers = lookup_tx.clone();
                        tokio::spawn(async move {
                            let found = tokio::time::timeout(
                                call_control::IDENTIFY_TIMEOUT,
                                directory.identify(number, pin),
                            )
                            .await
                            .unwrap_or(None);
                            drop(slot);
                            let _ = answers.send((lookup, found));
                        });
                    } else {
                        warn!(
                            in_flight = crate::directory::MAX_LOOKUPS_IN_FLIGHT,
                            "too many caller look-ups in flight: the caller goes on as a guest"
                        );
                        core.handle_identified(Instant::now(), lookup, None);
                    }
                }
            }
        }
        if !durable.is_empty() {
            next_batch += 1;
            if batches.send((next_batch, durable)).await.is_err() {
                return Err(EngineError::Outbox("the outbox writer stopped".into()));
            }
            held.push_back(Held {
                batch: Some(next_batch),
                acts,
            });
        } else if !acts.is_empty() {
            if held.is_empty() {
                perform(&socket, &mut media, acts).await;
            } else {
                held.push_back(Held { batch: None, acts });
            }
        }
        // Copied out first: a watch guard must not live across an await.
        let committed_upto = *committed.borrow();
        release(&socket, &mut media, &mut held, committed_upto).await;

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
            if core.active_calls() == 0 && quiet_until.is_none() {
                quiet_until = Some(now + FINAL_ANSWERS);
                draining_until = Some(until.min(now + FINAL_ANSWERS));
            }
            // A phone that never answers our CANCEL keeps a transaction alive for 32 s
            // (RFC 3261 9.1); with no call left, that is not worth waiting for.
            let settled = core.active_calls() == 0
                && (!core.sip_busy() || quiet_until.is_some_and(|q| now >= q));
            let out_of_time = now >= until && (hung_up || core.active_calls() == 0);
            if (settled || out_of_time) && held.is_empty() {
                info!("all calls finished: engine stopped");
                // Every fact is committed (nothing is held); let the writer finish.
                drop(batches);
                let _ = writer.await;
                return Ok(());
            }
        }
        let mut deadline = core.poll_timeout();
        if let Some(views) = &live {
            let now = Instant::now();
            let every = if live_changed {
                crate::live::MIN_INTERVAL
            } else {
                crate::live::MAX_INTERVAL
            };
            if now >= live_sent + every {
                let view = crate::live::live_view(
                    &config.node,
                    common::Clock::now_unix_ms(&common::SystemClock),
                    &core.acd_snapshot(now),
                );
                let _ = views.send(Some(view));
                live_sent = now;
                live_changed = false;
            }
            let next = live_sent
                + if live_changed {
                    crate::live::MIN_INTERVAL
                } else {
                    crate::live::MAX_INTERVAL
                };
            deadline = Some(deadline.map_or(next, |d| d.min(next)));
        }
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
            Some((lookup, found)) = lookup_rx.recv() => {
                core.handle_identified(Instant::now(), lookup, found);
            }
            Some((request, answer)) = commands.recv() => {
                let now = Instant::now();
                let result = match request {
                    crate::commands::Request::Command(command) => {
                        core.handle_command(now, command).map(|()| String::new())
                    }
                    crate::commands::Request::SoftphoneOffer { operator, offer } => {
                        crate::softphone::open(&mut core, &mut media, now, &operator, &offer)
                    }
                };
                let _ = answer.send(result);
            }
            Some((script, answer)) = activations.recv() => {
                let _ = answer.send(core.handle_script(script));
            }
            Some((call, number)) = opened.recv() => {
                core.handle_service_request(&call, &number);
            }
            changed = committed.changed() => {
                if changed.is_err() {
                    return Err(EngineError::Outbox("the outbox writer stopped".into()));
                }
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

/// Carries out every held batch that `committed` releases, in order.
async fn release(
    socket: &UdpSocket,
    media: &mut MediaManager,
    held: &mut VecDeque<Held>,
    committed: u64,
) {
    while held
        .front()
        .is_some_and(|h| h.batch.is_none_or(|b| b <= committed))
    {
        let h = held.pop_front().expect("checked non-empty");
        perform(socket, media, h.acts).await;
    }
}

async fn perform(socket: &UdpSocket, media: &mut MediaManager, acts: Vec<Act>) {
    for act in acts {
        match act {
            Act::Transmit { to, bytes } => send(socket, to, &bytes).await,
            Act::Media(leg, command) => media.command(leg, command),
        }
    }
}

async fn send(socket: &UdpSocket, to: SocketAddr, bytes: &[u8]) {
    if let Err(e) = socket.send_to(bytes, to).await {
        warn!(error = %e, %to, "sip send failed");
    }
}
