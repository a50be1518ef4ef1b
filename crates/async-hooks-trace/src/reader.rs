//! [`TraceReader`]: streams the events of a trace file, one chunk in memory at a time.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_hooks::AsyncId;

use crate::error::{Kind, TraceError};
use crate::format::{self, MAGIC, VERSION};

/// The most bytes of string text a reader keeps (types and creation sites of one program).
const MAX_STRING_BYTES: u64 = 64 * 1024 * 1024;
/// The most thread names a reader keeps; later threads' events come without a name.
const MAX_THREADS: usize = 1 << 20;

/// What happened to a resource.
///
/// ```
/// use async_hooks_trace::EventKind;
/// assert_eq!(EventKind::Init.to_string(), "init");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// Created (S14).
    Init,
    /// About to run its code (S15).
    Before,
    /// Its code has run (S15).
    After,
    /// Ended (S17, S18).
    Destroy,
}

impl EventKind {
    /// The lower-case name: `init`, `before`, `after`, `destroy`.
    ///
    /// ```
    /// # use async_hooks_trace::EventKind;
    /// assert_eq!(EventKind::Destroy.as_str(), "destroy");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Init => "init",
            EventKind::Before => "before",
            EventKind::After => "after",
            EventKind::Destroy => "destroy",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One recorded event.
///
/// Events of one thread come in the order they happened; events of different threads come a
/// chunk (up to 64 KiB of records) at a time, so sort by
/// [`timestamp_ns`](Event::timestamp_ns) for a global order.
///
/// ```
/// use async_hooks_trace::{Event, EventKind};
///
/// fn describe(e: &Event) -> String {
///     match e.kind {
///         EventKind::Init => format!(
///             "{}({}) created at {} by {}",
///             e.resource_type.as_deref().unwrap_or("?"),
///             e.async_id,
///             e.created_at.as_deref().unwrap_or("?"),
///             e.trigger_id,
///         ),
///         kind => format!("{kind} {}", e.async_id),
///     }
/// }
/// # let _ = describe;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// The recording thread's number in this trace (from 1; `0` for events fired while a
    /// thread was tearing down its thread-locals).
    pub thread: u32,
    /// That thread's name, if it had one.
    pub thread_name: Option<Arc<str>>,
    /// Nanoseconds since the recording started.
    pub timestamp_ns: u64,
    /// The resource.
    pub async_id: AsyncId,
    /// For `init`, the resource's trigger (S4); for the others, `trigger_async_id()` when the
    /// event fired (the resource's trigger in `before`/`after`, `0` in `destroy`, S18).
    pub trigger_id: AsyncId,
    /// `execution_async_id()` when the event fired: the creator's in `init` (S14), the
    /// resource's own in `before`/`after` (S15), `0` in `destroy` (S18).
    pub execution_id: AsyncId,
    /// The resource's type (`init` only).
    pub resource_type: Option<Arc<str>>,
    /// Where the resource was created, as `file:line:column` (`init` only, when known).
    pub created_at: Option<Arc<str>>,
    /// A short text of the resource's payload, for payloads that are text, addresses, paths,
    /// durations or integers (`init` only).
    pub payload: Option<String>,
    /// Where the event's record starts in the file.
    pub offset: u64,
}

/// The file header: who recorded the trace, and when.
///
/// ```
/// # let path = std::env::temp_dir().join(format!("aht-doc-header-{}.aht", std::process::id()));
/// # async_hooks_trace::Recorder::start(&path)?.finish()?;
/// let reader = async_hooks_trace::TraceReader::open(&path)?;
/// assert_eq!(reader.header().pid, std::process::id());
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// The file's format version.
    pub version: u16,
    /// The wall-clock time the recording started; event timestamps count from it.
    pub start_time: SystemTime,
    /// The recording process's id.
    pub pid: u32,
    /// The recording program (its `argv[0]`).
    pub program: String,
}

/// How a recording ended: written by [`RecorderGuard::finish`](crate::RecorderGuard::finish)
/// and read back by [`TraceReader::end`].
///
/// ```
/// # let path = std::env::temp_dir().join(format!("aht-doc-summary-{}.aht", std::process::id()));
/// let summary = async_hooks_trace::Recorder::start(&path)?.finish()?;
/// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
/// assert_eq!(reader.by_ref().count(), 0);
/// assert_eq!(reader.end(), Some(summary));
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// Events written to the file.
    pub events: u64,
    /// Events recorded but not written: still buffered by threads that were alive and idle
    /// when the recording finished.
    pub lost: u64,
    /// Nanoseconds from the start of the recording to its end.
    pub duration_ns: u64,
}

