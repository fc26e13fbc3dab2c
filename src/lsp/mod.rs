//! The language server (`bylaw lsp`, over standard input and output): record files are checked
//! as they are typed, in the context of the workspace's other record files, so references and
//! duplicate ids resolve as they do in `bylaw check`. [`workspace`] holds the documents and runs
//! the audit; [`convert`] turns byte spans and diagnostics into the protocol's terms, in one place.

mod convert;
mod transport;
mod workspace;

use std::error::Error;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, LogMessage, Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{RegisterCapability, Request as _};
use lsp_types::{
    DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern, InitializeParams,
    LogMessageParams, MessageType, PublishDiagnosticsParams, Registration, RegistrationParams,
    SaveOptions, ServerCapabilities, ShowMessageParams, TextDocumentSyncCapability,
    TextDocumentSyncKind, TextDocumentSyncOptions, TextDocumentSyncSaveOptions,
};

use crate::check::Policy;
pub use workspace::Workspace;

type Failure = Box<dyn Error + Send + Sync>;

/// Serves on standard input and output until the client says `exit`; a malformed frame is logged
/// and skipped, never the end of the session.
pub fn run(policy: Policy) -> Result<(), Failure> {
    let (connection, io_threads) = transport::stdio();
    serve(&connection, policy)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// The protocol on any connection: initialize, then documents in, diagnostics out.
pub fn serve(connection: &Connection, policy: Policy) -> Result<(), Failure> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::FULL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        ..ServerCapabilities::default()
    };
    let Some((id, params)) = initialize_request(connection)? else {
        return Ok(());
    };
    let result = serde_json::json!({ "capabilities": capabilities });
    connection
        .sender
        .send(Response::new_ok(id, result).into())?;
    watch_record_files(connection, &params)?;
    let (mut workspace, refused) = Workspace::new(policy, &params);
    for problem in refused {
        show(connection, MessageType::WARNING, problem)?;
    }
    let mut shut_down = false;
    while let Ok(message) = connection.receiver.recv() {
        let mut changed = false;
        let mut next = Some(message);
        // Take everything already queued before checking, so a burst of edits is checked once.
        while let Some(message) = next {
            match message {
                Message::Request(request) => {
                    let reply = if request.method == "shutdown" {
                        shut_down = true;
                        Response::new_ok(request.id, ())
                    } else if shut_down {
                        Response::new_err(
                            request.id,
                            ErrorCode::InvalidRequest as i32,
                            "bylaw is shutting down".into(),
                        )
                    } else {
                        Response::new_err(
                            request.id,
                            ErrorCode::MethodNotFound as i32,
                            format!("bylaw does not answer `{}`", request.method),
                        )
                    };
                    connection.sender.send(reply.into())?;
                }
                Message::Notification(notification) if notification.method == "exit" => {
                    return Ok(());
                }
                Message::Notification(notification) => {
                    match on_notification(&mut workspace, notification) {
                        Ok(true) => changed = true,
                        Ok(false) => {}
                        Err(problem) => log(connection, MessageType::ERROR, problem)?,
                    }
                }
                Message::Response(_) => {}
            }
            next = connection.receiver.try_recv().ok();
        }
        if changed {
            for (uri, diagnostics, version) in workspace.check() {
                let params = PublishDiagnosticsParams {
                    uri,
                    diagnostics,
                    version,
                };
                let note = Notification::new(PublishDiagnostics::METHOD.to_string(), params);
                connection.sender.send(note.into())?;
            }
        }
    }
    Ok(())
}

/// Waits for `initialize`: other requests are refused as the protocol says, an `initialize` whose
/// parameters do not read is answered with an error and another is awaited; `None` when the client
/// leaves first.
fn initialize_request(
    connection: &Connection,
) -> Result<Option<(RequestId, InitializeParams)>, Failure> {
    while let Ok(message) = connection.receiver.recv() {
        match message {
            Message::Request(request) if request.method == "initialize" => {
                match serde_json::from_value::<InitializeParams>(request.params) {
                    Ok(params) => return Ok(Some((request.id, params))),
                    Err(e) => {
                        let reply = Response::new_err(
                            request.id,
                            ErrorCode::InvalidParams as i32,
                            format!("the `initialize` parameters do not read: {e}"),
                        );
                        connection.sender.send(reply.into())?;
                    }
                }
            }
            Message::Request(request) => {
                let reply = Response::new_err(
                    request.id,
                    ErrorCode::ServerNotInitialized as i32,
                    format!("`{}` before `initialize`", request.method),
                );
                connection.sender.send(reply.into())?;
            }
            Message::Notification(notification) if notification.method == "exit" => {
                return Ok(None)
            }
            // Notifications before `initialize` are dropped, as the protocol says.
            Message::Notification(_) | Message::Response(_) => {}
        }
    }
    Ok(None)
}

/// A message in the client's log.
fn log(connection: &Connection, typ: MessageType, message: String) -> Result<(), Failure> {
    eprintln!("bylaw lsp: {message}");
    let params = LogMessageParams { typ, message };
    let note = Notification::new(LogMessage::METHOD.into(), params);
    connection.sender.send(note.into())?;
    Ok(())
}

/// A message the client shows its user.
fn show(connection: &Connection, typ: MessageType, message: String) -> Result<(), Failure> {
    eprintln!("bylaw lsp: {message}");
    let params = ShowMessageParams { typ, message };
    let note = Notification::new(ShowMessage::METHOD.into(), params);
    connection.sender.send(note.into())?;
    Ok(())
}

/// Asks the client to tell us when record files change on disk (a checkout, another program), so
/// the workspace context stays true; only clients that can register watchers are asked.
fn watch_record_files(connection: &Connection, params: &InitializeParams) -> Result<(), Failure> {
    let can_watch = params
        .capabilities
        .workspace
        .as_ref()
        .and_then(|w| w.did_change_watched_files.as_ref())
        .and_then(|w| w.dynamic_registration)
        .unwrap_or(false);
    if !can_watch {
        return Ok(());
    }
    let options = DidChangeWatchedFilesRegistrationOptions {
        watchers: vec![FileSystemWatcher {
            glob_pattern: GlobPattern::String("**/*.{json,jsonl,ndjson}".into()),
            kind: None,
        }],
    };
    let params = RegistrationParams {
        registrations: vec![Registration {
            id: "bylaw-record-files".into(),
            method: DidChangeWatchedFiles::METHOD.into(),
            register_options: Some(serde_json::to_value(options)?),
        }],
    };
    let request = Request::new(
        RequestId::from("bylaw-watch".to_string()),
        RegisterCapability::METHOD.into(),
        params,
    );
    connection.sender.send(request.into())?;
    Ok(())
}

/// Applies a document notification: true when the documents changed, or why its parameters were
/// not understood (the notification is then ignored, and the client's log says so).
fn on_notification(workspace: &mut Workspace, notification: Notification) -> Result<bool, String> {
    fn params<P: serde::de::DeserializeOwned>(notification: Notification) -> Result<P, String> {
        let method = notification.method.clone();
        notification
            .extract::<P>(&method)
            .map_err(|e| format!("ignored `{method}`: {e}"))
    }
    match notification.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let p: lsp_types::DidOpenTextDocumentParams = params(notification)?;
            workspace.open(p.text_document);
        }
        DidChangeTextDocument::METHOD => workspace.change(params(notification)?),
        DidCloseTextDocument::METHOD => {
            let p: lsp_types::DidCloseTextDocumentParams = params(notification)?;
            workspace.close(&p.text_document.uri);
        }
        DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => workspace.reload(),
        _ => return Ok(false),
    }
    Ok(true)
}
