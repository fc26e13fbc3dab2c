//! The language server, driven over stdio as an editor drives it: a document is checked as it is
//! opened and changed, in the context of the workspace's record files on disk.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

use serde_json::{json, Value};

struct Client {
    child: Child,
    input: ChildStdin,
    output: BufReader<ChildStdout>,
    /// Dropped with the client, which stops the watchdog.
    _watchdog: std::sync::mpsc::Sender<()>,
}

impl Client {
    fn start() -> Client {
        Client::start_with(&[])
    }

    fn start_with(args: &[&str]) -> Client {
        Client::start_env(args, &[])
    }

    /// A server for which any workspace counts as large and whose background judgement starts
    /// two seconds late, so a document opened (or a policy changed) at once is always so while
    /// it runs: its own findings come first.
    fn start_while_the_workspace_is_judged(args: &[&str]) -> Client {
        Client::start_env(
            args,
            &[
                ("BYLAW_LSP_INTERIM_BYTES", "0"),
                ("BYLAW_LSP_PREJUDGE_DELAY_MS", "2000"),
            ],
        )
    }

    fn start_env(args: &[&str], env: &[(&str, &str)]) -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bylaw"))
            .arg("lsp")
            .args(args)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server starts");
        let input = child.stdin.take().expect("stdin");
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        // A server that stops answering would hang the test: it is killed after two minutes,
        // which ends its output, and the test fails on the missing message instead.
        let (watchdog, done) = std::sync::mpsc::channel::<()>();
        let pid = child.id().to_string();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                done.recv_timeout(std::time::Duration::from_secs(120))
            {
                let _ = Command::new("kill").args(["-9", &pid]).status();
            }
        });
        Client {
            child,
            input,
            output,
            _watchdog: watchdog,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        self.send_raw(format!("Content-Length: {}\r\n\r\n{body}", body.len()).as_bytes());
    }

    fn send_raw(&mut self, bytes: &[u8]) {
        self.input.write_all(bytes).expect("write");
        self.input.flush().expect("flush");
    }

    /// The answer to request `id`, and the other messages received before it.
    fn answer(&mut self, id: i64) -> (Value, Vec<Value>) {
        let mut before = Vec::new();
        loop {
            let message = self.receive();
            if message["id"] == id && message.get("method").is_none() {
                return (message, before);
            }
            before.push(message);
        }
    }

    fn initialize(&mut self, workspace: &Path, options: Value) -> Vec<Value> {
        self.send(
            json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                "capabilities": {},
                "rootUri": uri(workspace),
                "workspaceFolders": [{"uri": uri(workspace), "name": "records"}],
                "initializationOptions": options
            }}),
        );
        let (init, before) = self.answer(1);
        assert!(init["result"]["capabilities"].is_object(), "{init:#}");
        self.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
        before
    }

    /// Shutdown then exit: the server must end with success.
    fn finish(mut self, id: i64) {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": "shutdown"}));
        let (reply, _) = self.answer(id);
        assert!(reply.get("error").is_none(), "{reply:#}");
        self.send(json!({"jsonrpc": "2.0", "method": "exit"}));
        let status = self.child.wait().expect("the server exits");
        assert!(status.success(), "{status}");
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut header = String::new();
            let read = self.output.read_line(&mut header).expect("a header");
            assert!(read > 0, "the server ended its output");
            let header = header.trim();
            if header.is_empty() {
                break;
            }
            if let Some(n) = header.strip_prefix("Content-Length: ") {
                length = n.parse().expect("a length");
            }
        }
        let mut body = vec![0; length];
        self.output.read_exact(&mut body).expect("a body");
        serde_json::from_slice(&body).expect("JSON")
    }

    /// The next diagnostics published for `uri`, skipping anything else.
    fn diagnostics_for(&mut self, uri: &str) -> Value {
        loop {
            let message = self.receive();
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
            {
                return message["params"]["diagnostics"].clone();
            }
        }
    }

    /// Each publication on `uri` as its codes and severities (`set.1 error`), up to the first
    /// that holds set.1.
    fn publications_until_set_1(&mut self, uri: &str) -> Vec<Vec<String>> {
        let mut published = Vec::new();
        loop {
            let diagnostics = self.diagnostics_for(uri);
            let shown: Vec<String> = (diagnostics.as_array().expect("a list").iter())
                .map(|d| {
                    let severity = match d["severity"].as_i64() {
                        Some(1) => "error",
                        Some(2) => "warning",
                        _ => "other",
                    };
                    format!("{} {severity}", d["code"].as_str().unwrap_or(""))
                })
                .collect();
            let done = shown.iter().any(|s| s.starts_with("set.1 "));
            published.push(shown);
            if done {
                return published;
            }
        }
    }

    fn open(&mut self, uri: &str, language: &str, text: &str) {
        self.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
                "textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}
            }}),
        );
    }

    fn change(&mut self, uri: &str, version: i64, text: &str) {
        self.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]
            }}),
        );
    }

    /// A change of one range (protocol positions: lines from zero, UTF-16 columns).
    fn change_range(&mut self, uri: &str, version: i64, (start, end): Range, text: &str) {
        let position =
            |(line, character): (usize, usize)| json!({"line": line, "character": character});
        self.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
                "textDocument": {"uri": uri, "version": version},
                "contentChanges": [{"range": {"start": position(start), "end": position(end)}, "text": text}]
            }}),
        );
    }

    fn saved(&mut self, path: &Path) {
        self.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didSave", "params": {
                "textDocument": {"uri": uri(path)}
            }}),
        );
    }

    /// Sends a hover request on `uri` as request `id`; each publication received before its
    /// answer, as its document, version and diagnostics.
    fn published_before_a_hover(&mut self, id: i64, uri: &str) -> Vec<(Value, Value, Value)> {
        self.send(
            json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover", "params": {
                "textDocument": {"uri": uri}, "position": {"line": 1, "character": 4}
            }}),
        );
        let (reply, before) = self.answer(id);
        assert!(reply.get("error").is_none(), "{reply:#}");
        (before.iter())
            .filter(|m| m["method"] == "textDocument/publishDiagnostics")
            .map(|m| {
                let p = &m["params"];
                let field = |key: &str| p[key].clone();
                (field("uri"), field("version"), field("diagnostics"))
            })
            .collect()
    }

    /// The result of a request at a position of a document.
    fn at(&mut self, id: i64, method: &str, uri: &str, line: usize, character: usize) -> Value {
        self.send(
            json!({"jsonrpc": "2.0", "id": id, "method": method, "params": {
                "textDocument": {"uri": uri}, "position": {"line": line, "character": character}
            }}),
        );
        let (reply, _) = self.answer(id);
        assert!(reply.get("error").is_none(), "{reply:#}");
        reply["result"].clone()
    }

    /// The next diagnostics published, skipping anything else.
    fn diagnostics(&mut self) -> Value {
        loop {
            let message = self.receive();
            if message["method"] == "textDocument/publishDiagnostics" {
                return message["params"].clone();
            }
        }
    }
}

/// A range of a document: its start and end as line (from zero) and UTF-16 column.
type Range = ((usize, usize), (usize, usize));

fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[test]
fn documents_are_checked_as_typed_against_the_workspace() {
    // The editor opens a notice that says which meeting decided it; the meeting is not on disk yet.
    let workspace = Path::new(env!("CARGO_TARGET_TMPDIR")).join("lsp-workspace");
    let _ = std::fs::remove_dir_all(&workspace);
    std::fs::create_dir_all(&workspace).expect("workspace");
    let examples = bylaw::examples::Examples::new(bylaw::policy_files::default_examples());
    let pair = examples
        .get("set.2", bylaw::examples::Expect::Pass)
        .expect("set.2 has a passing example");
    let records: Vec<Value> = serde_json::from_str(&pair.text).expect("JSON array");
    let (meeting, notice) = (&records[0], &records[1]);
    let notice_uri = uri(&workspace.join("notice.json"));
    let notice_text = serde_json::to_string_pretty(notice).expect("JSON");

    let mut client = Client::start();
    client.send(
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "capabilities": {"workspace": {"didChangeWatchedFiles": {"dynamicRegistration": true}}},
            "rootUri": uri(&workspace),
            "workspaceFolders": [{"uri": uri(&workspace), "name": "records"}]
        }}),
    );
    let init = client.receive();
    // Incremental synchronisation: an edit sends its range, not the whole text again.
    assert_eq!(
        init["result"]["capabilities"]["textDocumentSync"]["change"],
        2
    );
    client.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    // The server asks to hear of record files changing on disk.
    let register = client.receive();
    assert_eq!(register["method"], "client/registerCapability");
    assert_eq!(
        register["params"]["registrations"][0]["method"],
        "workspace/didChangeWatchedFiles"
    );
    client.send(json!({"jsonrpc": "2.0", "id": register["id"], "result": null}));

    // Nothing in the workspace is the meeting named: set.2, on the `decided_at` value, in UTF-16
    // positions counted from zero.
    client.send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
        "textDocument": {"uri": notice_uri, "languageId": "json", "version": 1, "text": notice_text}
    }}));
    let published = client.diagnostics();
    assert_eq!(published["uri"], notice_uri.as_str());
    assert_eq!(published["version"], 1);
    let diagnostics = published["diagnostics"].as_array().expect("a list");
    assert_eq!(diagnostics.len(), 1, "{published:#}");
    let d = &diagnostics[0];
    assert_eq!(d["code"], "set.2");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["source"], "bylaw");
    let line = notice_text
        .lines()
        .position(|l| l.contains("\"decided_at\""))
        .expect("the line");
    assert_eq!(d["range"]["start"]["line"], line);
    let column = notice_text
        .lines()
        .nth(line)
        .and_then(|l| l.find("\"EXEC"))
        .expect("the value");
    assert_eq!(d["range"]["start"]["character"], column);

    // The meeting arrives on disk: the reference resolves and the diagnostic goes.
    let meeting_path = workspace.join("meetings.json");
    std::fs::write(
        &meeting_path,
        serde_json::to_string_pretty(meeting).expect("JSON"),
    )
    .expect("write the meeting");
    client.send(
        json!({"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles", "params": {
            "changes": [{"uri": uri(&meeting_path), "type": 1}]
        }}),
    );
    assert_eq!(client.diagnostics()["diagnostics"], json!([]));

    // A typo in the reference, typed in the editor: set.2 again, for version 2.
    let broken = notice_text.replace("EXEC-2011-063", "EXEC-2011-036");
    client.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": notice_uri, "version": 2},
            "contentChanges": [{"text": broken}]
        }}),
    );
    let published = client.diagnostics();
    assert_eq!(published["version"], 2);
    assert_eq!(
        published["diagnostics"][0]["code"], "set.2",
        "{published:#}"
    );

    // Closing the document clears what was shown for it.
    client.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {
            "textDocument": {"uri": notice_uri}
        }}),
    );
    let cleared = client.diagnostics();
    assert_eq!(cleared["uri"], notice_uri.as_str());
    assert_eq!(cleared["diagnostics"], json!([]));

    // Unknown requests are refused, not ignored; shutdown then exit ends the server cleanly.
    client.send(
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/rename", "params": {
            "textDocument": {"uri": notice_uri}, "position": {"line": 0, "character": 0}
        }}),
    );
    assert_eq!(client.receive()["error"]["code"], -32601);
    client.send(json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}));
    assert_eq!(client.receive()["id"], 3);
    client.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    let status = client.child.wait().expect("the server exits");
    assert!(status.success());
}

#[test]
fn a_large_workspace_shows_the_open_documents_own_findings_first_and_never_a_false_one() {
    let (mut client, _, (notice_uri, _)) = a_notice_open_in_a_large_workspace("lsp-large");
    // First the notice alone (nothing: its own record breaks no rule), then the whole set: its id
    // is used again. Never a set.2: the meeting it names is on disk, read after the first
    // publication.
    assert_eq!(
        client.publications_until_set_1(&notice_uri),
        [vec![], vec!["set.1 error".to_string()]]
    );
    client.finish(2);
}

/// An edit made while the workspace is still judged (here for two seconds and more) is answered
/// at once with its document's own findings, for its version; the whole set's follow when the
/// workspace is judged. Before, the server waited for the judgement before it read the edit.
#[test]
fn an_edit_while_the_workspace_is_judged_is_answered_at_once_with_the_documents_own_findings() {
    let (mut client, _, (notice_uri, notice_text)) =
        a_notice_open_in_a_large_workspace("lsp-large-edit");
    assert_eq!(client.diagnostics_for(&notice_uri), json!([]));
    let edited = notice_text.replacen('{', "{ ", 1);
    assert_ne!(edited, notice_text);
    client.change(&notice_uri, 2, &edited);
    // Each publication on the notice as its version and codes, up to the first with set.1.
    let mut published = Vec::new();
    loop {
        let message = client.receive();
        if message["method"] != "textDocument/publishDiagnostics"
            || message["params"]["uri"] != notice_uri.as_str()
        {
            continue;
        }
        let codes: Vec<String> = (message["params"]["diagnostics"].as_array())
            .expect("a list")
            .iter()
            .map(|d| d["code"].as_str().unwrap_or("").to_string())
            .collect();
        let done = codes.iter().any(|c| c == "set.1");
        published.push((message["params"]["version"].clone(), codes));
        if done {
            break;
        }
    }
    assert_eq!(
        published,
        [(json!(2), vec![]), (json!(2), vec!["set.1".to_string()])]
    );
    client.finish(2);
}

/// A document closed while the workspace is still judged is cleared at once, and the server goes
/// on answering: a request sent after the close, and after a file saved, is answered before the
/// whole set's findings come. Before, the close and the save waited for the judgement, and the
/// answer came after them.
#[test]
fn a_document_closed_or_a_file_saved_while_the_workspace_is_judged_is_not_held_up() {
    let (mut client, workspace, (notice_uri, notice_text)) =
        a_notice_open_in_a_large_workspace("lsp-large-close");
    let other_uri = uri(&workspace.join("notice-again.json"));
    assert_eq!(client.diagnostics_for(&notice_uri), json!([]));
    client.open(other_uri.as_str(), "json", &notice_text);
    assert_eq!(client.diagnostics_for(&other_uri), json!([]));
    client.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didClose", "params": {
            "textDocument": {"uri": notice_uri}
        }}),
    );
    client.saved(&workspace.join("a-records.jsonl"));
    let published = client.published_before_a_hover(2, &other_uri);
    // The closed document, cleared (no version: it is no longer open); the other, its own
    // findings alone (none).
    let cleared = (json!(notice_uri), Value::Null, json!([]));
    assert!(published.contains(&cleared), "{published:#?}");
    assert!(
        (published.iter()).all(|(_, _, diagnostics)| diagnostics == &json!([])),
        "the whole set's findings come after the answer: {published:#?}"
    );
    assert_eq!(
        client.publications_until_set_1(&other_uri),
        [vec!["set.1 error".to_string()]]
    );
    client.finish(3);
}

/// A records file written again on disk once the workspace is judged (an export run anew) is
/// judged again in the background: a request sent after the save is answered before the whole
/// set's findings come back. Before, the save judged the file before the server read on.
#[test]
fn a_large_file_written_again_is_judged_again_in_the_background() {
    let (mut client, workspace, (notice_uri, _)) =
        a_notice_open_in_a_large_workspace("lsp-large-save");
    assert_eq!(
        client.publications_until_set_1(&notice_uri),
        [vec![], vec!["set.1 error".to_string()]]
    );
    // The export written again, one more copy of the meeting in it.
    let path = workspace.join("a-records.jsonl");
    let mut lines = std::fs::read_to_string(&path).expect("the records");
    let first = lines
        .lines()
        .next()
        .expect("a line")
        .replace("COPY-00000", "COPY-AGAIN");
    lines.push_str(&format!("{first}\n"));
    std::fs::write(&path, lines).expect("written again");
    client.saved(&path);
    let published = client.published_before_a_hover(2, &notice_uri);
    assert!(
        (published.iter()).all(|(_, _, diagnostics)| diagnostics == &json!([])),
        "only the notice's own findings before the answer: {published:#?}"
    );
    assert_eq!(
        client.publications_until_set_1(&notice_uri),
        [vec!["set.1 error".to_string()]]
    );
    client.finish(3);
}

