//! [`Resource`]: what hooks and [`execution_async_resource`](crate::execution_async_resource)
//! see of an async resource (SPEC S28, S29).

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::panic::Location;
use std::sync::Arc;

use crate::id::AsyncId;

/// The type of a resource: a string (S29), such as `"Timeout"`, `"TCPWRAP"` or
/// `"my-crate.Query"`.
///
/// Built from a `&'static str` (free) or an owned `String`/`Arc<str>` (one shared allocation,
/// cloned by reference count). Embedders should prefix their own types with their crate's name.
///
/// ```
/// use async_hooks::ResourceType;
///
/// let fixed = ResourceType::from("my-crate.Job");
/// let dynamic = ResourceType::from(format!("my-crate.Queue{}", 3));
/// assert_eq!(fixed.as_str(), "my-crate.Job");
/// assert_eq!(&*dynamic, "my-crate.Queue3");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ResourceType(Repr);

#[derive(Clone, PartialEq, Eq, Hash)]
enum Repr {
    Static(&'static str),
    Shared(Arc<str>),
}

impl ResourceType {
    /// The type as a string.
    ///
    /// ```
    /// # use async_hooks::ResourceType;
    /// assert_eq!(ResourceType::from("X").as_str(), "X");
    /// ```
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            Repr::Shared(s) => s,
        }
    }

    pub(crate) const fn from_static(s: &'static str) -> ResourceType {
        ResourceType(Repr::Static(s))
    }
}

impl std::ops::Deref for ResourceType {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for ResourceType {
    fn from(s: &'static str) -> ResourceType {
        ResourceType(Repr::Static(s))
    }
}

impl From<String> for ResourceType {
    fn from(s: String) -> ResourceType {
        ResourceType(Repr::Shared(s.into()))
    }
}

impl From<Arc<str>> for ResourceType {
    fn from(s: Arc<str>) -> ResourceType {
        ResourceType(Repr::Shared(s))
    }
}

impl From<Cow<'static, str>> for ResourceType {
    fn from(s: Cow<'static, str>) -> ResourceType {
        match s {
            Cow::Borrowed(s) => s.into(),
            Cow::Owned(s) => s.into(),
        }
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// The crate's handle to one resource: ids, type, creation site and typed payload.
///
/// Hooks receive it in [`init`](crate::Hook::init); [`execution_async_resource`] returns the one
/// whose scope runs now. Cloning it is cheap (at most two reference-count increments).
///
/// [`execution_async_resource`]: crate::execution_async_resource
///
/// ```
/// use async_hooks::{create_hook, AsyncResource, FnHook};
///
/// struct Peer(&'static str);
///
/// let hook = create_hook(FnHook::new().on_init(|_, ty, _, res| {
///     if let Some(peer) = res.payload::<Peer>() {
///         println!("{ty} to {}", peer.0);
///     }
/// }));
/// hook.enable();
/// let conn = AsyncResource::builder("my-crate.Conn")
///     .payload(Peer("10.0.0.1:80"))
///     .build()
///     .unwrap();
/// assert_eq!(conn.resource().resource_type(), "my-crate.Conn");
/// hook.disable();
/// ```
#[derive(Clone)]
pub struct Resource {
    async_id: AsyncId,
    trigger_async_id: AsyncId,
    resource_type: ResourceType,
    payload: Option<Arc<dyn Any + Send + Sync>>,
    created_at: Option<&'static Location<'static>>,
}

static ROOT: Resource = Resource {
    async_id: AsyncId::ROOT,
    trigger_async_id: AsyncId::NONE,
    resource_type: ResourceType::from_static("ROOT"),
    payload: None,
    created_at: None,
};

impl Resource {
    #[inline]
    pub(crate) fn new(
        async_id: AsyncId,
        trigger_async_id: AsyncId,
        resource_type: ResourceType,
        payload: Option<Arc<dyn Any + Send + Sync>>,
        created_at: Option<&'static Location<'static>>,
    ) -> Resource {
        Resource {
            async_id,
            trigger_async_id,
            resource_type,
            payload,
            created_at,
        }
    }

    /// The shared root resource: id `1`, trigger `0`, type `"ROOT"`, no payload (S28).
    ///
    /// ```
    /// # use async_hooks::{Resource, AsyncId};
    /// assert_eq!(Resource::root().async_id(), AsyncId::ROOT);
    /// assert!(Resource::root().is_root());
    /// ```
    pub fn root() -> Resource {
        ROOT.clone()
    }

    /// Whether this is the root resource.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// assert!(!AsyncResource::new("X").resource().is_root());
    /// ```
    pub fn is_root(&self) -> bool {
        self.async_id == AsyncId::ROOT
    }

    /// The resource's id (S23).
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::new("X");
    /// assert_eq!(r.resource().async_id(), r.async_id());
    /// ```
    pub fn async_id(&self) -> AsyncId {
        self.async_id
    }

    /// The id of the resource that caused this one (S23).
    ///
    /// ```
    /// # use async_hooks::{AsyncId, AsyncResource};
    /// let r = AsyncResource::with_trigger("X", AsyncId::new(42));
    /// assert_eq!(r.resource().trigger_async_id(), AsyncId::new(42));
    /// ```
    pub fn trigger_async_id(&self) -> AsyncId {
        self.trigger_async_id
    }

    /// The resource's type (S29).
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// assert_eq!(AsyncResource::new("my-crate.X").resource().resource_type(), "my-crate.X");
    /// ```
    pub fn resource_type(&self) -> &str {
        self.resource_type.as_str()
    }

    /// The payload, if it is a `T` (S28).
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::builder("X").payload(7u32).build().unwrap();
    /// assert_eq!(r.resource().payload::<u32>(), Some(&7));
    /// assert_eq!(r.resource().payload::<String>(), None);
    /// ```
    pub fn payload<T: Any>(&self) -> Option<&T> {
        self.payload.as_deref()?.downcast_ref()
    }

    /// The payload as `dyn Any`, whatever its type.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::builder("X").payload("text").build().unwrap();
    /// assert!(r.resource().payload_any().is_some());
    /// assert!(AsyncResource::new("Y").resource().payload_any().is_none());
    /// ```
    pub fn payload_any(&self) -> Option<&(dyn Any + Send + Sync)> {
        self.payload.as_deref()
    }

    /// Where in the source the resource was created (STYLE 11): the caller of
    /// [`AsyncResource::new`](crate::AsyncResource::new) or of the builder's `build`, unless an
    /// integration named another site. `None` for the root.
    ///
    /// ```
    /// # use async_hooks::AsyncResource;
    /// let r = AsyncResource::new("X");
    /// assert_eq!(r.resource().created_at().unwrap().file(), file!());
    /// ```
    pub fn created_at(&self) -> Option<&'static Location<'static>> {
        self.created_at
    }
}

impl fmt::Debug for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Resource");
        d.field("async_id", &self.async_id.as_u64())
            .field("trigger_async_id", &self.trigger_async_id.as_u64())
            .field("type", &self.resource_type.as_str())
            .field("payload", &self.payload.is_some());
        if let Some(at) = self.created_at {
            d.field("created_at", &format_args!("{at}"));
        }
        d.finish()
    }
}