/// Reads a trace file as a stream of [`Event`]s, holding one chunk (64 KiB as written, 16 MiB
/// at most) and the string table in memory, whatever the file's size.
///
/// The iterator yields `Err` once, for the first problem found (with its byte offset), and
/// then ends. A file that ends between chunks without an end record yields every event and
/// then an error for which [`TraceError::is_unfinished`] is true.
///
/// ```
/// use async_hooks::AsyncResource;
/// use async_hooks_trace::{EventKind, Recorder, TraceReader};
///
/// let path = std::env::temp_dir().join(format!("aht-doc-reader-{}.aht", std::process::id()));
/// let trace = Recorder::start(&path)?;
/// let job = AsyncResource::builder("my-crate.Job").payload(42u32).build().unwrap();
/// job.run_in_async_scope(|| {});
/// drop(job);
/// trace.finish()?;
///
/// let kinds: Vec<EventKind> = TraceReader::open(&path)?
///     .map(|e| e.map(|e| e.kind))
///     .collect::<Result<_, _>>()?;
/// assert_eq!(kinds, [EventKind::Init, EventKind::Before, EventKind::After, EventKind::Destroy]);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
pub struct TraceReader<R> {
    input: BufReader<R>,
    /// Offset of the next byte of `input`.
    offset: u64,
    header: Header,
    /// The current chunk's records, and where they start in the file.
    chunk: Vec<u8>,
    chunk_offset: u64,
    pos: usize,
    remaining: u32,
    thread: u32,
    thread_name: Option<Arc<str>>,
    /// String id to text; ids are dense from 1 and below `format::MAX_STRING_ID`.
    strings: Vec<Option<Arc<str>>>,
    string_bytes: u64,
    threads: HashMap<u32, Arc<str>>,
    events: u64,
    end: Option<Summary>,
    done: bool,
}

impl TraceReader<File> {
    /// Opens the trace file at `path` and reads its header.
    ///
    /// # Errors
    ///
    /// The file cannot be opened, or its header is wrong (see [`TraceReader::from_reader`]).
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// assert!(TraceReader::open("/no/such/trace.aht").unwrap_err().is_io());
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<TraceReader<File>, TraceError> {
        TraceReader::from_reader(File::open(path)?)
    }
}

impl<R: Read> TraceReader<R> {
    /// Reads a trace from `input` (buffered here) and checks its header.
    ///
    /// # Errors
    ///
    /// Not a trace (bad magic), a newer format version, a truncated or oversized header.
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// let mut file = b"AHTRACE\0".to_vec();
    /// file.extend_from_slice(&3u16.to_le_bytes());
    /// let err = TraceReader::from_reader(&file[..]).unwrap_err();
    /// assert_eq!(
    ///     err.to_string(),
    ///     "at byte 8: file format version 3 is newer than this reader (1): upgrade async-hooks-cli"
    /// );
    /// ```
    pub fn from_reader(input: R) -> Result<TraceReader<R>, TraceError> {
        let mut reader = TraceReader {
            input: BufReader::with_capacity(256 * 1024, input),
            offset: 0,
            header: Header {
                version: VERSION,
                start_time: UNIX_EPOCH,
                pid: 0,
                program: String::new(),
            },
            chunk: Vec::new(),
            chunk_offset: 0,
            pos: 0,
            remaining: 0,
            thread: 0,
            thread_name: None,
            strings: Vec::new(),
            string_bytes: 0,
            threads: HashMap::new(),
            events: 0,
            end: None,
            done: false,
        };
        reader.read_header()?;
        Ok(reader)
    }

    /// The file header.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("aht-doc-hdr-{}.aht", std::process::id()));
    /// # async_hooks_trace::Recorder::start(&path)?.finish()?;
    /// let reader = async_hooks_trace::TraceReader::open(&path)?;
    /// println!("{} (pid {})", reader.header().program, reader.header().pid);
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The end record, once the iterator has reached it: `None` before, and for files that
    /// were not finished.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("aht-doc-end-{}.aht", std::process::id()));
    /// # async_hooks_trace::Recorder::start(&path)?.finish()?;
    /// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
    /// assert_eq!(reader.end(), None);
    /// for event in reader.by_ref() {
    ///     event?;
    /// }
    /// assert_eq!(reader.end().map(|s| s.lost), Some(0));
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn end(&self) -> Option<Summary> {
        self.end
    }

