//! netprobe, built again as version 2.0.0.

#[path = "../../netprobe/src/lib.rs"]
mod netprobe;
