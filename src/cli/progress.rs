//! A progress bar on standard error while records are read, for a person at a terminal: shown only
//! when standard error is one, and only once a run has lasted a while, so short runs and pipelines
//! never see it; it is cleared before the report is written.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::audit::Progress;

/// How long a run goes before its bar shows; `BYLAW_PROGRESS_AFTER_MS` sets it (0: at once).
const SHOW_AFTER: Duration = Duration::from_secs(1);

pub struct Bar {
    bar: ProgressBar,
    started: Instant,
    show_after: Duration,
}

impl Bar {
    /// A bar for this run, or none when standard error is not a terminal.
    pub fn for_terminal() -> Option<Arc<Bar>> {
        if !std::io::stderr().is_terminal() {
            return None;
        }
        let show_after = std::env::var("BYLAW_PROGRESS_AFTER_MS")
            .ok()
            .and_then(|ms| ms.parse().ok())
            .map_or(SHOW_AFTER, Duration::from_millis);
        // Hidden until the run has lasted `show_after`.
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template(
            "{spinner} reading records {bar:30} {binary_bytes}/{binary_total_bytes} ({eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        Some(Arc::new(Bar {
            bar,
            started: Instant::now(),
            show_after,
        }))
    }

    /// Takes the bar off the terminal, before the report is written.
    pub fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

impl Progress for Bar {
    fn start(&self, total_bytes: Option<u64>) {
        match total_bytes {
            Some(total) => self.bar.set_length(total),
            // Standard input among the sources: how much is read, and for how long.
            None => self.bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} reading records {binary_bytes} ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            ),
        }
    }

    fn advance(&self, bytes: u64) {
        self.bar.inc(bytes);
        if self.bar.is_hidden() && self.started.elapsed() >= self.show_after {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            // Drawn now, not at the next step: the last part of a run may already be read.
            self.bar.tick();
        }
    }
}
