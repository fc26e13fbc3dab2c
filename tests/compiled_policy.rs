//! The bundled policy's compiled form (`policies/lianyungang.compiled`, `check::compiled`): it is
//! the policy parsed and checked now, byte for byte, and it is used only when current.
//!
//! After editing the bundled policy, or code that parses and compiles a policy, make it again:
//! `BYLAW_UPDATE_COMPILED=1 cargo test --test compiled_policy`.

use std::path::Path;

use bylaw::check::{self, compiled};
use bylaw::policy_files::{default_policy, COMPILED};

#[test]
fn the_compiled_policy_is_the_bundled_policy_parsed_and_checked_now() {
    let parsed = check::load(&default_policy(), &[]).expect("the bundled policy loads");
    let now = compiled::to_bytes(&parsed);
    if now == COMPILED {
        return;
    }
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/lianyungang.compiled");
    if std::env::var_os("BYLAW_UPDATE_COMPILED").is_some() {
        std::fs::write(&file, &now).expect("the compiled policy is written");
        return;
    }
    panic!(
        "{} is not the bundled policy as this code compiles it ({} bytes; {} now), so every run \
         parses the policy instead: make it again with \
         `BYLAW_UPDATE_COMPILED=1 cargo test --test compiled_policy`",
        file.display(),
        COMPILED.len(),
        now.len()
    );
}

#[test]
fn the_bundled_policy_read_from_its_compiled_form_is_the_policy_parsed() {
    let files = default_policy();
    let read = compiled::bundled(&files).expect("the compiled policy is current and read");
    let parsed = check::load(&files, &[]).expect("the bundled policy loads");
    assert_eq!(compiled::to_bytes(&read), compiled::to_bytes(&parsed));
    assert_eq!(read.files.len(), files.len());
    let article = read.articles.values().next().expect("articles");
    assert!(
        files
            .iter()
            .any(|f| std::sync::Arc::ptr_eq(f, &article.file)),
        "an article's file is one of the files given, not a copy"
    );
}

#[test]
fn bytes_made_from_other_sources_or_cut_short_are_not_used() {
    let files = default_policy();
    let bytes = COMPILED.to_vec();
    assert!(compiled::read(&bytes, &files).is_some());
    assert!(compiled::read(&[], &files).is_none());
    // The hash of what it was compiled from follows the magic line.
    let magic = bytes.iter().position(|&b| b == b'\n').unwrap() + 1;
    let mut other = bytes.clone();
    other[magic] ^= 1;
    assert!(
        compiled::read(&other, &files).is_none(),
        "compiled from other sources"
    );
    for cut in [
        magic,
        magic + 8,
        magic + 9,
        bytes.len() / 2,
        bytes.len() - 1,
    ] {
        assert!(
            compiled::read(&bytes[..cut], &files).is_none(),
            "cut at {cut}"
        );
    }
    assert!(
        compiled::read(&bytes, &files[1..]).is_none(),
        "names a file it is not given"
    );
}

#[test]
fn a_parameter_set_on_the_command_line_is_applied_to_the_bundled_policy() {
    let policy = check::load_bundled(&[]).expect("the bundled policy loads");
    let (name, value) = policy
        .params
        .iter()
        .find_map(|p| match p.value {
            check::ir::Const::Int(n) => Some((p.name.clone(), n)),
            _ => None,
        })
        .expect("an int parameter");
    let set = check::Override {
        name: name.clone(),
        value: (value + 1).to_string(),
        place: None,
    };
    let changed = check::load_bundled(&[set]).expect("the policy loads with the override");
    let param = changed.params.iter().find(|p| p.name == name).unwrap();
    assert_eq!(param.value, check::ir::Const::Int(value + 1));
}
