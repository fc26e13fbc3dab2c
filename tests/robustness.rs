//! No policy crashes bylaw: every policy file, cut short and with lines dropped, is loaded, and
//! every problem is located. (Record files are fuzzed in `tests/fuzz.rs`.)

mod common;

use common::Lcg;

#[test]
fn damaged_policies_are_refused_not_fatal() {
    let mut random = Lcg(96);
    let files = bylaw::policy_files::default_policy();
    for (i, file) in files.iter().enumerate() {
        let lines: Vec<&str> = file.text.lines().collect();
        for _ in 0..12 {
            // Drop one line, or cut the file short.
            let text = if random.below(2) == 0 && !lines.is_empty() {
                let drop = random.below(lines.len());
                lines
                    .iter()
                    .enumerate()
                    .filter(|(n, _)| *n != drop)
                    .map(|(_, l)| *l)
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                let mut cut = random.below(file.text.len());
                while !file.text.is_char_boundary(cut) {
                    cut -= 1;
                }
                file.text[..cut].to_string()
            };
            let mut damaged = files.clone();
            damaged[i] = bylaw::source::SourceFile::new(file.name.clone(), text);
            // Either it still loads or every problem is located in a file.
            if let Err(errors) = bylaw::check::load(&damaged, &[]) {
                assert!(!errors.is_empty());
                assert!(errors.iter().all(|e| e.source.is_some()), "{errors:#?}");
            }
        }
    }
}
