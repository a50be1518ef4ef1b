//! The one streaming pass every command is built on: [`run`] reads a trace once, keeps a
//! [`Tracker`] of the live resources and the open scopes of each thread, and hands an
//! [`Analysis`] resources as they are created, scopes as they close and resources as they end.
//!
//! # Memory
//!
//! The tracker holds what is alive, not what has been: a resource leaves its table when it is
//! destroyed. Its [`Link`] (type, creation site, trigger) is shared by its descendants, so a
//! live resource's chain of triggers stays readable after its ancestors are gone, up to
//! [`MAX_CHAIN`] links. Two small buffers absorb the interleaving of threads in the file (a
//! thread's events come a chunk at a time, so a resource may be destroyed in the file before
//! another thread's chunk shows its last scope): links of resources destroyed within the last
//! [`GRACE_NS`] of trace time, and destroys whose `init` has not been read yet (resources
//! created before the recording started). Both are bounded by time and by count.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::io::Read;
use std::sync::Arc;

use async_hooks_trace::{Event, EventKind, Header, Summary, TraceError, TraceReader};

/// The most links a chain of triggers keeps: older ancestors are dropped (and the chain says so).
pub const MAX_CHAIN: u32 = 64;
/// How long (in trace time) the link of a destroyed resource stays findable, for scopes and
/// children that other threads recorded earlier but wrote later.
pub const GRACE_NS: u64 = 1_000_000_000;
/// The most destroyed resources kept for [`GRACE_NS`], whatever the rate of destroys.
const MAX_RECENT: usize = 1 << 18;
/// How often (in events) [`run`] reports progress.
const PROGRESS_EVERY: u64 = 1 << 16;

/// The async id of the root resource (SPEC: `1` is the root).
pub const ROOT_ID: u64 = 1;

/// A fast hasher for async ids (sequential `u64`s): one multiply per key.
#[derive(Default, Clone, Copy, Debug)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_u32(&mut self, n: u32) {
        self.write_u64(n.into());
    }
}

/// A `HashMap` keyed by async ids.
pub type IdMap<V> = HashMap<u64, V, BuildHasherDefault<IdHasher>>;

/// What is known of one resource and, through [`parent`](Link::parent), of its triggers.
///
/// ```
/// use async_hooks_cli::pass::Link;
///
/// let task = Link::new(3, 1, "Task".into(), None, None);
/// let timer = Link::new(4, 3, "Timeout".into(), Some("src/main.rs:9:5".into()), Some(task));
/// assert_eq!(timer.chain().to_string(), "Timeout(4) -> Task(3) -> root(1)");
/// ```
#[derive(Debug)]
pub struct Link {
    /// The resource's async id.
    pub id: u64,
    /// Its trigger's async id.
    pub trigger: u64,
    /// Its type.
    pub resource_type: Arc<str>,
    /// Where it was created (`file:line:column`), when known.
    pub created_at: Option<Arc<str>>,
    parent: Option<Arc<Link>>,
    depth: u32,
}

impl Link {
    /// A link for resource `id` triggered by `trigger`, whose own link (if known) is `parent`.
    /// A chain longer than [`MAX_CHAIN`] forgets its oldest part.
    ///
    /// ```
    /// # use async_hooks_cli::pass::Link;
    /// let job = Link::new(7, 1, "Job".into(), None, None);
    /// assert_eq!(job.trigger, 1);
    /// ```
    pub fn new(
        id: u64,
        trigger: u64,
        resource_type: Arc<str>,
        created_at: Option<Arc<str>>,
        parent: Option<Arc<Link>>,
    ) -> Arc<Link> {
        let parent = parent.filter(|p| p.id == trigger && p.depth + 1 < MAX_CHAIN);
        let depth = parent.as_ref().map_or(0, |p| p.depth + 1);
        Arc::new(Link {
            id,
            trigger,
            resource_type,
            created_at,
            parent,
            depth,
        })
    }

    /// The trigger's link, when it was known at creation (and the chain not cut).
    ///
    /// ```
    /// # use async_hooks_cli::pass::Link;
    /// let root_child = Link::new(2, 1, "Job".into(), None, None);
    /// assert!(root_child.parent().is_none());
    /// ```
    pub fn parent(&self) -> Option<&Arc<Link>> {
        self.parent.as_ref()
    }