#[test]
fn a_policy_change_in_a_large_workspace_shows_the_open_documents_own_findings_first() {
    let (policy, records) = policy_and_records("lsp-large-policy-change");
    let (notice_uri, notice_text) = meetings_and_a_notice_naming_one(&records);
    let mut client =
        Client::start_while_the_workspace_is_judged(&["--policy", policy.to_str().expect("path")]);
    client.initialize(&records, json!(null));
    client.open(notice_uri.as_str(), "json", &notice_text);
    assert_eq!(
        client.publications_until_set_1(&notice_uri),
        [vec![], vec!["set.1 error".to_string()]]
    );

    // The policy, as typed: set.1 becomes a warning. The workspace is judged again in the
    // background, so the notice first shows its own findings, then the whole set's, with the new
    // severity: the new policy is the one in force.
    let path = policy.join("00-policy.bylaw");
    let text = std::fs::read_to_string(&path).expect("read");
    let changed = text.replacen("rule set.1 error {", "rule set.1 warning {", 1);
    assert_ne!(changed, text, "set.1 is declared in 00-policy.bylaw");
    client.open(&uri(&path), "bylaw", &changed);
    assert_eq!(
        client.publications_until_set_1(&notice_uri),
        [vec![], vec!["set.1 warning".to_string()]]
    );
    client.finish(2);
}

/// A server started on a workspace of 200 meetings and a notice naming one (its judgement of the
/// files on disk held two seconds), with a copy of the notice open: the client, the workspace,
/// and the notice's uri and text.
fn a_notice_open_in_a_large_workspace(
    name: &str,
) -> (Client, std::path::PathBuf, (String, String)) {
    let workspace = empty_workspace(name);
    let (notice_uri, notice_text) = meetings_and_a_notice_naming_one(&workspace);
    let mut client = Client::start_while_the_workspace_is_judged(&[]);
    client.initialize(&workspace, json!(null));
    client.open(notice_uri.as_str(), "json", &notice_text);
    (client, workspace, (notice_uri, notice_text))
}

/// Writes 200 copies of a meeting, the meeting itself and a notice naming it as JSON Lines into
/// `folder`, so the notice's id is used twice; returns the uri and text of a copy of the notice
/// for the editor to open beside them.
fn meetings_and_a_notice_naming_one(folder: &Path) -> (String, String) {
    let examples = bylaw::examples::Examples::new(bylaw::policy_files::default_examples());
    let pair = examples
        .get("set.2", bylaw::examples::Expect::Pass)
        .expect("set.2 has a passing example");
    let records: Vec<Value> = serde_json::from_str(&pair.text).expect("JSON array");
    let (meeting, notice) = (&records[0], &records[1]);
    let mut lines = String::new();
    for n in 0..200 {
        let mut copy = meeting.clone();
        copy["id"] = json!(format!("COPY-{n:05}"));
        lines.push_str(&format!("{copy}\n"));
    }
    lines.push_str(&format!("{meeting}\n{notice}\n"));
    std::fs::write(folder.join("a-records.jsonl"), lines).expect("the records");
    let notice_text = serde_json::to_string_pretty(notice).expect("JSON");
    (uri(&folder.join("notice.json")), notice_text)
}

fn empty_workspace(name: &str) -> std::path::PathBuf {
    let workspace = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&workspace);
    std::fs::create_dir_all(&workspace).expect("workspace");
    workspace
}

#[test]
fn malformed_frames_are_logged_and_skipped() {
    let workspace = empty_workspace("lsp-malformed");
    let mut client = Client::start();
    // Garbage before `initialize` too.
    client.send_raw(b"Content-Length: twelve\r\n\r\n{}");
    client.initialize(&workspace, json!({}));
    let malformed: [&[u8]; 7] = [
        // A length that is not a number, and one too large to hold.
        b"Content-Length: twelve\r\n\r\n{\"jsonrpc\": \"2.0\"}",
        b"Content-Length: 99999999999999999999999\r\n\r\n{}",
        // No header at all, and a body that is not JSON.
        b"{\"jsonrpc\": \"2.0\", \"id\": 5, \"method\": \"shutdown\"}\r\n",
        b"Content-Length: 9\r\n\r\nnot json!",
        // Bodies that are JSON but not JSON-RPC messages.
        b"Content-Length: 6\r\n\r\n[1, 2]",
        b"Content-Length: 4\r\n\r\n\xff\xfe\xfd\xfc",
        b"Content-Length: 34\r\n\r\n{\"jsonrpc\": \"2.0\", \"method\": [42]}",
    ];
    for (n, frame) in malformed.iter().enumerate() {
        client.send_raw(frame);
        // The next valid request is answered (rename is refused: bylaw does not answer it), and
        // the client's log says what was skipped.
        let id = 10 + n as i64;
        client.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/rename",
            "params": {"textDocument": {"uri": "file:///x.json"}, "position": {"line": 0, "character": 0}}}));
        let (reply, before) = client.answer(id);
        assert_eq!(reply["error"]["code"], -32601, "{reply:#}");
        assert!(
            before.iter().any(|m| m["method"] == "window/logMessage"
                && m["params"]["message"]
                    .as_str()
                    .is_some_and(|t| t.contains("malformed"))),
            "frame {n}: {before:#?}"
        );
    }
    // A request of the wrong shape is answered with an error, not dropped.
    client.send(json!({"jsonrpc": "2.0", "id": 30, "method": {"not": "a name"}}));
    let (reply, _) = client.answer(30);
    assert_eq!(reply["error"]["code"], -32600, "{reply:#}");
    // A notification whose parameters do not read is logged and ignored.
    client.send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"x": 1}}));
    client.finish(31);
}

#[test]
fn paths_outside_the_workspace_are_refused() {
    // The meeting a notice names is on disk, but outside the workspace: it must not be read.
    let base = empty_workspace("lsp-confined");
    let workspace = base.join("workspace");
    let outside = base.join("outside");
    std::fs::create_dir_all(workspace.join("inside")).expect("inside");
    std::fs::create_dir_all(&outside).expect("outside");
    let examples = bylaw::examples::Examples::new(bylaw::policy_files::default_examples());
    let pair = examples
        .get("set.2", bylaw::examples::Expect::Pass)
        .expect("set.2 has a passing example");
    let records: Vec<Value> = serde_json::from_str(&pair.text).expect("JSON array");
    let (meeting, notice) = (&records[0], &records[1]);
    std::fs::write(outside.join("meetings.json"), meeting.to_string()).expect("meeting");
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, workspace.join("link")).expect("a link");

    let mut client = Client::start();
    let before = client.initialize(
        &workspace,
        json!({"paths": ["../outside", outside.display().to_string(), "link", "inside", 7]}),
    );
    let _ = before;
    let mut shown = Vec::new();
    // Four refusals are shown to the user: `..`, the absolute path, the link, the number.
    while shown.len() < 4 {
        let message = client.receive();
        if message["method"] == "window/showMessage" {
            shown.push(
                message["params"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
            );
        }
    }
    assert!(
        shown[0].contains("`../outside`") && shown[0].contains("outside the workspace"),
        "{shown:#?}"
    );
    assert!(shown[1].contains("outside the workspace"), "{shown:#?}");
    assert!(
        shown[2].contains("`link`") && shown[2].contains("outside the workspace"),
        "{shown:#?}"
    );
    assert!(shown[3].contains("`7`"), "{shown:#?}");

    let notice_uri = uri(&workspace.join("inside").join("notice.json"));
    client.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {
            "textDocument": {"uri": notice_uri, "languageId": "json", "version": 1,
                             "text": notice.to_string()}
        }}),
    );
    let published = client.diagnostics();
    assert_eq!(
        published["diagnostics"][0]["code"], "set.2",
        "{published:#}"
    );
    client.finish(2);
}

/// A copy of the bundled policy in `dir`, with `edit` applied to the text of file `name`.
/// A workspace `name` holding a copy of the bundled policy (`policy/`) and an empty `records/`.
fn policy_and_records(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let base = empty_workspace(name);
    let (policy, records) = (base.join("policy"), base.join("records"));
    policy_copy(&policy);
    std::fs::create_dir_all(&records).expect("records");
    (policy, records)
}

fn policy_copy(dir: &Path) {
    std::fs::create_dir_all(dir).expect("policy folder");
    for entry in
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("policies/lianyungang"))
            .expect("the bundled policy")
    {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|x| x == "bylaw") {
            std::fs::copy(&path, dir.join(path.file_name().expect("name"))).expect("copy");
        }
    }
}

fn line_of(text: &str, needle: &str) -> (usize, usize) {
    text.lines()
        .enumerate()
        .find_map(|(n, l)| l.find(needle).map(|c| (n, c)))
        .expect("the needle")
}

