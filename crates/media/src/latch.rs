//! Which source a leg's RTP may come from: symmetric-RTP latching with a probation, so that
//! a phone behind NAT is heard (and answered) at the address its packets really come from,
//! while a stranger who guesses the port can neither be relayed into the call nor press keys
//! in someone else's IVR.
//!
//! - A packet from exactly the address the SDP named latches at once.
//! - When the peer is not behind NAT (its SDP address is where its SIP came from), only that
//!   host may send: the first packet from its IP latches (phones may send from another port
//!   than they receive on), anything from another host is rejected.
//! - Behind NAT the real source is unknown in advance: a source must first send [`PROBATION`]
//!   packets in a row with one SSRC and consecutive sequence numbers (a real stream does; a
//!   spray of forged packets rarely does). During probation its packets are neither relayed
//!   nor read for keys.
//! - Once latched, packets from any other source are dropped and counted.
//!
//! The answer to the leg follows the latched address (symmetric RTP, RFC 4961), and before
//! latching the SDP's address.

use std::net::SocketAddr;

/// Consecutive packets a source other than the SDP's must send before it is trusted.
pub const PROBATION: u8 = 3;

/// What to do with one received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// From the latched source: use it.
    Accept,
    /// A candidate source on probation: drop it for now.
    Probation,
    /// Not from the latched source: drop and count it.
    Reject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Candidate {
    from: SocketAddr,
    ssrc: u32,
    last_seq: u16,
    packets: u8,
}

#[derive(Debug, Clone, Default)]
pub struct SourceLatch {
    /// Where the SDP said the peer is.
    signalled: Option<SocketAddr>,
    /// Behind NAT: any host may latch after probation. Otherwise only the SDP's host.
    nat: bool,
    latched: Option<SocketAddr>,
    candidate: Option<Candidate>,
    rejected: u64,
}

impl SourceLatch {
    /// `nat`: the peer looks to be behind NAT, so its packets may come from anywhere.
    pub fn new(signalled: Option<SocketAddr>, nat: bool) -> Self {
        Self {
            signalled,
            nat,
            ..Self::default()
        }
    }

    /// The SDP named a (new) address, e.g. after a re-INVITE: start over.
    pub fn signal(&mut self, remote: SocketAddr, nat: bool) {
        *self = Self {
            rejected: self.rejected,
            ..Self::new(Some(remote), nat)
        };
    }

    /// Judges a packet from `from` with RTP `ssrc` and sequence number `seq`.
    pub fn on_packet(&mut self, from: SocketAddr, ssrc: u32, seq: u16) -> Verdict {
        if let Some(latched) = self.latched {
            if latched == from {
                return Verdict::Accept;
            }
            self.rejected += 1;
            return Verdict::Reject;
        }
        if Some(from) == self.signalled
            || (!self.nat && self.signalled.is_some_and(|s| s.ip() == from.ip()))
        {
            self.latched = Some(from);
            self.candidate = None;
            return Verdict::Accept;
        }
        if !self.nat {
            self.rejected += 1;
            return Verdict::Reject;
        }
        let next = match self.candidate {
            Some(c) if c.from == from && c.ssrc == ssrc && seq == c.last_seq.wrapping_add(1) => {
                Candidate {
                    last_seq: seq,
                    packets: c.packets + 1,
                    ..c
                }
            }
            // A new candidate (or the old one broke its stream): probation starts again.
            _ => Candidate {
                from,
                ssrc,
                last_seq: seq,
                packets: 1,
            },
        };
        if next.packets >= PROBATION {
            self.latched = Some(from);
            self.candidate = None;
            Verdict::Accept
        } else {
            self.candidate = Some(next);
            Verdict::Probation
        }
    }

    /// Where to send: the latched source, else the signalled address.
    pub fn send_to(&self) -> Option<SocketAddr> {
        self.latched.or(self.signalled)
    }

    pub fn latched(&self) -> Option<SocketAddr> {
        self.latched
    }

    /// Packets dropped for coming from the wrong source since the leg opened.
    pub fn rejected(&self) -> u64 {
        self.rejected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn the_signalled_address_latches_at_once_and_strangers_are_rejected() {
        let mut latch = SourceLatch::new(Some(addr("10.0.0.1:4000")), true);
        assert_eq!(latch.send_to(), Some(addr("10.0.0.1:4000")));
        assert_eq!(
            latch.on_packet(addr("10.0.0.1:4000"), 1, 10),
            Verdict::Accept
        );
        assert_eq!(
            latch.on_packet(addr("10.0.0.9:4000"), 1, 11),
            Verdict::Reject
        );
        assert_eq!(
            latch.on_packet(addr("10.0.0.1:4001"), 1, 12),
            Verdict::Reject
        );
        assert_eq!(latch.rejected(), 2);
    }

    #[test]
    fn a_natted_phone_latches_after_probation_and_is_answered_there() {
        let mut latch = SourceLatch::new(Some(addr("192.168.1.10:4000")), true);
        let public = addr("203.0.113.5:61000");
        assert_eq!(latch.on_packet(public, 7, 100), Verdict::Probation);
        assert_eq!(latch.on_packet(public, 7, 101), Verdict::Probation);
        assert_eq!(latch.on_packet(public, 7, 102), Verdict::Accept);
        assert_eq!(latch.send_to(), Some(public));
        assert_eq!(
            latch.on_packet(addr("192.168.1.10:4000"), 7, 103),
            Verdict::Reject
        );
    }

    #[test]
    fn a_spray_of_forged_packets_does_not_latch() {
        let mut latch = SourceLatch::new(Some(addr("10.0.0.1:4000")), true);
        let attacker = addr("198.51.100.66:5000");
        for n in 0..100u16 {
            // Random-looking sequence numbers: never three in a row.
            let verdict = latch.on_packet(attacker, 1, n.wrapping_mul(7919));
            assert_eq!(verdict, Verdict::Probation);
        }
        assert_eq!(latch.latched(), None);
        // The real stream arrives and wins at once.
        assert_eq!(
            latch.on_packet(addr("10.0.0.1:4000"), 9, 1),
            Verdict::Accept
        );
    }

    #[test]
    fn without_nat_only_the_signalled_host_may_send_from_any_of_its_ports() {
        let mut latch = SourceLatch::new(Some(addr("10.0.0.1:4000")), false);
        // A stranger's perfect stream is still a stranger's.
        for seq in 0..10 {
            assert_eq!(
                latch.on_packet(addr("10.0.0.66:4000"), 5, seq),
                Verdict::Reject
            );
        }
        // The phone sends from another port than it receives on: fine, same host.
        assert_eq!(
            latch.on_packet(addr("10.0.0.1:4002"), 7, 1),
            Verdict::Accept
        );
        assert_eq!(
            latch.on_packet(addr("10.0.0.1:4000"), 7, 2),
            Verdict::Reject,
            "latched"
        );
        assert_eq!(latch.send_to(), Some(addr("10.0.0.1:4002")));
    }

    #[test]
    fn a_candidate_that_changes_ssrc_or_skips_starts_over() {
        let mut latch = SourceLatch::new(None, true);
        let a = addr("203.0.113.5:61000");
        assert_eq!(latch.on_packet(a, 1, 10), Verdict::Probation);
        assert_eq!(latch.on_packet(a, 2, 11), Verdict::Probation);
        assert_eq!(latch.on_packet(a, 2, 13), Verdict::Probation);
        assert_eq!(latch.on_packet(a, 2, 14), Verdict::Probation);
        assert_eq!(latch.on_packet(a, 2, 15), Verdict::Accept);
    }
}
