//! The user's live sockets, held by their object with the hibernation API (an idle socket costs
//! nothing): accepted with a tag per session, told `{"type":"changed"}` after every write, and
//! closed when their session ends: at once when it is ended, and by the object's alarm when it
//! runs out (inactivity, lifetime, a token's expiry). Pings are answered by the runtime without
//! waking the object.

use serde::{Deserialize, Serialize};
use worker::worker_sys::WebSocketRequestResponsePair;
use worker::{Env, Response, Result, State, WebSocket, WebSocketPair};

use crate::domain::time::Millis;
use crate::store::sessions;

/// Sockets one user may hold at once.
pub const MAX_SOCKETS: usize = 20;
/// Messages (other than pings) a client may send on one socket; it needs none.
pub const MAX_MESSAGES: u32 = 100;

pub const SESSION_HEADER: &str = "x-session-id";
/// The socket's lease (`Lease`, JSON) on the upgrade the worker forwards.
pub const LEASE_HEADER: &str = "x-socket-lease";

/// How long a socket may stay open: until `ends_ms`, unless its session's activity moved the
/// end on (`session_key`, the session's token digest, finds its record). `None` ends: until
/// ended explicitly.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Lease {
    pub ends_ms: Option<u64>,
    pub session_key: Option<String>,
}

/// A notice to every socket of the user.
#[derive(Debug, Serialize, Deserialize)]
pub struct Changed {
    pub cursor: String,
}

/// Which sockets to close: one session's, or all of the user's.
#[derive(Debug, Serialize, Deserialize)]
pub struct Close {
    pub session_id: Option<String>,
}

#[derive(Default, Serialize, Deserialize)]
struct Attachment {
    messages: u32,
    #[serde(default)]
    lease: Lease,
}

fn session_tag(session_id: &str) -> String {
    format!("session:{session_id}")
}

/// Accepts the upgrade of `session_id`, unless the user holds `MAX_SOCKETS` already.
pub fn accept(state: &State, session_id: &str, lease: Lease) -> Result<Option<Response>> {
    if state.get_websockets().len() >= MAX_SOCKETS {
        return Ok(None);
    }
    if let Ok(pair) = WebSocketRequestResponsePair::new("ping", "pong") {
        state.set_websocket_auto_response(&pair);
    }
    let pair = WebSocketPair::new()?;
    let tag = session_tag(session_id);
    state.accept_websocket_with_tags(&pair.server, &["user", &tag]);
    pair.server
        .serialize_attachment(Attachment { messages: 0, lease })?;
    Ok(Some(Response::from_websocket(pair.client)?))
}

pub fn notify(state: &State, changed: &Changed) {
    let message = serde_json::json!({"type": "changed", "cursor": changed.cursor}).to_string();
    for socket in state.get_websockets() {
        let _ = socket.send_with_str(&message);
    }
}

pub fn close(state: &State, close: &Close) {
    let sockets = match &close.session_id {
        Some(session_id) => state.get_websockets_with_tag(&session_tag(session_id)),
        None => state.get_websockets(),
    };
    for socket in sockets {
        let _ = socket.close(Some(4001), Some("the session ended"));
    }
}

/// The earliest instant a socket's lease runs out, for the object's alarm.
pub fn next_end(state: &State) -> Option<u64> {
    state
        .get_websockets()
        .iter()
        .filter_map(|socket| socket.deserialize_attachment::<Attachment>().ok().flatten())
        .filter_map(|attachment| attachment.lease.ends_ms)
        .min()
}

/// Closes the sockets whose lease ran out at `now`; a session that activity renewed keeps its
/// socket, with the lease moved to the session's new end.
pub async fn expire(state: &State, env: &Env, now: Millis) -> Result<()> {
    let policy = crate::config::session_policy(env).map_err(|e| e.message)?;
    let kv = env.kv("SESSIONS")?;
    for socket in state.get_websockets() {
        let Some(mut attachment) = socket.deserialize_attachment::<Attachment>()? else {
            continue;
        };
        if attachment.lease.ends_ms.is_none_or(|end| end > now.0) {
            continue;
        }
        let renewed = match &attachment.lease.session_key {
            Some(key) => sessions::live_until(&kv, key, &policy, now)
                .await
                .map_err(|e| e.message)?,
            None => None,
        };
        match renewed {
            Some(end) => {
                attachment.lease.ends_ms = Some(end.0);
                socket.serialize_attachment(attachment)?;
            }
            None => {
                let _ = socket.close(Some(4001), Some("the session ended"));
            }
        }
    }
    Ok(())
}

/// Answers a client's Close frame (RFC 6455 §5.5.1) with its own code where one may be sent
/// back: the workerd we run does not answer it for a hibernated socket, so a client would wait
/// out its own timeout.
pub fn answer_close(socket: &WebSocket, code: usize, reason: &str) {
    // 1005, 1006 and 1015 are never sent in a frame (`close` throws on them).
    let code = u16::try_from(code)
        .ok()
        .filter(|code| matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999))
        .unwrap_or(1000);
    let reason: String = reason.chars().take(30).collect();
    let _ = socket.close(Some(code), Some(reason));
}

/// A message from a client: counted, and the socket closed past `MAX_MESSAGES`.
pub fn received(socket: &WebSocket) -> Result<()> {
    let mut attachment: Attachment = socket.deserialize_attachment()?.unwrap_or_default();
    attachment.messages += 1;
    if attachment.messages > MAX_MESSAGES {
        return socket.close(Some(1008), Some("too many messages"));
    }
    socket.serialize_attachment(attachment)?;
    socket.send_with_str(r#"{"type":"error","message":"this socket only sends; poll to read"}"#)
}
