//! Spans take no part in equality: one policy laid out two ways parses to equal trees, and a
//! change of what it says is still a difference.

use std::sync::Arc;

use bylaw::ast::Item;
use bylaw::source::SourceFile;

fn items(text: &str) -> Vec<Item> {
    let source: Arc<SourceFile> = SourceFile::new("layout.bylaw", text);
    match bylaw::syntax::parse(&source) {
        Ok(file) => file.items,
        Err(e) => panic!("{e:#?}"),
    }
}

const TIGHT: &str = r#"rule set.90 error {
  title "morning meetings on weekdays"
  on meeting where kind is executive
  require hour(start) < 12 and weekday(start) != "sunday" else "starts at {hour(start)}"
  require all(m in members: m is mayor or vice_mayor) as warning else "a member is not a leader"
}
"#;

const LOOSE: &str = r#"# The same rule, laid out otherwise.


rule   set.90   error {
      title   "morning meetings on weekdays"

      on meeting
         where kind is executive
      require hour( start ) < 12
          and weekday( start ) != "sunday"
          else "starts at {hour(start)}"
      require all( m in members : m is mayor or vice_mayor )
          as warning
          else "a member is not a leader"
}
"#;

#[test]
fn layouts_of_one_policy_parse_to_equal_trees() {
    let (tight, loose) = (items(TIGHT), items(LOOSE));
    assert_eq!(tight, loose);
    assert_ne!(tight, items(&TIGHT.replace("< 12", "<= 12")));
}
