//! The user's live sockets, held by their object with the hibernation API (an idle socket costs
//! nothing): accepted with a tag per session, told `{"type":"changed"}` after every write, and
//! closed when their session ends. Pings are answered by the runtime without waking the object.

use serde::{Deserialize, Serialize};
use worker::worker_sys::WebSocketRequestResponsePair;
use worker::{Response, Result, State, WebSocket, WebSocketPair};

/// Sockets one user may hold at once.
pub const MAX_SOCKETS: usize = 20;
/// Messages (other than pings) a client may send on one socket; it needs none.
pub const MAX_MESSAGES: u32 = 100;

pub const SESSION_HEADER: &str = "x-session-id";

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
}

fn session_tag(session_id: &str) -> String {
    format!("session:{session_id}")
}

/// Accepts the upgrade of `session_id`, unless the user holds `MAX_SOCKETS` already.
pub fn accept(state: &State, session_id: &str) -> Result<Option<Response>> {
    if state.get_websockets().len() >= MAX_SOCKETS {
        return Ok(None);
    }
    if let Ok(pair) = WebSocketRequestResponsePair::new("ping", "pong") {
        state.set_websocket_auto_response(&pair);
    }
    let pair = WebSocketPair::new()?;
    let tag = session_tag(session_id);
    state.accept_websocket_with_tags(&pair.server, &["user", &tag]);
    pair.server.serialize_attachment(Attachment::default())?;
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
