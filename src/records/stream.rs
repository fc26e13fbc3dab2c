//! Reading a source as a stream of records: a JSON Lines file line by line, a JSON array element by
//! element, documents written one after the other one by one. Memory holds the record being read,
//! never the file: each record comes with its own text as a fragment of the file
//! ([`SourceFile::fragment`]) that knows where it starts, so a finding is located and shown in the
//! file's numbering, and the text is dropped with the record unless a finding keeps it. A record's
//! place can be read again later ([`Refetch`]) when a rule about the whole set must show it.

use std::fs::File;
use std::io::{self, BufRead, Read};
use std::path::PathBuf;
use std::sync::Arc;

use super::{blocks, decode, Place};
use crate::discover::Format;
use crate::source::{SourceFile, Span, TextStart};

/// The largest record read by default: larger ones are refused, located, without being held.
pub const DEFAULT_MAX_RECORD_BYTES: usize = 64 << 20;

/// How deep brackets may nest in a record: serde_json refuses a 128th level. Deeper is refused,
/// located, in the same words wherever it is found ([`too_deep_message`]).
pub const MAX_DEPTH: usize = 127;

/// What a record nested deeper than [`MAX_DEPTH`] is told.
pub fn too_deep_message() -> String {
    format!("the record nests more than {MAX_DEPTH} levels deep, more than any record needs")
}

/// The most blanks before a value on its line that are shown with it.
const MAX_INDENT: usize = 1024;

/// UTF-8's byte-order mark.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// The bytes read at once; also how much of a source decides its format when its name does not.
pub const BUFFER: usize = 64 << 10;

/// Limits on what one record may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_record_bytes: usize,
    /// The bad inputs of one file reported each at its place; those after them are counted and
    /// said in one closing line, so that a file of a million bad lines makes a report of a
    /// thousand, not a million (and memory for a thousand).
    pub max_bad_inputs: usize,
}

/// How many bad inputs of one file are reported each at its place, unless the run says otherwise.
pub const DEFAULT_MAX_BAD_INPUTS: usize = 1000;

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
            max_bad_inputs: DEFAULT_MAX_BAD_INPUTS,
        }
    }
}

/// Where a source's bytes can be read again.
#[derive(Debug)]
pub enum Reopen {
    File(PathBuf),
    /// A text held by its owner (an editor's document, an example): kept as read.
    Memory(Arc<[u8]>),
    /// A file open for positioned reads from its first byte: the copy of a source that cannot be
    /// read again (standard input, a FIFO), made as it is read ([`Spool`]), so that memory stays
    /// bounded whatever the source's size; or standard input when it is a regular file
    /// (`bylaw check - < export.jsonl`), read where it lies.
    Handle(File),
}

impl Reopen {
    /// A reader of the source from its first byte.
    pub fn reader(&self) -> io::Result<Box<dyn Read + Send>> {
        match self {
            Reopen::Memory(bytes) => Ok(Box::new(io::Cursor::new(bytes.clone()))),
            Reopen::File(path) => File::open(path).map(|f| Box::new(f) as _),
            Reopen::Handle(file) => Ok(Box::new(CopyReader {
                copy: file.try_clone()?,
                at: 0,
                end: u64::MAX,
            })),
        }
    }
}

/// A source that cannot be read again (standard input, a FIFO), read once, as its records are:
/// each byte read is also written to an unnamed temporary file (in `TMPDIR`, removed when the run
/// ends), from which a record is read again when a finding needs it. Neither the source nor its
/// copy is held in memory, and the records are judged as they arrive: a copy that fails part of
/// the way (a full disk) has judged the records before it.
pub struct Spool {
    input: Box<dyn Read + Send>,
    copy: File,
    /// How many bytes have been read (and copied, but for those left out).
    copied: u64,
    /// Why the copy stopped, once it has: what the copy holds is read first.
    failed: Option<io::Error>,
    /// What the reader says the copy may leave out ([`CopyGaps`]).
    gaps: Arc<std::sync::Mutex<Gaps>>,
    /// How many bytes the copy holds, and may hold: a copy in memory is bounded.
    kept: u64,
    room: u64,
}

/// The most a copy in memory holds. Beyond it the copy fails as on a full disk: the records
/// before are judged, and the message says where room is.
const MEMORY_COPY_ROOM: u64 = 1 << 30;

/// Starts the copy of `input`; nothing is read yet. The copy is a temporary file in TMPDIR or,
/// where none can be made there (a container whose file system is read-only), a file in memory
/// of at most 1 GiB, on systems that have them (Linux): the records are judged all the same.
pub fn spool(input: Box<dyn Read + Send>) -> io::Result<Spool> {
    let (copy, room) = match tempfile::tempfile() {
        Ok(file) => (file, u64::MAX),
        Err(e) => {
            let in_memory = in_memory_file().map_err(|_| copy_failed(e))?;
            (in_memory, MEMORY_COPY_ROOM)
        }
    };
    Ok(spool_into(input, copy, room))
}

fn spool_into(input: Box<dyn Read + Send>, copy: File, room: u64) -> Spool {
    Spool {
        input,
        copy,
        copied: 0,
        failed: None,
        gaps: Arc::default(),
        kept: 0,
        room,
    }
}

/// Whether a spool leaves what it reads out of its copy, and the last bytes it left out.
#[derive(Default)]
struct Gaps {
    leaving_out: bool,
    /// The last read left out of the copy, and where it starts in the source: what the reader
    /// takes up again may start inside it.
    held: Vec<u8>,
    held_at: u64,
    /// Why writing what was held failed: the next read says it.
    failed: Option<io::Error>,
}

/// The reader's word to a spool about what it will never read again: the rest of a record too
/// large to read, or text skipped to find the next record. That is left out of the copy (the
/// copy's file has a hole there), so that an endless line (`bylaw check - < /dev/zero`) fills
/// neither memory nor the disk.
pub struct CopyGaps {
    gaps: Arc<std::sync::Mutex<Gaps>>,
    copy: File,
}

impl CopyGaps {
    /// What is read from now on is left out of the copy, until [`CopyGaps::take_up_at`].
    pub fn leave_out(&self) {
        let mut gaps = lock(&self.gaps);
        gaps.leaving_out = true;
        gaps.held.clear();
    }

    /// The copy holds the source again from `offset` on, which the reader has read up to (the
    /// bytes after it, read with it, are written now). Should that write fail, the failure is the
    /// next read's, as any failure of the copy is.
    pub fn take_up_at(&self, offset: u64) {
        let mut gaps = lock(&self.gaps);
        if !gaps.leaving_out {
            return;
        }
        gaps.leaving_out = false;
        let from = offset.saturating_sub(gaps.held_at);
        let held = std::mem::take(&mut gaps.held);
        if let Some(rest) = usize::try_from(from).ok().and_then(|from| held.get(from..)) {
            let at = gaps.held_at + from;
            if let (_, Some(e)) = write_at(&self.copy, rest, at) {
                gaps.failed = Some(copy_failed(e));
            }
        }
    }
}

