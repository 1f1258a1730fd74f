//! A core WebAssembly module (version 1), not a component: `build.rs` tells the linker to
//! skip the component step. Install must refuse it as "not a component".

#![no_std]

/// The only export: adds two numbers.
#[unsafe(no_mangle)]
pub extern "C" fn add(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    core::arch::wasm32::unreachable()
}
