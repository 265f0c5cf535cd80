//! Generates the CTI messages, client and server from `proto/cti.proto`.
//!
//! The .proto is parsed by protox (pure Rust), so no system `protoc` is needed: protox
//! produces the FileDescriptorSet that tonic-prost-build turns into code.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_dir = manifest_dir.join("../../proto");
    let proto_file = proto_dir.join("cti.proto");
    println!("cargo:rerun-if-changed={}", proto_file.display());

    let descriptors = protox::compile([&proto_file], [&proto_dir])?;
    // The same descriptors serve gRPC server reflection (`cti_proto::FILE_DESCRIPTOR_SET`).
    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(
        out_dir.join("cti_descriptor.bin"),
        prost::Message::encode_to_vec(&descriptors),
    )?;
    tonic_prost_build::configure()
        // These carry the caller's number: their Debug is written by hand in lib.rs so that it
        // redacts it (STYLE.md, Privacy).
        .skip_debug([
            ".centralino.cti.v1.CallArrived",
            ".centralino.cti.v1.CallOffered",
            ".centralino.cti.v1.CallRecord",
        ])
        .compile_fds(descriptors)?;
    Ok(())
}
