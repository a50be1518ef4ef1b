//! [`TraceError`]: everything that can go wrong recording or reading a trace.

use std::borrow::Cow;
use std::fmt;
use std::io;

/// An error recording or reading a trace: what is wrong, and for a file, at which byte.
///
/// Opaque: ask what happened with the `is_*` predicates and [`offset`](TraceError::offset).
/// `Display` says what was found and what was expected.
///
/// ```
/// use async_hooks_trace::TraceReader;
///
/// let err = TraceReader::from_reader(&b"not a trace"[..]).unwrap_err();
/// assert!(err.is_bad_magic());
/// assert_eq!(err.offset(), Some(0));
/// assert!(err.to_string().starts_with("at byte 0: not an async-hooks trace"));
/// ```
pub struct TraceError {
    kind: Kind,
    offset: Option<u64>,
}

#[derive(Debug)]
pub(crate) enum Kind {
    Io(io::Error),
    AlreadyRecording,
    EmptyPath,
    BadMagic,
    NewerVersion {
        found: u16,
        supported: u16,
    },
    Truncated {
        what: Cow<'static, str>,
    },
    UnknownRecord {
        kind: u8,
    },
    UndefinedString {
        id: u32,
    },
    TooLarge {
        what: &'static str,
        len: u64,
        max: u64,
    },
    Unfinished,
    Malformed(String),
}

impl TraceError {
    /// Names `path` in an I/O error, keeping its kind: "cannot record to `path`: ...".
    pub(crate) fn with_path(self, path: &std::path::Path) -> TraceError {
        match self.kind {
            Kind::Io(e) => TraceError::new(Kind::Io(io::Error::new(
                e.kind(),
                format!("cannot record to {}: {e}", path.display()),
            ))),
            kind => TraceError::new(kind),
        }
    }

    pub(crate) fn new(kind: Kind) -> TraceError {
        TraceError { kind, offset: None }
    }

    pub(crate) fn at(kind: Kind, offset: u64) -> TraceError {
        TraceError {
            kind,
            offset: Some(offset),
        }
    }

    pub(crate) fn truncated(offset: u64, what: impl Into<Cow<'static, str>>) -> TraceError {
        TraceError::at(Kind::Truncated { what: what.into() }, offset)
    }

    pub(crate) fn malformed(offset: u64, what: impl Into<String>) -> TraceError {
        TraceError::at(Kind::Malformed(what.into()), offset)
    }

    /// The byte offset in the file where the problem was found, for errors about a file's
    /// content (`None` for I/O errors of the recorder and misuse).
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// let err = TraceReader::from_reader(&b"AHT"[..]).unwrap_err();
    /// assert_eq!(err.offset(), Some(0));
    /// ```
    pub fn offset(&self) -> Option<u64> {
        self.offset
    }

    /// An I/O error: the file could not be created, written or read.
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// let err = TraceReader::open("/nonexistent/dir/trace.aht").unwrap_err();
    /// assert!(err.is_io());
    /// ```
    pub fn is_io(&self) -> bool {
        matches!(self.kind, Kind::Io(_))
    }

    /// A recorder was started while another one was recording.
    ///
    /// ```
    /// # use async_hooks_trace::Recorder;
    /// let dir = std::env::temp_dir().join(format!("aht-doc-already-{}", std::process::id()));
    /// let first = Recorder::start(&dir)?;
    /// assert!(Recorder::start(&dir).unwrap_err().is_already_recording());
    /// first.finish()?;
    /// # std::fs::remove_file(&dir).ok();
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn is_already_recording(&self) -> bool {
        matches!(self.kind, Kind::AlreadyRecording)
    }

    /// `ASYNC_HOOKS_TRACE` was set to an empty path.
    ///
    /// ```
    /// # use async_hooks_trace::Recorder;
    /// assert!(Recorder::start("").unwrap_err().is_empty_path());
    /// ```
    pub fn is_empty_path(&self) -> bool {
        matches!(self.kind, Kind::EmptyPath)
    }