/// A new file that lives in memory, with no name: a copy TMPDIR cannot hold.
#[cfg(target_os = "linux")]
fn in_memory_file() -> io::Result<File> {
    use std::os::fd::FromRawFd;
    // SAFETY: the name is NUL-terminated, and the descriptor returned is new: the file owns it.
    let fd = unsafe { libc::memfd_create(c"bylaw-copy".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(unsafe { File::from_raw_fd(fd) })
}

#[cfg(not(target_os = "linux"))]
fn in_memory_file() -> io::Result<File> {
    Err(io::ErrorKind::Unsupported.into())
}

/// A failed copy names where it was written: the remedy is there.
fn copy_failed(e: io::Error) -> io::Error {
    let folder = std::env::temp_dir();
    let message = format!(
        "cannot copy it to a temporary file in `{}` (TMPDIR): {e}",
        folder.display()
    );
    io::Error::new(e.kind(), message)
}

/// The gaps of a spool's copy: a reader that panicked while holding them left them whole.
fn lock(gaps: &std::sync::Mutex<Gaps>) -> std::sync::MutexGuard<'_, Gaps> {
    gaps.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Read for Spool {
    /// Gives only bytes the copy holds, so that every record judged can be read again: when the
    /// copy fails part of the way (a full disk, `ulimit -f`), the bytes it took are given, and
    /// the failure at the next read, whatever the size of the reads.
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let leaving_out = {
            let mut gaps = lock(&self.gaps);
            if let Some(e) = gaps.failed.take() {
                self.failed = Some(e);
            }
            gaps.leaving_out
        };
        if let Some(e) = &self.failed {
            return Err(io::Error::new(e.kind(), e.to_string()));
        }
        let n = self.input.read(buf)?;
        if leaving_out {
            let mut gaps = lock(&self.gaps);
            gaps.held.clear();
            gaps.held.extend_from_slice(&buf[..n]);
            gaps.held_at = self.copied;
            self.copied += n as u64;
            return Ok(n);
        }
        let fits = usize::try_from(self.room - self.kept).map_or(n, |room| room.min(n));
        let (copied, failed) = write_at(&self.copy, &buf[..fits], self.copied);
        self.copied += copied as u64;
        self.kept += copied as u64;
        let full = || {
            let message = format!(
                "a copy kept in memory instead holds at most {} MiB",
                self.room >> 20
            );
            io::Error::new(io::ErrorKind::StorageFull, message)
        };
        let failed = failed.or_else(|| (fits < n).then(full));
        self.failed = failed.map(copy_failed);
        match &self.failed {
            Some(e) if copied == 0 => Err(io::Error::new(e.kind(), e.to_string())),
            _ => Ok(copied),
        }
    }
}

/// Writes `bytes` at `offset` of `file`, as far as it can: how many were written, and why the
/// rest were not.
fn write_at(file: &File, bytes: &[u8], offset: u64) -> (usize, Option<io::Error>) {
    let mut written = 0;
    while written < bytes.len() {
        match write_some_at(file, &bytes[written..], offset + written as u64) {
            Ok(0) => return (written, Some(io::ErrorKind::WriteZero.into())),
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return (written, Some(e)),
        }
    }
    (written, None)
}

/// Reads the copy of a spooled source from `at` up to `end`, by positioned reads: the copy's
/// handles share one position, which the spool's writing and the records read again leave alone.
struct CopyReader {
    copy: File,
    at: u64,
    end: u64,
}

impl Read for CopyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = usize::try_from(self.end - self.at).unwrap_or(usize::MAX);
        let wanted = buf.len().min(left);
        let n = read_at(&self.copy, &mut buf[..wanted], self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

/// Where a source is read from: one that can be read again, or one read once and copied.
pub enum Source {
    Again(Reopen),
    Once(Spool),
}

/// A source opened to read its records.
pub struct Opened {
    /// How to read the source again.
    pub reopen: Reopen,
    /// Its first [`BUFFER`] bytes after the blank ones it begins with: empty when it holds
    /// nothing else; what tells its format when its name does not ([`sniff`]).
    pub head: Vec<u8>,
    /// The source from its first byte.
    pub input: Box<dyn Read + Send>,
    /// For a source read once, what its copy may leave out, as the reader says.
    pub gaps: Option<CopyGaps>,
}

/// Opens `source`. A source read once is read as far as its head, which its copy then holds;
/// it is read from its first byte again from the copy, and on from the source.
pub fn open(source: Source) -> io::Result<Opened> {
    match source {
        Source::Again(reopen) => {
            let head = head_after_blanks(&mut io::BufReader::new(reopen.reader()?))?;
            let input = reopen.reader()?;
            Ok(Opened {
                reopen,
                head,
                input,
                gaps: None,
            })
        }
        Source::Once(mut spool) => {
            // What the buffer read beyond the head is in the copy too.
            let head = head_after_blanks(&mut io::BufReader::with_capacity(BUFFER, &mut spool))?;
            let read_so_far = CopyReader {
                copy: spool.copy.try_clone()?,
                at: 0,
                end: spool.copied,
            };
            let gaps = CopyGaps {
                gaps: spool.gaps.clone(),
                copy: spool.copy.try_clone()?,
            };
            Ok(Opened {
                reopen: Reopen::Handle(spool.copy.try_clone()?),
                head,
                input: Box::new(read_so_far.chain(spool)),
                gaps: Some(gaps),
            })
        }
    }
}

/// A source by its name, and how to read it again.
#[derive(Debug)]
pub struct Origin {
    /// Its name, shared by what is noted of its records.
    pub name: Arc<str>,
    pub reopen: Reopen,
    /// The file, opened once for every record read again (positioned reads share it).
    opened: std::sync::OnceLock<Option<File>>,
}

impl Origin {
    pub fn new(name: String, reopen: Reopen) -> Origin {
        Origin {
            name: name.into(),
            reopen,
            opened: std::sync::OnceLock::new(),
        }
    }
}

/// How to read a record's text again: its source, where the fragment lies in it, and a checksum
/// of its text, so that a record changed since it was read is never judged as if it had not.
#[derive(Debug, Clone)]
pub struct Refetch {
    pub origin: Arc<Origin>,
    pub at: Fragment,
}

/// Where a record's text lies in its source, and its checksum; the source is its owner's to
/// keep. Kept for every record of a set, so it is kept small: 32 bytes.
#[derive(Debug, Clone, Copy)]
pub struct Fragment {
    offset: u64,
    /// The fragment's length in the source's bytes (before decoding); a record is at most
    /// [`MAX_RECORD_LIMIT`] bytes.
    len: u32,
    line: u32,
    columns: u32,
    utf16_columns: u32,
    checksum: u32,
    /// Free for its owner: the source, by index in the owner's list of sources (here, in the
    /// padding a `u64` leaves).
    pub source: u32,
}

/// A checksum of a record's text as read: foldhash, fast on long texts, truncated to 32 bits
/// (a change that keeps it has a chance in four billion).
fn checksum(text: &str) -> u32 {
    use std::hash::BuildHasher;
    foldhash::quality::FixedState::with_seed(0x0062_796c_6177).hash_one(text.as_bytes()) as u32
}

/// The largest `--max-record-size`: what a [`Refetch`] can measure.
pub const MAX_RECORD_LIMIT: usize = u32::MAX as usize;

impl Refetch {
    /// Where a record of `len` bytes starting at `start` lies in its source, and what it reads
    /// as (`text`, decoded).
    fn new(origin: &Arc<Origin>, start: TextStart, len: usize, text: &str) -> Refetch {
        let small = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        Refetch {
            origin: origin.clone(),
            at: Fragment {
                offset: start.offset as u64,
                len: small(len),
                line: small(start.line),
                columns: small(start.columns),
                utf16_columns: small(start.utf16_columns),
                checksum: checksum(text),
                source: 0,
            },
        }
    }

    /// Where the fragment starts in its source.
    pub fn start(&self) -> TextStart {
        self.at.start()
    }

    /// The record's text again, as it was read; `None` if the source can no longer be read.
    pub fn fetch(&self) -> Option<Arc<SourceFile>> {
        self.at.fetch(&self.origin)
    }
}

impl Fragment {
    /// Whether `other` is the same text at the same place of a source (whatever its owner's
    /// index of the source says), on the same line: a piece of a document the language server
    /// keeps is the same source, its lines moved by an edit above it.
    pub fn same_place(&self, other: &Fragment) -> bool {
        let place = |f: &Fragment| (f.offset, f.len, f.checksum, f.line);
        place(self) == place(other)
    }

    /// What the fragment's text is, wherever in its source it lies: its length, its checksum and
    /// the columns it starts at. Two fragments of one source alike in these read as the same text,
    /// and what is located in one is located in the other a whole number of lines away.
    pub fn text_alike(&self) -> (u32, u32, u32, u32) {
        (self.len, self.checksum, self.columns, self.utf16_columns)
    }

    /// The line it starts on in its source (`u32::MAX` for a line past what a `u32` holds).
    pub fn line(&self) -> u32 {
        self.line
    }

    /// Moves the fragment `by` lines down its source, as [`SourceFile::shifted`] does; a line
    /// past what a `u32` holds stays as it was kept.
    pub fn shift_lines(&mut self, by: isize) {
        if self.line != u32::MAX {
            let line = crate::source::shift_line(self.line as usize, by);
            self.line = u32::try_from(line).unwrap_or(u32::MAX);
        }
    }

    /// Where the fragment starts in its source.
    pub fn start(&self) -> TextStart {
        TextStart {
            offset: self.offset as usize,
            line: self.line as usize,
            columns: self.columns as usize,
            utf16_columns: self.utf16_columns as usize,
        }
    }

    /// The record's text again from `origin` (its source), as it was read; `None` if the source
    /// can no longer be read.
    pub fn fetch(&self, origin: &Origin) -> Option<Arc<SourceFile>> {
        let (offset, len) = (self.offset as usize, self.len as usize);
        let bytes = match &origin.reopen {
            Reopen::Memory(bytes) => bytes.get(offset..offset + len)?.to_vec(),
            Reopen::File(path) => {
                let mut bytes = vec![0; len];
                origin.read_at(path, &mut bytes, self.offset).ok()?;
                bytes
            }
            Reopen::Handle(file) => {
                let mut bytes = vec![0; len];
                read_exact_at(file, &mut bytes, self.offset).ok()?;
                bytes
            }
        };
        let text = decode(bytes).text;
        // Changed since it was read (the file was written meanwhile): not the record judged.
        if checksum(&text) != self.checksum {
            return None;
        }
        Some(SourceFile::fragment(
            origin.name.clone(),
            text,
            self.start(),
        ))
    }
}

impl Origin {
    /// Reads `bytes.len()` bytes at `offset` of the file, from any thread: one open file and
    /// positioned reads, where the system has them.
    #[cfg(unix)]
    fn read_at(&self, path: &std::path::Path, bytes: &mut [u8], offset: u64) -> io::Result<()> {
        let file = self.opened.get_or_init(|| open_regular(path).ok());
        let file = file.as_ref().ok_or(io::ErrorKind::NotFound)?;
        read_exact_at(file, bytes, offset)
    }

    #[cfg(not(unix))]
    fn read_at(&self, path: &std::path::Path, bytes: &mut [u8], offset: u64) -> io::Result<()> {
        read_exact_at(&open_regular(path)?, bytes, offset)
    }
}

/// Reads at most `bytes.len()` bytes at `offset` of an open file; 0 at its end.
#[cfg(unix)]
fn read_at(file: &File, bytes: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, bytes, offset)
}

#[cfg(not(unix))]
fn read_at(file: &File, bytes: &mut [u8], offset: u64) -> io::Result<usize> {
    use std::io::{Seek, SeekFrom};
    let mut file = file.try_clone()?;
    file.seek(SeekFrom::Start(offset))?;
    file.read(bytes)
}

/// Writes some of `bytes` at `offset` of an open file; returns how many.
#[cfg(unix)]
fn write_some_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::write_at(file, bytes, offset)
}

#[cfg(not(unix))]
fn write_some_at(file: &File, bytes: &[u8], offset: u64) -> io::Result<usize> {
    use std::io::{Seek, SeekFrom, Write};
    let mut file = file.try_clone()?;
    file.seek(SeekFrom::Start(offset))?;
    file.write(bytes)
}

/// Reads `bytes.len()` bytes at `offset` of an open file.
#[cfg(unix)]
fn read_exact_at(file: &File, bytes: &mut [u8], offset: u64) -> io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, bytes, offset)
}

/// Reads `bytes.len()` bytes at `offset` of an open file (through a handle of its own, whose
/// position it moves: records are read again once the file has been read through).
#[cfg(not(unix))]
fn read_exact_at(file: &File, bytes: &mut [u8], offset: u64) -> io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut file = file.try_clone()?;
    file.seek(SeekFrom::Start(offset))?;
    file.read_exact(bytes)
}

/// Opens a file to read records again, if it is still a regular file: whatever took its place
/// since (a FIFO, whose opening waits for a writer for ever; a folder) has not the records read.
fn open_regular(path: &std::path::Path) -> io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO without a writer returns at once instead of waiting; reading a regular
    // file is not changed by it.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::other("no longer a regular file"));
    }
    Ok(file)
}

/// One record's text as read, before it is parsed.
pub struct RecordText {
    /// The record's own text (a JSON Lines line; an array element with the indentation before it).
    pub source: Arc<SourceFile>,
    /// Where the record starts in `source` (after a byte-order mark or indentation).
    pub place: Place,
    /// Bytes that were not UTF-8: (offset of the U+FFFD in `source.text`, the byte).
    pub not_utf8: Vec<(usize, u8)>,
    pub refetch: Refetch,
    /// How many keys the record gives again are kept, each to be reported at its place: as many
    /// bad inputs as its file shows (`--max-bad-inputs`); the others are counted.
    pub keep_duplicates: usize,
}

/// Text that is not JSON, or not the shape the contract describes, shown in a fragment of its file.
#[derive(Debug, Clone)]
pub struct Malformed {
    pub source: Arc<SourceFile>,
    pub span: Span,
    pub message: String,
    /// The fault is how the text is encoded (not UTF-8), not its JSON.
    pub of_encoding: bool,
}

pub enum Item {
    Record(RecordText),
    Malformed(Malformed),
}

/// Decides the format of a source whose name does not tell from its head ([`Opened::head`]): its
/// first [`BUFFER`] bytes after the blank ones it begins with (however many: a source that begins
/// with a megabyte of blank lines is still told by its first record); see
/// [`super::sniff_format`].
pub fn sniff(head: &[u8]) -> Format {
    super::sniff_format(&String::from_utf8_lossy(head))
}

