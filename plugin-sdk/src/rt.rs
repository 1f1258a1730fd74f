//! What a `#![no_std]` plugin component would otherwise get from `std` and wasi-libc: a global
//! allocator, a panic handler, and the `cabi_realloc` and `memcmp` symbols.
//!
//! Compiled only for `wasm32` with the `std` feature off; the `#[panic_handler]` proper is
//! emitted by [`export_plugin!`](crate::export_plugin), see [`report`]. With `std` on, the
//! standard library provides all of them (dlmalloc, and a panic handler that prints to
//! stderr, which is why a std component imports `wasi:cli/*` and `wasi:io/*`).

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::Cell;
use core::ptr;

/// The size of a WebAssembly page.
const PAGE: usize = 64 * 1024;

unsafe extern "C" {
    /// The first byte after the stack and the static data, defined by the linker (`wasm-ld`).
    static __heap_base: u8;
}

/// A bump allocator: hands out memory upwards from the end of the static data and never
/// reuses it, except that the most recent block can be grown, shrunk or freed in place.
///
/// That is the right trade-off for a Cove plugin because **every instance serves exactly one
/// call and is then thrown away**: the host creates a fresh instance per command, so there is
/// no long run in which freed memory would have to be recycled, and everything allocated is
/// released at once when the instance is dropped. Allocation is a pointer increment, there is
/// no allocator metadata to initialise, touch or free, and the code is a few hundred bytes
/// instead of dlmalloc's several kilobytes.
///
/// Memory is bounded by the host, not here: a plugin may grow its linear memory up to the
/// host's limit (64 MiB by default). Past that, `memory.grow` fails, [`GlobalAlloc::alloc`]
/// returns null, `alloc`'s allocation-error handler aborts (a trap), and the host, which saw
/// the refused growth, reports the command as having run out of memory. A single call that
/// keeps many blocks alive while freeing others can reach the limit sooner than it would
/// with a recycling allocator (a block freed right after it was allocated, as in a loop of
/// `format!`s, is reclaimed); plugins for which that matters should use `std`.
///
/// WebAssembly components are single-threaded, hence the plain [`Cell`]s.
struct BumpAllocator {
    /// The next free address; 0 until the first allocation.
    next: Cell<usize>,
    /// The end of linear memory as last seen (a multiple of [`PAGE`]).
    end: Cell<usize>,
}

// SAFETY: a wasm32 component without the `atomics` feature has exactly one thread.
unsafe impl Sync for BumpAllocator {}

#[cfg(target_feature = "atomics")]
compile_error!("cove-sdk's no_std allocator assumes a single-threaded component (no `atomics`)");

impl BumpAllocator {
    /// An allocator that has not allocated yet.
    const fn new() -> Self {
        BumpAllocator {
            next: Cell::new(0),
            end: Cell::new(0),
        }
    }

    /// The next free address, starting at the linker's `__heap_base` on first use.
    fn next(&self) -> usize {
        let next = self.next.get();
        if next != 0 {
            return next;
        }
        self.end
            .set(wasm32::memory_size::<0>().saturating_mul(PAGE));
        &raw const __heap_base as usize
    }

    /// Makes every address below `end` usable, growing linear memory if needed; false when
    /// the host refuses to grow it (the plugin reached its memory limit).
    fn reserve(&self, end: usize) -> bool {
        let have = self.end.get();
        if end <= have {
            return true;
        }
        let pages = (end - have).div_ceil(PAGE);
        let previous = wasm32::memory_grow::<0>(pages);
        if previous == usize::MAX {
            return false;
        }
        if previous.saturating_mul(PAGE) != have {
            // Nothing else grows memory in a no_std component. If something did, the pages
            // between `have` and the new ones are in use: trap rather than hand them out.
            wasm32::unreachable();
        }
        self.end
            .set(have.saturating_add(pages.saturating_mul(PAGE)));
        true
    }
}

