//! A valid wasm32-wasip2 component that is not a Cove plugin: it exports none of the
//! `cove:plugin` functions, so install must refuse it with a clear message.

/// The only export: adds two numbers.
#[unsafe(no_mangle)]
pub extern "C" fn add(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}
