//! [`Recorder`]: the hook that records every event, the writer thread, and the guard that
//! finishes the file.

use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use async_hooks::{
    create_hook, execution_async_id, trigger_async_id, AsyncHook, AsyncId, Callbacks, Hook,
    Resource,
};

use crate::error::{Kind, TraceError};
use crate::format::{self, CHUNK_HEADER_LEN};
use crate::local::{self, BUF_LEN};
use crate::Summary;

/// The environment variable that names the trace file for [`Recorder::start_from_env`].
///
/// ```
/// assert_eq!(async_hooks_trace::TRACE_ENV, "ASYNC_HOOKS_TRACE");
/// ```
pub const TRACE_ENV: &str = "ASYNC_HOOKS_TRACE";

/// Full buffers that may wait for the writer; a thread that finds the queue full waits
/// (back-pressure), so memory stays bounded when the disk is slower than the program.
const QUEUE_LEN: usize = 16;
/// Empty buffers kept for reuse.
const POOL_LEN: usize = 32;
/// How often the writer asks recording threads to send what they hold, and flushes the file.
const FLUSH_INTERVAL: Duration = Duration::from_millis(100);

/// Only one recorder runs at a time: two would record every event twice.
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// Records every async-hooks event of the process to a file.
///
/// [`Recorder::start`] is the one line in `main`; the [`RecorderGuard`] it returns finishes
/// the file when dropped. See the [crate docs](crate) for what is recorded and what it costs.
///
/// ```
/// use async_hooks::AsyncResource;
/// use async_hooks_trace::{Recorder, TraceReader};
///
/// let path = std::env::temp_dir().join(format!("aht-doc-recorder-{}.aht", std::process::id()));
/// let trace = Recorder::start(&path)?;
/// drop(AsyncResource::new("my-crate.Job")); // init, destroy
/// let summary = trace.finish()?;
/// assert_eq!(summary.events, 2);
///
/// let events: Vec<_> = TraceReader::open(&path)?.collect::<Result<_, _>>()?;
/// assert_eq!(events[0].resource_type.as_deref(), Some("my-crate.Job"));
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
#[derive(Debug)]
pub struct Recorder {
    _private: (),
}

impl Recorder {
    /// Starts recording to `path` (created or truncated): writes the file header, starts the
    /// writer thread and enables the recording hook.
    ///
    /// # Errors
    ///
    /// The file cannot be created or written; `path` is empty; a recorder is already running.
    ///
    /// ```no_run
    /// fn main() -> Result<(), Box<dyn std::error::Error>> {
    ///     let _trace = async_hooks_trace::Recorder::start("trace.aht")?;
    ///     // ... the program ...
    ///     Ok(())
    /// }
    /// ```
    pub fn start(path: impl AsRef<Path>) -> Result<RecorderGuard, TraceError> {
        let path = path.as_ref();
        if path.as_os_str().is_empty() {
            return Err(TraceError::new(Kind::EmptyPath));
        }
        if ACTIVE
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(TraceError::new(Kind::AlreadyRecording));
        }
        match Self::start_inner(path) {
            Ok(guard) => Ok(guard),
            Err(e) => {
                ACTIVE.store(false, Ordering::Release);
                Err(e.with_path(path))
            }
        }
    }

    fn start_inner(path: &Path) -> Result<RecorderGuard, TraceError> {
        let start = Instant::now();
        let wall = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        let program = std::env::args_os()
            .next()
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut file = BufWriter::with_capacity(BUF_LEN, File::create(path)?);
        file.write_all(&format::header(wall, std::process::id(), &program))?;
        file.flush()?;

        let (tx, rx) = mpsc::sync_channel(QUEUE_LEN);
        let shared = Arc::new(Shared {
            start,
            tx,
            pool: Mutex::new(Vec::new()),
            strings: Mutex::new(HashMap::new()),
            next_thread: AtomicU32::new(1),
            flush_epoch: AtomicU64::new(0),
            threads: Mutex::new(Vec::new()),
            retired: AtomicU64::new(0),
            orphans: AtomicU64::new(0),
        });
        shared.intern(format::OVERFLOW_STRING);
        let writer_shared = shared.clone();
        let writer = std::thread::Builder::new()
            .name("async-hooks-trace-writer".into())
            .spawn(move || write_loop(rx, file, &writer_shared))?;
        let hook = create_hook(RecorderHook {
            shared: shared.clone(),
        });
        hook.enable();
        Ok(RecorderGuard {
            hook,
            shared,
            writer: Some(writer),
            path: path.to_owned(),
        })
    }

    /// Starts recording to the file named by the environment variable [`TRACE_ENV`]
    /// (`ASYNC_HOOKS_TRACE`), or returns `Ok(None)` when it is not set. For integrations
    /// (the Tokio runtime builder) that turn tracing on for the programs that use them.
    ///
    /// # Errors
    ///
    /// As [`Recorder::start`]; the variable is set to an empty path.
    ///
    /// ```
    /// // Unset here: nothing is recorded.
    /// # std::env::remove_var(async_hooks_trace::TRACE_ENV);
    /// assert!(async_hooks_trace::Recorder::start_from_env()?.is_none());
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn start_from_env() -> Result<Option<RecorderGuard>, TraceError> {
        match std::env::var_os(TRACE_ENV) {
            None => Ok(None),
            Some(path) => Self::start(PathBuf::from(path)).map(Some),
        }
    }

    /// Whether a recorder is running in this process now.
    ///
    /// ```
    /// assert!(!async_hooks_trace::Recorder::is_recording());
    /// ```
    pub fn is_recording() -> bool {
        ACTIVE.load(Ordering::Acquire)
    }
}

