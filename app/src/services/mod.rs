//! The services layer (server only): plain `async fn`s over `&Db`, one file per area.
//!
//! It is the only code that writes through `db/`, and what the server functions
//! (`api/`), the JSON API (`server/src/rest/`), the respondent's post and the command
//! line call. Each operation that changes data is one function here, so the hooks that
//! apps register fire from one place each (ARCHITECTURE.md, "Where a hook fires").
//! Reads that need no rule of their own are re-exported from `db/` as they are.

pub mod accounts;
pub mod api_keys;
pub mod apps;
pub mod email;
pub mod forms;
pub mod group_commit;
pub mod notices;
pub mod outbox;
pub mod publishing;
pub mod submissions;
pub mod webhooks;
