//! How often a costly step runs, counted in test builds (where debug assertions are on) so that a
//! test can show the step done once per record; nothing is kept in release builds.

/// One step's count since the process started.
pub struct Counter {
    #[cfg(debug_assertions)]
    count: std::sync::atomic::AtomicUsize,
}

impl Counter {
    pub const fn new() -> Counter {
        Counter {
            #[cfg(debug_assertions)]
            count: std::sync::atomic::AtomicUsize::new(0),
        }
    }

    /// The step ran once more.
    #[inline]
    pub fn add(&self) {
        #[cfg(debug_assertions)]
        self.count
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// How often it ran (always 0 in a release build).
    pub fn get(&self) -> usize {
        #[cfg(debug_assertions)]
        return self.count.load(std::sync::atomic::Ordering::Relaxed);
        #[cfg(not(debug_assertions))]
        0
    }
}

impl Default for Counter {
    fn default() -> Counter {
        Counter::new()
    }
}
