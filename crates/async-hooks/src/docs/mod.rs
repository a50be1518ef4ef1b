//! Long-form documentation, as modules with no code.

pub mod internals;
pub mod node_compat;
pub mod performance;
