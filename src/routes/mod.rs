//! The API's route table: one module per resource, each thin (parse → store/object → respond).

mod health;
mod openapi;

use crate::http::Routes;

pub fn table() -> Routes {
    Routes::new()
        .get("/api/health", health::get)
        .get("/api/openapi.json", openapi::get)
}
