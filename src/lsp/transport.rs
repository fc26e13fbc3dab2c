//! The wire: frames over standard input and output. `lsp-server`'s own stdio reader ends the
//! session on the first malformed frame (a bad header, a body that is not JSON, a message of the
//! wrong shape), so the reader here is ours: a malformed frame is logged to the client
//! (`window/logMessage`) and to standard error, skipped, and reading resumes at the next
//! `Content-Length:` header. Writing stays with `lsp_server::Message::write`.

use std::io::{self, BufRead, Read, Write};
use std::thread::{self, JoinHandle};

use lsp_server::{Connection, ErrorCode, Message, Notification, RequestId, Response};
use lsp_types::notification::{LogMessage, Notification as _};
use lsp_types::{LogMessageParams, MessageType};
use serde_json::Value;

use crate::records::read_string;

/// The largest body read; a larger length is refused like any bad header (the reader resumes at
/// the next header), so a hostile length cannot exhaust memory. Record files are far smaller.
const MAX_BODY: usize = 256 * 1024 * 1024;

/// The longest header line kept; the rest of a longer line is read and dropped.
const MAX_HEADER: usize = 4096;

const HEADER: &[u8] = b"content-length:";

/// What one frame held.
#[derive(Debug)]
pub enum Frame {
    Message(Message),
    /// A frame that is skipped, with the reason, and the id of a request to answer if one could
    /// be read from it (JSON-RPC answers an invalid request that has an id).
    Malformed(String, Option<RequestId>),
}

/// Reads frames until the input ends; resynchronises on the next header after a malformed one.
pub struct Reader<R> {
    input: R,
    /// A header line already read while skipping, to parse first.
    pending: Option<Vec<u8>>,
}

impl<R: BufRead> Reader<R> {
    pub fn new(input: R) -> Reader<R> {
        Reader {
            input,
            pending: None,
        }
    }

    /// The next frame, or `None` at the end of the input.
    pub fn next_frame(&mut self) -> io::Result<Option<Frame>> {
        let mut length: Option<Result<usize, String>> = None;
        let mut headers = 0;
        loop {
            let line = match self.pending.take() {
                Some(line) => line,
                None => match self.line()? {
                    Some(line) => line,
                    None => return Ok(None),
                },
            };
            let text = trim_end(&line);
            if text.is_empty() {
                if headers == 0 {
                    continue; // a stray blank line between frames
                }
                break;
            }
            headers += 1;
            match header_value(text) {
                Some(value) => {
                    length = Some(
                        std::str::from_utf8(value)
                            .ok()
                            .map(str::trim)
                            .and_then(|v| v.parse::<usize>().ok())
                            .filter(|&n| n <= MAX_BODY)
                            .ok_or_else(|| {
                                format!(
                                    "a `Content-Length` header whose value `{}` is not a length \
                                     of at most {MAX_BODY} bytes",
                                    String::from_utf8_lossy(value).trim()
                                )
                            }),
                    );
                }
                // Other headers (`Content-Type`) are allowed; anything else is not a header, and
                // the frame is skipped up to the next `Content-Length:`.
                None if is_header(text) && find_header(text).is_none() => {}
                None => {
                    let problem = format!(
                        "`{}` where a header was expected",
                        String::from_utf8_lossy(&text[..text.len().min(60)])
                    );
                    self.skip_to_header(&line)?;
                    return Ok(Some(Frame::Malformed(problem, None)));
                }
            }
        }
        let length = match length {
            Some(Ok(length)) => length,
            Some(Err(problem)) => {
                self.skip_to_header(b"")?;
                return Ok(Some(Frame::Malformed(problem, None)));
            }
            None => {
                self.skip_to_header(b"")?;
                return Ok(Some(Frame::Malformed(
                    "a frame without a `Content-Length` header".into(),
                    None,
                )));
            }
        };
        // Room for the whole body at once: a document's text grown by doubling was copied
        // again at each step. A hostile length takes address space, not memory, till read.
        let mut body = Vec::with_capacity(length);
        (&mut self.input)
            .take(length as u64)
            .read_to_end(&mut body)?;
        if body.len() < length {
            return Ok(None); // the input ended inside the body: nothing more will come
        }
        Ok(Some(parse_body(&body)))
    }

