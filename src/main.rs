//! The `bylaw` binary: arguments → [`bylaw::cli::run`] → exit status.

use std::process::ExitCode;

// A record set is many small JSON maps built and freed on every core; mimalloc's per-thread
// heaps make that cheaper than the system allocator (see benches/check.rs).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
/// at once, the peak memory follows what is alive (42 rather than 64 MiB on 100k records).
fn return_memory_promptly() {
    // SAFETY: `mi_option_set` is not thread safe; it is called first thing in `main`, before any
    // other thread of this program exists.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) }
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
}
