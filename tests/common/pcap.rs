//! Writing the pcap recordings SIPp plays (`play_pcap_audio`) when Debian's sip-tester has
//! none that fits: Ethernet, IPv4, UDP and RTP, one packet every 20 ms.

use std::path::Path;

use media::Codec;

/// `key` pressed for `tone_ms` as in-band tones (each at about -10 dBFS), between 100 ms of
/// silence before and after, as linear 8 kHz samples.
pub fn inband_key_samples(key: char, tone_ms: usize) -> Vec<i16> {
    let (low, high) = media::inband::frequencies(key).expect("a DTMF key");
    let mut samples = vec![0i16; 800];
    samples.extend((0..tone_ms * 8).map(|i| {
        let t = i as f32 / 8000.0;
        let two_pi = 2.0 * std::f32::consts::PI;
        (7000.0 * (two_pi * low * t).sin() + 7000.0 * (two_pi * high * t).sin()) as i16
    }));
    samples.extend(vec![0i16; 800]);
    samples
}

/// Writes `samples` as a pcap of `codec` RTP (20 ms packets) that SIPp can play.
pub fn write_rtp_pcap(path: &Path, codec: Codec, samples: &[i16]) {
    let mut out = Vec::new();
    // Global header: little-endian, version 2.4, no time zone, snaplen 65535, Ethernet.
    out.extend_from_slice(&0xA1B2_C3D4_u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&65_535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes());
    for (n, frame) in samples.chunks(160).enumerate() {
        let payload = codec.encode(frame);
        let mut rtp = vec![0x80, codec.payload_type()];
        rtp.extend_from_slice(&(n as u16).to_be_bytes());
        rtp.extend_from_slice(&((n * 160) as u32).to_be_bytes());
        rtp.extend_from_slice(&0x1234_5678_u32.to_be_bytes());
        rtp.extend_from_slice(&payload);
        let udp_len = 8 + rtp.len();
        let ip_len = 20 + udp_len;
        let mut ip = vec![0x45, 0];
        ip.extend_from_slice(&(ip_len as u16).to_be_bytes());
        ip.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0]);
        ip.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        // The IPv4 header checksum: one's complement of the one's-complement sum.
        let sum = ip
            .chunks(2)
            .map(|w| u32::from(u16::from_be_bytes([w[0], w[1]])))
            .sum::<u32>();
        let folded = (sum & 0xFFFF) + (sum >> 16);
        let folded = (folded & 0xFFFF) + (folded >> 16);
        ip[10..12].copy_from_slice(&(!(folded as u16)).to_be_bytes());
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        frame.extend_from_slice(&ip);
        frame.extend_from_slice(&6000u16.to_be_bytes());
        frame.extend_from_slice(&6002u16.to_be_bytes());
        frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(&rtp);
        let micros = n as u64 * 20_000;
        out.extend_from_slice(&((micros / 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&((micros % 1_000_000) as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    std::fs::write(path, out).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}