// SAFETY: blocks are carved from addresses nothing else uses (above `__heap_base`, below the
// end of memory), never overlap, and are aligned as the layout asks.
unsafe impl GlobalAlloc for BumpAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // `align` is a power of two: round `next` up to a multiple of it.
        let mask = layout.align() - 1;
        let Some(start) = self.next().checked_add(mask).map(|n| n & !mask) else {
            return ptr::null_mut();
        };
        match start.checked_add(layout.size()) {
            Some(end) if self.reserve(end) => {
                self.next.set(end);
                start as *mut u8
            }
            _ => ptr::null_mut(),
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // Only the most recent block can be given back; everything else is released when the
        // instance is dropped.
        if ptr as usize + layout.size() == self.next.get() {
            self.next.set(ptr as usize);
        }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old_size = layout.size();
        if ptr as usize + old_size == self.next.get() {
            // The most recent block (typically a growing `String` or `Vec`): resize in place.
            return match (ptr as usize).checked_add(new_size) {
                Some(end) if self.reserve(end) => {
                    self.next.set(end);
                    ptr
                }
                _ => ptr::null_mut(),
            };
        }
        if new_size <= old_size {
            return ptr;
        }
        // SAFETY: the caller guarantees that `new_size` rounded up to `layout.align()` does not
        // overflow `isize`, which makes this a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        // SAFETY: `new_layout` is not zero-sized: it is larger than `old_size`.
        let new = unsafe { self.alloc(new_layout) };
        if !new.is_null() {
            // SAFETY: both blocks are at least `old_size` bytes long and, as the new one was
            // carved after the old one, they do not overlap.
            unsafe { ptr::copy_nonoverlapping(ptr, new, old_size) };
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: BumpAllocator = BumpAllocator::new();

/// The canonical ABI's allocation hook: the host calls it to place strings and lists it
/// passes into the plugin (the invocation's text, kv values, …).
///
/// On `wasm32-wasip2` wit-bindgen leaves this export to wasi-libc's `malloc`, which a
/// `no_std` component does not link, so the SDK exports it over [`ALLOCATOR`]. Failure traps;
/// the host reports the command as out of memory.
///
/// # Safety
///
/// Called by the host per the canonical ABI: `old_ptr`/`old_len`/`align` describe a block
/// this allocator returned (or `old_len` is 0), and `align` is a power of two.
#[unsafe(no_mangle)]
unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    if new_len == 0 {
        // A well-aligned dangling pointer, as the canonical ABI allows for empty values.
        return align as *mut u8;
    }
    // SAFETY: the canonical ABI passes a power-of-two `align` and sizes that fit memory.
    let ptr = unsafe {
        if old_len == 0 {
            ALLOCATOR.alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            let layout = Layout::from_size_align_unchecked(old_len, align);
            ALLOCATOR.realloc(old_ptr, layout, new_len)
        }
    };
    if ptr.is_null() {
        wasm32::unreachable();
    }
    ptr
}

/// Writing a panic message to the log without allocating.
///
/// The `#[panic_handler]` itself is defined by [`export_plugin!`](crate::export_plugin) in the
/// plugin's crate, so that [`Plugin::LOG_PANICS`](crate::Plugin::LOG_PANICS) can leave this
/// out (and with it the component's import of `cove:plugin/host`).
pub mod report {
    use core::fmt::{self, Write};
    use core::sync::atomic::{AtomicBool, Ordering};

    /// Set by the first panic, so that a panic while reporting one traps at once.
    static PANICKING: AtomicBool = AtomicBool::new(false);

    /// Longest panic message sent to the log, in bytes; the rest is cut (the host cuts log
    /// lines at 4 KiB anyway).
    const MAX_PANIC_MESSAGE: usize = 1024;

    /// Logs `info` at error level, once per instance.
    ///
    /// A `no_std` component has no stderr, so the text that `std` would print there goes to
    /// the log instead, in the same form: `panicked at src/lib.rs:9:5:\n<message>`. It is
    /// formatted into a fixed buffer on the stack, never through the allocator, so that an
    /// out-of-memory panic can be reported too.
    pub fn to_log(info: &core::panic::PanicInfo<'_>) {
        if !PANICKING.swap(true, Ordering::Relaxed) {
            let mut line = Truncating::new();
            let _ = write!(line, "{info}");
            crate::host::log::error(line.as_str());
        }
    }

    /// A fixed-capacity text buffer that silently drops what does not fit.
    struct Truncating {
        buf: [u8; MAX_PANIC_MESSAGE],
        len: usize,
    }

    impl Truncating {
        fn new() -> Self {
            Truncating {
                buf: [0; MAX_PANIC_MESSAGE],
                len: 0,
            }
        }

        fn as_str(&self) -> &str {
            // Only whole UTF-8 characters are ever copied in (see `write_str`).
            core::str::from_utf8(&self.buf[..self.len]).unwrap_or("panicked")
        }
    }

    impl Write for Truncating {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            let room = MAX_PANIC_MESSAGE - self.len;
            let mut take = s.len().min(room);
            while !s.is_char_boundary(take) {
                take -= 1;
            }
            self.buf[self.len..self.len + take].copy_from_slice(&s.as_bytes()[..take]);
            self.len += take;
            Ok(())
        }
    }
}

/// Compares `n` bytes, as C's `memcmp`: LLVM lowers slice and string comparisons to calls
/// to it, and on `wasm32-wasip2` it normally comes from wasi-libc, which a `no_std`
/// component does not link. (`memcpy`, `memmove` and `memset` need no such help: with the
/// bulk-memory feature, on by default, they compile to `memory.copy` and `memory.fill`.)
///
/// A plain byte loop: LLVM does not turn loops back into `memcmp` calls, and the strings a
/// plugin compares (command names, kv keys) are short.
///
/// # Safety
///
/// `a` and `b` must be valid for reads of `n` bytes.
#[unsafe(no_mangle)]
unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i < n {
        // SAFETY: `i < n`, and the caller guarantees `n` readable bytes at both pointers.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}