    /// The chain of triggers from this resource towards the root, displayed the way Node's
    /// documentation draws it: `Timeout(4) -> Task(3) -> root(1)`.
    ///
    /// ```
    /// # use async_hooks_cli::pass::Link;
    /// let orphan = Link::new(9, 5, "Job".into(), None, None);
    /// assert_eq!(orphan.chain().to_string(), "Job(9) -> ?(5)");
    /// ```
    pub fn chain(&self) -> Chain<'_> {
        Chain(self)
    }

    /// This link and its known ancestors, nearest first.
    ///
    /// ```
    /// # use async_hooks_cli::pass::Link;
    /// let a = Link::new(2, 1, "A".into(), None, None);
    /// let b = Link::new(3, 2, "B".into(), None, Some(a));
    /// assert_eq!(b.ancestors().map(|l| l.id).collect::<Vec<_>>(), [3, 2]);
    /// ```
    pub fn ancestors(&self) -> impl Iterator<Item = &Link> {
        std::iter::successors(Some(self), |l| l.parent.as_deref())
    }
}

/// A chain of triggers, displayed Node-style (see [`Link::chain`]).
#[derive(Debug, Clone, Copy)]
pub struct Chain<'a>(&'a Link);

impl Chain<'_> {
    /// The chain as `(type, id)` pairs, the resource first, ending with `("root", 1)` when the
    /// chain reaches the root, or `("?", id)` for an unknown trigger.
    ///
    /// ```
    /// # use async_hooks_cli::pass::Link;
    /// let a = Link::new(2, 1, "A".into(), None, None);
    /// let parts = a.chain().parts();
    /// assert_eq!(parts, [("A".to_string(), 2), ("root".to_string(), 1)]);
    /// ```
    pub fn parts(&self) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        let mut last = self.0;
        for link in self.0.ancestors() {
            out.push((link.resource_type.to_string(), link.id));
            last = link;
        }
        match last.trigger {
            ROOT_ID => out.push(("root".to_string(), ROOT_ID)),
            0 => {}
            id if last.depth + 1 >= MAX_CHAIN || last.depth > 0 && last.parent.is_none() => {
                out.push(("…".to_string(), id))
            }
            id => out.push(("?".to_string(), id)),
        }
        out
    }
}

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (ty, id)) in self.parts().iter().enumerate() {
            if i > 0 {
                f.write_str(" -> ")?;
            }
            write!(f, "{ty}({id})")?;
        }
        Ok(())
    }
}

/// A live resource, as the tracker knows it.
#[derive(Debug)]
#[non_exhaustive]
pub struct Resource {
    /// Type, creation site and chain of triggers.
    pub link: Arc<Link>,
    /// The execution id when it was created: the scope it was created in (S14).
    pub execution_id: u64,
    /// When it was created (ns since the start of the recording).
    pub created_ns: u64,
    /// The thread that created it.
    pub thread: u32,
    /// The summary of its payload, if it had one.
    pub payload: Option<Box<str>>,
    /// How many of its scopes have started.
    pub polls: u64,
}

/// A scope that ran: a `before` and its matching `after` on one thread (S15, S16).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scope {
    /// The resource whose code ran.
    pub async_id: u64,
    /// The thread it ran on.
    pub thread: u32,
    /// When it started (ns since the start of the recording).
    pub start_ns: u64,
    /// When it ended.
    pub end_ns: u64,
    /// How many scopes enclosed it on its thread (0 for an outermost scope).
    pub depth: u32,
}

impl Scope {
    /// How long it ran.
    ///
    /// ```
    /// # use async_hooks_cli::pass::Scope;
    /// # fn f(s: Scope) -> u64 {
    /// s.duration_ns()
    /// # }
    /// # let _ = f;
    /// ```
    pub fn duration_ns(&self) -> u64 {
        self.end_ns.saturating_sub(self.start_ns)
    }
}

/// The end of a resource: its `destroy` event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct End {
    /// The resource.
    pub async_id: u64,
    /// The thread it was destroyed on.
    pub thread: u32,
    /// When (ns since the start of the recording).
    pub timestamp_ns: u64,
}

#[derive(Debug, Clone, Copy)]
struct Open {
    id: u64,
    start_ns: u64,
}

/// The state of the pass: live resources, recently destroyed ones, open scopes per thread.
///
/// ```
/// # let path = std::env::temp_dir().join(format!("ahc-doc-tracker-{}.aht", std::process::id()));
/// # let trace = async_hooks_trace::Recorder::start(&path).unwrap();
/// let kept = async_hooks::AsyncResource::new("Kept");
/// # trace.finish().unwrap();
/// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
/// let (_meta, tracker) = async_hooks_cli::pass::run(&mut reader, &mut (), &mut |_| {})?;
/// assert_eq!(tracker.live().count(), 1);
/// # drop(kept);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
#[derive(Debug, Default)]
pub struct Tracker {
    live: IdMap<Resource>,
    recent: IdMap<Arc<Link>>,
    recent_order: VecDeque<(u64, u64)>,
    early_destroys: IdMap<u64>,
    early_order: VecDeque<(u64, u64)>,
    stacks: HashMap<u32, Vec<Open>>,
    now_ns: u64,
}

