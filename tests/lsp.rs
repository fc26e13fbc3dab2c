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
}

impl Client {
    fn start() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bylaw"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the server starts");
        let input = child.stdin.take().expect("stdin");
        let output = BufReader::new(child.stdout.take().expect("stdout"));
        Client {
            child,
            input,
            output,
        }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.input.flush().expect("flush");
    }

    fn receive(&mut self) -> Value {
        let mut length = 0;
        loop {
            let mut header = String::new();
            self.output.read_line(&mut header).expect("a header");
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
    assert_eq!(
        init["result"]["capabilities"]["textDocumentSync"]["change"],
        1
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
        json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/hover", "params": {
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