    /// One line, at most [`MAX_HEADER`] bytes of it; `None` at the end of the input.
    fn line(&mut self) -> io::Result<Option<Vec<u8>>> {
        let mut line = Vec::new();
        let read = (&mut self.input)
            .take(MAX_HEADER as u64)
            .read_until(b'\n', &mut line)?;
        if read == 0 {
            return Ok(None);
        }
        if !line.ends_with(b"\n") && read == MAX_HEADER {
            // Drop the rest of an overlong line, but keep a header glued at its end.
            let mut rest = Vec::new();
            loop {
                rest.clear();
                let n = (&mut self.input)
                    .take(MAX_HEADER as u64)
                    .read_until(b'\n', &mut rest)?;
                let tail = line.len().saturating_sub(HEADER.len());
                line.drain(..tail);
                line.extend_from_slice(&rest);
                if n == 0 || rest.ends_with(b"\n") {
                    break;
                }
            }
        }
        Ok(Some(line))
    }

    /// Skips input until a line holding `Content-Length:` (anywhere, since a body without a final
    /// newline runs into the next frame's header), which is kept to be read next.
    fn skip_to_header(&mut self, first: &[u8]) -> io::Result<()> {
        let mut line = first.to_vec();
        loop {
            if let Some(at) = find_header(&line) {
                self.pending = Some(line.split_off(at));
                return Ok(());
            }
            match self.line()? {
                Some(next) => line = next,
                None => return Ok(()),
            }
        }
    }
}

fn trim_end(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The value of a `Content-Length` header line.
fn header_value(line: &[u8]) -> Option<&[u8]> {
    (line.len() >= HEADER.len() && line[..HEADER.len()].eq_ignore_ascii_case(HEADER))
        .then(|| &line[HEADER.len()..])
}

/// `Name: value`, with a name of token characters.
fn is_header(line: &[u8]) -> bool {
    match line.iter().position(|&b| b == b':') {
        Some(colon) if colon > 0 => line[..colon]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"-_".contains(b)),
        _ => false,
    }
}

fn find_header(line: &[u8]) -> Option<usize> {
    line.windows(HEADER.len())
        .position(|w| w.eq_ignore_ascii_case(HEADER))
}

/// A body as a message, or why it is not one.
fn parse_body(body: &[u8]) -> Frame {
    let read_apart = (body.len() >= LONG_STRING).then(|| long_strings_apart(body));
    let value = match read_apart.flatten() {
        Some(value) => Ok(value),
        None => serde_json::from_slice(body),
    };
    let mut value: Value = match value {
        Ok(value) => value,
        Err(e) => return Frame::Malformed(format!("a body that is not JSON: {e}"), None),
    };
    let Some(object) = value.as_object_mut() else {
        return Frame::Malformed("a body that is not a JSON-RPC object".into(), None);
    };
    // The params are taken out while the rest says which message it is, and put back: they can be
    // any JSON, so they never decide it, and read as an untagged enum they would be copied for
    // each kind of message tried (twice the text of a document opened: 43 MB each).
    let params = object.remove("params");
    let id = value
        .get("id")
        .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
    match serde_json::from_value::<Message>(value) {
        Ok(mut message) => {
            match (&mut message, params) {
                (Message::Request(r), Some(params)) => r.params = params,
                (Message::Notification(n), Some(params)) => n.params = params,
                _ => {}
            }
            Frame::Message(message)
        }
        Err(_) => Frame::Malformed(
            "a message that is neither a request, a response nor a notification".into(),
            id,
        ),
    }
}

/// From how many bytes a string of a body is read apart from the rest: see [`long_strings_apart`].
const LONG_STRING: usize = 64 * 1024;