/// The first [`BUFFER`] bytes of `input` after its byte-order mark and blank characters.
fn head_after_blanks(input: &mut dyn BufRead) -> io::Result<Vec<u8>> {
    let mut at_start = true;
    loop {
        let buffer = input.fill_buf()?;
        if buffer.is_empty() {
            return Ok(Vec::new());
        }
        let bom = if at_start && buffer.starts_with(BOM) {
            BOM.len()
        } else {
            0
        };
        at_start = false;
        let blank = (buffer[bom..].iter())
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
            .count();
        let skipped = bom + blank;
        let ends_blank = skipped == buffer.len();
        input.consume(skipped);
        if !ends_blank {
            break;
        }
    }
    let mut head = Vec::with_capacity(BUFFER);
    input.take(BUFFER as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Reads `input` as `format`, handing each record (or fault) to `emit` in the file's order.
pub fn read(
    input: &mut dyn BufRead,
    origin: &Arc<Origin>,
    (format, limits): (Format, Limits),
    gaps: Option<&CopyGaps>,
    emit: &mut dyn FnMut(Item),
) -> Result<(), Stopped> {
    let head = input.fill_buf().map_err(|error| Stopped {
        error,
        at: TextStart::FILE,
    })?;
    if let Some(encoding) = utf16(head) {
        // Read as UTF-8, every line would be bad input, and none would say why.
        emit(Item::Malformed(Malformed {
            source: SourceFile::fragment(origin.name.clone(), "", TextStart::FILE),
            span: Span::new(0, 0),
            message: format!(
                "the text is {encoding}, not UTF-8: records are written in UTF-8 (convert it, \
                 e.g. `iconv -f UTF-16 -t UTF-8`); nothing in it is read"
            ),
            of_encoding: true,
        }));
        return Ok(());
    }
    let mut reader = Reader {
        input,
        origin,
        limits,
        gaps,
        at: TextStart::FILE,
        indent: Some(Vec::new()),
        ends_open: false,
        piece: PieceRead::default(),
    };
    let read = match format {
        Format::Lines => reader.lines(emit),
        Format::Json => reader.json(emit),
    };
    read.map_err(|error| Stopped {
        error,
        at: reader.at,
    })
}

/// [`read`] of JSON Lines that are a piece of a larger text, whose first line is that text's
/// line `first_line`: every line number read is the larger text's, every offset the piece's (to
/// read a record again from the piece). A JSON Lines record is its line, so a piece reads as the
/// same lines of the whole text would; a language server judges a large document a piece at a
/// time, and a piece again only when it changed.
pub fn read_lines_from(
    input: &mut dyn BufRead,
    origin: &Arc<Origin>,
    limits: Limits,
    first_line: usize,
    emit: &mut dyn FnMut(Item),
) -> Result<(), Stopped> {
    let mut reader = Reader::for_piece(input, origin, limits, first_line, false);
    reader.lines(emit).map_err(|error| Stopped {
        error,
        at: reader.at,
    })
}

/// A piece of a JSON array held by a larger text: the index of its first element in the whole
/// array, and whether it holds the array's opening bracket and its closing one. A piece that
/// does not close ends after an element's comma; one that does not open starts at an element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrayPiece {
    pub first_index: usize,
    pub opens: bool,
    pub closes: bool,
}

/// [`read`] of a piece of a JSON array that a larger text holds, whose first line is that
/// text's line `first_line`: the elements it holds are read as the same bytes of the whole
/// text are, numbered from `piece.first_index`, every line number the larger text's and every
/// offset the piece's. Where a piece ends is for its caller to choose between two elements (a
/// language server judges a large document a piece at a time), and to check: a piece cut
/// elsewhere reads as bad input.
pub fn read_elements_from(
    input: &mut dyn BufRead,
    origin: &Arc<Origin>,
    limits: Limits,
    first_line: usize,
    piece: ArrayPiece,
    emit: &mut dyn FnMut(Item),
) -> Result<PieceRead, Stopped> {
    let mut reader = Reader::for_piece(input, origin, limits, first_line, !piece.closes);
    let read = match piece.opens {
        true => reader.json(emit),
        false => {
            let mut index = piece.first_index;
            let read = (reader.skip_blanks())
                .and_then(|()| reader.peek())
                .map(|first| reader.piece.guessed |= first != Some(b'{'))
                .and_then(|()| reader.elements(&mut index, emit));
            read.and_then(|read_on| match read_on {
                true => reader.values(index, emit),
                false => Ok(()),
            })
        }
    };
    match read {
        Ok(()) => Ok(reader.piece),
        Err(error) => Err(Stopped {
            error,
            at: reader.at,
        }),
    }
}

/// What the reading of a piece of an array tells besides its items.
#[derive(Debug, Clone, Default)]
pub struct PieceRead {
    /// The reading took a turn that the same bytes read in the whole text may not have taken:
    /// it went by what the elements before it opened with, which a piece does not know, or met
    /// the piece's end inside an element or while looking for the next one, or where the array
    /// did not go on. The piece's items then may not be the whole text's. Otherwise they
    /// are, bad input included, if the whole text's elements before agree with `relied_on`: an
    /// element broken by an edit is found again at its next element's line, as in the whole
    /// text, or at the next `{` that opens with the key every element before opened with.
    pub guessed: bool,
    /// The key (quotes included) the reading went by after an element broke, as every element
    /// read whole before it in the piece opened with it: the whole text's reading went the same
    /// way where every element of the whole text read whole opens with it too.
    pub relied_on: Option<Vec<u8>>,
    /// What the piece's elements read whole open with.
    pub opening_key: OpeningKey,
}

/// What the elements of an array read whole open with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum OpeningKey {
    #[default]
    NoElement,
    /// All the same key, its quotes included.
    Same(Vec<u8>),
    Differ,
}

/// Reading a source stopped part of the way (a failed read, a full disk under standard input's
/// copy): why, and where; the records before were read.
#[derive(Debug)]
pub struct Stopped {
    pub error: io::Error,
    /// Where in the source: the start of the line being read (JSON Lines), or the next byte.
    pub at: TextStart,
}

/// The UTF-16 a text is written in, told by its first bytes: a UTF-16 byte-order mark, or a
/// record's opening bracket with a zero byte beside it (which UTF-8 text never begins with).
fn utf16(head: &[u8]) -> Option<&'static str> {
    match head {
        [0xFF, 0xFE, ..] | [b'{' | b'[', 0, ..] => Some("UTF-16 (little-endian)"),
        [0xFE, 0xFF, ..] | [0, b'{' | b'[', ..] => Some("UTF-16 (big-endian)"),
        _ => None,
    }
}

struct Reader<'a> {
    input: &'a mut dyn BufRead,
    origin: &'a Arc<Origin>,
    limits: Limits,
    /// What the copy of a source read once may leave out: what is skipped unread.
    gaps: Option<&'a CopyGaps>,
    /// The position of the next byte.
    at: TextStart,
    /// The blanks read since the last line break, while nothing else was: an array element that
    /// starts a line is shown with them, as it is indented in the file.
    indent: Option<Vec<u8>>,
    /// The text is a piece of an array that ends after an element's comma, where the next piece
    /// goes on ([`read_elements_from`]): its end is not the array cut short.
    ends_open: bool,
    /// What a piece's reading tells besides its items: the turns it took that the whole
    /// text's reading may not have taken, and what the elements of the last array read whole
    /// open with.
    piece: PieceRead,
}

impl<'a> Reader<'a> {
    /// A reader of a piece of a larger text held in memory, from its line `first_line`.
    fn for_piece(
        input: &'a mut dyn BufRead,
        origin: &'a Arc<Origin>,
        limits: Limits,
        first_line: usize,
        ends_open: bool,
    ) -> Reader<'a> {
        Reader {
            input,
            origin,
            limits,
            gaps: None,
            at: TextStart {
                line: first_line,
                ..TextStart::FILE
            },
            indent: Some(Vec::new()),
            ends_open,
            piece: PieceRead::default(),
        }
    }

    /// A turn taken by the key the elements before opened with (`first_key`): a piece knows
    /// only its own elements, so the key is told its caller to check against the whole text's,
    /// and with none agreed in the piece, the turn is a guess.
    fn rely_on(&mut self, first_key: &FirstKey) {
        match first_key.key() {
            Some(key) if self.piece.relied_on.as_deref().is_none_or(|k| k == key) => {
                self.piece.relied_on = Some(key.to_vec());
            }
            _ => self.piece.guessed = true,
        }
    }
}