/// Keeps a recording running; dropping it (or [`finish`](RecorderGuard::finish)) disables the
/// hook, sends this thread's buffer, stops the writer and writes the end record.
///
/// Events still buffered by *other* threads that are alive when the guard drops (and have not
/// recorded for up to 100 ms) cannot be reached without a lock on every event; they are counted
/// in [`Summary::lost`]. Threads that exit before send theirs.
///
/// ```
/// # let path = std::env::temp_dir().join(format!("aht-doc-guard-{}.aht", std::process::id()));
/// let trace = async_hooks_trace::Recorder::start(&path)?;
/// assert_eq!(trace.path(), path);
/// drop(trace); // finishes the file; errors go to stderr (use `finish` to get them)
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
#[must_use = "dropping the guard stops the recording at once"]
pub struct RecorderGuard {
    hook: AsyncHook,
    shared: Arc<Shared>,
    writer: Option<JoinHandle<io::Result<u64>>>,
    path: PathBuf,
}

impl RecorderGuard {
    /// The trace file's path.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("aht-doc-path-{}.aht", std::process::id()));
    /// let trace = async_hooks_trace::Recorder::start(&path)?;
    /// println!("recording to {}", trace.path().display());
    /// # trace.finish()?; std::fs::remove_file(&path).ok();
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Sends the records this thread has buffered to the writer now.
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("aht-doc-flush-{}.aht", std::process::id()));
    /// let trace = async_hooks_trace::Recorder::start(&path)?;
    /// drop(async_hooks::AsyncResource::new("my-crate.Job"));
    /// trace.flush_thread();
    /// # trace.finish()?; std::fs::remove_file(&path).ok();
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn flush_thread(&self) {
        local::flush_current_thread(&self.shared);
    }

    /// Finishes the recording and says how it went: what [`Drop`] does, with the errors.
    ///
    /// # Errors
    ///
    /// Writing the file failed (at any time during the recording).
    ///
    /// ```
    /// # let path = std::env::temp_dir().join(format!("aht-doc-finish-{}.aht", std::process::id()));
    /// let trace = async_hooks_trace::Recorder::start(&path)?;
    /// let summary = trace.finish()?;
    /// assert_eq!((summary.events, summary.lost), (0, 0));
    /// # std::fs::remove_file(&path).ok();
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn finish(mut self) -> Result<Summary, TraceError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<Summary, TraceError> {
        let Some(writer) = self.writer.take() else {
            return Err(TraceError::new(Kind::Io(io::Error::other(
                "the recording was already finished",
            ))));
        };
        self.hook.disable();
        local::flush_current_thread(&self.shared);
        let recorded = self.shared.recorded();
        let end_ns = self.shared.now_ns();
        // The queue is FIFO: every chunk sent before this is written before the end record.
        let _ = self.shared.tx.send(Msg::Stop { recorded, end_ns });
        let result = match writer.join() {
            Ok(Ok(events)) => Ok(Summary {
                events,
                lost: recorded.saturating_sub(events),
                duration_ns: end_ns,
            }),
            Ok(Err(e)) => Err(TraceError::from(e)),
            Err(_) => Err(TraceError::from(io::Error::other(
                "the trace writer thread panicked",
            ))),
        };
        // Threads that recorded keep the shared state until they record again or exit: give
        // back the pooled buffers now.
        self.shared
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
        ACTIVE.store(false, Ordering::Release);
        result
    }
}

