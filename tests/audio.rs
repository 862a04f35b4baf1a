//! Audio end to end: uploads of every format with real first bytes, refused types and lying
//! bytes, size limits, the quota (small here, by `AUDIO_QUOTA_BYTES`) and deleting to free it,
//! ranged and conditional downloads, privacy, and the library admins fill.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use std::sync::OnceLock;

use serde_json::Value;
use support::{Owner, Reply, Worker, WorkerOptions, unique_email};

const ADMIN: &str = "audio-admin@example.org";
const QUOTA: usize = 300_000;

fn worker() -> &'static Worker {
    static WORKER: OnceLock<Worker> = OnceLock::new();
    WORKER.get_or_init(|| {
        let mut options = WorkerOptions::default();
        options.vars.push(("ADMIN_EMAILS".into(), ADMIN.into()));
        options
            .vars
            .push(("AUDIO_QUOTA_BYTES".into(), QUOTA.to_string()));
        Worker::start("audio", options)
    })
}

fn user(label: &str) -> Owner {
    Owner::on(worker(), &unique_email(label))
}

/// A file of `size` bytes that starts as `format` does; the rest counts up, so ranges are
/// checkable.
fn sample(head: &[u8], size: usize) -> Vec<u8> {
    let mut bytes = head.to_vec();
    bytes.extend((bytes.len()..size).map(|i| (i % 251) as u8));
    bytes
}

const FORMATS: [(&str, &[u8]); 7] = [
    ("audio/mpeg", b"ID3\x04\x00\x00\x00\x00\x00\x00"),
    ("audio/ogg", b"OggS\x00\x02\x00\x00\x00\x00\x00\x00"),
    ("audio/wav", b"RIFF\x24\x08\x00\x00WAVEfmt "),
    (
        "audio/webm",
        &[0x1A, 0x45, 0xDF, 0xA3, 0x9F, 0x42, 0x86, 0x81, 0x01],
    ),
    ("audio/aac", &[0xFF, 0xF1, 0x50, 0x80, 0x02, 0x1F, 0xFC]),
    ("audio/mp4", b"\x00\x00\x00\x20ftypM4A \x00\x00\x02\x00"),
    ("audio/flac", b"fLaC\x00\x00\x00\x22\x10\x00\x10\x00"),
];

fn upload(me: &mut Owner, query: &str, content_type: &str, bytes: &[u8]) -> Reply {
    let csrf = me.csrf.clone();
    me.client.send(
        "POST",
        &format!("/api/audio?{query}"),
        &[("content-type", content_type), ("x-csrf-token", &csrf)],
        Some(bytes),
    )
}

fn id_of(track: &Value) -> String {
    track["id"].as_str().expect("id").to_owned()
}

#[test]
fn every_format_uploads_and_lists_with_its_metadata() {
    let mut me = user("audio-formats");
    for (content_type, head) in FORMATS {
        let bytes = sample(head, 4_096);
        let track =
            upload(&mut me, "title=Rain%20%C3%A0%20Paris", content_type, &bytes).expect_data(201);
        assert_eq!(track["title"], "Rain à Paris");
        assert_eq!(track["content_type"], content_type);
        assert_eq!(track["size"], 4_096);
        assert_eq!(track["scope"], "user");
        let path = format!("/api/audio/{}", id_of(&track));
        let whole = me.client.get(&path);
        assert_eq!(whole.status, 200, "{content_type}");
        assert_eq!(whole.header("content-type"), Some(content_type));
        assert_eq!(whole.header("accept-ranges"), Some("bytes"));
        assert!(
            whole
                .header("content-disposition")
                .is_some_and(|d| d.starts_with("inline; filename="))
        );
        assert_eq!(whole.bytes, bytes, "{content_type}");
    }
    let listed = me.client.get("/api/audio").expect_data(200);
    let items = listed["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 7);
    let keys: Vec<&String> = items[0]
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        keys.len(),
        6,
        "id, title, content_type, size, scope, created_at: {keys:?}"
    );
}

