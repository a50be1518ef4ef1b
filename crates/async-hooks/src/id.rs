//! Async ids: the numbers that name resources (SPEC S1).

use std::fmt;
use std::sync::atomic::Ordering;

use crate::sync::{sync_static, AtomicU64};

/// The number that names one async resource for the life of the process.
///
/// Ids come from one process-wide counter: every resource takes the next one, whether or not a
/// hook is enabled, and no id is ever handed out twice. The first resource a program creates
/// gets `2`; [`AsyncId::ROOT`] (`1`) names the top-level code of every thread and
/// [`AsyncId::NONE`] (`0`) means "no context" (the trigger of the root, and both ids inside a
/// `destroy` callback).
///
/// ```
/// use async_hooks::{AsyncId, AsyncResource};
///
/// assert_eq!(AsyncId::ROOT.as_u64(), 1);
/// assert_eq!(AsyncId::from(7), AsyncId::new(7));
///
/// let a = AsyncResource::new("example-a");
/// let b = AsyncResource::new("example-b");
/// assert!(b.async_id() > a.async_id()); // one counter, never reused
/// println!("{}", a.async_id()); // Display prints the bare number
/// ```
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct AsyncId(u64);

impl AsyncId {
    /// `0`: no context. The trigger of the root, and both ids inside `destroy` (S18).
    pub const NONE: AsyncId = AsyncId(0);
    /// `1`: the root, the top-level code of every thread (S2).
    pub const ROOT: AsyncId = AsyncId(1);

    /// Wraps a raw number. Any value is allowed, so that ids read back from a trace file or
    /// named as a trigger (S4) can be expressed.
    ///
    /// ```
    /// # use async_hooks::AsyncId;
    /// assert_eq!(AsyncId::new(0), AsyncId::NONE);
    /// ```
    #[inline]
    pub const fn new(id: u64) -> AsyncId {
        AsyncId(id)
    }

    /// The raw number.
    ///
    /// ```
    /// # use async_hooks::AsyncId;
    /// assert_eq!(AsyncId::new(42).as_u64(), 42);
    /// ```
    #[inline]
    pub const fn as_u64(self) -> u64 {
        self.0
    }
}

impl From<u64> for AsyncId {
    #[inline]
    fn from(id: u64) -> AsyncId {
        AsyncId(id)
    }
}

impl From<AsyncId> for u64 {
    #[inline]
    fn from(id: AsyncId) -> u64 {
        id.0
    }
}

impl fmt::Display for AsyncId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for AsyncId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AsyncId({})", self.0)
    }
}

sync_static! {
    /// The process-wide counter. Starts at 2: 0 and 1 are reserved (S1).
    static NEXT_ID: AtomicU64 = AtomicU64::new(2);
}

/// Takes the next id from the process-wide counter (S1).
///
/// `Relaxed` is enough: uniqueness comes from the atomicity of the read-modify-write alone,
/// and nothing else is published through this counter.
#[inline]
pub(crate) fn next() -> AsyncId {
    AsyncId(NEXT_ID.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_increasing() {
        let a = next();
        let b = next();
        assert!(b > a);
        assert!(a.as_u64() >= 2);
    }

    #[test]
    fn formats() {
        assert_eq!(AsyncId::new(5).to_string(), "5");
        assert_eq!(format!("{:?}", AsyncId::new(5)), "AsyncId(5)");
        assert_eq!(format!("{:>3}", AsyncId::new(5)), "  5");
    }
}
