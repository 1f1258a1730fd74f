//! Host bindings generated from `wit/plugin.wit`, the single source of truth of the contract.

wasmtime::component::bindgen!({
    world: "plugin",
    path: "../wit",
    exports: { default: async },
    imports: { default: trappable },
    additional_derives: [serde::Serialize, serde::Deserialize],
});
