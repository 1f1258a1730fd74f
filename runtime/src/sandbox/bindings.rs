//! Host bindings generated from `wit/plugin.wit`, the single source of truth of the contract.
//! The WASI packages the world imports are the ones wasmtime-wasi and wasmtime-wasi-http
//! already implement.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
    exports: { default: async },
    imports: { default: trappable },
    with: {
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
    },
    additional_derives: [serde::Serialize, serde::Deserialize],
});
