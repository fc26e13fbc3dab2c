//! The real binary, run in a folder as a CI job runs it, and its output as text.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// Runs the binary in `dir`.
pub fn bylaw_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bylaw"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