    /// The input does not start with the trace file's magic bytes.
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// assert!(TraceReader::from_reader(&b"GIF89a.........."[..]).unwrap_err().is_bad_magic());
    /// ```
    pub fn is_bad_magic(&self) -> bool {
        matches!(self.kind, Kind::BadMagic)
    }

    /// The file was written in a newer format version than this reader knows.
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// let mut file = b"AHTRACE\0".to_vec();
    /// file.extend_from_slice(&99u16.to_le_bytes());
    /// assert!(TraceReader::from_reader(&file[..]).unwrap_err().is_newer_version());
    /// ```
    pub fn is_newer_version(&self) -> bool {
        matches!(self.kind, Kind::NewerVersion { .. })
    }

    /// The input ends in the middle of the header, of a chunk or of the end record.
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// assert!(TraceReader::from_reader(&b"AHTRACE\0\x01"[..]).unwrap_err().is_truncated());
    /// ```
    pub fn is_truncated(&self) -> bool {
        matches!(self.kind, Kind::Truncated { .. })
    }

    /// The input ends cleanly between two chunks but has no end record: the recording was not
    /// finished (the program exited without dropping its
    /// [`RecorderGuard`](crate::RecorderGuard)). Every event before it was read.
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// let mut file = b"AHTRACE\0".to_vec();
    /// file.extend_from_slice(&1u16.to_le_bytes());
    /// file.extend_from_slice(&14u32.to_le_bytes()); // header body: time, pid, empty name
    /// file.extend_from_slice(&[0; 14]);
    /// let mut reader = TraceReader::from_reader(&file[..])?;
    /// assert!(reader.next().unwrap().unwrap_err().is_unfinished());
    /// assert!(reader.next().is_none());
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn is_unfinished(&self) -> bool {
        matches!(self.kind, Kind::Unfinished)
    }

    /// A record of a kind this reader does not know.
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// let mut file = b"AHTRACE\0".to_vec();
    /// file.extend_from_slice(&1u16.to_le_bytes()); // version
    /// file.extend_from_slice(&14u32.to_le_bytes()); // header body: time, pid, empty name
    /// file.extend_from_slice(&[0; 14]);
    /// file.extend_from_slice(b"C\x01\0\0\0\x01\0\0\0\x03\0\0\0"); // thread 1, 1 record, 3 bytes
    /// file.extend_from_slice(&[0x7f, 0, 0]); // a record of kind 0x7f
    /// let err = TraceReader::from_reader(&file[..])?.next().unwrap().unwrap_err();
    /// assert!(err.is_unknown_record());
    /// assert_eq!(err.offset(), Some(41));
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn is_unknown_record(&self) -> bool {
        matches!(self.kind, Kind::UnknownRecord { .. })
    }

    /// A record used a string id that no earlier record of its thread defined.
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// let mut file = b"AHTRACE\0".to_vec();
    /// file.extend_from_slice(&1u16.to_le_bytes()); // version
    /// file.extend_from_slice(&14u32.to_le_bytes()); // header body: time, pid, empty name
    /// file.extend_from_slice(&[0; 14]);
    /// file.extend_from_slice(b"C\x01\0\0\0\x01\0\0\0\x2b\0\0\0"); // thread 1, 1 record, 43 bytes
    /// file.push(0x01); // init
    /// file.extend_from_slice(&[0; 32]); // timestamp, ids
    /// file.extend_from_slice(&9u32.to_le_bytes()); // type: string 9, never defined
    /// file.extend_from_slice(&[0; 6]); // no site, no payload
    /// let err = TraceReader::from_reader(&file[..])?.next().unwrap().unwrap_err();
    /// assert!(err.is_undefined_string());
    /// assert_eq!(err.offset(), Some(41 + 33));
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn is_undefined_string(&self) -> bool {
        matches!(self.kind, Kind::UndefinedString { .. })
    }