/// Reads through the next line break (kept) into `line`, or `limit` bytes, or to the end, as
/// `take(limit).read_until(b'\n', line)` does, but finding the break with memchr (SIMD): the
/// standard library's byte search took a tenth of the reading of a JSON Lines export.
fn read_line(input: &mut dyn BufRead, limit: usize, line: &mut Vec<u8>) -> io::Result<usize> {
    let mut read = 0;
    while read < limit {
        let buffer = match input.fill_buf() {
            Ok(buffer) => buffer,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let window = &buffer[..buffer.len().min(limit - read)];
        let (taken, ended) = match memchr::memchr(b'\n', window) {
            Some(at) => (at + 1, true),
            None => (window.len(), window.is_empty()),
        };
        line.extend_from_slice(&window[..taken]);
        input.consume(taken);
        read += taken;
        if ended {
            break;
        }
    }
    Ok(read)
}

impl Reader<'_> {
    fn lines(&mut self, emit: &mut dyn FnMut(Item)) -> io::Result<()> {
        let max = self.limits.max_record_bytes;
        let mut line = Vec::new();
        loop {
            line.clear();
            let start = self.at;
            let read = read_line(self.input, max + 1, &mut line)?;
            if read == 0 {
                return Ok(());
            }
            let ended = line.last() == Some(&b'\n');
            let too_long = !ended && line.len() > max;
            // A line too long to hold is skipped to its end unread.
            let len = line.len() + if too_long { self.skip_line()? } else { 0 };
            if too_long {
                self.take_up_at(start.offset + len);
            }
            self.at = TextStart {
                offset: start.offset + len,
                line: start.line + 1,
                columns: 0,
                utf16_columns: 0,
            };
            if too_long {
                let head = self.head(&line, start);
                emit(Item::Malformed(self.too_large(head, 0, "line")));
                continue;
            }
            if ended {
                line.pop();
            }
            // At the start of the file, or of a line where files were joined (`cat a b`).
            let bom = if line.starts_with(BOM) { BOM.len() } else { 0 };
            if line[bom..].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let raw_len = line.len();
            let decoded = decode(std::mem::take(&mut line));
            let source = SourceFile::fragment(self.origin.name.clone(), decoded.text, start);
            // A line with bytes that are not UTF-8 is read as an array's element is: refused
            // for them, and counted as a record when it reads as one.
            emit(Item::Record(RecordText {
                place: Place::Line {
                    line: start.line,
                    offset: bom,
                },
                not_utf8: decoded.not_utf8,
                refetch: Refetch::new(self.origin, start, raw_len, &source.text),
                keep_duplicates: self.limits.max_bad_inputs,
                source,
            }));
        }
    }

    /// Skips to the end of the line; returns the bytes skipped. They are never read again: the
    /// copy of a source read once leaves them out, till [`Reader::take_up_at`].
    fn skip_line(&mut self) -> io::Result<usize> {
        self.leave_out();
        let mut skipped = 0;
        loop {
            let buffer = self.input.fill_buf()?;
            if buffer.is_empty() {
                return Ok(skipped);
            }
            match buffer.iter().position(|&b| b == b'\n') {
                Some(i) => {
                    self.input.consume(i + 1);
                    return Ok(skipped + i + 1);
                }
                None => {
                    let n = buffer.len();
                    self.input.consume(n);
                    skipped += n;
                }
            }
        }
    }

    /// A JSON file: an array read element by element, or one record read whole; or values one
    /// after the other (arrays written one after another, as `cat` joins exports, or documents
    /// as `jq '.[]'` writes them), each array's elements and each other value a record.
    fn json(&mut self, emit: &mut dyn FnMut(Item)) -> io::Result<()> {
        // A byte-order mark is no character: the columns after it count from 1.
        if self.input.fill_buf()?.starts_with(BOM) {
            self.input.consume(BOM.len());
            self.at.offset = BOM.len();
        }
        self.skip_blanks()?;
        let array = self.peek()? == Some(b'[');
        // Not an array: the pieces after this one are no elements of it.
        self.piece.guessed |= !array && self.ends_open;
        match self.peek()? {
            Some(b'[') => {}
            // A stray closing bracket first: values, each said where it is.
            Some(b'}' | b']' | b',') => return self.values(0, emit),
            _ => return self.whole(emit),
        }
        let mut index = 0;
        if self.array(&mut index, emit)? {
            self.values(index, emit)?;
        }
        Ok(())
    }

    /// Reads an array from its `[`, each element a record numbered from `index`; `false` when
    /// what follows it cannot be read.
    fn array(&mut self, index: &mut usize, emit: &mut dyn FnMut(Item)) -> io::Result<bool> {
        self.advance(1)?;
        self.elements(index, emit)
    }

    /// Reads an array's elements, from after its `[` or an element's `,`, to its `]`.
    fn elements(&mut self, index: &mut usize, emit: &mut dyn FnMut(Item)) -> io::Result<bool> {
        let mut first_key = FirstKey::default();
        let read_on = self.elements_keyed(index, emit, &mut first_key);
        self.piece.opening_key = first_key.seen;
        read_on
    }

    /// [`Reader::elements`], told of each element read whole in `first_key`.
    fn elements_keyed(
        &mut self,
        index: &mut usize,
        emit: &mut dyn FnMut(Item),
        first_key: &mut FirstKey,
    ) -> io::Result<bool> {
        let mut elements = 0;
        loop {
            self.skip_blanks()?;
            match self.peek()? {
                Some(b']') if elements == 0 => {
                    self.piece.guessed = true; // a piece is cut before an element
                    self.advance(1)?;
                    return Ok(true);
                }
                // The piece ends here; the next piece goes on with the next element.
                None if self.ends_open => return Ok(false),
                None => {
                    emit(Item::Malformed(
                        self.here("the file ends inside the array: it is cut short"),
                    ));
                    return Ok(false);
                }
                _ => {}
            }
            // An element that begins its line: after it, if broken, reading may go on at the
            // next line that begins as its own does.
            let starts_line = self.indent.is_some();
            let value = self.scan_value()?;
            if value.cut_short && self.ends_open {
                self.piece.guessed = true; // the whole text goes on where the piece ends
            }
            let (broken, next_starts) = (value.broken, value.next_starts);
            let indent = (starts_line && broken)
                .then(|| element_indent(&value.text, value.first))
                .flatten();
            if !broken && !value.cut_short && !value.too_large {
                first_key.saw(&value.text[value.first..]);
            }
            let resync_key = (broken || next_starts)
                .then(|| first_key.after_broken(&value.text[value.first..]))
                .flatten();
            let read_on = self.emit_value(*index, value, emit)?;
            *index += 1;
            elements += 1;
            if !read_on {
                // Reading stops here in the whole text too: the pieces after are not read.
                self.piece.guessed |= self.ends_open;
                return Ok(false);
            }
            if next_starts {
                // It broke where the next element starts (`,` then `{` in an object: the
                // element's closing brace is missing). Unless that `{` does not open as every
                // element so far did: then it is a nested value of the broken element (`"a": {`
                // inside an element opened with `[`), and the next element is looked for.
                self.rely_on(first_key);
                let Some(key) = resync_key.as_deref() else {
                    continue;
                };
                self.skip_blanks()?;
                if opens_with(self.input.fill_buf()?, key) != Some(false)
                    || self.skip_to_an_element_opening_with(key)?
                {
                    continue;
                }
                self.piece.guessed = true; // not found in the piece: perhaps in the next
                emit(Item::Malformed(self.here(REST_NOT_READ)));
                return Ok(false);
            }
            if broken {
                // Read on, the rest of the element would be read as elements of its own: reading
                // goes on only where the next element's line is found.
                let stopped = self.here(REST_NOT_READ);
                // The next element's line is found as in the whole text, unless the piece ends
                // before it; its key is the one the elements before opened with, which a piece
                // does not know.
                if let Some(indent) = &indent {
                    if self.skip_to_an_element_line(indent)? {
                        continue;
                    }
                    self.piece.guessed = true;
                } else {
                    self.rely_on(first_key);
                    if let Some(key) = resync_key.as_deref() {
                        if self.skip_to_an_element_opening_with(key)? {
                            continue;
                        }
                    }
                    self.piece.guessed = true; // not found in the piece: perhaps in the next
                }
                emit(Item::Malformed(stopped));
                return Ok(false);
            }
            self.skip_blanks()?;
            match self.peek()? {
                Some(b',') => {
                    self.advance(1)?;
                    self.skip_blanks()?;
                    if self.peek()? == Some(b']') {
                        self.piece.guessed |= self.ends_open; // the array ends before the piece
                        emit(Item::Malformed(self.here("trailing comma")));
                        self.advance(1)?;
                        return Ok(true);
                    }
                }
                Some(b']') => {
                    self.piece.guessed |= self.ends_open; // the array ends before the piece
                    self.advance(1)?;
                    return Ok(true);
                }
                None => {
                    self.piece.guessed = true; // the whole text goes on where the piece ends
                    emit(Item::Malformed(self.here(
                        "the file ends after a record, inside the array: it is cut short",
                    )));
                    return Ok(false);
                }
                Some(_) => {
                    self.rely_on(first_key);
                    let here = self.here("");
                    if let Some(key) = first_key.key() {
                        if self.skip_to_an_element_opening_with(key)? {
                            emit(Item::Malformed(Malformed {
                                message: "expected `,` or `]` after a record: what follows it, up \
                                          to the next record, is skipped"
                                    .into(),
                                ..here
                            }));
                            continue;
                        }
                    }
                    self.piece.guessed = true; // not found in the piece: perhaps in the next
                    emit(Item::Malformed(Malformed {
                        message: "expected `,` or `]` after a record; the rest of the file is \
                                  not read"
                            .into(),
                        ..here
                    }));
                    return Ok(false);
                }
            }
        }
    }

    /// After an element that broke before its end, its rest skipped: on to the next line that
    /// begins with `indent`, the element's indentation, and `{` (see [`element_indent`]).
    /// `false` when none begins within the largest record read (`--max-record-size`) of here:
    /// what is skipped is copied as a record would be, so a source read once fills no more of
    /// the disk than its records do.
    fn skip_to_an_element_line(&mut self, indent: &[u8]) -> io::Result<bool> {
        let mut skipped = 0;
        loop {
            loop {
                let buffer = self.input.fill_buf()?;
                if buffer.is_empty() {
                    return Ok(false);
                }
                let (n, ended) = match memchr::memchr(b'\n', buffer) {
                    Some(i) => (i + 1, true),
                    None => (buffer.len(), false),
                };
                self.advance(n)?;
                skipped += n;
                if skipped > self.limits.max_record_bytes {
                    return Ok(false);
                }
                if ended {
                    break;
                }
            }
            // The line's blanks, which `advance` keeps as the indentation, then its first byte.
            self.skip_blanks()?;
            if self.indent.as_deref() == Some(indent) && self.peek()? == Some(b'{') {
                return Ok(true);
            }
        }
    }

    /// After an element that broke before its end, in an array not laid out an element a line
    /// (minified on one line, or `json.dumps(indent=0)`): on to the next `,` then `{` whose first
    /// key is `key` (quotes included), the key every element read so far opened with. Inside a
    /// string a quote is escaped, so `{"type"` there is never taken for an element; a nested
    /// object of an array whose first key is the same is (after a broken element only), and is
    /// then refused at its own place as a record, never judged in silence. `false` when none
    /// comes within the largest record read (`--max-record-size`) of here, as
    /// [`Reader::skip_to_an_element_line`].
    fn skip_to_an_element_opening_with(&mut self, key: &[u8]) -> io::Result<bool> {
        let mut skipped = 0;
        // The last byte skipped that is not blank: a `{` opens an element only after a `,`.
        let mut last = 0;
        loop {
            let (n, found) = {
                let buffer = self.input.fill_buf()?;
                if buffer.is_empty() {
                    return Ok(false);
                }
                let mut from = 0;
                let found = loop {
                    let Some(i) = memchr::memchr(b'{', &buffer[from..]).map(|i| from + i) else {
                        break None;
                    };
                    let before = (buffer[..i].iter().rposition(|&b| !is_blank(b)))
                        .map_or(last, |j| buffer[j]);
                    // Where the buffer ends before its key can be told, it is taken: at worst a
                    // value refused at its place.
                    if before == b',' && opens_with(&buffer[i..], key) != Some(false) {
                        break Some(i);
                    }
                    from = i + 1;
                };
                let n = found.unwrap_or(buffer.len());
                if let Some(j) = buffer[..n].iter().rposition(|&b| !is_blank(b)) {
                    last = buffer[j];
                }
                (n, found.is_some())
            };
            skipped += n;
            if skipped > self.limits.max_record_bytes {
                return Ok(false);
            }
            self.advance(n)?;
            if found {
                return Ok(true);
            }
        }
    }

    /// Values one after the other to the end of the source, the records numbered from `index`:
    /// each array's elements, and each other value. After a value that breaks where the next
    /// cannot be told from it (brackets that do not match, a string that does not end on its
    /// line, a value the source ends inside), reading goes on at the next line that begins with
    /// `{` or `[`, as each record of an export does.
    fn values(&mut self, mut index: usize, emit: &mut dyn FnMut(Item)) -> io::Result<()> {
        let mut commas_said = false;
        loop {
            self.skip_blanks()?;
            // A byte-order mark where files were joined (`cat a.json b.json`).
            if self.input.fill_buf()?.starts_with(BOM) {
                self.advance(BOM.len())?;
                continue;
            }
            match self.peek()? {
                None => return Ok(()),
                Some(b'[') => {
                    if !self.array(&mut index, emit)? {
                        return Ok(());
                    }
                }
                Some(b'}' | b']') => {
                    emit(Item::Malformed(self.here(
                        "a closing bracket with nothing open before it: it is skipped",
                    )));
                    self.advance(1)?;
                }
                // Records separated by commas with no array around them: said once, as one
                // mistake, and each record still read.
                Some(b',') => {
                    if !commas_said {
                        emit(Item::Malformed(self.here(
                            "a comma between records that are not in an array: it is skipped, \
                             and so are those like it after it",
                        )));
                        commas_said = true;
                    }
                    self.advance(1)?;
                }
                Some(_) => {
                    let before = self.at.offset;
                    let value = self.scan_value()?;
                    self.document(index, value, emit)?;
                    index += 1;
                    if self.at.offset == before {
                        // Nothing read ("expected a record"): never the same byte twice.
                        self.advance(1)?;
                    }
                }
            }
        }
    }

    /// Emits a value read as a document, one of several one after the other; after one that
    /// breaks where the next cannot be told from it, reading goes on where the next document
    /// starts (see [`Reader::skip_to_the_next_document`]).
    fn document(
        &mut self,
        index: usize,
        value: Scanned,
        emit: &mut dyn FnMut(Item),
    ) -> io::Result<()> {
        let skip = value.broken && !value.next_starts;
        self.emit_value(index, value, emit)?;
        if skip {
            self.skip_to_the_next_document()?;
        }
        Ok(())
    }

    /// Skips to where the next document starts: a `{` or `[` right after a `}` or `]` (blanks
    /// between), which valid JSON never writes inside a value; or the end of the source. What it
    /// skips is never read again: the copy of a source read once leaves it out.
    fn skip_to_the_next_document(&mut self) -> io::Result<()> {
        self.leave_out();
        let skipped = self.skip_to_a_document_start();
        self.take_up_at(self.at.offset);
        skipped
    }

    fn skip_to_a_document_start(&mut self) -> io::Result<()> {
        let mut in_string = false;
        let mut escaped = false;
        let mut last = 0u8;
        loop {
            let buffer = self.input.fill_buf()?;
            if buffer.is_empty() {
                return Ok(());
            }
            let mut used = buffer.len();
            for (i, &b) in buffer.iter().enumerate() {
                if in_string {
                    match b {
                        _ if escaped => escaped = false,
                        b'\\' => escaped = true,
                        // A string does not run past its line.
                        b'"' | b'\n' => in_string = false,
                        _ => {}
                    }
                    continue;
                }
                match b {
                    b'{' | b'[' if matches!(last, b'}' | b']') => {
                        used = i;
                        break;
                    }
                    b'"' => in_string = true,
                    _ => {}
                }
                if !b.is_ascii_whitespace() {
                    last = b;
                }
            }
            let found = used < buffer.len();
            self.advance(used)?;
            if found {
                return Ok(());
            }
        }
    }

    /// Reads one value, found by its brackets, keeping as much of its text as the limit allows;
    /// its text starts with the blanks that indent it on its line.
    fn scan_value(&mut self) -> io::Result<Scanned> {
        // Blanks are ASCII: as many columns as bytes.
        let indent = self.indent.clone().unwrap_or_default();
        let start = TextStart {
            offset: self.at.offset - indent.len(),
            line: self.at.line,
            columns: self.at.columns - indent.len(),
            utf16_columns: self.at.utf16_columns - indent.len(),
        };
        let first = indent.len();
        let mut text = indent;
        let mut scan = Scan::default();
        let max = self.limits.max_record_bytes;
        let mut too_large = false;
        let mut too_deep: Option<TextStart> = None;
        loop {
            let buffer = self.input.fill_buf()?;
            if buffer.is_empty() {
                break;
            }
            let (used, ended) = match scan.feed(buffer) {
                Step::More => (buffer.len(), false),
                Step::End(used) => (used, true),
            };
            if scan.too_deep_at.is_some() && too_deep.is_none() {
                let before = scan.too_deep_at.unwrap_or(0);
                too_deep = Some(position_after(self.at, &buffer[..before]));
            }
            if !too_large && text.len() + used > max + first {
                too_large = true;
                // Only its head is shown, from what is read already: the copy of a source read
                // once leaves the rest out.
                if let Some(gaps) = self.gaps {
                    gaps.leave_out();
                }
            }
            if !too_large {
                text.extend_from_slice(&buffer[..used]);
            } else if text.len() < first + 256 {
                // Enough of it to show where it starts.
                let room = (first + 256 - text.len()).min(used);
                text.extend_from_slice(&buffer[..room]);
            }
            self.advance(used)?;
            if ended {
                break;
            }
        }
        if too_large {
            self.take_up_at(self.at.offset);
        }
        let mut len = self.at.offset - start.offset;
        if scan.next_starts && !too_large {
            // Broken before the next value's line: it ends, and is reported, where its own
            // text does, not at the next one's start.
            let blanks = text
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            text.truncate(text.len() - blanks);
            len -= blanks;
        }
        Ok(Scanned {
            len,
            cut_short: !scan.ended && !scan.scalar_read(),
            broken: scan.broken,
            next_starts: scan.next_starts,
            start,
            text,
            first,
            too_large,
            too_deep,
        })
    }

    /// Emits a value read as the array's element (or document) `index`; `false` when what
    /// follows it cannot be read.
    fn emit_value(
        &mut self,
        index: usize,
        value: Scanned,
        emit: &mut dyn FnMut(Item),
    ) -> io::Result<bool> {
        let Scanned {
            start,
            text,
            first,
            len,
            too_large,
            too_deep,
            cut_short,
            ..
        } = value;
        if text.len() == first && !cut_short {
            emit(Item::Malformed(self.here("expected a record")));
            return Ok(false);
        }
        let decoded = decode(text);
        let source = SourceFile::fragment(self.origin.name.clone(), decoded.text, start);
        if too_large {
            emit(Item::Malformed(self.too_large(source, first, "record")));
            return Ok(!cut_short);
        }
        if let Some(deep) = too_deep {
            let at = (deep.offset - start.offset).min(source.text.len());
            emit(Item::Malformed(Malformed {
                of_encoding: false,
                span: char_span(&source.text, at),
                message: too_deep_message(),
                source,
            }));
            return Ok(!cut_short);
        }
        if cut_short {
            let end = source.text.len();
            emit(Item::Malformed(Malformed {
                of_encoding: false,
                span: char_span(
                    &source.text,
                    floor_char(&source.text, end.saturating_sub(1)),
                ),
                message: format!("the file ends inside record {}: it is cut short", index + 1),
                source,
            }));
            return Ok(false);
        }
        emit(Item::Record(RecordText {
            place: Place::Element {
                index,
                offset: first,
            },
            not_utf8: decoded.not_utf8,
            refetch: Refetch::new(self.origin, start, len, &source.text),
            keep_duplicates: self.limits.max_bad_inputs,
            source,
        }));
        Ok(true)
    }

    /// A JSON text that is not an array: one record, or records written as documents one after
    /// the other (as `jq '.[]'` writes an export), each read in turn, as an array's elements are:
    /// memory holds one of them, never the file.
    fn whole(&mut self, emit: &mut dyn FnMut(Item)) -> io::Result<()> {
        let value = self.scan_value()?;
        let mut after = Vec::new();
        self.skip_blanks_keeping(&mut after)?;
        // One document: the record is the whole text, from where its blanks end, its parse
        // saying where it breaks.
        let alone = self.peek()?.is_none();
        if alone && !value.too_large {
            let Scanned {
                start, text, first, ..
            } = value;
            let start = TextStart {
                offset: start.offset + first,
                columns: start.columns + first,
                utf16_columns: start.utf16_columns + first,
                ..start
            };
            let mut bytes = text;
            bytes.drain(..first);
            let len = bytes.len() + after.len();
            bytes.extend_from_slice(&after);
            let decoded = decode(bytes);
            let source = SourceFile::fragment(self.origin.name.clone(), decoded.text, start);
            emit(Item::Record(RecordText {
                place: Place::Whole,
                not_utf8: decoded.not_utf8,
                refetch: Refetch::new(self.origin, start, len, &source.text),
                keep_duplicates: self.limits.max_bad_inputs,
                source,
            }));
            return Ok(());
        }
        self.document(0, value, emit)?;
        self.values(1, emit)
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        Ok(self.input.fill_buf()?.first().copied())
    }

    /// Consumes `n` bytes of the buffer, keeping the position.
    /// What is read from now on is never read again: see [`CopyGaps`].
    fn leave_out(&self) {
        if let Some(gaps) = self.gaps {
            gaps.leave_out();
        }
    }

    /// What is read from `offset` on may be read again: see [`CopyGaps`].
    fn take_up_at(&self, offset: usize) {
        if let Some(gaps) = self.gaps {
            gaps.take_up_at(offset as u64);
        }
    }

    fn advance(&mut self, n: usize) -> io::Result<()> {
        let buffer = self.input.fill_buf()?;
        let n = n.min(buffer.len());
        let bytes = &buffer[..n];
        self.at = position_after(self.at, bytes);
        let blank = |t: &[u8]| t.iter().all(|&b| b == b' ' || b == b'\t');
        // Indentation longer than any export writes is not shown: the value is shown from its
        // first byte, and the blanks before it (a file may begin with a gigabyte of them) are
        // never held.
        let shown = |t: &[u8]| blank(t) && t.len() <= MAX_INDENT;
        match memchr::memrchr(b'\n', bytes) {
            Some(i) => self.indent = shown(&bytes[i + 1..]).then(|| bytes[i + 1..].to_vec()),
            None if blank(bytes) => match &mut self.indent {
                Some(indent) if indent.len() + bytes.len() <= MAX_INDENT => {
                    indent.extend_from_slice(bytes);
                }
                _ => self.indent = None,
            },
            None => self.indent = None,
        }
        self.input.consume(n);
        Ok(())
    }

    fn skip_blanks(&mut self) -> io::Result<()> {
        self.skip_blanks_keeping(&mut Vec::new())
    }

    /// Skips blanks, keeping the first [`BUFFER`] bytes of them in `kept`.
    fn skip_blanks_keeping(&mut self, kept: &mut Vec<u8>) -> io::Result<()> {
        loop {
            let buffer = self.input.fill_buf()?;
            let blanks = buffer.iter().take_while(|&&b| is_blank(b)).count();
            if blanks == 0 {
                return Ok(());
            }
            let room = BUFFER.saturating_sub(kept.len()).min(blanks);
            kept.extend_from_slice(&buffer[..room]);
            self.advance(blanks)?;
        }
    }

    /// A fault at the next byte, shown with the rest of its line (as far as the buffer holds it).
    fn here(&mut self, message: &str) -> Malformed {
        let buffer = self.input.fill_buf().unwrap_or(&[]);
        let line: Vec<u8> = buffer
            .iter()
            .take(120)
            .take_while(|&&b| b != b'\n')
            .copied()
            .collect();
        let text = decode(line).text;
        let source = SourceFile::fragment(self.origin.name.clone(), text, self.at);
        Malformed {
            of_encoding: false,
            span: char_span(&source.text, 0),
            message: message.to_string(),
            source,
        }
    }

    /// The first bytes of a record too large to hold, to show where it starts.
    fn head(&self, bytes: &[u8], start: TextStart) -> Arc<SourceFile> {
        let head: Vec<u8> = bytes
            .iter()
            .take(256)
            .take_while(|&&b| b != b'\n')
            .copied()
            .collect();
        SourceFile::fragment(self.origin.name.clone(), decode(head).text, start)
    }

    fn too_large(&self, source: Arc<SourceFile>, at: usize, what: &str) -> Malformed {
        let limit = self.limits.max_record_bytes;
        let size = if limit.is_multiple_of(1 << 20) {
            format!("{} MiB", limit >> 20)
        } else {
            format!("{limit} bytes")
        };
        Malformed {
            of_encoding: false,
            span: char_span(&source.text, at),
            message: format!(
                "this {what} is larger than {size}, the most a record may be (`--max-record-size`); it is not read"
            ),
            source,
        }
    }
}

