//! Edge glue shared by every route: the route table, the request context and JSON bodies, origin
//! checks and CORS, request budgets, the response envelope with its headers, and the request log.

pub mod context;
pub mod cors;
pub mod envelope;
pub mod log;
pub mod rate_limit;
pub mod router;
pub mod serve;

pub use context::RequestContext;
pub use envelope::{created, ok};
pub use router::Routes;