#[test]
fn wrong_types_lying_bytes_and_bad_titles_are_refused() {
    let mut me = user("audio-refused");
    let mp3 = sample(FORMATS[0].1, 1_000);
    upload(&mut me, "title=x", "text/plain", &mp3).expect_error(415, "unsupported_media_type");
    upload(&mut me, "title=x", "audio/x-wav", &mp3).expect_error(415, "unsupported_media_type");
    let page = sample(b"<!doctype html><html>", 1_000);
    upload(&mut me, "title=x", "audio/mpeg", &page).expect_error(415, "unsupported_media_type");
    upload(&mut me, "title=x", "audio/ogg", &mp3).expect_error(415, "unsupported_media_type");
    upload(&mut me, "title=x", "audio/mpeg", b"").expect_error(400, "bad_request");
    upload(&mut me, "", "audio/mpeg", &mp3).expect_error(400, "bad_request");
    let long = "a".repeat(201);
    upload(&mut me, &format!("title={long}"), "audio/mpeg", &mp3).expect_error(400, "bad_request");
    upload(&mut me, "title=x&scope=library", "audio/mpeg", &mp3).expect_error(403, "forbidden");
    upload(&mut me, "title=x&scope=world", "audio/mpeg", &mp3).expect_error(400, "bad_request");
    let listed = me.client.get("/api/audio").expect_data(200);
    assert!(
        listed["items"]
            .as_array()
            .is_some_and(|items| items.iter().all(|t| t["scope"] == "library")),
        "nothing of this user's was stored: {listed}"
    );
}

/// A body over 50 MiB is refused by its declared length, before the worker reads it.
#[test]
fn an_upload_over_50_mib_is_refused() {
    let mut me = user("audio-large");
    let huge = sample(FORMATS[0].1, 50 * 1024 * 1024 + 1);
    upload(&mut me, "title=big", "audio/mpeg", &huge).expect_error(413, "payload_too_large");
}

#[test]
fn the_quota_refuses_an_upload_and_deleting_frees_it() {
    let mut me = user("audio-quota");
    let big = sample(FORMATS[1].1, 200_000);
    let first = upload(&mut me, "title=one", "audio/ogg", &big).expect_data(201);
    let error = upload(&mut me, "title=two", "audio/ogg", &big).expect_error(409, "quota_exceeded");
    assert!(
        error["message"]
            .as_str()
            .is_some_and(|m| m.contains("quota"))
    );
    let small = sample(FORMATS[1].1, 90_000);
    upload(&mut me, "title=fits", "audio/ogg", &small).expect_data(201);
    let path = format!("/api/audio/{}", id_of(&first));
    assert_eq!(me.write("DELETE", &path, None, None).status, 204);
    me.client.get(&path).expect_error(404, "not_found");
    upload(&mut me, "title=two", "audio/ogg", &big).expect_data(201);
    me.write("DELETE", &path, None, None)
        .expect_error(404, "not_found");
}