fn hover_text(result: &Value) -> String {
    result["contents"]["value"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

#[test]
fn policy_files_are_checked_and_navigable_as_typed() {
    let base = empty_workspace("lsp-policy");
    let policy = base.join("policy");
    policy_copy(&policy);
    let records_text = std::fs::read_to_string(policy.join("01-records.bylaw")).expect("read");
    let broken = records_text.replace("rule: string required", "rule: strng required");
    let records_uri = uri(&policy.join("01-records.bylaw"));
    let mut client = Client::start();
    client.initialize(&base, json!({}));

    // A mistake as typed is shown at its line; fixing it clears it.
    client.open(&records_uri, "bylaw", &broken);
    let shown = client.diagnostics_for(&records_uri);
    assert_eq!(shown.as_array().map(Vec::len), Some(1), "{shown:#}");
    assert_eq!(
        shown[0]["range"]["start"]["line"],
        line_of(&broken, "strng").0
    );
    assert!(
        shown[0]["message"].as_str().unwrap_or("").contains("strng"),
        "{shown:#}"
    );
    client.change(&records_uri, 2, &records_text);
    assert_eq!(client.diagnostics_for(&records_uri), json!([]));

    // A second open document, never saved, is part of the policy: its mistake is shown on it.
    let extra_uri = uri(&policy.join("zz-extra.bylaw"));
    client.open(
        &extra_uri,
        "bylaw",
        "group extras \"x\" = role { no_such_role }\n",
    );
    let shown = client.diagnostics_for(&extra_uri);
    assert!(!shown.as_array().expect("a list").is_empty(), "{shown:#}");
    assert_eq!(shown[0]["range"]["start"]["line"], 0);
    client.change(&extra_uri, 2, "");
    assert_eq!(client.diagnostics_for(&extra_uri), json!([]));

    // Hover: a parameter, a group, a rule id, a field.
    let head_uri = uri(&policy.join("00-policy.bylaw"));
    let head = std::fs::read_to_string(policy.join("00-policy.bylaw")).expect("read");
    client.open(&head_uri, "bylaw", &head);
    let (line, col) = line_of(&head, "param filing_days");
    let text = hover_text(&client.at(10, "textDocument/hover", &head_uri, line, col + 7));
    assert!(
        text.contains("default 30") && text.contains("files its normative"),
        "{text}"
    );
    let (line, col) = line_of(&head, "group leaders");
    let text = hover_text(&client.at(11, "textDocument/hover", &head_uri, line, col + 7));
    assert!(
        text.contains("members") && text.contains("`mayor`"),
        "{text}"
    );
    let meetings_uri = uri(&policy.join("ch09-meetings.bylaw"));
    let meetings = std::fs::read_to_string(policy.join("ch09-meetings.bylaw")).expect("read");
    client.open(&meetings_uri, "bylaw", &meetings);
    let (line, col) = line_of(&meetings, "rule 38.1");
    let text = hover_text(&client.at(12, "textDocument/hover", &meetings_uri, line, col + 6));
    assert!(
        text.contains("executive meeting is convened") && text.contains("article 38"),
        "{text}"
    );
    // A field's description, as the open (unsaved) records file says it, shows on hover.
    let described = records_text.replace(
        "chair: person \"who chaired the meeting (主持)\"\n",
        "chair: person \"who chairs the meeting\"\n",
    );
    assert_ne!(
        described, records_text,
        "the bundled description of `chair` changed"
    );
    client.change(&records_uri, 3, &described);
    assert_eq!(client.diagnostics_for(&records_uri), json!([]));
    let (line, col) = line_of(&meetings, "require chair is one of mayor");
    let text = hover_text(&client.at(13, "textDocument/hover", &meetings_uri, line, col + 9));
    assert!(
        text.contains("meeting.chair") && text.contains("who chairs the meeting"),
        "{text}"
    );

    // Definition: the record type after `on`, in another file.
    let (line, col) = line_of(&meetings, "on meeting where kind is executive");
    let found = client.at(14, "textDocument/definition", &meetings_uri, line, col + 4);
    assert_eq!(found["uri"], records_uri.as_str(), "{found:#}");
    assert_eq!(
        found["range"]["start"]["line"],
        line_of(&records_text, "record meeting").0
    );

    // Completion after `on meeting where`, the condition half typed.
    let typing = meetings.replacen(
        "on meeting where kind is executive",
        "on meeting where ch",
        1,
    );
    client.change(&meetings_uri, 2, &typing);
    let (line, col) = line_of(&typing, "on meeting where ch");
    let items = client.at(15, "textDocument/completion", &meetings_uri, line, col + 19);
    let labels: Vec<&str> = items
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["label"].as_str())
        .collect();
    assert!(
        labels.contains(&"chair") && labels.contains(&"kind"),
        "{labels:?}"
    );

    // Hostile positions: between names, past the end, on a file with syntax errors.
    assert_eq!(
        client.at(16, "textDocument/hover", &head_uri, 0, 0),
        Value::Null
    );
    assert_eq!(
        client.at(17, "textDocument/hover", &head_uri, 99_999, 3),
        Value::Null
    );
    assert_eq!(
        client.at(18, "textDocument/definition", &head_uri, 0, 9_999),
        Value::Null
    );
    let end = head.lines().count();
    assert_eq!(
        client.at(19, "textDocument/hover", &head_uri, end, 0),
        Value::Null
    );
    assert_eq!(
        client.at(20, "textDocument/hover", &meetings_uri, line, col + 18),
        Value::Null
    );
    // A file that does not parse: its error is shown, and hover and definition answer nothing.
    let garbled = head.replacen("group leaders", "group {{ leaders", 1);
    client.change(&head_uri, 2, &garbled);
    let shown = client.diagnostics_for(&head_uri);
    assert_eq!(
        shown[0]["range"]["start"]["line"],
        line_of(&garbled, "group {{").0,
        "{shown:#}"
    );
    let (line, col) = line_of(&garbled, "param filing_days");
    assert_eq!(
        client.at(21, "textDocument/hover", &head_uri, line, col + 7),
        Value::Null
    );
    assert_eq!(
        client.at(22, "textDocument/definition", &head_uri, line, col + 7),
        Value::Null
    );
    // A position past a line's end, and a document never opened.
    let (line, _) = line_of(&meetings, "市");
    assert_eq!(
        client.at(23, "textDocument/hover", &meetings_uri, line, 100_000),
        Value::Null
    );
    assert_eq!(
        client.at(24, "textDocument/hover", "file:///nowhere/x.bylaw", 0, 0),
        Value::Null
    );
    client.finish(30);
}

#[test]
fn a_broken_policy_keeps_the_server_up_until_fixed_then_findings_can_be_waived() {
    let (policy, records) = policy_and_records("lsp-broken-policy");
    let records_text = std::fs::read_to_string(policy.join("01-records.bylaw")).expect("read");
    let broken = records_text.replace("rule: string required", "rule: strng required");
    std::fs::write(policy.join("01-records.bylaw"), &broken).expect("plant");
    // A policy file that is not UTF-8 on disk is a problem of its own, not a crash.
    std::fs::write(policy.join("zz-bad.bylaw"), b"group \xff\xfe").expect("bad bytes");

    let mut client = Client::start_with(&["--policy", policy.to_str().expect("path")]);
    let before = client.initialize(&records, json!({}));
    let mut shown = before
        .into_iter()
        .find(|m| m["method"] == "window/showMessage");
    while shown.is_none() {
        let m = client.receive();
        if m["method"] == "window/showMessage" {
            shown = Some(m);
        }
    }
    let shown = shown.expect("a message");
    assert!(
        shown["params"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("problem"),
        "{shown:#}"
    );

    // A record is not checked while the policy does not load.
    let examples = bylaw::examples::Examples::new(bylaw::policy_files::default_examples());
    let fail = examples
        .get("38.1", bylaw::examples::Expect::Fail)
        .expect("an example");
    let record_uri = uri(&records.join("meeting.json"));
    client.open(&record_uri, "json", &fail.text);
    assert_eq!(client.diagnostics_for(&record_uri), json!([]));

    // The policy file opened shows its problem; the bad bytes are shown on theirs.
    let policy_uri = uri(&policy.join("01-records.bylaw"));
    client.open(&policy_uri, "bylaw", &broken);
    let bad_uri = uri(&policy.join("zz-bad.bylaw"));
    let (mut problems, mut bad) = (None, None);
    while problems.is_none() || bad.is_none() {
        let m = client.receive();
        if m["method"] == "textDocument/publishDiagnostics" {
            if m["params"]["uri"] == policy_uri.as_str() {
                problems = Some(m["params"]["diagnostics"].clone());
            } else if m["params"]["uri"] == bad_uri.as_str() {
                bad = Some(m["params"]["diagnostics"].clone());
            }
        }
    }
    let (problems, bad) = (problems.unwrap_or_default(), bad.unwrap_or_default());
    assert_eq!(
        problems[0]["range"]["start"]["line"],
        line_of(&broken, "strng").0
    );
    assert!(
        bad[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("not UTF-8"),
        "{bad:#}"
    );
    std::fs::remove_file(policy.join("zz-bad.bylaw")).expect("remove");
    // Fixed in the editor and on disk: the records are checked again.
    client.change(&policy_uri, 2, &records_text);
    client.send(
        json!({"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles",
        "params": {"changes": [{"uri": uri(&policy.join("zz-bad.bylaw")), "type": 3}]}}),
    );
    let findings = loop {
        let d = client.diagnostics_for(&record_uri);
        if d.as_array().is_some_and(|d| !d.is_empty()) {
            break d;
        }
    };
    let finding = findings
        .as_array()
        .expect("a list")
        .iter()
        .find(|d| d["code"] == "38.1")
        .expect("38.1")
        .clone();

    // Hover on the finding: the rule, how to comply, the article.
    let start = &finding["range"]["start"];
    let (line, character) = (
        start["line"].as_u64().unwrap_or(0),
        start["character"].as_u64().unwrap_or(0),
    );
    let text = hover_text(&client.at(
        40,
        "textDocument/hover",
        &record_uri,
        line as usize,
        character as usize,
    ));
    assert!(
        text.contains("38.1") && text.contains("article 38"),
        "{text}"
    );

    // The waiver code action yields valid JSON with an empty reason, which set.4 then reports.
    client.send(json!({"jsonrpc": "2.0", "id": 41, "method": "textDocument/codeAction", "params": {
        "textDocument": {"uri": record_uri}, "range": finding["range"], "context": {"diagnostics": []}
    }}));
    let (reply, _) = client.answer(41);
    let action = reply["result"]
        .as_array()
        .expect("actions")
        .iter()
        .find(|a| a["title"] == "Add a waiver for rule 38.1")
        .expect("the action")
        .clone();
    let edits = &action["edit"]["changes"][record_uri.as_str()];
    let edit = &edits[0];
    let at = line_col_offset(
        &fail.text,
        edit["range"]["start"]["line"].as_u64().unwrap_or(0) as usize,
        edit["range"]["start"]["character"].as_u64().unwrap_or(0) as usize,
    );
    let waived = format!(
        "{}{}{}",
        &fail.text[..at],
        edit["newText"].as_str().unwrap_or(""),
        &fail.text[at..]
    );
    let value: Value = serde_json::from_str(&waived).expect("valid JSON");
    let waivers = value
        .pointer("/waivers")
        .or_else(|| value.pointer("/0/waivers"))
        .expect("waivers");
    assert_eq!(waivers[0]["reason"], "");
    client.change(&record_uri, 2, &waived);
    let after = client.diagnostics_for(&record_uri);
    assert!(
        after
            .as_array()
            .expect("a list")
            .iter()
            .any(|d| d["code"] == "set.4"),
        "{after:#}"
    );
    client.finish(50);
}

/// The byte offset of a line and an ASCII column.
fn line_col_offset(text: &str, line: usize, column: usize) -> usize {
    text.split_inclusive('\n')
        .take(line)
        .map(str::len)
        .sum::<usize>()
        + column
}

#[test]
fn a_policy_fixed_on_disk_is_taken_up() {
    let (policy, records) = policy_and_records("lsp-policy-on-disk");
    let path = policy.join("01-records.bylaw");
    let fixed = std::fs::read_to_string(&path).expect("read");
    std::fs::write(
        &path,
        fixed.replace("record meeting", "record meeting meeting"),
    )
    .expect("plant");
    let mut client = Client::start_with(&["--policy", policy.to_str().expect("path")]);
    client.initialize(&records, json!({}));
    let examples = bylaw::examples::Examples::new(bylaw::policy_files::default_examples());
    let fail = examples
        .get("38.1", bylaw::examples::Expect::Fail)
        .expect("an example");
    let record_uri = uri(&records.join("meeting.json"));
    client.open(&record_uri, "json", &fail.text);
    assert_eq!(client.diagnostics_for(&record_uri), json!([]));
    std::fs::write(&path, &fixed).expect("fix");
    client.send(
        json!({"jsonrpc": "2.0", "method": "workspace/didChangeWatchedFiles",
        "params": {"changes": [{"uri": uri(&path), "type": 2}]}}),
    );
    let findings = client.diagnostics_for(&record_uri);
    assert!(
        findings
            .as_array()
            .is_some_and(|d| d.iter().any(|d| d["code"] == "38.1")),
        "{findings:#}"
    );
    client.finish(5);
}

/// A small policy with a closed record type, an open one, the three conventions declared under
/// other names, and the built-in calendar.
const CONVENTIONS: &str = r#"policy "t" {
    title "test"
    source "test"
    issued 2024-01-01
}

enum rank { head staff }

shape official {
    name: string
    rank: rank required
    duties: [string]
} as person(role: rank, areas: duties)

shape waiver {
    rule: string required
    reason: string
}

shape stage {
    kind: rank required
    who: official required
    when: datetime required
} as step(action: kind, by: who, at: when)

record letter closed "a letter received" {
    id: string required nonempty
    type: string required
    received: date required event
    answered: date
}

record memo "a memo" {
    id: string required nonempty
    type: string required
    sent: date required event
    answered: date
    author: official
    stages: [stage]
    exemptions: [waiver]
} as waivable(waivers: exemptions)

calendar "cn-mainland" builtin
"#;

/// A folder holding the policy [`CONVENTIONS`], and an empty folder for records.
fn conventions_workspace(name: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let base = empty_workspace(name);
    let policy = base.join("policy");
    std::fs::create_dir_all(&policy).expect("policy folder");
    std::fs::write(policy.join("policy.bylaw"), CONVENTIONS).expect("policy");
    let records = base.join("records");
    std::fs::create_dir_all(&records).expect("records");
    (policy, records)
}

#[test]
fn hover_explains_closed_types_conventions_and_the_builtin_calendar() {
    let (policy, records) = conventions_workspace("lsp-hover-conventions");
    let policy_uri = uri(&policy.join("policy.bylaw"));
    let mut client = Client::start_with(&["--policy", policy.to_str().expect("path")]);
    client.initialize(&records, json!({}));
    client.open(&policy_uri, "bylaw", CONVENTIONS);
    assert_eq!(client.diagnostics_for(&policy_uri), json!([]));
    let mut id = 10;
    let mut hover = |client: &mut Client, needle: &str, skip: usize| {
        let (line, col) = line_of(CONVENTIONS, needle);
        id += 1;
        hover_text(&client.at(id, "textDocument/hover", &policy_uri, line, col + skip))
    };

    // `closed`: what it means for a record with another field.
    let text = hover(&mut client, "closed \"a letter", 2);
    assert!(
        text.contains("**closed** record type `letter`")
            && text.contains("**bad input**")
            && text.contains("`received`, `answered`"),
        "{text}"
    );
    // The field named `closed` elsewhere would be a field; the type's name is still the type.
    let text = hover(&mut client, "letter closed", 1);
    assert!(text.contains("**record** `letter`"), "{text}");

    // `as person(…)`: each role, the field that plays it, and the default.
    let text = hover(&mut client, "person(role", 1);
    assert!(
        text.contains("`official` plays `person`")
            && text.contains("`role`: the field `rank` (by default `role`)")
            && text.contains("`areas`: the field `duties` (by default `portfolio`)"),
        "{text}"
    );
    let text = hover(&mut client, "areas: duties", 8);
    assert!(
        text.contains(
            "**person.areas**, played by the field `official.duties` (by default `portfolio`)"
        ) && text.contains("in charge of"),
        "{text}"
    );
    // `as step(…)` and `as waivable(…)`.
    let text = hover(&mut client, "step(action", 1);
    assert!(
        text.contains("`action`: the field `kind` (by default `action`)")
            && text.contains("`by`: the field `who` (by default `by`)")
            && text.contains("`at`: the field `when` (by default `at`)"),
        "{text}"
    );
    let text = hover(&mut client, "waivable(waivers", 1);
    assert!(
        text.contains("`memo` plays `waivable`")
            && text.contains("`waivers`: the field `exemptions` (by default `waivers`)"),
        "{text}"
    );

    // The built-in calendar: what it is, its years and its rows, as the calendar module has them.
    let calendar = bylaw::calendar::builtin("cn-mainland").expect("built in");
    let (first, last) = calendar.years();
    let rows = calendar.announced_days();
    for (needle, skip) in [("builtin", 2), ("\"cn-mainland\"", 3)] {
        let text = hover(&mut client, needle, skip);
        assert!(
            text.contains("mainland China")
                && text.contains(&format!("{first}–{last}, {rows} announced days"))
                && text.contains("built into bylaw"),
            "{needle}: {text}"
        );
    }
    client.finish(50);
}

#[test]
fn a_misspelled_field_of_an_open_type_gets_a_word_in_the_editor() {
    let (policy, records) = conventions_workspace("lsp-near-miss");
    let mut client = Client::start_with(&["--policy", policy.to_str().expect("path")]);
    client.initialize(&records, json!({}));
    // Non-ASCII text before the key on its line: the position is counted in UTF-16 units.
    let memo = concat!(
        r#"{"type": "memo", "id": "M-1", "note": "张敏说 𝄞", "sent": "2024-03-01", "#,
        r#""answerd": "2024-03-02", "colour": "blue", "author": {"rank": "head", "dutys": []}}"#
    );
    let letter =
        r#"{"type": "letter", "id": "L-1", "received": "2024-03-01", "answerd": "2024-03-02"}"#;
    let text = format!("{memo}\n{letter}\n");
    let record_uri = uri(&records.join("records.jsonl"));
    client.open(&record_uri, "jsonl", &text);
    let shown = client.diagnostics_for(&record_uri);
    let shown = shown.as_array().expect("a list");
    let hints: Vec<&Value> = shown.iter().filter(|d| d["severity"] == 3).collect();
    let messages: Vec<&str> = hints
        .iter()
        .map(|d| d["message"].as_str().unwrap_or(""))
        .collect();
    // A near miss in the record and in a shape it holds; nothing for `colour`, an extension.
    assert_eq!(
        messages,
        [
            "`answerd` is not a field of `memo`; did you mean `answered`?",
            "`dutys` is not a field of `official`; did you mean `duties`?",
        ],
        "{shown:#?}"
    );
    let utf16 = |s: &str| s.encode_utf16().count();
    let before = &memo[..memo.find("\"answerd\"").expect("the key")];
    assert_eq!(hints[0]["range"]["start"]["line"], 0);
    assert_eq!(hints[0]["range"]["start"]["character"], utf16(before));
    assert_eq!(
        hints[0]["range"]["end"]["character"],
        utf16(before) + "\"answerd\"".len()
    );
    // The closed `letter`: its unknown field is bad input (set.3) on line 1, said once.
    let on_letter: Vec<&Value> = shown
        .iter()
        .filter(|d| d["range"]["start"]["line"] == 1)
        .collect();
    assert_eq!(on_letter.len(), 1, "{shown:#?}");
    assert_eq!(on_letter[0]["code"], "set.3");
    assert_eq!(on_letter[0]["severity"], 1);

    // Fixed: the word goes.
    let fixed = text.replace(
        r#""answerd": "2024-03-02", "colour""#,
        r#""answered": "2024-03-02", "colour""#,
    );
    client.change(&record_uri, 2, &fixed);
    let shown = client.diagnostics_for(&record_uri);
    let messages: Vec<&str> = shown
        .as_array()
        .expect("a list")
        .iter()
        .filter(|d| d["severity"] == 3)
        .map(|d| d["message"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        messages,
        ["`dutys` is not a field of `official`; did you mean `duties`?"]
    );
    client.finish(60);
}

/// The fixtures' export, copied as a workspace of its own.
fn export_workspace(name: &str) -> std::path::PathBuf {
    let workspace = empty_workspace(name);
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/export");
    for entry in walkdir::WalkDir::new(&export) {
        let entry = entry.expect("the export");
        let to = workspace.join(entry.path().strip_prefix(&export).expect("inside"));
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&to).expect("a folder");
        } else {
            std::fs::copy(entry.path(), &to).expect("a copy");
        }
    }
    workspace
}

#[test]
fn an_edit_of_a_range_is_applied_where_the_editor_made_it() {
    let workspace = export_workspace("lsp-ranged-edits");
    let path = workspace.join("leave.jsonl");
    let text = std::fs::read_to_string(&path).expect("leave.jsonl");
    let document = uri(&path);
    let mut client = Client::start();
    client.initialize(&workspace, json!({}));
    client.open(&document, "jsonl", &text);
    let before = client.diagnostics_for(&document);
    assert!(!before
        .as_array()
        .expect("a list")
        .iter()
        .any(|d| d["code"] == "set.1"));
    // The third record's id made the first's: a duplicate id, on both lines.
    let lines: Vec<&str> = text.lines().collect();
    let first_id = "LV-2011-101";
    let third = lines[2];
    let at = third.find("LV-2011-103").expect("the third id");
    let column = third[..at].encode_utf16().count();
    client.change_range(
        &document,
        2,
        ((2, column), (2, column + first_id.len())),
        first_id,
    );
    let shown = client.diagnostics_for(&document);
    let duplicates: Vec<u64> = (shown.as_array().expect("a list").iter())
        .filter(|d| d["code"] == "set.1")
        .map(|d| d["range"]["start"]["line"].as_u64().unwrap_or(99))
        .collect();
    assert!(duplicates.contains(&2), "{shown:#}");
    // A change after Chinese text on a line lands after it, in UTF-16 units: the person's name
    // `张敏` on the first line becomes `张敏敏`, and nothing else changes.
    let name_end = lines[0].find("张敏").expect("the name") + "张敏".len();
    let column = lines[0][..name_end].encode_utf16().count();
    client.change_range(&document, 3, ((0, column), (0, column)), "敏");
    client.diagnostics_for(&document);
    // Undone in the same ways: the text is the file's again, and so are the diagnostics.
    client.change_range(&document, 4, ((0, column), (0, column + 1)), "");
    client.diagnostics_for(&document);
    let at = lines[2].find("LV-2011-103").expect("the third id");
    let column = lines[2][..at].encode_utf16().count();
    client.change_range(
        &document,
        5,
        ((2, column), (2, column + first_id.len())),
        "LV-2011-103",
    );
    assert_eq!(client.diagnostics_for(&document), before);
    client.finish(90);
}

/// Each diagnostic's code and line (0-based), as `set.1 17`.
fn codes_and_lines(shown: &Value) -> Vec<String> {
    (shown.as_array().expect("a list").iter())
        .map(|d| {
            let code = d["code"].as_str().unwrap_or("-");
            format!("{code} {}", d["range"]["start"]["line"])
        })
        .collect()
}

/// The diagnostics of `document` in a server judging large JSON Lines documents in pieces of
/// `piece_lines` lines, after it is opened with `text` and after each of `edits` (ranges and
/// texts, as [`Client::change_range`] sends them).
fn diagnostics_through_edits(
    workspace: &Path,
    document: &str,
    text: &str,
    piece_lines: &str,
    edits: &[(Range, String)],
) -> Vec<Value> {
    let mut client = Client::start_env(&[], &[("BYLAW_LSP_PIECE_LINES", piece_lines)]);
    client.initialize(workspace, json!({}));
    client.open(document, "jsonl", text);
    let mut shown = vec![client.diagnostics_for(document)];
    for (version, (range, text)) in (2..).zip(edits) {
        client.change_range(document, version, *range, text);
        shown.push(client.diagnostics_for(document));
    }
    client.finish(90);
    shown
}

#[test]
fn a_json_lines_document_judged_in_pieces_shows_what_it_shows_judged_whole() {
    let workspace = export_workspace("lsp-pieces");
    let path = workspace.join("leave.jsonl");
    let text = std::fs::read_to_string(&path).expect("leave.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.len() > 20, "enough lines for several pieces");
    let column_of = |line: usize, needle: &str| {
        let at = lines[line].find(needle).expect("the needle");
        lines[line][..at].encode_utf16().count()
    };
    let id_at = |line: usize| {
        let id = &lines[line][lines[line].find("LV-").expect("an id")..][..11];
        let column = column_of(line, id);
        ((line, column), (line, column + 11))
    };
    let edits: Vec<(Range, String)> = vec![
        // Within a line of a later piece: an id made the first line's (a duplicate across
        // pieces), then a key that is a field misspelled (a near miss).
        (id_at(17), "LV-2011-101".into()),
        (((12, 1), (12, 1)), "\"aproved_days\": 1, ".into()),
        // A record added at the top: every line after it moves down one.
        (((0, 0), (0, 0)), format!("{}\n", lines[5])),
        // A line's closing brace taken away: bad input at its line, the others still judged.
        (
            (
                (9, lines[8].encode_utf16().count() - 1),
                (9, lines[8].encode_utf16().count()),
            ),
            String::new(),
        ),
        // Two lines removed from the middle, then everything replaced by its first ten lines.
        (((3, 0), (5, 0)), String::new()),
        (
            ((0, 0), (lines.len() + 5, 0)),
            lines[..10].join("\n") + "\n",
        ),
    ];
    let whole = pieces_show_what_the_whole_shows(&workspace, &path, &text, &edits);
    // What the edits were meant to show, shown.
    let codes = |step: usize| codes_and_lines(&whole[step]);
    assert!(codes(1).contains(&"set.1 17".to_string()), "{:?}", codes(1));
    let duplicate = (whole[1].as_array().expect("a list").iter())
        .find(|d| d["code"] == "set.1")
        .expect("set.1");
    // Its first use, in the first piece, is where the duplicate's related information points.
    assert_eq!(
        duplicate["relatedInformation"][0]["location"]["range"]["start"]["line"], 0,
        "{duplicate:#}"
    );
    let hints = |step: usize| {
        (whole[step].as_array().expect("a list").iter())
            .filter(|d| d["severity"] == 3)
            .count()
    };
    assert_eq!(hints(2), 1, "{:#}", whole[2]);
    assert!(codes(4).iter().any(|c| c.ends_with(" 9")), "{:?}", codes(4));
}

/// A reference that names no record, in a piece that lines added or removed above it move: its
/// finding moves with it, as the whole document judged again shows it.
#[test]
fn a_finding_of_the_set_in_a_moved_piece_is_shown_at_its_new_line() {
    let workspace = export_workspace("lsp-pieces-moved");
    let path = workspace.join("documents/city-government.jsonl");
    let text = std::fs::read_to_string(&path).expect("city-government.jsonl");
    let lines: Vec<&str> = text.lines().collect();
    let referring = lines
        .iter()
        .rposition(|l| l.contains("\"decided_at\""))
        .expect("one");
    let target = lines[referring]
        .find("\"decided_at\":\"")
        .expect("its field")
        + 14;
    let target_len = lines[referring][target..].find('"').expect("its end");
    let column = |at: usize| lines[referring][..at].encode_utf16().count();
    let edits: Vec<(Range, String)> = vec![
        // The reference made to name no meeting.
        (
            (
                (referring, column(target)),
                (referring, column(target + target_len)),
            ),
            "EXEC-2099-999".into(),
        ),
        // A record added at the top, then three lines removed near it.
        (((0, 0), (0, 0)), format!("{}\n", lines[5])),
        (((2, 0), (5, 0)), String::new()),
    ];
    let whole = pieces_show_what_the_whole_shows(&workspace, &path, &text, &edits);
    let lines_of = |step: usize, code: &str| -> Vec<u64> {
        (whole[step].as_array().expect("a list").iter())
            .filter(|d| d["code"] == code)
            .map(|d| d["range"]["start"]["line"].as_u64().expect("a line"))
            .collect()
    };
    assert_eq!(lines_of(0, "set.2"), [] as [u64; 0], "{:#}", whole[0]);
    assert_eq!(lines_of(1, "set.2"), [referring as u64]);
    assert_eq!(lines_of(2, "set.2"), [referring as u64 + 1]);
    assert_eq!(lines_of(3, "set.2"), [referring as u64 - 2]);
}

/// Edits drawn at random (a seeded generator, so a failure is replayed): lines added, copied,
/// removed, joined and split, characters typed and deleted anywhere, a quote or a brace
/// included. Whatever they do to the pieces' ends and lines, the pieces show what the whole shows.
#[test]
fn random_edits_show_in_pieces_what_they_show_whole() {
    let workspace = export_workspace("lsp-pieces-random");
    let path = workspace.join("leave.jsonl");
    let text = std::fs::read_to_string(&path).expect("leave.jsonl");
    let (edits, _) = random_edits(&text, 0x6279_6c61_7721, 40, "LV-2011-101");
    let whole = pieces_show_what_the_whole_shows(&workspace, &path, &text, &edits);
    // The edits were not all in vain: bad input was shown along the way.
    assert!(
        whole
            .iter()
            .any(|shown| shown.to_string().contains("bad-input")),
        "{:#}",
        whole[whole.len() - 1]
    );
}

/// `count` edits of `text` drawn at random from `seed` (see
/// [`random_edits_show_in_pieces_what_they_show_whole`]), `id` among what is typed; and the text
/// after each.
fn random_edits(
    text: &str,
    seed: u64,
    count: usize,
    id: &str,
) -> (Vec<(Range, String)>, Vec<String>) {
    let originals: Vec<String> = text.lines().map(String::from).collect();
    // The document as the edits leave it, in characters (its text is in the Basic Multilingual
    // Plane, where a character is one UTF-16 unit, as the protocol counts columns).
    let mut lines: Vec<Vec<char>> = text.split('\n').map(|l| l.chars().collect()).collect();
    let mut state: u64 = seed;
    let mut below = |n: usize| -> usize {
        // xorshift64: enough to scatter edits, the same on every run.
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n.max(1) as u64) as usize
    };
    let (mut edits, mut texts): (Vec<(Range, String)>, Vec<String>) = (Vec::new(), Vec::new());
    for _ in 0..count {
        let n = lines.len();
        let line = below(n);
        let column = below(lines[line].len() + 1);
        let (range, new): (Range, String) = match below(7) {
            0 => (
                ((line, 0), (line, 0)),
                originals[below(originals.len())].clone() + "\n",
            ),
            1 => (
                ((line, 0), (line, 0)),
                lines[line].iter().collect::<String>() + "\n",
            ),
            2 if n > 1 => (
                ((line, 0), ((line + 1 + below(3)).min(n - 1), 0)),
                String::new(),
            ),
            3 if line + 1 < n => (((line, lines[line].len()), (line + 1, 0)), String::new()),
            4 => (((line, column), (line, column)), "\n".into()),
            5 => {
                let end = (column + 1 + below(4)).min(lines[line].len());
                (((line, column), (line, end)), String::new())
            }
            _ => {
                let typed = ["x", "\"", "1", "}", ",", "會", id][below(7)];
                (((line, column), (line, column)), typed.into())
            }
        };
        // The edit applied here too, for the next one to fall inside the text.
        let flat: Vec<char> = lines.join(&'\n');
        let at = |(l, c): (usize, usize)| -> usize {
            lines[..l].iter().map(|x| x.len() + 1).sum::<usize>() + c.min(lines[l].len())
        };
        let (from, to) = (at(range.0), at(range.1));
        let mut edited: Vec<char> = flat[..from].to_vec();
        edited.extend(new.chars());
        edited.extend(&flat[to.max(from)..]);
        texts.push(edited.iter().collect());
        lines = edited.split(|c| *c == '\n').map(<[char]>::to_vec).collect();
        edits.push((range, new));
    }
    (edits, texts)
}

/// A workspace of one JSON Lines document of meetings and the documents that name them (through
/// `decided_at`): the export's meetings, one per line, then the city government's documents.
fn meetings_and_documents(name: &str) -> (std::path::PathBuf, String) {
    let workspace = empty_workspace(name);
    let export = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/export");
    let meetings = std::fs::read_to_string(export.join("meetings.json")).expect("meetings");
    let meetings: Vec<Value> = serde_json::from_str(&meetings).expect("an array");
    let mut text: String = meetings.iter().map(|m| format!("{m}\n")).collect();
    let documents = export.join("documents/city-government.jsonl");
    text.push_str(&std::fs::read_to_string(documents).expect("documents"));
    let path = workspace.join("records.jsonl");
    std::fs::write(&path, &text).expect("write");
    (path, text)
}

/// What the server keeps of the set stage from one edit to the next (what a record read through a
/// reference gives, what a record judged with the set found) shows what a server that never saw
/// the document before shows, after every edit: a meeting a document names made another kind of
/// meeting, then back.
#[test]
fn a_record_judged_with_the_set_is_judged_again_when_what_it_names_changes() {
    let (path, text) = meetings_and_documents("lsp-set-memo");
    let workspace = path.parent().expect("a folder").to_path_buf();
    let lines: Vec<&str> = text.lines().collect();
    let meeting = (lines.iter())
        .position(|l| l.contains("\"id\":\"EXEC-2011-043\""))
        .expect("the meeting");
    let at = lines[meeting].find("\"executive\"").expect("its kind") + 1;
    // The protocol counts columns in UTF-16 units: the names before it are in Chinese.
    let column = lines[meeting][..at].encode_utf16().count();
    let kind = ((meeting, column), (meeting, column + "executive".len()));
    let briefing = ((meeting, column), (meeting, column + "briefing".len()));
    let edits = vec![
        (kind, "briefing".to_string()),
        (briefing, "executive".into()),
    ];
    let shown = diagnostics_through_edits(&workspace, &uri(&path), &text, "4", &edits);
    let wrong_kind = |shown: &Value| {
        (shown.as_array().expect("a list").iter())
            .filter(|d| (d["message"].as_str()).is_some_and(|m| m.contains("a `briefing` meeting")))
            .count()
    };
    assert_eq!(
        (
            wrong_kind(&shown[0]),
            wrong_kind(&shown[1]),
            wrong_kind(&shown[2])
        ),
        (0, 1, 0)
    );
    assert_eq!(shown[0], shown[2]);
    let briefed = lines[meeting].replacen("\"executive\"", "\"briefing\"", 1);
    let texts = [text.replacen(lines[meeting], &briefed, 1), text.clone()];
    shows_what_a_fresh_server_shows(&workspace, &path, &shown, &texts);
}

/// Edits drawn at random in a document of meetings and the documents that name them: after each,
/// the server shows what a server that never saw the document before shows of its text.
#[test]
fn random_edits_show_what_the_text_shows_opened_afresh() {
    let (path, text) = meetings_and_documents("lsp-set-memo-random");
    let workspace = path.parent().expect("a folder").to_path_buf();
    let (edits, texts) = random_edits(&text, 0x6d65_6d6f_2101, 30, "EXEC-2011-043");
    let shown = diagnostics_through_edits(&workspace, &uri(&path), &text, "4", &edits);
    shows_what_a_fresh_server_shows(&workspace, &path, &shown, &texts);
}

/// Asserts that `shown[step + 1]` (what was shown after each edit) is what a fresh server shows
/// of `texts[step]` (the text after it).
fn shows_what_a_fresh_server_shows(
    workspace: &Path,
    path: &Path,
    shown: &[Value],
    texts: &[String],
) {
    for (step, text) in texts.iter().enumerate() {
        let fresh = diagnostics_through_edits(workspace, &uri(path), text, "4", &[]);
        assert_eq!(shown[step + 1], fresh[0], "after edit {step}");
    }
}

/// The diagnostics of the document at `path` opened with `text`, through `edits`, judged whole:
/// asserted to be what it shows judged in pieces of 1, 4 and 7 lines.
fn pieces_show_what_the_whole_shows(
    workspace: &Path,
    path: &Path,
    text: &str,
    edits: &[(Range, String)],
) -> Vec<Value> {
    let document = uri(path);
    let whole = diagnostics_through_edits(workspace, &document, text, "100000", edits);
    for piece_lines in ["1", "4", "7"] {
        let pieces = diagnostics_through_edits(workspace, &document, text, piece_lines, edits);
        for (step, (whole, pieces)) in whole.iter().zip(&pieces).enumerate() {
            assert_eq!(whole, pieces, "pieces of {piece_lines} lines, step {step}");
        }
    }
    whole
}

/// A pretty-printed JSON array judged in pieces of whole elements shows what it shows judged
/// whole: through a value changed, a line added inside an element, an element added and one
/// removed (every element after it numbered anew), and an element broken.
#[test]
fn a_json_array_document_judged_in_pieces_shows_what_it_shows_judged_whole() {
    let workspace = export_workspace("lsp-array-pieces");
    let path = workspace.join("meetings.json");
    let text = std::fs::read_to_string(&path).expect("meetings.json");
    // The edits, each made on the text the ones before left, as lines.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let element_start = |lines: &[String], nth: usize| {
        (lines.iter().enumerate())
            .filter(|(_, line)| *line == "  {")
            .nth(nth)
            .expect("the element")
            .0
    };
    let mut edits: Vec<(Range, String)> = Vec::new();
    // A later element's id made the first one's: a duplicate across pieces.
    let first_id = lines[3].trim().trim_end_matches(',').to_string();
    assert!(first_id.starts_with("\"id\": "), "{first_id}");
    let at = element_start(&lines, 40) + 2;
    assert!(lines[at].starts_with("    \"id\": "), "{}", lines[at]);
    let width = lines[at].trim_end_matches(',').encode_utf16().count();
    edits.push((((at, 4), (at, width)), first_id.clone()));
    lines[at] = format!("    {first_id},");
    // A misspelled field on a line of its own: a hint, and every later line moved down one.
    let at = element_start(&lines, 5) + 1;
    edits.push((((at, 0), (at, 0)), "    \"ad_hok\": false,\n".into()));
    lines.insert(at, "    \"ad_hok\": false,".into());
    // An element added before the first: every element numbered anew.
    let (from, to) = (element_start(&lines, 7), element_start(&lines, 8));
    let copy = lines[from..to].join("\n") + "\n";
    edits.push((((1, 0), (1, 0)), copy));
    lines.splice(1..1, lines[from..to].to_vec());
    // An element removed.
    let (from, to) = (element_start(&lines, 20), element_start(&lines, 21));
    edits.push((((from, 0), (to, 0)), String::new()));
    lines.drain(from..to);
    // An element's closing brace taken away.
    let at = element_start(&lines, 13) - 1;
    assert_eq!(lines[at], "  },");
    edits.push((((at, 2), (at, 3)), String::new()));
    let whole = pieces_show_what_the_whole_shows(&workspace, &path, &text, &edits);
    let codes = |step: usize| codes_and_lines(&whole[step]);
    // What the edits were meant to show, shown.
    let duplicate_line = element_start(&text.lines().map(String::from).collect::<Vec<_>>(), 40) + 2;
    assert!(
        codes(1).contains(&format!("set.1 {duplicate_line}")),
        "{:?}",
        codes(1)
    );
    let hints = |step: usize| {
        (whole[step].as_array().expect("a list").iter())
            .filter(|d| d["severity"] == 3)
            .count()
    };
    assert_eq!(hints(2), hints(1) + 1, "{:#}", whole[2]);
    assert!(
        codes(5).iter().any(|c| c.starts_with("bad-input")),
        "{:?}",
        codes(5)
    );
}

