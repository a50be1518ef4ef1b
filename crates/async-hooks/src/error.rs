//! The crate's error type (SPEC S20).

use std::fmt;

use crate::id::AsyncId;

/// Misuse of the public API, with what was wrong and what was expected (S20).
///
/// Opaque: ask what happened with the `is_*` predicates.
///
/// ```
/// use async_hooks::AsyncResource;
///
/// let err = AsyncResource::builder("").build().unwrap_err();
/// assert!(err.is_empty_type());
/// assert_eq!(
///     err.to_string(),
///     "the resource type is empty: expected a non-empty type name such as \"my-crate.Query\""
/// );
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: Kind,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    EmptyType,
    NoScope(AsyncId),
    AlreadyDestroyed(AsyncId),
}

impl Error {
    pub(crate) fn empty_type() -> Error {
        Error {
            kind: Kind::EmptyType,
        }
    }

    pub(crate) fn no_scope(expected: AsyncId) -> Error {
        Error {
            kind: Kind::NoScope(expected),
        }
    }

    pub(crate) fn already_destroyed(id: AsyncId) -> Error {
        Error {
            kind: Kind::AlreadyDestroyed(id),
        }
    }

    /// A resource was given an empty type name.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// assert!(AsyncResource::builder("").build().unwrap_err().is_empty_type());
    /// ```
    pub fn is_empty_type(&self) -> bool {
        matches!(self.kind, Kind::EmptyType)
    }

    /// A scope was closed (`emit_after`) while no scope at all was open on the thread.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// assert!(AsyncResource::new("X").emit_after().unwrap_err().is_no_scope());
    /// ```
    pub fn is_no_scope(&self) -> bool {
        matches!(self.kind, Kind::NoScope(_))
    }

    /// `destroy` was asked for twice for the same resource.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::new("X");
    /// r.emit_destroy().unwrap();
    /// assert!(r.emit_destroy().unwrap_err().is_already_destroyed());
    /// ```
    pub fn is_already_destroyed(&self) -> bool {
        matches!(self.kind, Kind::AlreadyDestroyed(_))
    }

    /// The id of the resource the failed call was about, if any.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::new("X");
    /// assert_eq!(r.emit_after().unwrap_err().async_id(), Some(r.async_id()));
    /// ```
    pub fn async_id(&self) -> Option<AsyncId> {
        match self.kind {
            Kind::EmptyType => None,
            Kind::NoScope(id) | Kind::AlreadyDestroyed(id) => Some(id),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            Kind::EmptyType => f.write_str(
                "the resource type is empty: expected a non-empty type name such as \"my-crate.Query\"",
            ),
            Kind::NoScope(id) => write!(
                f,
                "emit_after for resource {id}, but no scope is open on this thread: \
                 expected a matching emit_before on the same thread first"
            ),
            Kind::AlreadyDestroyed(id) => write!(
                f,
                "emit_destroy for resource {id}, which was already destroyed: \
                 expected at most one destroy per resource"
            ),
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &format_args!("{self}"))
            .finish()
    }
}

impl std::error::Error for Error {}