impl Tracker {
    /// The live resources (created and not yet destroyed), in no particular order.
    ///
    /// ```
    /// let tracker = async_hooks_cli::pass::Tracker::default();
    /// assert_eq!(tracker.live().count(), 0);
    /// ```
    pub fn live(&self) -> impl Iterator<Item = &Resource> {
        self.live.values()
    }

    /// The live resource `id`.
    ///
    /// ```
    /// let tracker = async_hooks_cli::pass::Tracker::default();
    /// assert!(tracker.resource(5).is_none());
    /// ```
    pub fn resource(&self, id: u64) -> Option<&Resource> {
        self.live.get(&id)
    }

    /// The link of resource `id`, live or destroyed within the last [`GRACE_NS`].
    ///
    /// ```
    /// let tracker = async_hooks_cli::pass::Tracker::default();
    /// assert!(tracker.link(5).is_none());
    /// ```
    pub fn link(&self, id: u64) -> Option<&Arc<Link>> {
        match self.live.get(&id) {
            Some(r) => Some(&r.link),
            None => self.recent.get(&id),
        }
    }

    /// The latest timestamp seen (ns since the start of the recording).
    ///
    /// ```
    /// assert_eq!(async_hooks_cli::pass::Tracker::default().now_ns(), 0);
    /// ```
    pub fn now_ns(&self) -> u64 {
        self.now_ns
    }

    fn expire(&mut self) {
        let horizon = self.now_ns.saturating_sub(GRACE_NS);
        while let Some(&(ts, id)) = self.recent_order.front() {
            if ts >= horizon && self.recent_order.len() <= MAX_RECENT {
                break;
            }
            self.recent_order.pop_front();
            self.recent.remove(&id);
        }
        while let Some(&(ts, id)) = self.early_order.front() {
            if ts >= horizon && self.early_order.len() <= MAX_RECENT {
                break;
            }
            self.early_order.pop_front();
            self.early_destroys.remove(&id);
        }
    }
}

/// Metadata of a trace gathered by the pass.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Meta {
    /// The file header.
    pub header: Header,
    /// The end record (`None` for an unfinished file).
    pub end: Option<Summary>,
    /// Events read, by kind: init, before, after, destroy.
    pub counts: [u64; 4],
    /// The last timestamp read.
    pub last_ns: u64,
    /// Thread numbers and names (empty when unnamed).
    pub threads: BTreeMap<u32, String>,
    /// Scopes closed (matched `before`/`after` pairs).
    pub scopes: u64,
}

impl Meta {
    /// Events read.
    ///
    /// ```
    /// # fn f(meta: &async_hooks_cli::pass::Meta) -> u64 {
    /// meta.events()
    /// # }
    /// # let _ = f;
    /// ```
    pub fn events(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The trace's duration: the end record's, or the last timestamp for an unfinished file.
    ///
    /// ```
    /// # fn f(meta: &async_hooks_cli::pass::Meta) -> u64 {
    /// meta.duration_ns()
    /// # }
    /// # let _ = f;
    /// ```
    pub fn duration_ns(&self) -> u64 {
        self.end
            .map_or(self.last_ns, |s| s.duration_ns.max(self.last_ns))
    }

    /// A thread's label: `name(n)`, or `thread n` when it had no name.
    ///
    /// ```
    /// # fn f(meta: &async_hooks_cli::pass::Meta) -> String {
    /// meta.thread_label(1)
    /// # }
    /// # let _ = f;
    /// ```
    pub fn thread_label(&self, thread: u32) -> String {
        match self.threads.get(&thread) {
            Some(name) if !name.is_empty() => format!("{name} ({thread})"),
            _ if thread == 0 => "exiting threads (0)".to_string(),
            _ => format!("thread {thread}"),
        }
    }
}

/// What a command computes from the stream. Every method has an empty default body, so an
/// analysis implements only what it needs. `()` is the analysis that does nothing.
///
/// ```
/// use async_hooks_cli::pass::{Analysis, Resource};
///
/// #[derive(Default)]
/// struct CountInits(u64);
///
/// impl Analysis for CountInits {
///     fn init(&mut self, _resource: &Resource) {
///         self.0 += 1;
///     }
/// }
/// # let path = std::env::temp_dir().join(format!("ahc-doc-analysis-{}.aht", std::process::id()));
/// # let trace = async_hooks_trace::Recorder::start(&path).unwrap();
/// # drop(async_hooks::AsyncResource::new("X"));
/// # trace.finish().unwrap();
/// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
/// let mut count = CountInits::default();
/// async_hooks_cli::pass::run(&mut reader, &mut count, &mut |_| {})?;
/// assert_eq!(count.0, 1);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
pub trait Analysis {
    /// A resource was created (it is in the tracker already).
    fn init(&mut self, resource: &Resource) {
        let _ = resource;
    }