#[test]
fn a_policy_change_judges_every_piece_of_a_document_again() {
    let (policy, records) = policy_and_records("lsp-pieces-policy-change");
    let leave = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/export/leave.jsonl");
    let text = std::fs::read_to_string(leave).expect("leave.jsonl");
    let document = uri(&records.join("leave.jsonl"));
    let policy_arg = policy.to_str().expect("path");
    let mut client =
        Client::start_env(&["--policy", policy_arg], &[("BYLAW_LSP_PIECE_LINES", "3")]);
    client.initialize(&records, json!({}));
    client.open(&document, "jsonl", &text);
    let severities = |shown: &Value| -> Vec<Value> {
        (shown.as_array().expect("a list").iter())
            .filter(|d| d["code"] == "56.3")
            .map(|d| d["severity"].clone())
            .collect()
    };
    assert_eq!(severities(&client.diagnostics_for(&document)), [json!(1)]);
    // Rule 56.3 made a warning in the editor: every piece is judged again under it, none kept
    // from the policy before.
    let path = policy.join("ch11-discipline.bylaw");
    let rules = std::fs::read_to_string(&path).expect("read");
    let changed = rules.replacen("rule 56.3 error {", "rule 56.3 warning {", 1);
    assert_ne!(changed, rules, "56.3 is declared in ch11-discipline.bylaw");
    client.open(&uri(&path), "bylaw", &changed);
    assert_eq!(severities(&client.diagnostics_for(&document)), [json!(2)]);
    client.finish(2);
}