/// What stands for a long string in the body serde_json reads, followed by its number.
const MARKER: &str = "\u{0}bylaw-long-string-";

/// The body read with its long strings (a document's text) unescaped by [`read_string`], and
/// serde_json reading what is left, each long string replaced by a marker. serde_json unescapes
/// a string one escape at a time: a document of 66 MB, whose every quote and line end is
/// escaped in the frame, took 270 ms to read. `None` where anything is unusual (not UTF-8, a
/// string that does not read, a marker that is not one of ours, no long string), and the body
/// is read by serde_json as it is, whose errors are the ones reported.
fn long_strings_apart(body: &[u8]) -> Option<Value> {
    let text = simdutf8::basic::from_utf8(body).ok()?;
    let mut rest = String::new();
    let mut long: Vec<Option<String>> = Vec::new();
    let (mut copied, mut at) = (0, 0);
    let mut string = String::new();
    while let Some(quote) = memchr::memchr(b'"', &body[at..]) {
        let quote = at + quote;
        string.clear();
        if string.capacity() == 0 {
            // Room for the rest of the body, which takes address space, not memory, till
            // written: a long string grown by doubling was copied again at each step.
            string.reserve(body.len() - quote);
        }
        at = read_string(text, quote, &mut string)?;
        let is_key = text[at..].trim_start().starts_with(':');
        if at - quote >= LONG_STRING && !is_key {
            rest.push_str(&text[copied..quote]);
            rest.push('"');
            rest.push_str("\\u0000");
            rest.push_str(&MARKER[1..]);
            rest.push_str(&long.len().to_string());
            rest.push('"');
            long.push(Some(std::mem::take(&mut string)));
            copied = at;
        }
    }
    if long.is_empty() {
        return None;
    }
    rest.push_str(&text[copied..]);
    let mut value = serde_json::from_str(&rest).ok()?;
    put_back(&mut value, &mut long)?;
    // Each marker was found, once: none stands for a string the body held.
    long.iter().all(Option::is_none).then_some(value)
}

/// Puts each long string back in place of its marker; `None` at a marker with no string.
fn put_back(value: &mut Value, long: &mut [Option<String>]) -> Option<()> {
    match value {
        Value::String(s) => {
            if let Some(number) = s.strip_prefix(MARKER) {
                *s = long.get_mut(number.parse::<usize>().ok()?)?.take()?;
            }
        }
        Value::Array(items) => items.iter_mut().try_for_each(|v| put_back(v, long))?,
        Value::Object(members) => members.values_mut().try_for_each(|v| put_back(v, long))?,
        _ => {}
    }
    Some(())
}

/// The threads that carry a [`Connection`] over standard input and output.
pub struct IoThreads {
    reader: JoinHandle<()>,
    writer: JoinHandle<io::Result<()>>,
}

impl IoThreads {
    /// Waits for both threads; the writer's error, if any, is the session's.
    pub fn join(self) -> io::Result<()> {
        let _ = self.reader.join();
        self.writer
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("the writer thread panicked")))
    }
}

/// A connection over standard input and output whose reader survives malformed frames.
pub fn stdio() -> (Connection, IoThreads) {
    let (server, wire) = Connection::memory();
    let log = server.sender.clone();
    let Connection {
        sender: to_server,
        receiver: from_server,
    } = wire;
    widen_input_pipe();
    let reader = thread::spawn(move || {
        let stdin = io::stdin();
        read_into(
            stdin.lock(),
            |message| to_server.send(message).is_ok(),
            |message| {
                let _ = log.send(message);
            },
        );
    });
    let writer = thread::spawn(move || {
        let stdout = io::stdout();
        let mut stdout = stdout.lock();
        for message in from_server {
            message.write(&mut stdout)?;
        }
        stdout.flush()
    });
    (server, IoThreads { reader, writer })
}