    /// A scope of resource `event.async_id` started; `first` for its first scope.
    fn before(&mut self, event: &Event, link: Option<&Arc<Link>>, first: bool) {
        let _ = (event, link, first);
    }

    /// A scope ended.
    fn scope(&mut self, scope: &Scope, link: Option<&Arc<Link>>) {
        let _ = (scope, link);
    }

    /// A resource was destroyed (`resource` is `None` when its `init` was not read).
    fn destroy(&mut self, end: &End, resource: Option<&Resource>) {
        let _ = (end, resource);
    }
}

impl Analysis for () {}

/// Two analyses in one pass.
impl<A: Analysis, B: Analysis> Analysis for (A, B) {
    fn init(&mut self, resource: &Resource) {
        self.0.init(resource);
        self.1.init(resource);
    }

    fn before(&mut self, event: &Event, link: Option<&Arc<Link>>, first: bool) {
        self.0.before(event, link, first);
        self.1.before(event, link, first);
    }

    fn scope(&mut self, scope: &Scope, link: Option<&Arc<Link>>) {
        self.0.scope(scope, link);
        self.1.scope(scope, link);
    }

    fn destroy(&mut self, end: &End, resource: Option<&Resource>) {
        self.0.destroy(end, resource);
        self.1.destroy(end, resource);
    }
}

/// Reads every event of `reader` once, feeding `analysis`; calls `progress` with the bytes read
/// so far every 65,536 events and at the end.
///
/// # Errors
///
/// The first problem the reader finds in the file (with its byte offset). The analysis has seen
/// every event before it.
///
/// ```
/// # let path = std::env::temp_dir().join(format!("ahc-doc-run-{}.aht", std::process::id()));
/// # let trace = async_hooks_trace::Recorder::start(&path).unwrap();
/// # async_hooks::AsyncResource::new("X").run_in_async_scope(|| {});
/// # trace.finish().unwrap();
/// let mut reader = async_hooks_trace::TraceReader::open(&path)?;
/// let (meta, tracker) = async_hooks_cli::pass::run(&mut reader, &mut (), &mut |_| {})?;
/// assert_eq!(meta.counts, [1, 1, 1, 1]);
/// assert_eq!(meta.scopes, 1);
/// assert_eq!(tracker.live().count(), 0);
/// # std::fs::remove_file(&path).ok();
/// # Ok::<(), async_hooks_trace::TraceError>(())
/// ```
pub fn run<R: Read, A: Analysis + ?Sized>(
    reader: &mut TraceReader<R>,
    analysis: &mut A,
    progress: &mut dyn FnMut(u64),
) -> Result<(Meta, Tracker), TraceError> {
    let mut t = Tracker::default();
    let mut meta = Meta {
        header: reader.header().clone(),
        end: None,
        counts: [0; 4],
        last_ns: 0,
        threads: BTreeMap::new(),
        scopes: 0,
    };
    let mut last_thread = u32::MAX;
    let mut n = 0u64;
    while let Some(event) = reader.next() {
        let e = event?;
        n += 1;
        if n % PROGRESS_EVERY == 0 {
            progress(reader.offset());
            t.expire();
        }
        if e.thread != last_thread {
            last_thread = e.thread;
            meta.threads
                .entry(e.thread)
                .or_insert_with(|| e.thread_name.as_deref().unwrap_or("").to_string());
        }
        if e.timestamp_ns > t.now_ns {
            t.now_ns = e.timestamp_ns;
        }
        let id = e.async_id.as_u64();
        match e.kind {
            EventKind::Init => {
                meta.counts[0] += 1;
                let trigger = e.trigger_id.as_u64();
                let parent = t.link(trigger).cloned();
                let ty = e.resource_type.clone().unwrap_or_else(|| Arc::from("?"));
                let link = Link::new(id, trigger, ty, e.created_at.clone(), parent);
                let resource = Resource {
                    link,
                    execution_id: e.execution_id.as_u64(),
                    created_ns: e.timestamp_ns,
                    thread: e.thread,
                    payload: e.payload.map(String::into_boxed_str),
                    polls: 0,
                };
                analysis.init(&resource);
                if let Some(destroyed_ns) = t.early_destroys.remove(&id) {
                    // Destroyed in a chunk written before this one: it is not alive.
                    t.recent.insert(id, resource.link.clone());
                    t.recent_order.push_back((t.now_ns, id));
                    let end = End {
                        async_id: id,
                        thread: resource.thread,
                        timestamp_ns: destroyed_ns,
                    };
                    analysis.destroy(&end, Some(&resource));
                } else {
                    t.live.insert(id, resource);
                }
            }
            EventKind::Before => {
                meta.counts[1] += 1;
                let first = match t.live.get_mut(&id) {
                    Some(r) => {
                        r.polls += 1;
                        r.polls == 1
                    }
                    None => false,
                };
                analysis.before(&e, t.link(id), first);
                t.stacks.entry(e.thread).or_default().push(Open {
                    id,
                    start_ns: e.timestamp_ns,
                });
            }
            EventKind::After => {
                meta.counts[2] += 1;
                let stack = t.stacks.entry(e.thread).or_default();
                // S16: an `after` that is not the innermost scope's unwinds to it; one with no
                // matching `before` (the scope began before the recording) is ignored.
                if let Some(pos) = stack.iter().rposition(|o| o.id == id) {
                    let open = stack[pos];
                    stack.truncate(pos);
                    let scope = Scope {
                        async_id: id,
                        thread: e.thread,
                        start_ns: open.start_ns,
                        end_ns: e.timestamp_ns,
                        depth: pos as u32,
                    };
                    meta.scopes += 1;
                    analysis.scope(&scope, t.link(id));
                }
            }
            EventKind::Destroy => {
                meta.counts[3] += 1;
                let end = End {
                    async_id: id,
                    thread: e.thread,
                    timestamp_ns: e.timestamp_ns,
                };
                match t.live.remove(&id) {
                    Some(resource) => {
                        analysis.destroy(&end, Some(&resource));
                        t.recent.insert(id, resource.link);
                        t.recent_order.push_back((t.now_ns, id));
                    }
                    None => {
                        analysis.destroy(&end, None);
                        t.early_destroys.insert(id, e.timestamp_ns);
                        t.early_order.push_back((t.now_ns, id));
                    }
                }
            }
        }
    }
    progress(reader.offset());
    meta.end = reader.end();
    meta.last_ns = t.now_ns;
    Ok((meta, t))
}

/// Items (scopes, usually) waiting for the `init` of their resource, which another thread
/// recorded earlier but the file holds later. Bounded: past [`Pending::MAX`] items, `push`
/// hands the item back to be handled without its resource.
#[derive(Debug)]
pub struct Pending<T> {
    items: IdMap<Vec<T>>,
    len: usize,
}

impl<T> Default for Pending<T> {
    fn default() -> Pending<T> {
        Pending {
            items: IdMap::default(),
            len: 0,
        }
    }
}

impl<T> Pending<T> {
    /// The most items held.
    pub const MAX: usize = 1 << 16;

