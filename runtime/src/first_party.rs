//! The first-party plugins (`plugins/`), built by `build.rs` and embedded in the binary.

include!(concat!(env!("OUT_DIR"), "/first_party.rs"));
