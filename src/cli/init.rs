//! `bylaw init`: writes a commented `bylaw.toml` and CI jobs (GitHub Actions, GitLab CI) into
//! the current folder, never overwriting a file.

use std::io::Write;
use std::path::Path;

/// The files `bylaw init` writes: where, and what.
pub const FILES: [(&str, &str); 3] = [
    (super::config::FILE_NAME, include_str!("init/bylaw.toml")),
    (
        ".github/workflows/bylaw.yml",
        include_str!("init/github-workflow.yml"),
    ),
    ("bylaw.gitlab-ci.yml", include_str!("init/gitlab-ci.yml")),
];

/// Writes each file that does not exist yet and says what it did; exit status 0 when every
/// file was written or left, 2 when one could not be written.
pub fn run() -> u8 {
    let mut status = 0;
    let mut said = String::new();
    for (path, text) in FILES {
        match write_new(Path::new(path), text) {
            Ok(true) => said.push_str(&format!("wrote `{path}`\n")),
            Ok(false) => said.push_str(&format!("`{path}` exists, left as it is\n")),
            Err(e) => {
                eprintln!("cannot write `{path}`: {e}");
                status = 2;
            }
        }
    }
    if said.contains("wrote `.github") || said.contains("wrote `bylaw.gitlab") {
        said.push_str(
            "the CI jobs install bylaw from a placeholder URL: replace \
             `REPLACE-WITH-BYLAW-REPOSITORY-URL` with where bylaw's source lives\n",
        );
    }
    if !super::emit(&said) {
        return 2;
    }
    status
}

/// Writes `text` to `path` unless something is there already (`Ok(false)`). The file is created
/// with `create_new`, so a file that appears meanwhile, or a symbolic link, is never written
/// through.
fn write_new(path: &Path, text: &str) -> std::io::Result<bool> {
    // `symlink_metadata` sees a dangling link too: it is something, and is left.
    if path.symlink_metadata().is_ok() {
        return Ok(false);
    }
    if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(folder)?;
    }
    let mut file = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
    {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(e),
    };
    file.write_all(text.as_bytes())?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::FILES;
    use crate::source::SourceFile;
    use std::path::Path;

    /// The written bylaw.toml, every setting uncommented, is itself a valid config: the
    /// commented defaults are what the file may say.
    #[test]
    fn the_commented_settings_are_valid_when_uncommented() {
        let (_, text) = FILES[0];
        let uncommented: String = text
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest)
                    if rest.starts_with('[')
                        || rest.split_once(" = ").is_some_and(|(k, _)| {
                            !k.is_empty() && k.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                        }) =>
                {
                    rest
                }
                _ => line,
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let config =
            super::super::config::parse(SourceFile::new("bylaw.toml", uncommented), Path::new(""))
                .expect("the uncommented template loads");
        assert!(config.paths.is_some() && config.period.is_some() && config.format.is_some());
        assert!(config.output.is_some() && config.policy.is_some());
        assert!(config.baseline.is_some() && config.deny_warnings.is_some());
        assert!(config.waivers.is_some());
        assert_eq!(config.set.len(), 4);
    }
}
