//! The language server (`bylaw lsp`, over standard input and output): record files are checked
//! as they are typed, in the context of the workspace's other record files, so references and
//! duplicate ids resolve as they do in `bylaw check`; policy files are loaded as they are typed,
//! their problems shown at their places, with hover, go to definition and completion. The server
//! stays up when the policy given with `--policy` does not load, and checks the records once it
//! does. `workspace` holds the record documents and runs the audit, `policy` the policy
//! documents; `at` finds what is under the cursor in a policy file, `navigate` answers about
//! it; `records` answers hover and code actions on record files, `fields` finds the keys of
//! an open record file that look like a misspelled field; `convert` turns byte spans and
//! diagnostics into the protocol's terms, in one place.

mod at;
mod convert;
mod edit;
mod fields;
mod navigate;
mod pieces;
mod policy;
mod records;
mod transport;
mod workspace;

use std::error::Error;

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::notification::{
    DidChangeTextDocument, DidChangeWatchedFiles, DidCloseTextDocument, DidOpenTextDocument,
    DidSaveTextDocument, LogMessage, Notification as _, PublishDiagnostics, ShowMessage,
};
use lsp_types::request::{
    CodeActionRequest, Completion, GotoDefinition, HoverRequest, RegisterCapability, Request as _,
};
use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeActionParams,
    CodeActionProviderCapability, CompletionItem, CompletionItemKind, CompletionOptions,
    CompletionParams, CompletionResponse, DiagnosticSeverity,
    DidChangeWatchedFilesRegistrationOptions, FileSystemWatcher, GlobPattern, GotoDefinitionParams,
    GotoDefinitionResponse, Hover, HoverContents, HoverParams, HoverProviderCapability,
    InitializeParams, Location, LogMessageParams, MarkupContent, MarkupKind, MessageType,
    NumberOrString, OneOf, Position, PublishDiagnosticsParams, Registration, RegistrationParams,
    SaveOptions, ServerCapabilities, ShowMessageParams, TextDocumentPositionParams,
    TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, TextEdit, WorkspaceEdit,
};

pub use policy::Source;
use policy::{PolicyDocs, Served};
pub use workspace::Workspace;

type Failure = Box<dyn Error + Send + Sync>;

/// Serves on standard input and output until the client says `exit`; a malformed frame is logged
/// and skipped, never the end of the session.
pub fn run(source: Source) -> Result<(), Failure> {
    let (connection, io_threads) = transport::stdio();
    serve(&connection, source)?;
    drop(connection);
    io_threads.join()?;
    Ok(())
}

/// The protocol on any connection: initialize, then documents in, diagnostics out.
pub fn serve(connection: &Connection, source: Source) -> Result<(), Failure> {
    let capabilities = ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(vec![".".into()]),
            ..CompletionOptions::default()
        }),
        code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
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
    let mut docs = PolicyDocs::new(source);
    let served = docs.load_served();
    let (mut workspace, refused) = Workspace::new(served.as_ref().ok().cloned(), &params);
    for problem in refused {
        show(connection, MessageType::WARNING, problem)?;
    }
    if let Err(problems) = &served {
        show(connection, MessageType::ERROR, policy_problems(problems))?;
    }
    let mut shut_down = false;
    // The whole set's findings wait for the background judgement of the files on disk; till it
    // ends, the loop goes on answering (an edit shows its document's own findings at once) and
    // looks every few milliseconds whether it has ended.
    let mut whole_set_owed = false;
    loop {
        if whole_set_owed && !workspace.judging_in_background() {
            whole_set_owed = false;
            for params in workspace.check() {
                publish(connection, params)?;
            }
        }
        let message = if whole_set_owed {
            match connection.receiver.recv_timeout(LOOK_AGAIN) {
                Ok(message) => message,
                Err(waited) if waited.is_timeout() => continue,
                Err(_) => break,
            }
        } else {
            match connection.receiver.recv() {
                Ok(message) => message,
                Err(_) => break,
            }
        };
        let mut changed = Changed::default();
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
                        // A request is answered about the documents as they are now.
                        let owed = &mut whole_set_owed;
                        settle(connection, (&mut workspace, &mut docs), changed, owed)?;
                        changed = Changed::default();
                        answer(&workspace, &docs, request)
                    };
                    connection.sender.send(reply.into())?;
                }
                Message::Notification(notification) if notification.method == "exit" => {
                    return Ok(());
                }
                Message::Notification(notification) => {
                    match on_notification(&mut workspace, &mut docs, notification) {
                        Ok(now) => changed.merge(now),
                        Err(problem) => log(connection, MessageType::ERROR, problem)?,
                    }
                }
                Message::Response(_) => {}
            }
            next = connection.receiver.try_recv().ok();
        }
        settle(
            connection,
            (&mut workspace, &mut docs),
            changed,
            &mut whole_set_owed,
        )?;
    }
    Ok(())
}