/// Whether a bracket after `last` (the last byte read outside strings that is not blank), inside
/// the bracket `innermost`, opens a value there, as JSON allows: a member's value after `:` in an
/// object, an element after `[` or after `,` in an array. Never after `,` in an object, where a
/// key comes next.
fn opens_a_value(last: u8, innermost: Option<u8>) -> bool {
    matches!(
        (last, innermost),
        (b'[', _) | (b':', Some(b'{')) | (b',', Some(b'['))
    )
}

/// The indentation of an array element that begins its line, when it tells the next element's
/// line from the element's own: when the element is on one line, or its second line is indented
/// deeper than its first, as a pretty-printer lays it out. Not when nested values begin lines as
/// the element does (`json.dumps(indent=0)`): one of them would be taken for the next element.
fn element_indent(text: &[u8], first: usize) -> Option<Vec<u8>> {
    let (indent, rest) = text.split_at(first);
    if rest.first() != Some(&b'{') {
        return None;
    }
    if let Some(line_break) = memchr::memchr(b'\n', rest) {
        let next = &rest[line_break + 1..];
        let blanks = next
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if blanks <= indent.len() {
            return None;
        }
    }
    Some(indent.to_vec())
}

/// Said where reading stops after a broken element of an array, its next not found.
const REST_NOT_READ: &str =
    "after a record broken where the next cannot be told from it, the rest of the file is not read";

/// The key the elements of an array read so far open with, while they all open with the same.
#[derive(Default)]
struct FirstKey {
    seen: OpeningKey,
    /// While `seen` is one key: the first element's text up to its end. An element that opens
    /// with the same text (nearly all) needs no more reading.
    opening: Vec<u8>,
}

impl FirstKey {
    /// Takes in the text of an element read whole, from its first byte.
    fn saw(&mut self, element: &[u8]) {
        if matches!(self.seen, OpeningKey::Same(_)) && element.starts_with(&self.opening) {
            return;
        }
        match (&self.seen, first_key(element)) {
            (OpeningKey::NoElement, Some((key, end))) => {
                self.seen = OpeningKey::Same(key.to_vec());
                self.opening = element[..end].to_vec();
            }
            (OpeningKey::Same(agreed), Some((key, _))) if agreed == key => {}
            _ => self.seen = OpeningKey::Differ,
        }
    }

    fn key(&self) -> Option<&[u8]> {
        match &self.seen {
            OpeningKey::Same(key) => Some(key),
            _ => None,
        }
    }

    /// The key to find the next element by, after `element` broke: the one every element so far
    /// opened with; after a first element, the one it opens with, if its opening reads (the only
    /// guess there is: a minified export broken in its first record is otherwise not read on).
    fn after_broken(&self, element: &[u8]) -> Option<Vec<u8>> {
        match &self.seen {
            OpeningKey::Same(key) => Some(key.clone()),
            OpeningKey::NoElement => first_key(element).map(|(key, _)| key.to_vec()),
            OpeningKey::Differ => None,
        }
    }
}