    /// The name of thread `thread`, once its first chunk has been read.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("aht-doc-thread-{}.aht", std::process::id()));
    /// # let t = async_hooks_trace::Recorder::start(&path)?;
    /// # drop(async_hooks::AsyncResource::new("X"));
    /// # t.finish()?;
    /// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
    /// let first = reader.next().unwrap()?;
    /// assert_eq!(reader.thread_name(first.thread), first.thread_name.as_deref());
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn thread_name(&self, thread: u32) -> Option<&str> {
        self.threads.get(&thread).map(|s| &**s)
    }

    /// How many bytes of the input have been read.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("aht-doc-offset-{}.aht", std::process::id()));
    /// # async_hooks_trace::Recorder::start(&path)?.finish()?;
    /// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
    /// reader.by_ref().for_each(drop);
    /// assert_eq!(reader.offset(), std::fs::metadata(&path)?.len());
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Reads up to `buf.len()` bytes; fewer only at the end of the input.
    fn fill(&mut self, buf: &mut [u8]) -> Result<usize, TraceError> {
        let mut got = 0;
        while got < buf.len() {
            match self.input.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(TraceError::at(Kind::Io(e), self.offset + got as u64)),
            }
        }
        self.offset += got as u64;
        Ok(got)
    }

    fn exact<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], TraceError> {
        let mut buf = [0u8; N];
        let start = self.offset;
        if self.fill(&mut buf)? < N {
            return Err(TraceError::truncated(start, what));
        }
        Ok(buf)
    }

    fn read_header(&mut self) -> Result<(), TraceError> {
        let mut magic = [0u8; 8];
        let got = self.fill(&mut magic)?;
        if magic[..got] != MAGIC[..got] {
            return Err(TraceError::at(Kind::BadMagic, 0));
        }
        if got < magic.len() {
            let what = if got == 0 {
                "the file header (the file is empty)"
            } else {
                "the file header"
            };
            return Err(TraceError::truncated(0, what));
        }
        let version = u16::from_le_bytes(self.exact("the file header")?);
        if version > VERSION {
            return Err(TraceError::at(
                Kind::NewerVersion {
                    found: version,
                    supported: VERSION,
                },
                8,
            ));
        }
        if version == 0 {
            return Err(TraceError::malformed(8, "format version 0 does not exist"));
        }
        let len = u32::from_le_bytes(self.exact("the file header")?);
        if len > format::MAX_HEADER_LEN {
            return Err(TraceError::at(
                Kind::TooLarge {
                    what: "the header length",
                    len: len.into(),
                    max: format::MAX_HEADER_LEN.into(),
                },
                10,
            ));
        }
        let body_offset = self.offset;
        let mut body = vec![0u8; len as usize];
        if self.fill(&mut body)? < body.len() {
            return Err(TraceError::truncated(body_offset, "the file header"));
        }
        let mut r = Cursor::new(&body, body_offset);
        let start_ns = r.u64("the header's start time")?;
        let pid = r.u32("the header's process id")?;
        let name_len = r.u16("the header's program name")?;
        let program = r.text(name_len.into(), "the header's program name")?;
        // Bytes after the known fields are for additions of later minor revisions: skipped.
        self.header = Header {
            version,
            start_time: UNIX_EPOCH + Duration::from_nanos(start_ns),
            pid,
            program: program.to_owned(),
        };
        Ok(())
    }

    /// Reads the next chunk, or the end record (then returns `false`).
    fn next_block(&mut self) -> Result<bool, TraceError> {
        let at = self.offset;
        let mut tag = [0u8; 1];
        if self.fill(&mut tag)? == 0 {
            return Err(TraceError::at(Kind::Unfinished, at));
        }
        match tag[0] {
            format::TAG_CHUNK => {
                let head: [u8; 12] = self.exact("a chunk header")?;
                let thread = le_u32(&head[0..4]);
                let count = le_u32(&head[4..8]);
                let len = le_u32(&head[8..12]);
                if len > format::MAX_CHUNK_LEN {
                    return Err(TraceError::at(
                        Kind::TooLarge {
                            what: "the chunk length",
                            len: len.into(),
                            max: format::MAX_CHUNK_LEN.into(),
                        },
                        at + 9,
                    ));
                }
                if u64::from(count) * format::THREAD_FIXED_LEN as u64 > u64::from(len) {
                    return Err(TraceError::malformed(
                        at + 5,
                        format!(
                            "the chunk claims {count} records in {len} bytes: expected at \
                             least {} bytes per record",
                            format::THREAD_FIXED_LEN
                        ),
                    ));
                }
                self.chunk.clear();
                self.chunk_offset = self.offset;
                // `take` grows the buffer with the data actually present, so a truncated file
                // that claims a long chunk costs no more than its size.
                let got = (&mut self.input)
                    .take(len.into())
                    .read_to_end(&mut self.chunk)
                    .map_err(|e| TraceError::at(Kind::Io(e), self.chunk_offset))?;
                self.offset += got as u64;
                if got < len as usize {
                    return Err(TraceError::truncated(
                        at,
                        format!("a chunk of {len} bytes, of which {got} are present"),
                    ));
                }
                self.pos = 0;
                self.remaining = count;
                self.thread = thread;
                self.thread_name = self.threads.get(&thread).cloned();
                Ok(true)
            }
            format::TAG_END => {
                let len = u32::from_le_bytes(self.exact("the end record")?);
                if len != format::END_BODY_LEN {
                    return Err(TraceError::malformed(
                        at + 1,
                        format!(
                            "the end record is {len} bytes long: expected {}",
                            format::END_BODY_LEN
                        ),
                    ));
                }
                let body: [u8; 24] = self.exact("the end record")?;
                let summary = Summary {
                    events: le_u64(&body[0..8]),
                    lost: le_u64(&body[8..16]),
                    duration_ns: le_u64(&body[16..24]),
                };
                if summary.events != self.events {
                    return Err(TraceError::malformed(
                        at,
                        format!(
                            "the end record counts {} events but the file holds {}",
                            summary.events, self.events
                        ),
                    ));
                }
                let after = self.offset;
                if self.fill(&mut [0u8; 1])? != 0 {
                    return Err(TraceError::malformed(
                        after,
                        "data after the end record: expected the end of the file",
                    ));
                }
                self.end = Some(summary);
                Ok(false)
            }
            other => Err(TraceError::malformed(
                at,
                format!(
                    "unknown block tag {other:#04x}: expected 0x43 ('C', a chunk) or 0x45 \
                     ('E', the end record)"
                ),
            )),
        }
    }

    /// Parses records of the current chunk until an event (or the chunk's end).
    fn next_record(&mut self) -> Result<Option<Event>, TraceError> {
        while self.remaining > 0 {
            self.remaining -= 1;
            let base = self.chunk_offset;
            let at = base + self.pos as u64;
            let mut r = Cursor::new(&self.chunk[self.pos..], at);
            let kind = r.u8("a record")?;
            let event = match kind {
                format::REC_INIT | format::REC_BEFORE | format::REC_AFTER | format::REC_DESTROY => {
                    let timestamp_ns = r.u64("an event record")?;
                    let async_id = AsyncId::new(r.u64("an event record")?);
                    let trigger_id = AsyncId::new(r.u64("an event record")?);
                    let execution_id = AsyncId::new(r.u64("an event record")?);
                    let mut event = Event {
                        kind: EventKind::Init,
                        thread: self.thread,
                        thread_name: self.thread_name.clone(),
                        timestamp_ns,
                        async_id,
                        trigger_id,
                        execution_id,
                        resource_type: None,
                        created_at: None,
                        payload: None,
                        offset: at,
                    };
                    event.kind = match kind {
                        format::REC_INIT => {
                            let ty_at = r.at();
                            let ty = r.u32("an init record")?;
                            let site_at = r.at();
                            let site = r.u32("an init record")?;
                            let payload = r.u16("an init record")?;
                            if payload > 0 {
                                let text = r.text(usize::from(payload - 1), "a payload")?;
                                event.payload = Some(text.to_owned());
                            }
                            event.resource_type = Some(lookup(&self.strings, ty, ty_at)?);
                            if site != 0 {
                                event.created_at = Some(lookup(&self.strings, site, site_at)?);
                            }
                            EventKind::Init
                        }
                        format::REC_BEFORE => EventKind::Before,
                        format::REC_AFTER => EventKind::After,
                        _ => EventKind::Destroy,
                    };
                    Some(event)
                }
                format::REC_STRING => {
                    let id_at = r.at();
                    let id = r.u32("a string record")?;
                    let len = r.u16("a string record")?;
                    let text = r.text(len.into(), "a string record")?;
                    if id == 0 || id >= format::MAX_STRING_ID {
                        return Err(TraceError::malformed(
                            id_at,
                            format!(
                                "string id {id} is out of range: expected 1..{}",
                                format::MAX_STRING_ID
                            ),
                        ));
                    }
                    let slot = id as usize;
                    match self.strings.get(slot).and_then(Option::as_ref) {
                        Some(old) if **old == *text => {}
                        Some(old) => {
                            return Err(TraceError::malformed(
                                at,
                                format!(
                                    "string id {id} is defined again as {text:?}: it was {old:?}"
                                ),
                            ))
                        }
                        None => {
                            self.string_bytes += text.len() as u64 + 16;
                            if self.string_bytes > MAX_STRING_BYTES {
                                return Err(TraceError::at(
                                    Kind::TooLarge {
                                        what: "the string table (bytes)",
                                        len: self.string_bytes,
                                        max: MAX_STRING_BYTES,
                                    },
                                    at,
                                ));
                            }
                            if self.strings.len() <= slot {
                                self.strings.resize(slot + 1, None);
                            }
                            self.strings[slot] = Some(text.into());
                        }
                    }
                    None
                }
                format::REC_THREAD => {
                    let len = r.u16("a thread record")?;
                    let name: Arc<str> = r.text(len.into(), "a thread record")?.into();
                    if self.threads.len() < MAX_THREADS || self.threads.contains_key(&self.thread) {
                        self.threads.insert(self.thread, name.clone());
                    }
                    self.thread_name = Some(name);
                    None
                }
                other => return Err(TraceError::at(Kind::UnknownRecord { kind: other }, at)),
            };
            self.pos += r.pos;
            if let Some(event) = event {
                self.events += 1;
                return Ok(Some(event));
            }
        }
        if self.pos != self.chunk.len() {
            return Err(TraceError::malformed(
                self.chunk_offset + self.pos as u64,
                format!(
                    "{} bytes after the chunk's last record: its record count is wrong",
                    self.chunk.len() - self.pos
                ),
            ));
        }
        Ok(None)
    }

    fn advance(&mut self) -> Result<Option<Event>, TraceError> {
        loop {
            if let Some(event) = self.next_record()? {
                return Ok(Some(event));
            }
            if !self.next_block()? {
                return Ok(None);
            }
        }
    }
}

