//! The `bylaw` binary: arguments → [`bylaw::cli::run`] → exit status.

use std::process::ExitCode;

// A record set is many small JSON maps built and freed on every core; mimalloc's per-thread
// heaps make that cheaper than the system allocator (see benches/check.rs).
#[global_allocator]
static ALLOCATOR: Allocator = Allocator;

/// mimalloc, asked for memory by its plain entry points where the alignment asked for is one
/// `mi_malloc` gives anyway (as the standard library's `System` asks `malloc`): the `mimalloc`
/// crate asks `mi_malloc_aligned` for every block, a longer path for the same block.
struct Allocator;

/// The alignment `mi_malloc` gives a block of at least this many bytes (mimalloc's
/// `MI_MAX_ALIGN_SIZE`: it rounds such blocks to two words), and a smaller block 8 bytes.
const MI_MAX_ALIGN_SIZE: usize = 16;

/// Whether a block of `size` bytes aligned to `align` is one `mi_malloc` gives as it is.
fn plain(align: usize, size: usize) -> bool {
    align <= MI_MAX_ALIGN_SIZE && align <= size
}

// SAFETY: each function passes the request on to mimalloc, whose blocks are freed by `mi_free`
// whichever way they were allocated; a block from the plain entry points is aligned as `plain`
// requires.
unsafe impl std::alloc::GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys::{mi_malloc, mi_malloc_aligned};
        if plain(layout.align(), layout.size()) {
            unsafe { mi_malloc(layout.size()).cast() }
        } else {
            unsafe { mi_malloc_aligned(layout.size(), layout.align()).cast() }
        }
    }

    unsafe fn alloc_zeroed(&self, layout: std::alloc::Layout) -> *mut u8 {
        use libmimalloc_sys::{mi_zalloc, mi_zalloc_aligned};
        if plain(layout.align(), layout.size()) {
            unsafe { mi_zalloc(layout.size()).cast() }
        } else {
            unsafe { mi_zalloc_aligned(layout.size(), layout.align()).cast() }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, _layout: std::alloc::Layout) {
        unsafe { libmimalloc_sys::mi_free(ptr.cast()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: std::alloc::Layout, new_size: usize) -> *mut u8 {
        use libmimalloc_sys::{mi_realloc, mi_realloc_aligned};
        if plain(layout.align(), new_size) {
            unsafe { mi_realloc(ptr.cast(), new_size).cast() }
        } else {
            unsafe { mi_realloc_aligned(ptr.cast(), new_size, layout.align()).cast() }
        }
    }
}

fn main() -> ExitCode {
    return_memory_promptly();
    // A file grown past `ulimit -f` is a write that fails, reported as such (standard input's
    // copy, a report), not a signal that ends the run without a word.
    // SAFETY: setting a signal's disposition to "ignore" before any thread starts.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    ExitCode::from(bylaw::cli::run(std::env::args_os()))
}

/// `mi_option_purge_delay` in mimalloc 3 (`mi_option_e` in its `mimalloc.h`); libmimalloc-sys
/// names only mimalloc 2's options, so the number is checked by the test below.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// mimalloc keeps freed pages for a second before it returns them to the system; a run that parses
/// and drops records batch after batch would hold the pages of several batches at once. Returned
/// at once, though, the pages of one batch are returned and faulted in again by the next: at 10k
/// JSON Lines on one thread 1,598 page faults instead of 1,150, and at 100k on two cores twice
/// the system time (87 against 42 ms). Kept 10 ms, the peak is what is alive plus about a
/// batch's pages (100k JSON Lines 22 → 24 MiB, 1M 126 → 127-129 MiB, 2026-12-03); the default
/// second held several (64 rather than 42 MiB at 100k when it was first measured).
const PURGE_DELAY_MS: std::ffi::c_long = 10;

fn return_memory_promptly() {
    // SAFETY: `mi_option_set` is not thread safe; it is called first thing in `main`, before any
    // other thread of this program exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_purge_delay_option_is_mimallocs() {
        // mimalloc 3's defaults: purge_delay 1000 ms, os_tag 100, retry_on_oom 400,
        // generic_collect 10000. A different numbering (another mimalloc) reads other values.
        let get = |option| unsafe { libmimalloc_sys::mi_option_get(option) };
        assert_eq!(get(super::MI_OPTION_PURGE_DELAY), 1000);
        assert_eq!((get(18), get(27), get(34)), (100, 400, 10_000));
    }

    #[test]
    fn every_block_is_aligned_as_asked_and_keeps_its_bytes_when_resized() {
        use std::alloc::{GlobalAlloc, Layout};
        let allocator = super::Allocator;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in [1, 3, 8, 15, 16, 17, 100, 5000, 1 << 20] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: each block is used within its size and freed once, with its layout.
                unsafe {
                    let zeroed = allocator.alloc_zeroed(layout);
                    assert_eq!(zeroed as usize % align, 0, "zeroed {size} by {align}");
                    assert!(std::slice::from_raw_parts(zeroed, size)
                        .iter()
                        .all(|&b| b == 0));
                    allocator.dealloc(zeroed, layout);
                    // Shrunk and grown: the bytes both sizes hold are kept.
                    for new_size in [size / 2 + 1, size * 3] {
                        let block = allocator.alloc(layout);
                        assert_eq!(block as usize % align, 0, "{size} bytes by {align}");
                        for i in 0..size {
                            *block.add(i) = i as u8;
                        }
                        let block = allocator.realloc(block, layout, new_size);
                        assert_eq!(block as usize % align, 0, "{size} → {new_size} by {align}");
                        let kept = std::slice::from_raw_parts(block, size.min(new_size));
                        assert!(kept.iter().enumerate().all(|(i, &b)| b == i as u8));
                        allocator.dealloc(block, Layout::from_size_align(new_size, align).unwrap());
                    }
                }
            }
        }
    }
}