/// How long the loop waits for a message before it looks again whether the background
/// judgement has ended, while the whole set's findings wait for it.
const LOOK_AGAIN: std::time::Duration = std::time::Duration::from_millis(10);

/// Loads the policy documents and checks the records as `changed` calls for, publishing what
/// they show. While the files on disk are judged in the background, only the open documents'
/// own findings are published, and `whole_set_owed` says that the rest comes when it ends.
fn settle(
    connection: &Connection,
    (workspace, docs): (&mut Workspace, &mut PolicyDocs),
    mut changed: Changed,
    whole_set_owed: &mut bool,
) -> Result<(), Failure> {
    if changed.policy || changed.disk {
        let (published, served) = docs.check();
        for params in published {
            publish(connection, params)?;
        }
        // The served policy's files may have changed on disk, with none of them open.
        let served = match served {
            Some(served) => Some(served),
            None if changed.disk => docs.reload_served(),
            None => None,
        };
        if let Some(served) = served {
            changed.records |= adopt(connection, workspace, served)?;
        }
    }
    if changed.records || changed.disk {
        // The open documents' own findings first, while the workspace is still being read.
        let interim = workspace.interim();
        let shown_alone = interim.is_some();
        for params in interim.into_iter().flatten() {
            publish(connection, params)?;
        }
        *whole_set_owed = shown_alone && workspace.judging_in_background();
        if !*whole_set_owed {
            for params in workspace.check() {
                publish(connection, params)?;
            }
        }
    }
    Ok(())
}

/// What a batch of notifications changed.
#[derive(Default, Clone, Copy)]
struct Changed {
    records: bool,
    policy: bool,
    /// Files were saved or changed on disk: either kind may have.
    disk: bool,
}

impl Changed {
    fn merge(&mut self, other: Changed) {
        self.records |= other.records;
        self.policy |= other.policy;
        self.disk |= other.disk;
    }
}

/// A fresh load of the served policy: the records are checked with it when it loads (true);
/// when it does not, the last policy that loaded stays, and its problems are on its files.
fn adopt(
    connection: &Connection,
    workspace: &mut Workspace,
    served: Served,
) -> Result<bool, Failure> {
    match served {
        Ok(policy) => {
            if workspace.policy().is_none() {
                show(
                    connection,
                    MessageType::INFO,
                    "the policy loads now; the records are checked with it".into(),
                )?;
            }
            workspace.set_policy(Some(policy));
            Ok(true)
        }
        Err(_) => Ok(false),
    }
}

fn publish(
    connection: &Connection,
    (uri, diagnostics, version): (lsp_types::Uri, Vec<lsp_types::Diagnostic>, Option<i32>),
) -> Result<(), Failure> {
    let params = PublishDiagnosticsParams {
        uri,
        diagnostics,
        version,
    };
    let note = Notification::new(PublishDiagnostics::METHOD.to_string(), params);
    connection.sender.send(note.into())?;
    Ok(())
}

