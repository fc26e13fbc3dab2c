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
        let mut child = Command::new(env!("CARGO_BIN_EXE_bylaw"))
            .arg("lsp")
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
        // The next valid request is answered (hover is refused: bylaw does not answer it), and
        // the client's log says what was skipped.
        let id = 10 + n as i64;
        client.send(json!({"jsonrpc": "2.0", "id": id, "method": "textDocument/hover",
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
