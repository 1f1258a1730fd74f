//! wasm32-unknown-unknown is not installed here, so the core module comes from the
//! wasm32-wasip2 target with rustc's component linker told to stop at the core module.

fn main() {
    println!("cargo::rustc-cdylib-link-arg=--skip-wit-component");
}
