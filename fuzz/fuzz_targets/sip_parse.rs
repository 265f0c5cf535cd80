//! SIP message parser on arbitrary datagrams: never a panic; whatever parses prints to bytes
//! that parse back to the same message (Content-Length aside, which printing recomputes), and
//! the typed accessors never fail on it; a ready 400 reply prints without panicking. The same
//! bytes as a stream buffer (RFC 3261 18.3 framing) give a message length within the buffer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sip_message::{Message, SipHeaders, parse, stream_message_len};

fn without_content_length(mut m: Message) -> Message {
    m.headers_mut().remove("Content-Length");
    m
}

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(len)) = stream_message_len(data) {
        assert!(len <= data.len(), "a framed message longer than the buffer");
    }
    match parse(data) {
        Ok(message) => {
            message.vias().expect("vias checked by parse");
            message.top_via().expect("top via checked by parse");
            message.from_hdr().expect("from checked by parse");
            message.to_hdr().expect("to checked by parse");
            message.call_id().expect("call-id checked by parse");
            message.cseq().expect("cseq checked by parse");
            message.contacts().expect("contacts checked by parse");
            message
                .max_forwards()
                .expect("max-forwards checked by parse");
            message.routes().expect("routes checked by parse");
            message
                .record_routes()
                .expect("record-routes checked by parse");
            let printed = message.to_bytes();
            let reparsed = parse(&printed).expect("printed message parses");
            assert_eq!(
                without_content_length(reparsed),
                without_content_length(message)
            );
        }
        Err(error) => {
            if let Some(reply) = error.reply {
                let _ = reply.to_bytes();
            }
        }
    }
});