/// Uploads sent at once, twice as many as the quota holds: the quota is checked inside the
/// write, so the stored bytes never pass it, and every refusal is `quota_exceeded`.
#[test]
fn concurrent_uploads_never_overrun_the_quota() {
    let me = user("audio-quota-race");
    let size = QUOTA / 5;
    let bytes = sample(FORMATS[1].1, size);
    let replies: Vec<Reply> = support::burst(|| {
        std::thread::scope(|scope| {
            let uploads: Vec<_> = (0..10)
                .map(|n| {
                    let (mut tab, csrf, bytes) = (me.client.burst_tab(), me.csrf.clone(), &bytes);
                    scope.spawn(move || {
                        tab.send(
                            "POST",
                            &format!("/api/audio?title=race{n}"),
                            &[("content-type", "audio/ogg"), ("x-csrf-token", &csrf)],
                            Some(bytes.as_slice()),
                        )
                    })
                })
                .collect();
            uploads
                .into_iter()
                .map(|u| u.join().expect("upload"))
                .collect()
        })
    });
    let stored = replies.iter().filter(|r| r.status == 201).count();
    for refused in replies.iter().filter(|r| r.status != 201) {
        refused.expect_error(409, "quota_exceeded");
    }
    assert_eq!(stored, QUOTA / size, "as many as fit, and no more");
    let mut me = me;
    let listed = me.client.get("/api/audio?limit=50").expect_data(200);
    let used: u64 = listed["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|track| track["scope"] == "user")
        .map(|track| track["size"].as_u64().expect("size"))
        .sum();
    assert!(used <= QUOTA as u64, "{used} bytes stored of {QUOTA}");
}

#[test]
fn ranges_and_etags_serve_parts_and_nothing_new() {
    let mut me = user("audio-ranges");
    let bytes = sample(FORMATS[6].1, 10_000);
    let track = upload(&mut me, "title=ranges", "audio/flac", &bytes).expect_data(201);
    let path = format!("/api/audio/{}", id_of(&track));
    let mut ranged = |range: &str| me.client.send("GET", &path, &[("range", range)], None);
    for (range, start, end) in [
        ("bytes=0-15", 0, 15),
        ("bytes=5000-5099", 5_000, 5_099),
        ("bytes=9990-", 9_990, 9_999),
        ("bytes=-100", 9_900, 9_999),
        ("bytes=9000-20000", 9_000, 9_999),
    ] {
        let part = ranged(range);
        assert_eq!(part.status, 206, "{range}");
        assert_eq!(
            part.header("content-range"),
            Some(format!("bytes {start}-{end}/10000").as_str()),
            "{range}"
        );
        assert_eq!(part.bytes, bytes[start..=end], "{range}");
    }
    let first = ranged("bytes=0-3");
    assert_eq!(first.bytes, b"fLaC");
    let beyond = ranged("bytes=10000-");
    beyond.expect_error(416, "range_not_satisfiable");
    assert_eq!(beyond.header("content-range"), Some("bytes */10000"));
    assert_eq!(
        ranged("bytes=0-1,5-9").status,
        200,
        "several ranges: the whole file"
    );

    let whole = me.client.get(&path);
    let etag = whole.header("etag").expect("etag").to_owned();
    let again = me
        .client
        .send("GET", &path, &[("if-none-match", &etag)], None);
    assert_eq!(again.status, 304);
    assert!(again.text.is_empty());
    let changed = me
        .client
        .send("GET", &path, &[("if-none-match", "\"other\"")], None);
    assert_eq!(changed.status, 200);
}

#[test]
fn tracks_are_private_and_the_library_is_everyones() {
    let mut me = user("audio-private");
    let mut other = user("audio-other");
    let mut admin = Owner::on(worker(), ADMIN);
    let mine = upload(
        &mut me,
        "title=mine",
        "audio/wav",
        &sample(FORMATS[2].1, 2_000),
    )
    .expect_data(201);
    let path = format!("/api/audio/{}", id_of(&mine));
    other.client.get(&path).expect_error(404, "not_found");
    other
        .write("DELETE", &path, None, None)
        .expect_error(404, "not_found");
    admin.client.get(&path).expect_error(404, "not_found");

    let shared = upload(
        &mut admin,
        "title=Brown%20noise&scope=library",
        "audio/webm",
        &sample(FORMATS[3].1, 3_000),
    )
    .expect_data(201);
    assert_eq!(shared["scope"], "library");
    let shared_path = format!("/api/audio/{}", id_of(&shared));
    let played = other.client.get(&shared_path);
    assert_eq!(played.status, 200);
    let caching = played.header("cache-control").unwrap_or_default();
    assert!(caching.contains("immutable"), "{caching}");
    assert!(
        caching.starts_with("private") && !caching.contains("public"),
        "an authenticated response is never for shared caches: {caching}"
    );
    let listed = other.client.get("/api/audio").expect_data(200);
    assert!(
        listed["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|t| t["id"] == shared["id"]))
    );
    other
        .write("DELETE", &shared_path, None, None)
        .expect_error(403, "forbidden");
    // A library track counts to nobody's quota.
    upload(
        &mut admin,
        "title=big&scope=library",
        "audio/ogg",
        &sample(FORMATS[1].1, QUOTA + 1),
    )
    .expect_data(201);
    assert_eq!(admin.write("DELETE", &shared_path, None, None).status, 204);
    other
        .client
        .get(&shared_path)
        .expect_error(404, "not_found");
}