impl Drop for RecorderGuard {
    fn drop(&mut self) {
        if self.writer.is_some() {
            if let Err(e) = self.stop() {
                eprintln!(
                    "async-hooks-trace: recording to {}: {e}",
                    self.path.display()
                );
            }
        }
    }
}

impl fmt::Debug for RecorderGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecorderGuard")
            .field("path", &self.path)
            .field("running", &self.writer.is_some())
            .finish()
    }
}

/// One thread's count of recorded events. Aligned to its own cache lines: two threads'
/// counters side by side would make every event of one invalidate the other's line.
#[repr(align(128))]
#[derive(Default)]
pub(crate) struct Counter(pub(crate) AtomicU64);

/// What the recording threads share with the writer and the guard.
pub(crate) struct Shared {
    start: Instant,
    tx: SyncSender<Msg>,
    pool: Mutex<Vec<Vec<u8>>>,
    /// The global string table: text to id (ids from 1, dense).
    strings: Mutex<HashMap<Box<str>, u32>>,
    next_thread: AtomicU32,
    flush_epoch: AtomicU64,
    /// Each recording thread's count of recorded events.
    threads: Mutex<Vec<Arc<Counter>>>,
    /// Events recorded by threads that have exited.
    retired: AtomicU64,
    /// Events recorded outside any thread's buffer (see `local::record_orphan`).
    orphans: AtomicU64,
}

enum Msg {
    Chunk { buf: Vec<u8>, events: u32 },
    Stop { recorded: u64, end_ns: u64 },
}