/// JSON's blanks: what may stand between its tokens.
fn is_blank(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// The first key of an object's text (`{"type": …`), its quotes included, and where it ends in
/// the text; `None` for a value that is not an object, an empty one, or a key with an escape.
fn first_key(text: &[u8]) -> Option<(&[u8], usize)> {
    let rest = text.strip_prefix(b"{")?;
    let start = 1 + rest.iter().position(|&b| !is_blank(b))?;
    if text[start] != b'"' {
        return None;
    }
    let end = start + 1 + memchr::memchr2(b'"', b'\\', &text[start + 1..])?;
    (text[end] == b'"').then(|| (&text[start..=end], end + 1))
}

/// Whether `text`, from a `{`, opens with `key` and then `:`, blanks allowed between; `None`
/// when it ends before that can be told.
fn opens_with(text: &[u8], key: &[u8]) -> Option<bool> {
    let rest = text.get(1..)?;
    let start = rest.iter().position(|&b| !is_blank(b))?;
    let rest = &rest[start..];
    let compared = rest.len().min(key.len());
    if rest[..compared] != key[..compared] {
        return Some(false);
    }
    let after = rest.get(key.len()..).filter(|_| compared == key.len())?;
    let colon = after.iter().position(|&b| !is_blank(b))?;
    Some(after[colon] == b':')
}

/// A value read by its brackets ([`Reader::scan_value`]).
struct Scanned {
    /// Where its text starts: at the blanks that indent it.
    start: TextStart,
    /// Its text, indentation first; only the first bytes of a value too large.
    text: Vec<u8>,
    /// Where the value starts in `text`, after its indentation.
    first: usize,
    /// Its length in the source, indentation included.
    len: usize,
    too_large: bool,
    too_deep: Option<TextStart>,
    /// The source ends inside it.
    cut_short: bool,
    /// It breaks where the next value cannot be told from it: at a bracket that does not close
    /// the one open, or at the end of a line inside a string; or before a bracket that starts
    /// the next value (`next_starts`).
    broken: bool,
    next_starts: bool,
}

/// Where an array element ends: brackets and strings followed, a block of bytes at a time where
/// a block holds nothing rare ([`Scan::skim`]), byte by byte elsewhere.
#[derive(Default, Debug, Clone, PartialEq, Eq)]
struct Scan {
    /// The open brackets, as far as [`MAX_DEPTH`]; `depth` counts beyond.
    open: Vec<u8>,
    depth: usize,
    in_string: bool,
    escaped: bool,
    started: bool,
    ended: bool,
    /// It ended at a bracket that does not close the one open, at a line break in a string
    /// (which JSON does not allow), or before a bracket that cannot be inside it.
    broken: bool,
    /// It ended before a bracket that cannot be inside it: a value starts there.
    next_starts: bool,
    /// The last byte read outside strings that is not blank.
    last: u8,
    /// In the last chunk fed, the offset of the bracket that went too deep.
    too_deep_at: Option<usize>,
    /// Broken, it ends after this many more bytes: the rest of the character it broke at.
    ends_after: usize,
}

#[derive(Debug, PartialEq, Eq)]
enum Step {
    More,
    /// The element ended: this many bytes of the chunk are its own.
    End(usize),
}

/// A block's bytes, as bit positions.
const BLOCK_BITS: u32 = blocks::BLOCK as u32;

/// What [`Scan::skim`] read of a block.
enum Skimmed {
    /// All of it.
    All,
    /// Its first bytes, up to one that must be read on its own.
    Upto(usize),
    /// The value ended: this many bytes of the block are its own.
    Ended(usize),
}

impl Scan {
    fn feed(&mut self, chunk: &[u8]) -> Step {
        self.feed_with(chunk, blocks::VECTORS)
    }

    /// Reads `chunk` a block at a time where it may (`skim`), byte by byte elsewhere.
    fn feed_with(&mut self, chunk: &[u8], skim: bool) -> Step {
        self.too_deep_at = None;
        if self.ends_after > 0 {
            let taken = self.ends_after.min(chunk.len());
            self.ends_after -= taken;
            return match self.ends_after {
                0 => self.end(taken),
                _ => Step::More,
            };
        }
        let mut i = 0;
        // After a block read only in part, its rest is read byte by byte: a text full of
        // backslashes costs a block's look every 64 bytes, not at every one.
        let mut bytewise_until = 0;
        while i < chunk.len() {
            if skim && i >= bytewise_until && self.skims() {
                if let Some(block) = chunk.get(i..i + blocks::BLOCK) {
                    match self.skim(block.try_into().expect("a block")) {
                        Skimmed::All => {
                            i += blocks::BLOCK;
                            continue;
                        }
                        Skimmed::Ended(n) => return self.end(i + n),
                        Skimmed::Upto(n) => {
                            bytewise_until = i + blocks::BLOCK;
                            i += n;
                        }
                    }
                }
            }
            let b = chunk[i];
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                    i += 1;
                    continue;
                }
                // A string's body holds none: on to the next quote, backslash or line break.
                i += string_body_len(&chunk[i..]);
                let Some(&b) = chunk.get(i) else {
                    break;
                };
                match b {
                    b'\n' => {
                        // A string does not run past its line: the value breaks here.
                        self.broken = true;
                        return self.end(i);
                    }
                    b'\\' => self.escaped = true,
                    _ => {
                        self.in_string = false;
                        self.last = b'"';
                        if self.depth == 0 {
                            return self.end(i + 1);
                        }
                    }
                }
                i += 1;
                continue;
            }
            if self.depth > 0 && self.last == b'"' && !follows_a_string(b) {
                // A string ended where it could not: its closing quote is missing or one too
                // many, and the strings after it read inside out. The value breaks after this
                // character, for its parse to say so here.
                self.broken = true;
                let width = match b {
                    0xC0..=0xDF => 2,
                    0xE0..=0xEF => 3,
                    0xF0..=0xF7 => 4,
                    _ => 1,
                };
                if i + width > chunk.len() {
                    // The character's rest is in the next chunk.
                    self.ends_after = i + width - chunk.len();
                    return Step::More;
                }
                return self.end(i + width);
            }
            match b {
                b'"' => self.in_string = true,
                // Inside a value, a bracket opens a value only after `:` in an object, `,` in an
                // array or `[`: one after anything else (`}` then `{`, or `,` then `{` in an
                // object: a closing brace missing) is no part of it, but the next value's start.
                b'{' | b'[' if self.depth > 0 && !self.opens_a_value_here() => {
                    self.broken = true;
                    self.next_starts = true;
                    return self.end(i);
                }
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth <= MAX_DEPTH {
                        self.open.push(b);
                    } else if self.depth == MAX_DEPTH + 1 {
                        self.too_deep_at = Some(i);
                    }
                }
                b'}' | b']' if self.depth == 0 => return self.end(i),
                b'}' | b']' => {
                    let matched = self.depth > MAX_DEPTH
                        || matches!(
                            (self.open.pop(), b),
                            (Some(b'{'), b'}') | (Some(b'['), b']')
                        );
                    self.depth -= 1;
                    // A bracket closed by the wrong one ends the element: its parse says why.
                    if self.depth == 0 || !matched {
                        self.broken = !matched;
                        return self.end(i + 1);
                    }
                }
                b',' | b' ' | b'\t' | b'\n' | b'\r' if self.depth == 0 && self.started => {
                    return self.end(i)
                }
                // Inside brackets, blanks change nothing: a run of them (a pretty-printed
                // export's indentation, most of what lies outside its strings) is skipped whole.
                b' ' | b'\t' | b'\n' | b'\r' if self.depth > 0 => {
                    i += 1;
                    while chunk.get(i..i + 8) == Some(b"        ") {
                        i += 8;
                    }
                    while chunk.get(i).is_some_and(|&b| is_blank(b)) {
                        i += 1;
                    }
                    continue;
                }
                _ => {}
            }
            if !b.is_ascii_whitespace() {
                self.last = b;
            }
            self.started = true;
            i += 1;
        }
        Step::More
    }

    fn end(&mut self, used: usize) -> Step {
        self.ended = true;
        Step::End(used)
    }

    /// Whether a bracket read now opens a value inside the one being read ([`opens_a_value`]);
    /// beyond the depth whose brackets are kept, after `:`, `,` or `[` in whatever is open.
    fn opens_a_value_here(&self) -> bool {
        if self.depth > self.open.len() {
            return matches!(self.last, b':' | b',' | b'[');
        }
        opens_a_value(self.last, self.open.last().copied())
    }

    /// Whether the next bytes may be read a block at a time: inside brackets, counted exactly,
    /// and not right after a backslash.
    fn skims(&self) -> bool {
        !self.escaped && self.depth > 0 && self.depth <= MAX_DEPTH
    }

    /// Reads a block through its masks ([`blocks::classify`]), as far as it reads as byte after
    /// byte would: up to a backslash, a control byte, a line break in a string, or a bracket that
    /// goes too deep, closes the wrong one or starts the next value, which the byte-by-byte
    /// reading takes over; or to the bracket that closes the value.
    fn skim(&mut self, block: &[u8; blocks::BLOCK]) -> Skimmed {
        use blocks::below;
        let classes = blocks::classify(block);
        let carried = if self.in_string { u64::MAX } else { 0 };
        let inside = blocks::prefix_xor(classes.quote) ^ carried;
        let hard = classes.rare | (classes.newline & inside);
        let mut upto = if hard == 0 {
            BLOCK_BITS
        } else {
            hard.trailing_zeros()
        };
        // What first follows each string's closing quote, past blanks (one closed before the
        // block, with `last`, included): anything but what may follow a string there is read
        // byte by byte, which breaks the value.
        let blank_outside = classes.blank & !inside;
        let closed_before = u64::from(!self.in_string && self.last == b'"');
        let closing = classes.quote & !inside;
        let first_after =
            ((closing << 1) | closed_before).wrapping_add(blank_outside) & !blank_outside;
        let left_to_others = classes.separator | classes.close | classes.open | classes.quote;
        let misplaced = first_after & !left_to_others;
        upto = upto.min(misplaced.trailing_zeros());
        // What `last` would be after each byte: quotes, and what is not blank outside strings.
        let significant = (!classes.blank & !inside) | classes.quote;
        let mut brackets = (classes.open | classes.close) & !inside & below(upto);
        while brackets != 0 {
            let at = brackets.trailing_zeros();
            brackets &= brackets - 1;
            let b = block[at as usize];
            if classes.open >> at & 1 == 1 {
                let before = significant & below(at);
                let last = match before {
                    0 => self.last,
                    _ => block[blocks::highest(before)],
                };
                if !opens_a_value(last, self.open.last().copied()) || self.depth == MAX_DEPTH {
                    upto = at;
                    break;
                }
                self.depth += 1;
                self.open.push(b);
            } else {
                let opened = if b == b'}' { b'{' } else { b'[' };
                if self.open.last() != Some(&opened) {
                    upto = at;
                    break;
                }
                self.open.pop();
                self.depth -= 1;
                if self.depth == 0 {
                    // As byte by byte: the closing bracket ends the value, `last` stays.
                    self.settle(block, at, inside, significant);
                    return Skimmed::Ended(at as usize + 1);
                }
            }
        }
        self.settle(block, upto, inside, significant);
        if upto == BLOCK_BITS {
            Skimmed::All
        } else {
            Skimmed::Upto(upto as usize)
        }
    }

    /// The state after the block's first `n` bytes, from their masks.
    fn settle(&mut self, block: &[u8; blocks::BLOCK], n: u32, inside: u64, significant: u64) {
        if n == 0 {
            return;
        }
        self.in_string = inside >> (n - 1) & 1 == 1;
        let read = significant & blocks::below(n);
        if read != 0 {
            self.last = block[blocks::highest(read)];
        }
    }

    /// A value outside brackets and strings (`12`, `true`) has been read: at the end of the
    /// source, it ends there.
    fn scalar_read(&self) -> bool {
        self.started && self.depth == 0 && !self.in_string
    }
}