/// The message shown when the policy does not load: how many problems, and the first.
fn policy_problems(problems: &[crate::diagnostic::Diagnostic]) -> String {
    let first = problems.first().map_or(String::new(), |d| {
        let place = d
            .source
            .as_ref()
            .zip(d.line_column())
            .map_or(String::new(), |(s, (line, _))| {
                format!(" ({}:{line})", s.name)
            });
        format!(": {}{place}", d.message)
    });
    format!(
        "the policy has {} problem{}{first}; records are not checked until it loads",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    )
}

/// The answer to a request: hover, definition, completion, code actions; any other is refused.
fn answer(workspace: &Workspace, docs: &PolicyDocs, request: Request) -> Response {
    fn params<P: serde::de::DeserializeOwned>(request: &Request) -> Result<P, Response> {
        serde_json::from_value(request.params.clone()).map_err(|e| {
            Response::new_err(
                request.id.clone(),
                ErrorCode::InvalidParams as i32,
                format!("the `{}` parameters do not read: {e}", request.method),
            )
        })
    }
    let id = request.id.clone();
    let result = match request.method.as_str() {
        HoverRequest::METHOD => params::<HoverParams>(&request).map(|p| {
            serde_json::to_value(hover(workspace, docs, &p.text_document_position_params))
        }),
        GotoDefinition::METHOD => params::<GotoDefinitionParams>(&request)
            .map(|p| serde_json::to_value(definition(docs, &p.text_document_position_params))),
        Completion::METHOD => params::<CompletionParams>(&request)
            .map(|p| serde_json::to_value(completion(docs, &p.text_document_position))),
        CodeActionRequest::METHOD => params::<CodeActionParams>(&request)
            .map(|p| serde_json::to_value(code_actions(workspace, &p))),
        _ => {
            return Response::new_err(
                id,
                ErrorCode::MethodNotFound as i32,
                format!("bylaw does not answer `{}`", request.method),
            )
        }
    };
    match result {
        Ok(Ok(value)) => Response::new_ok(id, value),
        Ok(Err(e)) => Response::new_err(id, ErrorCode::InternalError as i32, e.to_string()),
        Err(refused) => refused,
    }
}

fn markdown(text: String) -> Hover {
    Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: text,
        }),
        range: None,
    }
}

fn contains(range: &lsp_types::Range, position: Position) -> bool {
    let key = |p: Position| (p.line, p.character);
    key(range.start) <= key(position) && key(position) <= key(range.end)
}

fn hover(
    workspace: &Workspace,
    docs: &PolicyDocs,
    at: &TextDocumentPositionParams,
) -> Option<Hover> {
    let uri = &at.text_document.uri;
    if let Some((file, unit)) = docs.document(uri) {
        let offset = convert::offset(&file.text, at.position)?;
        return navigate::hover(&file, unit.last_good.as_ref(), offset).map(markdown);
    }
    let policy = workspace.policy()?;
    let (_, shown) = workspace.shown(uri)?;
    let mut texts: Vec<String> = Vec::new();
    for d in shown.iter().filter(|d| contains(&d.range, at.position)) {
        let Some(NumberOrString::String(code)) = &d.code else {
            continue;
        };
        if let Some(rule) = policy.rule(code) {
            let text = records::rule_text(policy, rule);
            if !texts.contains(&text) {
                texts.push(text);
            }
        }
    }
    (!texts.is_empty()).then(|| markdown(texts.join("\n\n---\n\n")))
}

fn definition(
    docs: &PolicyDocs,
    at: &TextDocumentPositionParams,
) -> Option<GotoDefinitionResponse> {
    let (file, unit) = docs.document(&at.text_document.uri)?;
    let offset = convert::offset(&file.text, at.position)?;
    let (target, span) = navigate::definition(&file, &unit.files, offset)?;
    Some(GotoDefinitionResponse::Scalar(Location {
        uri: docs.uri_of(&target.name)?,
        range: convert::range(&target, span),
    }))
}

