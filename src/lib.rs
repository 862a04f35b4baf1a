//! Passion Edge: the backend of Passion OS as a Cloudflare Worker.
//!
//! `domain` is pure Rust and builds everywhere; the edge modules (HTTP glue, routes, stores, the
//! Durable Object) exist only on wasm32, so the rules cannot depend on the runtime by accident.

// A panic aborts the wasm instance (and leaves a Durable Object's caller hanging), so the
// product code never unwraps; tests may.
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod domain;
pub mod sql;

#[cfg(target_arch = "wasm32")]
mod auth;
#[cfg(target_arch = "wasm32")]
mod config;
#[cfg(target_arch = "wasm32")]
mod http;
#[cfg(target_arch = "wasm32")]
mod progress;
#[cfg(target_arch = "wasm32")]
mod random;
#[cfg(target_arch = "wasm32")]
mod routes;
#[cfg(target_arch = "wasm32")]
mod store;
#[cfg(target_arch = "wasm32")]
mod zone;

#[cfg(target_arch = "wasm32")]
mod entry {
    use worker::wasm_bindgen::JsValue;
    use worker::worker_sys::web_sys;
    use worker::{Context, Env, Request, Response, Result, ScheduleContext, ScheduledEvent, event};

    use crate::{http, routes};

    #[event(start)]
    fn start() {
        http::log::install_panic_hook();
    }

    #[event(fetch)]
    async fn fetch(request: web_sys::Request, env: Env, ctx: Context) -> Result<Response> {
        Ok(http::serve::serve(without_cf(request), env, &ctx, &routes::shared()).await)
    }

    /// worker's `Request` reads `request.cf` as it is made, which parses the request's `cf`
    /// properties each time: 13 % of a 404's CPU (`make profile`). Nothing here reads them (the
    /// client address is the `CF-Connecting-IP` header), so the request hides them first.
    fn without_cf(request: web_sys::Request) -> Request {
        let hidden = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&hidden, &"value".into(), &JsValue::UNDEFINED);
        let _ = js_sys::Reflect::define_property(&request, &"cf".into(), &hidden);
        Request::from(request)
    }

    #[event(scheduled)]
    async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
        routes::scheduled::run(env).await;
    }
}
