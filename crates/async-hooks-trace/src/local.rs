//! The per-thread side of the recorder: one buffer per thread, filled without a lock.
//!
//! Each thread appends records to its own buffer in the crate's one thread-local. A full
//! buffer (64 KiB) is sealed into a chunk and sent to the writer thread; so are the buffers of
//! threads that exit (from the thread-local's destructor), of the thread that finishes the
//! recording, and of every recording thread once the writer asks for a periodic flush (an
//! epoch counter, one relaxed load per event).
//!
//! Strings (resource types, creation sites) are interned in the recorder's global table, which
//! takes a lock; each thread caches what it has seen, keyed by the string's address, so the
//! lock is taken once per thread per distinct string. A type string need not be `'static`
//! (a `ResourceType` may own an `Arc<str>`, and its address may be reused once freed), so a
//! hit is confirmed by comparing the text the cache kept: a few bytes, never a stale id.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{BuildHasherDefault, Hasher};
use std::panic::Location;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use async_hooks::Resource;

use crate::format::{self, CHUNK_HEADER_LEN, EVENT_LEN, INIT_FIXED_LEN};
use crate::recorder::{Counter, Shared};

/// Bytes of records after which a thread's buffer is sent to the writer.
pub(crate) const BUF_LEN: usize = 64 * 1024;
/// Entries after which a thread's address cache of type strings is cleared (types built at run
/// time each have an address of their own).
const MAX_CACHED_TYPES: usize = 4096;

thread_local! {
    static LOCAL: RefCell<Local> = const { RefCell::new(Local::EMPTY) };
}

/// A thread's recording state, for the recorder it last recorded for.
struct Local {
    shared: Option<Arc<Shared>>,
    buf: Vec<u8>,
    /// Records and events in `buf`.
    records: u32,
    events: u32,
    /// This thread's id in the trace.
    thread: u32,
    /// The writer's flush epoch last seen.
    epoch: u64,
    /// Events this thread has recorded, read by the guard to count the ones never sent.
    recorded: Option<Arc<Counter>>,
    /// Type strings by address: (id, the text, to confirm a hit).
    types: Option<TypeCache>,
    /// Creation sites by the address of their `'static` `Location`.
    sites: Option<HashMap<usize, u32, PtrHash>>,
    /// Which string ids this thread has defined in its stream, as a bit set.
    defined: Vec<u64>,
    /// Room to format payload summaries in.
    scratch: String,
}

impl Local {
    const EMPTY: Local = Local {
        shared: None,
        buf: Vec::new(),
        records: 0,
        events: 0,
        thread: 0,
        epoch: 0,
        recorded: None,
        types: None,
        sites: None,
        defined: Vec::new(),
        scratch: String::new(),
    };

    /// Makes this state record for `shared`, starting afresh if it recorded for another
    /// (finished) recorder before.
    #[inline]
    fn attach(&mut self, shared: &Arc<Shared>) {
        match &self.shared {
            Some(s) if Arc::ptr_eq(s, shared) => {}
            _ => self.attach_slow(shared),
        }
    }

    #[cold]
    #[inline(never)]
    fn attach_slow(&mut self, shared: &Arc<Shared>) {
        let recorded = Arc::new(Counter::default());
        shared.register_thread(recorded.clone());
        // What this thread held for an earlier recorder is dropped: that one has finished.
        self.shared = Some(shared.clone());
        self.buf = shared.take_buffer();
        self.records = 0;
        self.events = 0;
        self.thread = shared.next_thread_id();
        self.epoch = shared.flush_epoch();
        self.recorded = Some(recorded);
        self.types = Some(HashMap::default());
        self.sites = Some(HashMap::default());
        self.defined.clear();
        let current = std::thread::current();
        format::put_thread(&mut self.buf, current.name().unwrap_or(""));
        self.records += 1;
    }

    /// Makes room for `len` more bytes, sending the buffer first if it is full or if the
    /// writer asked for a flush.
    #[inline]
    fn reserve(&mut self, shared: &Shared, len: usize) {
        let epoch = shared.flush_epoch();
        if self.buf.len() + len > BUF_LEN + CHUNK_HEADER_LEN || epoch != self.epoch {
            self.epoch = epoch;
            self.flush();
        }
    }