impl<R: Read> Iterator for TraceReader<R> {
    type Item = Result<Event, TraceError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.advance() {
            Ok(Some(event)) => Some(Ok(event)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

impl<R> fmt::Debug for TraceReader<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceReader")
            .field("header", &self.header)
            .field("offset", &self.offset)
            .field("events", &self.events)
            .finish()
    }
}

fn lookup(strings: &[Option<Arc<str>>], id: u32, at: u64) -> Result<Arc<str>, TraceError> {
    strings
        .get(id as usize)
        .and_then(Option::clone)
        .ok_or_else(|| TraceError::at(Kind::UndefinedString { id }, at))
}

fn le_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(b);
    u32::from_le_bytes(a)
}

fn le_u64(b: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    u64::from_le_bytes(a)
}

/// Reads fields from a record that must lie within its chunk (or header body).
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
    base: u64,
}

impl<'a> Cursor<'a> {
    fn new(bytes: &'a [u8], base: u64) -> Cursor<'a> {
        Cursor {
            bytes,
            pos: 0,
            base,
        }
    }

    fn at(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], TraceError> {
        match self.bytes.get(self.pos..self.pos + n) {
            Some(b) => {
                self.pos += n;
                Ok(b)
            }
            None => Err(TraceError::malformed(
                self.at(),
                format!(
                    "{what} needs {n} more bytes but its chunk has {} left: the chunk's \
                     length or record count is wrong",
                    self.bytes.len() - self.pos
                ),
            )),
        }
    }

    fn u8(&mut self, what: &str) -> Result<u8, TraceError> {
        Ok(self.take(1, what)?[0])
    }

    fn u16(&mut self, what: &str) -> Result<u16, TraceError> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self, what: &str) -> Result<u32, TraceError> {
        Ok(le_u32(self.take(4, what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64, TraceError> {
        Ok(le_u64(self.take(8, what)?))
    }

    fn text(&mut self, n: usize, what: &str) -> Result<&'a str, TraceError> {
        let at = self.at();
        let bytes = self.take(n, what)?;
        std::str::from_utf8(bytes).map_err(|e| {
            TraceError::malformed(
                at + e.valid_up_to() as u64,
                format!("{what} is not valid UTF-8"),
            )
        })
    }
}