fn completion(docs: &PolicyDocs, at: &TextDocumentPositionParams) -> Option<CompletionResponse> {
    let (file, unit) = docs.document(&at.text_document.uri)?;
    let offset = convert::offset(&file.text, at.position)?;
    let items = navigate::complete(&file.text, unit.last_good.as_ref()?, offset)
        .into_iter()
        .map(|(label, detail)| CompletionItem {
            kind: Some(if detail == "define" {
                CompletionItemKind::VARIABLE
            } else {
                CompletionItemKind::FIELD
            }),
            label,
            detail: Some(detail),
            ..CompletionItem::default()
        })
        .collect();
    Some(CompletionResponse::Array(items))
}

/// "Add a waiver for rule X" for each finding (not yet waived) in the range.
fn code_actions(workspace: &Workspace, p: &CodeActionParams) -> Vec<CodeActionOrCommand> {
    let uri = &p.text_document.uri;
    let (Some(policy), Some((text, shown))) = (workspace.policy(), workspace.shown(uri)) else {
        return Vec::new();
    };
    let file = crate::source::SourceFile::new("", text);
    let mut actions = Vec::new();
    let mut offered: Vec<(String, usize)> = Vec::new();
    for d in shown {
        let overlaps = contains(&d.range, p.range.start)
            || contains(&d.range, p.range.end)
            || contains(&p.range, d.range.start);
        let Some(NumberOrString::String(rule)) = &d.code else {
            continue;
        };
        if !overlaps
            || d.severity == Some(DiagnosticSeverity::INFORMATION)
            || policy.rule(rule).is_none()
        {
            continue;
        }
        let Some(offset) = convert::offset(text, d.range.start) else {
            continue;
        };
        let Some((at, inserted)) = records::waiver_insertion(text, offset, rule) else {
            continue;
        };
        if offered.contains(&(rule.clone(), at)) {
            continue;
        }
        offered.push((rule.clone(), at));
        let span = crate::source::Span::new(at, at);
        let edit = TextEdit {
            range: convert::range(&file, span),
            new_text: inserted,
        };
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("Add a waiver for rule {rule}"),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![d.clone()]),
            edit: Some(WorkspaceEdit {
                changes: Some([(uri.clone(), vec![edit])].into_iter().collect()),
                ..WorkspaceEdit::default()
            }),
            ..CodeAction::default()
        }));
    }
    actions
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
            glob_pattern: GlobPattern::String("**/*.{json,jsonl,ndjson,bylaw}".into()),
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

/// Applies a document notification: what it changed, or why its parameters were not understood
/// (the notification is then ignored, and the client's log says so).
fn on_notification(
    workspace: &mut Workspace,
    docs: &mut PolicyDocs,
    notification: Notification,
) -> Result<Changed, String> {
    fn params<P: serde::de::DeserializeOwned>(notification: Notification) -> Result<P, String> {
        let method = notification.method.clone();
        notification
            .extract::<P>(&method)
            .map_err(|e| format!("ignored `{method}`: {e}"))
    }
    let mut changed = Changed::default();
    match notification.method.as_str() {
        DidOpenTextDocument::METHOD => {
            let p: lsp_types::DidOpenTextDocumentParams = params(notification)?;
            if docs.open(&p.text_document) {
                changed.policy = true;
            } else {
                workspace.open(p.text_document);
                changed.records = true;
            }
        }
        DidChangeTextDocument::METHOD => {
            let p: lsp_types::DidChangeTextDocumentParams = params(notification)?;
            if docs.is_open(&p.text_document.uri) {
                docs.change(p);
                changed.policy = true;
            } else {
                workspace.change(p);
                changed.records = true;
            }
        }
        DidCloseTextDocument::METHOD => {
            let p: lsp_types::DidCloseTextDocumentParams = params(notification)?;
            if docs.close(&p.text_document.uri) {
                changed.policy = true;
            } else {
                workspace.close(&p.text_document.uri);
                changed.records = true;
            }
        }
        DidSaveTextDocument::METHOD | DidChangeWatchedFiles::METHOD => {
            workspace.reload();
            changed.disk = true;
        }
        _ => {}
    }
    Ok(changed)
}
