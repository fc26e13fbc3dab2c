//! The language server (`bylaw lsp`, over standard input and output): record files are checked
//! as they are typed, in the context of the workspace's other record files, so references and
//! duplicate ids resolve as they do in `bylaw check`. [`workspace`] holds the documents and runs
//! the audit; [`convert`] turns byte spans and diagnostics into the protocol's terms, in one place.

mod convert;
mod workspace;

use std::error::Error;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, Notification as _, PublishDiagnostics,
};
use lsp_types::request::{RegisterCapability, Request as _};
use lsp_types::{
    DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern, InitializeParams,
    PublishDiagnosticsParams, Registration, RegistrationParams, SaveOptions, ServerCapabilities,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions,
};

use crate::check::Policy;
pub use workspace::Workspace;

type Failure = Box<dyn Error + Send + Sync>;

/// Serves on standard input and output until the client says `exit`.
pub fn run(policy: Policy) -> Result<(), Failure> {
    let (connection, io_threads) = Connection::stdio();
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
    let params = connection.initialize(serde_json::to_value(capabilities)?)?;
    let params: InitializeParams = serde_json::from_value(params)?;
    watch_record_files(connection, &params)?;
    let mut workspace = Workspace::new(policy, &params);
    while let Ok(message) = connection.receiver.recv() {
        let mut changed = false;
        let mut next = Some(message);
        // Take everything already queued before checking, so a burst of edits is checked once.
        while let Some(message) = next {
            match message {
                Message::Request(request) => {
                    if connection.handle_shutdown(&request)? {
                        return Ok(());
                    }
                    let reply = Response::new_err(
                        request.id,
                        ErrorCode::MethodNotFound as i32,
                        format!("bylaw does not answer `{}`", request.method),
                    );
                    connection.sender.send(reply.into())?;
                }
                Message::Notification(notification) => {
                    changed |= on_notification(&mut workspace, notification);
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

/// Applies a document notification; true when the documents changed.
fn on_notification(workspace: &mut Workspace, notification: Notification) -> bool {
    match notification.method.as_str() {
        DidOpenTextDocument::METHOD => notification
            .extract::<lsp_types::DidOpenTextDocumentParams>(DidOpenTextDocument::METHOD)
            .map(|p| workspace.open(p.text_document))
            .is_ok(),
        DidChangeTextDocument::METHOD => notification
            .extract::<lsp_types::DidChangeTextDocumentParams>(DidChangeTextDocument::METHOD)
            .map(|p| workspace.change(p))
            .is_ok(),
        DidCloseTextDocument::METHOD => notification
            .extract::<lsp_types::DidCloseTextDocumentParams>(DidCloseTextDocument::METHOD)
            .map(|p| workspace.close(&p.text_document.uri))
            .is_ok(),
        DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => {
            workspace.reload();
            true
        }
        _ => false,
    }
}