/// Whether `b`, read outside strings right after a string (blanks aside), may follow it there, or
/// is left to the parse: `:` after a key, `,`, `}` or `]` after a value; a bracket, which the
/// check of where a bracket opens a value takes ([`opens_a_value`]); a quote, a comma missing
/// between two members, which the parse says. Anything else (a letter, a digit) means the string
/// ended where it should not have: a quote missing or not escaped turned the strings after it
/// inside out, and the brackets they hide would never close the value.
pub(super) fn follows_a_string(b: u8) -> bool {
    matches!(b, b':' | b',' | b'}' | b']' | b'{' | b'[' | b'"') || is_blank(b)
}

/// How many bytes of `text` come before its first quote, backslash or line break (all of them if
/// it has none). Most strings of a record are short (ids, roles, dates): their end is found eight
/// bytes at a time in a word, without setting up a vector search; a long one's rest by memchr.
fn string_body_len(text: &[u8]) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    // The high bit of each byte of `word` equal to `byte`; a false one only above a true one,
    // so the lowest is always true.
    let equal = |word: u64, byte: u8| {
        let x = word ^ (ONES * u64::from(byte));
        x.wrapping_sub(ONES) & !x & HIGH
    };
    let words = text.len().min(32) / 8;
    for (n, chunk) in text.chunks_exact(8).take(words).enumerate() {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let found = equal(word, b'"') | equal(word, b'\\') | equal(word, b'\n');
        if found != 0 {
            return n * 8 + found.trailing_zeros() as usize / 8;
        }
    }
    let rest = &text[words * 8..];
    words * 8 + memchr::memchr3(b'"', b'\\', b'\n', rest).unwrap_or(rest.len())
}

/// The position after `bytes`, read from `at`.
fn position_after(at: TextStart, bytes: &[u8]) -> TextStart {
    let chars = |s: &[u8]| s.iter().filter(|&&b| b & 0xC0 != 0x80).count();
    // A scalar value of four UTF-8 bytes is two UTF-16 units.
    let units = |s: &[u8]| chars(s) + s.iter().filter(|&&b| b >= 0xF0).count();
    match memchr::memrchr(b'\n', bytes) {
        Some(last) => {
            let tail = &bytes[last + 1..];
            TextStart {
                offset: at.offset + bytes.len(),
                line: at.line + memchr::memchr_iter(b'\n', bytes).count(),
                columns: chars(tail),
                utf16_columns: units(tail),
            }
        }
        None => TextStart {
            offset: at.offset + bytes.len(),
            line: at.line,
            columns: at.columns + chars(bytes),
            utf16_columns: at.utf16_columns + units(bytes),
        },
    }
}

/// The span of the character at `at` (empty at the end of the text).
fn char_span(text: &str, at: usize) -> Span {
    let at = floor_char(text, at.min(text.len()));
    let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
    Span::new(at, end)
}