impl Shared {
    /// Nanoseconds since the recording started.
    #[inline]
    pub(crate) fn now_ns(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    #[inline]
    pub(crate) fn flush_epoch(&self) -> u64 {
        self.flush_epoch.load(Ordering::Relaxed)
    }

    pub(crate) fn next_thread_id(&self) -> u32 {
        self.next_thread.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn register_thread(&self, recorded: Arc<Counter>) {
        let mut threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        // Fold the counters of threads that are gone (their count can no longer change) into
        // one number, so the list stays as long as the number of live threads.
        threads.retain(|c| {
            let gone = Arc::strong_count(c) == 1;
            if gone {
                self.retired
                    .fetch_add(c.0.load(Ordering::Relaxed), Ordering::Relaxed);
            }
            !gone
        });
        threads.push(recorded);
    }

    pub(crate) fn count_orphan(&self) {
        self.orphans.fetch_add(1, Ordering::Relaxed);
    }

    /// Every event recorded so far, sent or not.
    fn recorded(&self) -> u64 {
        let threads = self.threads.lock().unwrap_or_else(PoisonError::into_inner);
        threads
            .iter()
            .map(|c| c.0.load(Ordering::Relaxed))
            .sum::<u64>()
            + self.retired.load(Ordering::Relaxed)
            + self.orphans.load(Ordering::Relaxed)
    }

    /// An empty buffer with room for the chunk header.
    pub(crate) fn take_buffer(&self) -> Vec<u8> {
        let pooled = self
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut buf = pooled.unwrap_or_else(|| Vec::with_capacity(BUF_LEN + 1024));
        buf.clear();
        buf.resize(CHUNK_HEADER_LEN, 0);
        buf
    }

    /// Hands a sealed chunk to the writer, waiting if its queue is full. After the recording
    /// finished, the chunk is dropped.
    pub(crate) fn send_chunk(&self, buf: Vec<u8>, events: u32) {
        let _ = self.tx.send(Msg::Chunk { buf, events });
    }

    /// The id of `text` in the global string table (taking the lock; called once per thread
    /// per distinct string).
    pub(crate) fn intern(&self, text: &str) -> u32 {
        let text = format::truncate(text, format::MAX_STRING_LEN);
        let mut strings = self.strings.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(&id) = strings.get(text) {
            return id;
        }
        let id = strings.len() as u32 + 1;
        if id >= format::MAX_STRING_ID {
            return 1; // OVERFLOW_STRING, interned first.
        }
        strings.insert(text.into(), id);
        id
    }
}

/// The writer thread: writes chunks as they come, returns buffers to the pool, asks for
/// periodic flushes, and writes the end record. Returns the number of events written.
fn write_loop(rx: Receiver<Msg>, mut file: BufWriter<File>, shared: &Shared) -> io::Result<u64> {
    let mut events = 0u64;
    let mut error: Option<io::Error> = None;
    let mut next_flush = Instant::now() + FLUSH_INTERVAL;
    loop {
        let msg = match rx.recv_timeout(FLUSH_INTERVAL) {
            Ok(msg) => Some(msg),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => break,
        };
        match msg {
            Some(Msg::Chunk { buf, events: n }) => {
                if error.is_none() {
                    match file.write_all(&buf) {
                        Ok(()) => events += u64::from(n),
                        Err(e) => error = Some(e),
                    }
                }
                let mut pool = shared.pool.lock().unwrap_or_else(PoisonError::into_inner);
                if pool.len() < POOL_LEN {
                    pool.push(buf);
                }
            }
            Some(Msg::Stop { recorded, end_ns }) => {
                if let Some(e) = error {
                    return Err(e);
                }
                let lost = recorded.saturating_sub(events);
                file.write_all(&format::end(events, lost, end_ns))?;
                // No `sync_all`: the data is in the OS's hands, which is what a crash of the
                // program needs; waiting for the disk would only slow the program's exit.
                file.flush()?;
                return Ok(events);
            }
            None => {}
        }
        let now = Instant::now();
        if now >= next_flush {
            next_flush = now + FLUSH_INTERVAL;
            shared.flush_epoch.fetch_add(1, Ordering::Relaxed);
            if error.is_none() {
                if let Err(e) = file.flush() {
                    error = Some(e);
                }
            }
        }
    }
    // Unreachable in practice: the guard holds a sender until it has sent `Stop`.
    error.map_or(Ok(events), Err)
}

/// The hook: every callback appends one record to the calling thread's buffer.
struct RecorderHook {
    shared: Arc<Shared>,
}

impl Hook for RecorderHook {
    fn init(&self, async_id: AsyncId, ty: &str, trigger: AsyncId, resource: &Resource) {
        let exec = execution_async_id();
        local::record_init(
            &self.shared,
            async_id.as_u64(),
            ty,
            trigger.as_u64(),
            exec.as_u64(),
            resource,
        );
    }

    fn before(&self, async_id: AsyncId) {
        self.event(format::REC_BEFORE, async_id);
    }

    fn after(&self, async_id: AsyncId) {
        self.event(format::REC_AFTER, async_id);
    }

    fn destroy(&self, async_id: AsyncId) {
        self.event(format::REC_DESTROY, async_id);
    }

    fn callbacks(&self) -> Callbacks {
        Callbacks::ALL
    }
}

impl RecorderHook {
    #[inline]
    fn event(&self, kind: u8, id: AsyncId) {
        local::record_event(
            &self.shared,
            kind,
            id.as_u64(),
            trigger_async_id().as_u64(),
            execution_async_id().as_u64(),
        );
    }
}
