//! Generates the messages, clients and servers of every contract in `proto/`: the CTI link
//! (`cti.proto`) and the CRM's own API (`crm.proto`, which imports the first).
//!
//! The .proto files are parsed by protox (pure Rust), so no system `protoc` is needed: protox
//! produces the FileDescriptorSet that tonic-prost-build turns into code.

use std::path::PathBuf;

/// Messages whose `Debug` is written by hand (in `lib.rs` and `crm_debug.rs`) so that it
/// redacts the personal data and secrets they carry (STYLE.md, Privacy). A message's oneofs
/// lose their derived `Debug` with it.
const REDACTED: &[&str] = &[
    ".centralino.cti.v1.CallArrived",
    ".centralino.cti.v1.CallOffered",
    ".centralino.cti.v1.CallRecord",
    ".centralino.crm.v1.LoginRequest",
    ".centralino.crm.v1.LoginResponse",
    ".centralino.crm.v1.StaffMember",
    ".centralino.crm.v1.CallRecord",
    ".centralino.crm.v1.ListServiceRequestsRequest",
    ".centralino.crm.v1.SearchServiceRequestsRequest",
    ".centralino.crm.v1.CaseStatus",
    ".centralino.crm.v1.Case",
    ".centralino.crm.v1.HistoryEntry.Opened",
    ".centralino.crm.v1.HistoryEntry.NoteAdded",
    ".centralino.crm.v1.CaseCommand.Suspend",
    ".centralino.crm.v1.CaseCommand.Reject",
    ".centralino.crm.v1.CaseCommand.Note",
    ".centralino.crm.v1.AddNoteRequest",
    ".centralino.crm.v1.CustomerPhone",
    ".centralino.crm.v1.CustomerEmail",
    ".centralino.crm.v1.Discrepancy",
    ".centralino.crm.v1.Customer",
    ".centralino.crm.v1.PinChange",
    ".centralino.crm.v1.CustomerDraft",
    ".centralino.crm.v1.LookupCustomersByNumberRequest",
    ".centralino.crm.v1.VerifyCustomerPinRequest",
    ".centralino.crm.v1.IdentifiedCustomer",
    ".centralino.crm.v1.SearchCustomersRequest",
];

/// Messages that are also JSON (serde `Serialize`) as they are: the live view, which the CRM
/// serves to browsers over SSE exactly as the engine sends it.
const JSON: &[&str] = &[
    ".centralino.cti.v1.LiveView",
    ".centralino.cti.v1.QueueLive",
    ".centralino.cti.v1.WaitingCaller",
    ".centralino.cti.v1.OperatorCounts",
    ".centralino.cti.v1.DayFigures",
    ".centralino.cti.v1.ServiceLevel",
    ".centralino.cti.v1.OperatorLive",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_dir = manifest_dir.join("../../proto");
    let files = [proto_dir.join("cti.proto"), proto_dir.join("crm.proto")];
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
    }

    let descriptors = protox::compile(&files, [&proto_dir])?;
    // The same descriptors serve gRPC server reflection (`cti_proto::FILE_DESCRIPTOR_SET`).
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("cti_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    let mut builder = tonic_prost_build::configure().skip_debug(REDACTED.iter().copied());
    for message in JSON {
        builder = builder.message_attribute(*message, "#[derive(serde::Serialize)]");
    }
    builder.compile_fds(descriptors)?;
    Ok(())
}
