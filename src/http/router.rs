//! The route table: paths matched by `matchit` (the matcher `worker::Router` uses), then the
//! method. An unknown path is `404`, a known path with another method `405` with `Allow`, both in
//! the API's envelope, which `worker::Router`'s plain-text answers are not.

use std::{future::Future, pin::Pin, rc::Rc};

use worker::{Method, Response};

use super::context::RequestContext;
use crate::domain::error::{ApiError, ApiResult, ErrorKind};

type HandlerFuture = Pin<Box<dyn Future<Output = ApiResult<Response>>>>;
pub type Handler = Rc<dyn Fn(RequestContext) -> HandlerFuture>;

/// One route: its handler, and what serving it takes besides.
#[derive(Clone)]
pub struct Route {
    pub handler: Handler,
    /// A sign-in route: anyone may call it, so it spends the client address's budget first.
    pub signs_in: bool,
    /// A successful call changes what the user's other clients show: their sockets hear of it.
    pub notifies: bool,
}

#[derive(Default)]
pub struct Routes {
    table: matchit::Router<Vec<(Method, Route)>>,
    /// matchit inserts a path once; the method list grows per path.
    paths: Vec<String>,
    /// Where the last route added sits, for `signs_in` and `quiet`.
    last: Option<(String, Method)>,
}

/// What the table says about one request.
pub enum RouteMatch {
    Found {
        route: Route,
        params: Vec<(String, String)>,
    },
    MethodNotAllowed {
        allow: String,
    },
    NotFound,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn get<F, Fut>(self, path: &str, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Response>> + 'static,
    {
        self.add(Method::Get, path, handler)
    }

    pub fn post<F, Fut>(self, path: &str, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Response>> + 'static,
    {
        self.add(Method::Post, path, handler)
    }

    pub fn delete<F, Fut>(self, path: &str, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Response>> + 'static,
    {
        self.add(Method::Delete, path, handler)
    }

    pub fn add<F, Fut>(self, method: Method, path: &str, handler: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + 'static,
        Fut: Future<Output = ApiResult<Response>> + 'static,
    {
        self.insert(
            method,
            path,
            Rc::new(move |cx| Box::pin(handler(cx)) as HandlerFuture),
        )
    }

    /// The route just added is a sign-in route (see `Route::signs_in`).
    pub fn signs_in(self) -> Self {
        self.mark(|route| route.signs_in = true)
    }

    /// The route just added writes nothing the user's sockets need to hear of (signing in and
    /// out, polling).
    pub fn quiet(self) -> Self {
        self.mark(|route| route.notifies = false)
    }

    fn mark(mut self, change: impl Fn(&mut Route)) -> Self {
        if let Some((path, method)) = &self.last
            && let Ok(methods) = self.table.at_mut(path)
            && let Some((_, route)) = methods.value.iter_mut().find(|(m, _)| m == method)
        {
            change(route);
        }
        self
    }

    /// The part of `add` that does not depend on the handler's type, compiled once instead of
    /// once per route.
    #[inline(never)]
    fn insert(mut self, method: Method, path: &str, handler: Handler) -> Self {
        if !self.paths.iter().any(|known| known == path) {
            // Paths are literals in this crate; a conflict is a programming error caught by the
            // end-to-end tests, so it is logged rather than allowed to abort the isolate.
            if let Err(conflict) = self.table.insert(path, Vec::new()) {
                worker::console_error!("route {path} not added: {conflict}");
                return self;
            }
            self.paths.push(path.to_owned());
        }
        if let Ok(methods) = self.table.at_mut(path) {
            let route = Route {
                handler,
                signs_in: false,
                notifies: !matches!(method, Method::Get | Method::Head | Method::Options),
            };
            methods.value.push((method.clone(), route));
            self.last = Some((path.to_owned(), method));
        }
        self
    }

    /// The route for `method` (`None`: a method this worker does not know) on `path`.
    pub fn find(&self, method: Option<&Method>, path: &str) -> RouteMatch {
        let Ok(matched) = self.table.at(path) else {
            return RouteMatch::NotFound;
        };
        let route = matched
            .value
            .iter()
            .find(|(allowed, _)| Some(allowed) == method)
            .map(|(_, route)| route.clone());
        match route {
            Some(route) => RouteMatch::Found {
                route,
                params: matched
                    .params
                    .iter()
                    .map(|(key, value)| (key.to_owned(), value.to_owned()))
                    .collect(),
            },
            None => RouteMatch::MethodNotAllowed {
                allow: matched
                    .value
                    .iter()
                    .map(|(method, _)| method.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        }
    }
}

pub fn no_route(path: &str) -> ApiError {
    ApiError::new(ErrorKind::NotFound, format!("no route for {path}"))
}

pub fn method_not_allowed(method: &str, allow: &str) -> ApiError {
    ApiError::new(
        ErrorKind::MethodNotAllowed,
        format!("{method} is not allowed here; allowed: {allow}"),
    )
}
