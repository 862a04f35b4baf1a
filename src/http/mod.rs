//! Edge glue shared by every route: the route table, the request context and JSON bodies, the
//! response envelope with its headers, and the request log.

pub mod context;
pub mod envelope;
pub mod log;
pub mod router;
pub mod serve;

pub use context::RequestContext;
pub use envelope::{created, ok};
pub use router::Routes;