    /// Holds `item` until resource `id`'s `init`; `Err(item)` when full.
    ///
    /// ```
    /// let mut p = async_hooks_cli::pass::Pending::default();
    /// p.push(7, "scope").unwrap();
    /// assert_eq!(p.take(7), ["scope"]);
    /// assert!(p.take(7).is_empty());
    /// ```
    pub fn push(&mut self, id: u64, item: T) -> Result<(), T> {
        if self.len >= Self::MAX {
            return Err(item);
        }
        self.len += 1;
        self.items.entry(id).or_default().push(item);
        Ok(())
    }

    /// The items waiting for resource `id`.
    ///
    /// ```
    /// let mut p = async_hooks_cli::pass::Pending::<u8>::default();
    /// assert!(p.take(1).is_empty());
    /// ```
    pub fn take(&mut self, id: u64) -> Vec<T> {
        if self.len == 0 {
            return Vec::new();
        }
        let items = self.items.remove(&id).unwrap_or_default();
        self.len -= items.len();
        items
    }

    /// Every item still waiting (their resources' `init` never came).
    ///
    /// ```
    /// let mut p = async_hooks_cli::pass::Pending::default();
    /// p.push(1, 'a').unwrap();
    /// assert_eq!(p.drain(), ['a']);
    /// ```
    pub fn drain(&mut self) -> Vec<T> {
        self.len = 0;
        self.items.drain().flat_map(|(_, v)| v).collect()
    }
}