    /// A length or count beyond the reader's limits (an absurd chunk length, too many strings),
    /// refused before allocating anything for it.
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// let mut file = b"AHTRACE\0".to_vec();
    /// file.extend_from_slice(&1u16.to_le_bytes()); // version
    /// file.extend_from_slice(&14u32.to_le_bytes()); // header body: time, pid, empty name
    /// file.extend_from_slice(&[0; 14]);
    /// file.extend_from_slice(b"C\x01\0\0\0\x01\0\0\0\xff\xff\xff\xff"); // a 4 GiB chunk
    /// let err = TraceReader::from_reader(&file[..])?.next().unwrap().unwrap_err();
    /// assert!(err.is_too_large());
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn is_too_large(&self) -> bool {
        matches!(self.kind, Kind::TooLarge { .. })
    }

    /// Any other inconsistency in the file: a wrong record count, a string defined twice with
    /// different text, invalid UTF-8, data after the end record.
    ///
    /// ```
    /// # use async_hooks_trace::TraceReader;
    /// let mut file = b"AHTRACE\0".to_vec();
    /// file.extend_from_slice(&1u16.to_le_bytes()); // version
    /// file.extend_from_slice(&14u32.to_le_bytes()); // header body: time, pid, empty name
    /// file.extend_from_slice(&[0; 14]);
    /// file.push(b'Z'); // neither a chunk nor the end record
    /// let err = TraceReader::from_reader(&file[..])?.next().unwrap().unwrap_err();
    /// assert!(err.is_malformed());
    /// assert_eq!(err.offset(), Some(28));
    /// # Ok::<(), async_hooks_trace::TraceError>(())
    /// ```
    pub fn is_malformed(&self) -> bool {
        matches!(self.kind, Kind::Malformed(_))
    }
}

impl From<io::Error> for TraceError {
    fn from(e: io::Error) -> TraceError {
        TraceError::new(Kind::Io(e))
    }
}

impl fmt::Display for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(offset) = self.offset {
            write!(f, "at byte {offset}: ")?;
        }
        match &self.kind {
            Kind::Io(e) => write!(f, "I/O error: {e}"),
            Kind::AlreadyRecording => f.write_str(
                "a recorder is already running in this process: finish it (drop its RecorderGuard) \
                 before starting another",
            ),
            Kind::EmptyPath => f.write_str(
                "the trace path is empty: expected a file path, as in ASYNC_HOOKS_TRACE=trace.aht",
            ),
            Kind::BadMagic => f.write_str(
                "not an async-hooks trace: expected the magic bytes \"AHTRACE\\0\" at the start",
            ),
            Kind::NewerVersion { found, supported } => write!(
                f,
                "file format version {found} is newer than this reader ({supported}): \
                 upgrade async-hooks-cli"
            ),
            Kind::Truncated { what } => {
                write!(f, "the file is truncated: it ends inside {what}")
            }
            Kind::UnknownRecord { kind } => write!(
                f,
                "unknown record kind {kind:#04x}: expected 0x01..=0x04 (events), 0x10 (string) \
                 or 0x11 (thread name)"
            ),
            Kind::UndefinedString { id } => write!(
                f,
                "string id {id} is used before its definition: expected a string record \
                 defining it earlier in the same thread's chunks"
            ),
            Kind::TooLarge { what, len, max } => {
                write!(f, "{what} is {len}, more than the limit of {max}")
            }
            Kind::Unfinished => f.write_str(
                "the trace has no end record: the recording was not finished (the program \
                 exited without dropping its RecorderGuard, or the file was cut between two \
                 chunks); every event before this point was read",
            ),
            Kind::Malformed(what) => f.write_str(what),
        }
    }
}

impl fmt::Debug for TraceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TraceError")
            .field("kind", &self.kind)
            .field("offset", &self.offset)
            .field("message", &format_args!("{self}"))
            .finish()
    }
}

impl std::error::Error for TraceError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            Kind::Io(e) => Some(e),
            _ => None,
        }
    }
}
