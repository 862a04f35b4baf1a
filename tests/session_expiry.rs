//! Sessions end after inactivity and after their lifetime, whatever the activity. The timeouts
//! are set to seconds here (the vars take fractions of minutes).
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::{
    sync::OnceLock,
    thread::sleep,
    time::{Duration, Instant},
};

use support::{Owner, Worker, WorkerOptions, open_socket, unique_email};

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let mut options = WorkerOptions::default();
        options.vars.extend([
            // 6 s without a request, 24 s in all: wide enough margins for a loaded machine.
            ("SESSION_INACTIVITY_TIMEOUT_MINUTES".into(), "0.1".into()),
            ("SESSION_LIFETIME_MINUTES".into(), "0.4".into()),
        ]);
        Worker::start("session-expiry", options)
    })
}

#[test]
fn a_session_ends_after_the_inactivity_timeout() {
    let (mut browser, _) = worker().signed_in(&unique_email("idle"));
    browser.get("/api/auth/session").expect_data(200);
    sleep(Duration::from_millis(8_000));
    browser
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
}

#[test]
fn activity_renews_a_session_but_not_past_its_lifetime() {
    let (mut browser, _) = worker().signed_in(&unique_email("active"));
    let signed_in = Instant::now();
    // Requests every second keep it alive well past the 6 s inactivity timeout ...
    while signed_in.elapsed() < Duration::from_secs(12) {
        sleep(Duration::from_millis(1_000));
        browser.get("/api/auth/session").expect_data(200);
    }
    // ... until 24 s after sign-in, when it ends however active it is.
    let mut ended = false;
    for _ in 0..20 {
        sleep(Duration::from_millis(1_000));
        if browser.get("/api/auth/session").status == 401 {
            ended = true;
            break;
        }
    }
    assert!(ended, "the session outlived its 24 s lifetime");
}

/// The next frame of `socket` that is not a ping: a close frame's code, or `None` for text.
fn close_code(socket: &mut support::Socket) -> Option<u16> {
    loop {
        match socket.read() {
            Ok(tungstenite::Message::Close(frame)) => {
                return Some(frame.map_or(1005, |frame| u16::from(frame.code)));
            }
            Ok(tungstenite::Message::Text(_)) => return None,
            Ok(_) => {}
            Err(error) => panic!("the socket failed instead of closing: {error}"),
        }
    }
}

/// A socket lives no longer than its session: idle past the inactivity timeout, the session
/// ends and the object closes its socket (4001) without any request to tell it.
#[test]
fn a_socket_closes_when_its_session_runs_out() {
    let mut me = Owner::on(worker(), &unique_email("idle-socket"));
    let mut socket = open_socket(worker(), &me);
    socket
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let opened = Instant::now();
    assert_eq!(close_code(&mut socket), Some(4001));
    assert!(
        opened.elapsed() >= Duration::from_secs(5),
        "not before the session ended"
    );
    me.client
        .get("/api/auth/session")
        .expect_error(401, "unauthorized");
}

/// A socket whose session stays active stays open past the inactivity timeout, and still hears
/// of the user's writes.
#[test]
fn activity_keeps_a_socket_open() {
    let mut me = Owner::on(worker(), &unique_email("busy-socket"));
    let mut socket = open_socket(worker(), &me);
    let opened = Instant::now();
    while opened.elapsed() < Duration::from_secs(10) {
        sleep(Duration::from_millis(1_000));
        me.client.get("/api/auth/session").expect_data(200);
    }
    me.write(
        "PATCH",
        "/api/settings",
        Some(&serde_json::json!({"theme": "dark"})),
        None,
    )
    .expect_data(200);
    let notice = support::next_text(&mut socket).expect("a notice, not a close");
    assert_eq!(notice["type"], "changed");
}

/// A client's Close frame is answered (RFC 6455 §5.5.1), not left to the client's timeout.
#[test]
fn a_clients_close_frame_is_answered() {
    let me = Owner::on(worker(), &unique_email("closing-socket"));
    let mut socket = open_socket(worker(), &me);
    socket
        .get_mut()
        .set_read_timeout(Some(Duration::from_secs(3)))
        .expect("timeout");
    let asked = Instant::now();
    socket
        .close(Some(tungstenite::protocol::CloseFrame {
            code: tungstenite::protocol::frame::coding::CloseCode::Normal,
            reason: "bye".into(),
        }))
        .expect("send close");
    assert_eq!(close_code(&mut socket), Some(1000), "the server's answer");
    assert!(asked.elapsed() < Duration::from_secs(3));
}
