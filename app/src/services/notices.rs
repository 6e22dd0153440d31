//! The owner's notices about new responses (left by `submissions::submit`).

pub use crate::db::notifications::{mark_read, unread};