/// Asks for a pipe on standard input of 1 MiB, the most Linux gives without privilege, in place
/// of 64 KiB: a document of 66 MB sent by the editor came through in 230 ms, in 60 ms with the
/// wider pipe (a Python client writing to `cat`). Nothing happens if the input is not a pipe.
fn widen_input_pipe() {
    #[cfg(target_os = "linux")]
    // SAFETY: `fcntl` on standard input's descriptor with an integer argument; a failure (not a
    // pipe, a lower limit) leaves the pipe as it was.
    unsafe {
        libc::fcntl(0, libc::F_SETPIPE_SZ, 1 << 20);
    }
}

/// Reads frames into the server until the input ends or the client says `exit`; a malformed
/// frame is logged, and a request among them answered with an error.
fn read_into(
    input: impl BufRead,
    mut to_server: impl FnMut(Message) -> bool,
    mut to_client: impl FnMut(Message),
) {
    let mut reader = Reader::new(input);
    loop {
        let frame = match reader.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => return,
            Err(e) => {
                eprintln!("bylaw lsp: cannot read standard input: {e}");
                return;
            }
        };
        match frame {
            Frame::Message(message) => {
                let exit = matches!(&message, Message::Notification(n) if n.method == "exit");
                if !to_server(message) || exit {
                    return;
                }
            }
            Frame::Malformed(problem, id) => {
                let text = format!("bylaw: skipped a malformed frame: {problem}");
                eprintln!("{text}");
                let note = Notification::new(
                    LogMessage::METHOD.into(),
                    LogMessageParams {
                        typ: MessageType::ERROR,
                        message: text,
                    },
                );
                to_client(note.into());
                if let Some(id) = id {
                    let reply =
                        Response::new_err(id, ErrorCode::InvalidRequest as i32, problem.clone());
                    to_client(reply.into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<String> {
        let mut reader = Reader::new(input);
        let mut out = Vec::new();
        while let Some(frame) = reader.next_frame().expect("in memory") {
            out.push(match frame {
                Frame::Message(Message::Request(r)) => format!("request {}", r.method),
                Frame::Message(Message::Notification(n)) => format!("note {}", n.method),
                Frame::Message(Message::Response(r)) => format!("response {}", r.id),
                Frame::Malformed(problem, id) => format!("malformed {id:?}: {problem}"),
            });
        }
        out
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    /// What a body reads as: the message's kind and params, or why it is malformed.
    fn read_as(body: &[u8]) -> String {
        match parse_body(body) {
            Frame::Message(Message::Request(r)) => format!("request {} {}", r.method, r.params),
            Frame::Message(Message::Notification(n)) => format!("note {} {}", n.method, n.params),
            Frame::Message(Message::Response(r)) => format!("response {}", r.id),
            Frame::Malformed(problem, id) => format!("malformed {id:?}: {problem}"),
        }
    }

    /// What serde_json alone reads a notification's body as, shown as [`read_as`] shows it.
    fn read_by_serde_json(body: &[u8]) -> String {
        match serde_json::from_slice::<Value>(body) {
            Ok(value) => format!(
                "note {} {}",
                value["method"].as_str().unwrap(),
                value["params"]
            ),
            Err(e) => format!("malformed None: a body that is not JSON: {e}"),
        }
    }

    /// A document's text as an editor sends it: every escape JSON has, characters of one to
    /// four bytes, long enough to be read apart.
    fn long_text(shift: usize) -> String {
        let unit = r#"{\"id\": \"a\\b\/c\bd\fe\n\rf\tg\u00e9h\ud83d\ude00 é中😀\"},"#;
        "x".repeat(shift) + &unit.repeat(LONG_STRING / unit.len() + 1)
    }

    fn did_open(text: &str, more: &str) -> String {
        format!(
            r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"textDocument":{{"uri":"file:///a.json","text":"{text}"}}{more}}}}}"#
        )
    }

    #[test]
    fn a_long_string_read_apart_reads_as_serde_json_reads_it() {
        // Shifted through a block of sixteen bytes, so that each escape falls at each place of one.
        for shift in 0..17 {
            let body = did_open(&long_text(shift), r#","short":"q\"\u0041""#);
            let apart = long_strings_apart(body.as_bytes()).expect("read apart");
            assert_eq!(
                apart,
                serde_json::from_str::<Value>(&body).unwrap(),
                "{shift}"
            );
            assert_eq!(
                read_as(body.as_bytes()),
                read_by_serde_json(body.as_bytes())
            );
        }
    }

    #[test]
    fn a_body_that_is_unusual_is_read_by_serde_json_as_it_is() {
        let long = long_text(0);
        let cases = [
            // A string the body holds that reads as a marker, escaped otherwise.
            did_open(&long, r#","m":"\u0000\u0062ylaw-long-string-0""#),
            did_open(&long, r#","m":"\u0000bylaw-long-string-1""#),
            // A long key, not a string to put back.
            did_open("t", &format!(r#","{long}":1"#)),
            // Long strings serde_json refuses: a lone surrogate, a line's end not escaped, an
            // escape JSON does not have, a string that does not end.
            did_open(&(long.clone() + r#"\ud83d"#), ""),
            did_open(&(long.clone() + "\n"), ""),
            did_open(&(long.clone() + r#"\x"#), ""),
            did_open(&long, "").replace(r#""}}}"#, ""),
        ];
        for body in cases {
            assert_eq!(long_strings_apart(body.as_bytes()), None);
            assert_eq!(
                read_as(body.as_bytes()),
                read_by_serde_json(body.as_bytes())
            );
        }
        // Not UTF-8.
        let mut body = did_open(&long, "").into_bytes();
        body[100] = 0xff;
        assert_eq!(long_strings_apart(&body), None);
        assert_eq!(read_as(&body), read_by_serde_json(&body));
    }

    #[test]
    fn a_message_keeps_its_params_whatever_its_kind() {
        let body = |text: &str| read_as(text.as_bytes());
        let cases = [
            (r#"{"id":1,"method":"m","params":{"a":[1]}}"#, r#"request m {"a":[1]}"#),
            (r#"{"id":1,"method":"m"}"#, "request m null"),
            (r#"{"method":"n","params":["x"]}"#, r#"note n ["x"]"#),
            (r#"{"method":"n"}"#, "note n null"),
            (r#"{"id":2,"result":3,"params":1}"#, "response 2"),
            (
                r#"{"params":1}"#,
                "malformed None: a message that is neither a request, a response nor a notification",
            ),
        ];
        for (text, shown) in cases {
            assert_eq!(body(text), shown, "{text}");
        }
    }

    #[test]
    fn malformed_frames_are_skipped_and_reading_resumes() {
        let good = frame(r#"{"jsonrpc":"2.0","id":1,"method":"shutdown"}"#);
        let cases = [
            "Content-Length: lots\r\n\r\n{}".to_string(),
            "Content-Length: 3\r\n\r\nabc".to_string(),
            frame("[1, 2]"),
            frame(r#"{"jsonrpc":"2.0","id":7,"method":5}"#),
            "garbage without a header\r\n{\"x\":1}".to_string(),
            "Content-Type: x\r\n\r\n{}".to_string(),
            format!("Content-Length: {}\r\n\r\n", usize::MAX),
            "x".repeat(10_000),
        ];
        for case in cases {
            let got = frames(format!("{case}{good}").as_bytes());
            assert_eq!(
                got.last().map(String::as_str),
                Some("request shutdown"),
                "{case:?}: {got:?}"
            );
            assert!(got[0].starts_with("malformed"), "{case:?}: {got:?}");
        }
        // A request of the wrong shape with an id is answered.
        let got = frames(frame(r#"{"id":7,"method":5}"#).as_bytes());
        assert!(
            got[0].starts_with("malformed Some(RequestId(I32(7)))"),
            "{got:?}"
        );
    }
}