    /// Seals the buffer into a chunk and sends it to the writer.
    fn flush(&mut self) {
        let Some(shared) = &self.shared else { return };
        if self.records == 0 {
            return;
        }
        let mut buf = std::mem::replace(&mut self.buf, shared.take_buffer());
        format::seal_chunk(&mut buf, self.thread, self.records);
        shared.send_chunk(buf, self.events);
        self.records = 0;
        self.events = 0;
    }

    #[inline]
    fn count_event(&mut self) {
        self.records += 1;
        self.events += 1;
        if let Some(r) = &self.recorded {
            // Only this thread writes it: a load and a store, no read-modify-write.
            r.0.store(r.0.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        }
    }

    fn is_defined(&self, id: u32) -> bool {
        let (word, bit) = ((id / 64) as usize, id % 64);
        self.defined.get(word).is_some_and(|w| w & (1 << bit) != 0)
    }

    /// Writes the definition of string `id` into this thread's stream unless it is there.
    fn define(&mut self, shared: &Shared, id: u32, text: &str) {
        if self.is_defined(id) {
            return;
        }
        let (word, bit) = ((id / 64) as usize, id % 64);
        if self.defined.len() <= word {
            self.defined.resize(word + 1, 0);
        }
        self.defined[word] |= 1 << bit;
        self.reserve(shared, format::STRING_FIXED_LEN + text.len());
        format::put_string(&mut self.buf, id, text);
        self.records += 1;
    }

    fn type_id(&mut self, shared: &Shared, ty: &str) -> u32 {
        let key = (ty.as_ptr() as usize, ty.len());
        if let Some((id, text)) = self.types.as_ref().and_then(|t| t.get(&key)) {
            if **text == *ty {
                return *id;
            }
        }
        let id = shared.intern(ty);
        self.define(shared, id, ty);
        let types = self.types.get_or_insert_with(HashMap::default);
        if types.len() >= MAX_CACHED_TYPES {
            types.clear();
        }
        types.insert(key, (id, ty.into()));
        id
    }

    fn site_id(&mut self, shared: &Shared, site: Option<&'static Location<'static>>) -> u32 {
        let Some(site) = site else { return 0 };
        let key = site as *const Location<'static> as usize;
        if let Some(id) = self.sites.as_ref().and_then(|s| s.get(&key)) {
            return *id;
        }
        let text = site_text(site);
        let id = shared.intern(&text);
        self.define(shared, id, &text);
        self.sites
            .get_or_insert_with(HashMap::default)
            .insert(key, id);
        id
    }
}

impl Drop for Local {
    /// A thread that exits sends what it recorded.
    fn drop(&mut self) {
        self.flush();
    }
}

fn site_text(site: &Location<'_>) -> String {
    format!("{}:{}:{}", site.file(), site.line(), site.column())
}

/// Records a `before`, `after` or `destroy` event.
#[inline]
pub(crate) fn record_event(shared: &Arc<Shared>, kind: u8, id: u64, trigger: u64, exec: u64) {
    let ts = shared.now_ns();
    let done = LOCAL
        .try_with(|cell| {
            let Ok(mut local) = cell.try_borrow_mut() else {
                return false;
            };
            local.attach(shared);
            local.reserve(shared, EVENT_LEN);
            format::put_event(&mut local.buf, kind, ts, id, trigger, exec);
            local.count_event();
            true
        })
        .unwrap_or(false);
    if !done {
        record_orphan(shared, |buf, _| {
            format::put_event(buf, kind, ts, id, trigger, exec);
        });
    }
}

/// Records an `init` event.
pub(crate) fn record_init(
    shared: &Arc<Shared>,
    id: u64,
    ty: &str,
    trigger: u64,
    exec: u64,
    res: &Resource,
) {
    let ts = shared.now_ns();
    let done = LOCAL
        .try_with(|cell| {
            let Ok(mut local) = cell.try_borrow_mut() else {
                return false;
            };
            let local = &mut *local;
            local.attach(shared);
            let ty_id = local.type_id(shared, ty);
            let site_id = local.site_id(shared, res.created_at());
            let mut scratch = std::mem::take(&mut local.scratch);
            let payload = payload_summary(res, &mut scratch);
            local.reserve(shared, INIT_FIXED_LEN + payload.map_or(0, str::len));
            put_init(
                &mut local.buf,
                ts,
                id,
                trigger,
                exec,
                ty_id,
                site_id,
                payload,
            );
            local.scratch = scratch;
            local.count_event();
            true
        })
        .unwrap_or(false);
    if !done {
        record_orphan(shared, |buf, shared| {
            let ty_id = shared.intern(ty);
            format::put_string(buf, ty_id, ty);
            let mut site_id = 0;
            if let Some(site) = res.created_at() {
                let text = site_text(site);
                site_id = shared.intern(&text);
                format::put_string(buf, site_id, &text);
            }
            let mut scratch = String::new();
            let payload = payload_summary(res, &mut scratch);
            put_init(buf, ts, id, trigger, exec, ty_id, site_id, payload);
        });
    }
}

#[allow(clippy::too_many_arguments)]
fn put_init(
    buf: &mut Vec<u8>,
    ts: u64,
    id: u64,
    trigger: u64,
    exec: u64,
    ty: u32,
    site: u32,
    payload: Option<&str>,
) {
    format::put_event(buf, format::REC_INIT, ts, id, trigger, exec);
    buf.extend_from_slice(&ty.to_le_bytes());
    buf.extend_from_slice(&site.to_le_bytes());
    match payload {
        None => buf.extend_from_slice(&0u16.to_le_bytes()),
        Some(p) => {
            buf.extend_from_slice(&(p.len() as u16 + 1).to_le_bytes());
            buf.extend_from_slice(p.as_bytes());
        }
    }
}

/// Records one event on a thread whose recording state is gone (an event fired from another
/// thread-local's destructor after this crate's was torn down) or busy: a chunk of its own,
/// with the strings it needs, on thread `0`. Rare, so it may allocate.
#[cold]
#[inline(never)]
fn record_orphan(shared: &Arc<Shared>, write: impl FnOnce(&mut Vec<u8>, &Shared)) {
    let mut buf = vec![0u8; CHUNK_HEADER_LEN];
    let mut scan = CHUNK_HEADER_LEN;
    write(&mut buf, shared);
    // Count the records just written: string definitions, then one event.
    let mut records = 0;
    while scan < buf.len() {
        records += 1;
        scan += match buf[scan] {
            format::REC_STRING => {
                let len = u16::from_le_bytes([buf[scan + 5], buf[scan + 6]]) as usize;
                format::STRING_FIXED_LEN + len
            }
            _ => buf.len() - scan,
        };
    }
    format::seal_chunk(&mut buf, 0, records);
    shared.count_orphan();
    shared.send_chunk(buf, 1);
}

/// Sends this thread's buffered records for `shared`, if it has any.
pub(crate) fn flush_current_thread(shared: &Arc<Shared>) {
    let _ = LOCAL.try_with(|cell| {
        if let Ok(mut local) = cell.try_borrow_mut() {
            if local
                .shared
                .as_ref()
                .is_some_and(|s| Arc::ptr_eq(s, shared))
            {
                local.flush();
            }
        }
    });
}

/// A short text for the payloads whose meaning is plain: text, addresses, paths, durations,
/// integers (cut to [`format::MAX_PAYLOAD_LEN`] bytes). Other payloads get none.
fn payload_summary<'a>(res: &Resource, out: &'a mut String) -> Option<&'a str> {
    let any = res.payload_any()?;
    out.clear();
    macro_rules! display {
        ($($t:ty),*) => {
            $(if let Some(v) = any.downcast_ref::<$t>() {
                let _ = write!(out, "{v}");
            } else)* if let Some(v) = any.downcast_ref::<std::path::PathBuf>() {
                let _ = write!(out, "{}", v.display());
            } else if let Some(v) = any.downcast_ref::<std::time::Duration>() {
                let _ = write!(out, "{v:?}");
            } else {
                return None;
            }
        };
    }
    if let Some(s) = any.downcast_ref::<String>() {
        out.push_str(format::truncate(s, format::MAX_PAYLOAD_LEN));
        return Some(out);
    }
    display!(
        &'static str,
        std::net::SocketAddr,
        std::net::IpAddr,
        u8,
        u16,
        u32,
        u64,
        u128,
        usize,
        i8,
        i16,
        i32,
        i64,
        i128,
        isize
    );
    let len = format::truncate(out, format::MAX_PAYLOAD_LEN).len();
    out.truncate(len);
    Some(out)
}

/// A hasher for addresses: one multiplication (addresses are already well spread, and only
/// this thread's own strings are keys, so there is nothing to defend against).
#[derive(Default)]
pub(crate) struct AddrHasher(u64);

type PtrHash = BuildHasherDefault<AddrHasher>;

/// Type strings by (address, length): their id, and their text to confirm a hit.
type TypeCache = HashMap<(usize, usize), (u32, Box<str>), PtrHash>;

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}