fn floor_char(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// The span of a U+FFFD written at `offset`.
pub fn replacement_span(offset: usize) -> Span {
    Span::new(offset, offset + char::REPLACEMENT_CHARACTER.len_utf8())
}

/// Every record of a file on disk, read as `format` (for tests reading records again).
#[cfg(test)]
pub(crate) fn records_on_disk(path: &std::path::Path, format: Format) -> Vec<RecordText> {
    let origin = Arc::new(Origin::new(
        path.display().to_string(),
        Reopen::File(path.to_path_buf()),
    ));
    let mut input = io::BufReader::new(File::open(path).expect("the file"));
    let mut found = Vec::new();
    let mut keep = |item| {
        if let Item::Record(record) = item {
            found.push(record);
        }
    };
    read(
        &mut input,
        &origin,
        (format, Limits::default()),
        None,
        &mut keep,
    )
    .expect("read");
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The end of a string's body is found where a byte-by-byte search finds it, whatever the
    /// bytes around it (UTF-8, control bytes, bytes one off the ones looked for) and wherever
    /// it falls in a word.
    #[test]
    fn a_strings_body_ends_where_a_byte_search_says() {
        let alphabet: &[u8] = b"a\"\\\n!#[]\x00\x01\x7f\x80\xe4\xff \x21\x5b\x5d\x0b\x0c";
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 48) as usize;
            let mut text = Vec::with_capacity(len);
            let mut bits = state;
            for i in 0..len {
                // Mostly plain bytes, so that the byte looked for falls anywhere.
                bits = bits.rotate_left(7) ^ (i as u64).wrapping_mul(0x9e37_79b9);
                let plain = !bits.is_multiple_of(8);
                text.push(if plain {
                    b'x'
                } else {
                    alphabet[(bits >> 8) as usize % alphabet.len()]
                });
            }
            let expected = (text.iter())
                .position(|b| matches!(b, b'"' | b'\\' | b'\n'))
                .unwrap_or(text.len());
            assert_eq!(super::string_body_len(&text), expected, "{text:?}");
        }
    }

    /// Feeds `text` to a scan in chunks of the sizes `cuts` gives, as a value's reading does; the
    /// steps and the scan's state after each chunk.
    fn scan_in_chunks(text: &[u8], cuts: &mut dyn FnMut() -> usize, skim: bool) -> Vec<String> {
        let mut scan = Scan::default();
        let mut states = Vec::new();
        let mut at = 0;
        while at < text.len() {
            let end = (at + cuts()).min(text.len());
            let step = scan.feed_with(&text[at..end], skim);
            states.push(format!("{step:?} {scan:?}"));
            match step {
                Step::End(used) => {
                    at += used;
                    break;
                }
                Step::More => at = end,
            }
        }
        states.push(format!("{at}"));
        states
    }

    /// What follows a string's closing quote, past blanks, is looked at wherever the two fall
    /// (the same block, the next, the next chunk): `:`, `,` or a closing bracket reads on; a
    /// letter or a character of text breaks the value right after it, whole characters kept.
    #[test]
    fn a_string_followed_by_what_cannot_follow_one_breaks_the_value() {
        for skim in [true, false] {
            for pad in 0..140 {
                let before = format!("{{\"a\": [{}\"x\"", " ".repeat(pad));
                for (after, broken) in [
                    ("  ,\n \"y\"], \"b\": 1}", false),
                    ("\n  ]}", false),
                    ("\n  \"y\"]}", false),
                    ("  y\"]}", true),
                    ("會\"]}", true),
                ] {
                    let text = format!("{before}{after}");
                    for cut in [7, 64, 1000] {
                        let states = scan_in_chunks(text.as_bytes(), &mut || cut, skim);
                        let last = states.last().expect("an end").clone();
                        let used: usize = last.parse().expect("a length");
                        let said = format!("skim {skim}, pad {pad}, {after:?}, cut {cut}");
                        assert_eq!(
                            states.iter().any(|s| s.contains("broken: true")),
                            broken,
                            "{said}"
                        );
                        let expected = match broken {
                            false => text.len(),
                            true => {
                                before.len()
                                    + after.find(|c: char| c != ' ').unwrap_or(0)
                                    + after.trim_start().chars().next().map_or(0, char::len_utf8)
                            }
                        };
                        assert_eq!(used, expected, "{said}: {states:?}");
                    }
                }
            }
        }
    }

    /// Reading a block at a time ends a value where reading byte by byte does, and leaves the
    /// same state after every chunk: on the fixtures' pretty-printed records, on each of them
    /// changed (a byte dropped or doubled, a byte the scan cares about or a run of escapes
    /// inserted), on generated texts dense in brackets, quotes, backslashes and control bytes, and
    /// on nesting around the depth limit; each cut into chunks of random sizes.
    #[test]
    fn a_scan_by_blocks_reads_as_a_scan_byte_by_byte() {
        let mut state = 0x853c_49e6_748f_ea9b_u64;
        let mut random = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut texts: Vec<Vec<u8>> = Vec::new();
        let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        for entry in walkdir::WalkDir::new(fixtures).sort_by_file_name() {
            let path = entry.expect("a fixture").into_path();
            if path.extension().is_some_and(|e| e == "json") {
                let text = std::fs::read(&path).expect("a fixture");
                // The whole file, and each record of it as an array's element is scanned.
                if let Some(body) = text.strip_prefix(b"[") {
                    texts.push(body.trim_ascii_start().to_vec());
                }
                texts.push(text);
            }
        }
        let originals = texts.len();
        let alphabet: &[u8] = b"\"\\\n\t\r {}[]:,a0\x00\x0b\x0c\x1f\x7f\xe4\xb8\xad";
        for i in 0..originals * 24 {
            let mut text = texts[i % originals].clone();
            let at = random() as usize % text.len().max(1);
            let b = alphabet[random() as usize % alphabet.len()];
            match i % 4 {
                0 if !text.is_empty() => drop(text.remove(at)),
                1 if !text.is_empty() => text.insert(at, text[at]),
                2 => text.insert(at, b),
                _ => drop(text.splice(at..at, *b"\\\"x\\\\")),
            }
            texts.push(text);
        }
        for _ in 0..20_000 {
            let len = random() as usize % 400;
            let mut text = vec![b'{'];
            for _ in 0..len {
                let bits = random();
                // Mostly plain bytes, so that blocks are read whole as often as not.
                text.push(if bits % 3 == 0 {
                    alphabet[(bits >> 8) as usize % alphabet.len()]
                } else {
                    b'x'
                });
            }
            texts.push(text);
        }
        for depth in [MAX_DEPTH - 2, MAX_DEPTH, MAX_DEPTH + 1, MAX_DEPTH + 3] {
            for (open, close, between) in
                [("[", "]", ""), ("{\"a\": ", "}", ""), ("[", "]", " \n ")]
            {
                let mut text = (open.to_string() + between).repeat(depth);
                text += "1";
                text += &(between.to_string() + close).repeat(depth);
                texts.push(text.clone().into_bytes());
                texts.push(text.as_bytes()[..text.len() / 2].to_vec());
                texts.push(text.replacen(close, "}]", 1).into_bytes());
            }
        }
        let mut skimmed = 0;
        for text in &texts {
            let seed = random();
            let cuts = |seed: u64| {
                let mut s = seed | 1;
                move || {
                    s ^= s << 13;
                    s ^= s >> 7;
                    s ^= s << 17;
                    1 + s as usize % 300
                }
            };
            let bytewise = scan_in_chunks(text, &mut cuts(seed), false);
            let by_blocks = scan_in_chunks(text, &mut cuts(seed), true);
            assert_eq!(by_blocks, bytewise, "{}", String::from_utf8_lossy(text));
            skimmed += usize::from(text.len() >= 64);
        }
        assert!(
            texts.len() > 25_000 && skimmed > 10_000,
            "{} texts",
            texts.len()
        );
    }

    /// An element's first key is read only when it can be told exactly; a `{` opens an element
    /// with it, does not, or (its text cut where a buffer ends) cannot be told yet.
    #[test]
    fn an_elements_first_key_is_told_from_its_opening() {
        assert_eq!(
            first_key(b"{\n  \"type\" : 1}"),
            Some((&b"\"type\""[..], 10))
        );
        for text in [
            &b"[1]"[..],
            b"{}",
            b"{ }",
            b"{\"t\\u0079pe\":1}",
            b"{\"type",
            b"{",
        ] {
            assert_eq!(first_key(text), None, "{}", String::from_utf8_lossy(text));
        }
        let key = b"\"type\"";
        assert_eq!(opens_with(b"{\"type\":1}", key), Some(true));
        assert_eq!(opens_with(b"{ \n \"type\"\t:", key), Some(true));
        assert_eq!(opens_with(b"{\"types\":1}", key), Some(false));
        assert_eq!(opens_with(b"{\"id\":1}", key), Some(false));
        for cut in [
            &b""[..],
            b"{",
            b"{  ",
            b"{\"ty",
            b"{\"type\"",
            b"{\"type\"  ",
        ] {
            assert_eq!(
                opens_with(cut, key),
                None,
                "{}",
                String::from_utf8_lossy(cut)
            );
        }
        assert_eq!(opens_with(b"{\"tx", key), Some(false));
    }

    /// UTF-16 is told with or without its byte-order mark; UTF-8 (with its own mark) is not.
    #[test]
    fn utf16_is_told_by_its_first_bytes() {
        for text in ["{\"a\": 1}", "[{\"a\": 1}]"] {
            let le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
            assert_eq!(utf16(&le), Some("UTF-16 (little-endian)"));
            assert_eq!(utf16(&be), Some("UTF-16 (big-endian)"));
            assert_eq!(utf16(&[&[0xFF, 0xFE][..], &le].concat()), utf16(&le));
            assert_eq!(utf16(&[&[0xFE, 0xFF][..], &be].concat()), utf16(&be));
            assert_eq!(utf16(text.as_bytes()), None);
            assert_eq!(utf16(format!("\u{feff}{text}").as_bytes()), None);
        }
        assert_eq!(utf16(b""), None);
    }

    /// Reads `text` once, as standard input is read, in pieces of 1000 bytes: through a spool
    /// that copies it. Gives the items, and the copy.
    fn read_once(text: Vec<u8>, format: Format, max_record_bytes: usize) -> (Vec<Item>, File) {
        struct Trickle(io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(1000);
                self.0.read(&mut buf[..n])
            }
        }
        let spooled = spool(Box::new(Trickle(io::Cursor::new(text)))).expect("a temporary file");
        let opened = open(Source::Once(spooled)).expect("opens");
        let Reopen::Handle(copy) = &opened.reopen else {
            panic!("a copy");
        };
        let copy = copy.try_clone().expect("a handle");
        let origin = Arc::new(Origin::new("<stdin>".into(), opened.reopen));
        let mut input = io::BufReader::with_capacity(BUFFER, opened.input);
        let limits = Limits {
            max_record_bytes,
            ..Limits::default()
        };
        let mut items = Vec::new();
        let gaps = opened.gaps.as_ref();
        read(&mut input, &origin, (format, limits), gaps, &mut |i| {
            items.push(i)
        })
        .expect("reads");
        (items, copy)
    }

    /// A copy in memory (where TMPDIR cannot be written) holds at most its room: past it, reading
    /// stops as on a full disk, saying so, and every record the copy holds whole is read.
    #[test]
    fn a_copy_in_memory_stops_reading_when_full() {
        let line = "{\"id\": \"a\"}\n";
        let text = line.repeat(20_000);
        let room = 100_000;
        let copy = tempfile::tempfile().expect("a file");
        let spooled = spool_into(Box::new(io::Cursor::new(text.into_bytes())), copy, room);
        let opened = open(Source::Once(spooled)).expect("opens");
        let origin = Arc::new(Origin::new("<stdin>".into(), opened.reopen));
        let mut input = io::BufReader::with_capacity(BUFFER, opened.input);
        let mut records = Vec::new();
        let how = (Format::Lines, Limits::default());
        let stopped = read(&mut input, &origin, how, None, &mut |item| {
            if let Item::Record(r) = item {
                records.push(r);
            }
        });
        let error = stopped.expect_err("the copy is full").error;
        assert!(error.to_string().contains("holds at most"), "{error}");
        assert_eq!(records.len(), room as usize / line.len());
        let last = records.last().expect("records");
        assert_eq!(
            last.refetch.fetch().expect("in the copy").text,
            line.trim_end()
        );
    }

    /// What the reader skips unread (the rest of a record too large to read, text skipped to
    /// the next document) is left out of the copy of a source read once, so that an endless
    /// line fills neither memory nor the disk; the records after it are copied whole, and read
    /// again from the copy.
    #[test]
    fn what_is_skipped_unread_is_left_out_of_the_copy() {
        let good = "{\"id\": \"after\"}";
        let long = "a".repeat(300_000);
        let element = format!("{{\"id\": \"{long}\"}}");
        let broken = format!("{{\"id\": \"x\"}} {{\"id\": ]{long}}}\n");
        let cases = [
            (Format::Lines, format!("{{\"id\": 1}}\n{long}\n{good}\n")),
            (
                Format::Json,
                format!("[{{\"id\": 1}},\n{element},\n{good}]\n"),
            ),
            (Format::Json, format!("{{\"id\": 1}}\n{broken}{good}\n")),
        ];
        for (case, (format, text)) in cases.into_iter().enumerate() {
            let (items, copy) = read_once(text.clone().into_bytes(), format, 1024);
            let last = items.iter().rev().find_map(|i| match i {
                Item::Record(r) => Some(r),
                Item::Malformed(_) => None,
            });
            let last = last.expect("the record after the skipped text is read");
            assert_eq!(last.source.text.trim(), good, "case {case}");
            let again = last.refetch.fetch().expect("read again from the copy");
            assert_eq!(again.text, last.source.text);
            // The middle of the skipped text is a hole in the copy: never written.
            let middle = text.find(&long).expect("skipped") + long.len() / 2;
            let mut held = vec![1; 1000];
            read_exact_at(&copy, &mut held, middle as u64).expect("the copy is as long");
            assert!(held.iter().all(|&b| b == 0), "left out, case {case}");
            let copied = copy.metadata().expect("metadata").len();
            assert_eq!(
                copied,
                text.len() as u64,
                "the copy is as long as the source"
            );
        }
    }

    /// A source read once (as standard input is) gives its head, then every byte from the first,
    /// however it hands them over; its copy reads the same, from any place, while it is read.
    #[test]
    fn a_source_read_once_is_read_whole_from_its_first_byte_and_copied() {
        /// Hands its text over a few bytes at a time, as a pipe does.
        struct Trickle(io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                let n = buf.len().min(1000);
                self.0.read(&mut buf[..n])
            }
        }
        let records = "{\"id\": \"a\"}\n".repeat(20_000);
        let text = " \n".repeat(BUFFER) + &records;
        let spooled = spool(Box::new(Trickle(io::Cursor::new(
            text.clone().into_bytes(),
        ))));
        let mut opened = open(Source::Once(spooled.expect("a temporary file"))).expect("opens");
        assert!(opened.head.starts_with(b"{\"id\""));
        assert_eq!(
            opened.head.len(),
            BUFFER,
            "the head only is read to open it"
        );
        let mut first = vec![0; 10];
        opened.input.read_exact(&mut first).expect("reads");
        assert_eq!(first, &text.as_bytes()[..10], "from the first byte");
        let Reopen::Handle(copy) = &opened.reopen else {
            panic!("a copy");
        };
        let mut in_copy = vec![0; 7];
        read_exact_at(copy, &mut in_copy, (2 * BUFFER) as u64).expect("the head is copied");
        assert_eq!(in_copy, b"{\"id\": ");
        let mut rest = Vec::new();
        opened.input.read_to_end(&mut rest).expect("reads");
        assert_eq!([first, rest].concat(), text.as_bytes());
        let mut again = Vec::new();
        (opened.reopen.reader().expect("the copy"))
            .read_to_end(&mut again)
            .expect("reads");
        assert_eq!(
            again,
            text.as_bytes(),
            "the copy is whole once the source is read"
        );

        let blank = spool(Box::new(io::Cursor::new(b" \r\n\t".to_vec()))).expect("a file");
        assert!(open(Source::Once(blank)).expect("opens").head.is_empty());
    }

    /// Lines read with memchr are the standard library's, however the buffer cuts them and
    /// wherever the limit falls.
    #[test]
    fn lines_read_as_read_until_reads_them() {
        let text = b"{\"a\": 1}\n\nlong line without end\r\n\xff\xfe\nlast";
        for capacity in [1, 2, 3, 7, 64] {
            for limit in [1, 2, 5, 9, 10, 11, 30, 100] {
                let mut ours = io::BufReader::with_capacity(capacity, &text[..]);
                let mut theirs = io::BufReader::with_capacity(capacity, &text[..]);
                loop {
                    let (mut a, mut b) = (Vec::new(), Vec::new());
                    let read = read_line(&mut ours, limit, &mut a).expect("read");
                    let expected = (&mut theirs)
                        .take(limit as u64)
                        .read_until(b'\n', &mut b)
                        .expect("read");
                    assert_eq!((read, &a), (expected, &b), "{capacity} {limit}");
                    if read == 0 {
                        break;
                    }
                }
            }
        }
    }

    /// Every record of a file on disk, read as `format`, and how to read each again.
    fn refetches(path: &std::path::Path, format: Format) -> Vec<Refetch> {
        (records_on_disk(path, format).into_iter())
            .map(|record| record.refetch)
            .collect()
    }

    #[test]
    fn a_record_changed_since_it_was_read_is_not_read_again_as_if_it_were_the_same() {
        let dir = std::env::temp_dir().join(format!("bylaw-refetch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        for (name, format, text) in [
            (
                "a.jsonl",
                Format::Lines,
                "{\"id\": \"A-1\", \"n\": 1}\n{\"id\": \"A-2\", \"n\": 2}\n",
            ),
            (
                "b.json",
                Format::Json,
                "[\n  {\"id\": \"A-1\", \"n\": 1},\n  {\"id\": \"A-2\", \"n\": 2}\n]\n",
            ),
        ] {
            let path = dir.join(name);
            std::fs::write(&path, text).expect("write");
            let found = refetches(&path, format);
            assert_eq!(found.len(), 2, "{name}");
            let again = found[1].fetch().expect("unchanged: read again");
            assert!(again.text.contains("\"A-2\""), "{name}: {}", again.text);
            // The same length, one digit changed in the second record: its place still reads
            // as a record, but not as the one that was judged.
            std::fs::write(&path, text.replace("\"n\": 2", "\"n\": 3")).expect("write");
            assert!(
                found[1].fetch().is_none(),
                "{name}: a changed record was read again"
            );
            assert!(
                found[0].fetch().is_some(),
                "{name}: the unchanged record reads again"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    /// A FIFO put where a file was (after its audit) is not waited on for ever: the record no
    /// longer reads, at once; so is a folder.
    #[cfg(unix)]
    #[test]
    fn a_file_replaced_by_a_fifo_or_a_folder_is_not_read_again() {
        let dir = std::env::temp_dir().join(format!("bylaw-fifo-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a folder");
        for replace in ["fifo", "folder"] {
            let path = dir.join(format!("{replace}.jsonl"));
            std::fs::write(&path, "{\"id\": \"A-1\"}\n").expect("write");
            let found = refetches(&path, Format::Lines);
            std::fs::remove_file(&path).expect("removed");
            if replace == "fifo" {
                let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes())
                    .expect("a path without NUL");
                assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o600) }, 0, "mkfifo");
            } else {
                std::fs::create_dir(&path).expect("a folder in its place");
            }
            let (sent, answer) = std::sync::mpsc::channel();
            let refetch = found[0].clone();
            std::thread::spawn(move || sent.send(refetch.fetch().is_none()));
            let answered = answer.recv_timeout(std::time::Duration::from_secs(10));
            assert_eq!(
                answered,
                Ok(true),
                "{replace}: answered at once, as changed"
            );
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_refetch_stays_small() {
        // One per record of the set: its size is the set's memory per record.
        assert_eq!(std::mem::size_of::<Refetch>(), 40);
        assert_eq!(std::mem::size_of::<Fragment>(), 32);
    }
}
