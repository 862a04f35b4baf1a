//! `/api/audio`: focus sounds. Uploads stream from the request into R2 (the first bytes are
//! checked against the declared format on the way), downloads stream from R2 with single byte
//! ranges and ETags. Object keys are generated, never taken from the request.

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::{self, JsFuture};
use worker::web_sys::{ReadableStream, ReadableStreamDefaultReader};
use worker::worker_sys::FixedLengthStream;
use worker::{Bucket, Headers, HttpMetadata, Range, Response};

use super::content;
use crate::auth::{self, Caller};
use crate::config;
use crate::domain::audio::{AudioFormat, MAX_UPLOAD_BYTES, RangeRequest, SNIFF_BYTES, Scope};
use crate::domain::error::{ApiError, ApiResult, ErrorKind};
use crate::domain::text::Title;
use crate::http::{RequestContext, ok};
use crate::store::audio::{self, Track};

fn bucket(cx: &RequestContext) -> ApiResult<Bucket> {
    Ok(cx.env.bucket("AUDIO")?)
}

fn quota_exceeded(quota: u64) -> ApiError {
    ApiError::new(
        ErrorKind::QuotaExceeded,
        format!("this upload would take your tracks past your quota of {quota} bytes"),
    )
}

/// `POST /api/audio?title=&scope=`: the raw file as the body.
pub async fn upload(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let title = Title::parse(&cx.query("title").unwrap_or_default())
        .map_err(|problem| ApiError::invalid_field("title", problem))?;
    let scope = Scope::parse(cx.query("scope").as_deref())
        .ok_or_else(|| ApiError::invalid_field("scope", "must be user or library"))?;
    if scope == Scope::Library {
        caller.require_admin().await?;
    }
    let content_type = cx.header("content-type").unwrap_or_default();
    let format = AudioFormat::from_content_type(&content_type).ok_or_else(|| {
        ApiError::new(
            ErrorKind::UnsupportedMediaType,
            "the body must be audio/mpeg, audio/ogg, audio/wav, audio/webm, audio/aac, audio/mp4 or audio/flac",
        )
    })?;
    let length = cx
        .header("content-length")
        .and_then(|value| value.trim().parse::<u64>().ok())
        .ok_or_else(|| ApiError::bad_request("an upload needs a Content-Length"))?;
    if length > MAX_UPLOAD_BYTES {
        return Err(ApiError::new(
            ErrorKind::PayloadTooLarge,
            format!("a track is at most {MAX_UPLOAD_BYTES} bytes"),
        ));
    }
    if length == 0 {
        return Err(ApiError::bad_request("the file is empty"));
    }
    let quota = config::audio_quota_bytes(&cx.env)?;
    if scope == Scope::User && audio::used_bytes(&cx.db()?, &caller.user_id).await? + length > quota
    {
        return Err(quota_exceeded(quota));
    }
    let upload = Upload {
        title,
        scope,
        format,
        quota,
    };
    let body = checked_body(&cx, format, length).await?;
    content::once_per_key(&cx, &caller, 201, store(&cx, &caller, upload, body)).await
}

struct Upload {
    title: Title,
    scope: Scope,
    format: AudioFormat,
    quota: u64,
}

/// The request body as a stream of exactly `length` bytes, after checking that its first bytes
/// look like `format`. The body is teed: one branch gives up its first chunk for the check and is
/// cancelled, the other is piped into a fixed-length stream for R2, all inside the runtime, so the
/// bytes never pass through this module's memory.
async fn checked_body(
    cx: &RequestContext,
    format: AudioFormat,
    length: u64,
) -> ApiResult<ReadableStream> {
    let body = cx
        .request
        .inner()
        .body()
        .ok_or_else(|| ApiError::bad_request("the file is empty"))?;
    let branches = body.tee();
    let sniffed: ReadableStream = branches.get(0).unchecked_into();
    let stored: ReadableStream = branches.get(1).unchecked_into();
    let reader: ReadableStreamDefaultReader = sniffed.get_reader().unchecked_into();
    let mut head = Vec::new();
    while head.len() < SNIFF_BYTES {
        let chunk = JsFuture::from(reader.read())
            .await
            .map_err(|_| ApiError::bad_request("the body could not be read"))?;
        let field = |name: &str| js_sys::Reflect::get(&chunk, &name.into()).ok();
        if field("done").and_then(|done| done.as_bool()) != Some(false) {
            break;
        }
        if let Some(bytes) = field("value").and_then(|value| value.dyn_into::<Uint8Array>().ok()) {
            head.extend(bytes.to_vec());
        }
    }
    settle(reader.cancel());
    if !format.matches(&head) {
        settle(stored.cancel());
        return Err(ApiError::new(
            ErrorKind::UnsupportedMediaType,
            format!("the bytes are not {}", format.content_type()),
        ));
    }
    let length = u32::try_from(length).map_err(|_| ApiError::bad_request("too long"))?;
    let fixed = FixedLengthStream::new(length)
        .map_err(|_| ApiError::internal("FixedLengthStream is not available"))?;
    // A body shorter or longer than declared errors the fixed stream, and so the upload.
    settle(stored.pipe_to(&fixed.writable()));
    Ok(fixed.readable())
}

/// Lets a promise run to its end, a rejection included, without waiting for it.
fn settle(promise: js_sys::Promise) {
    wasm_bindgen_futures::spawn_local(async move {
        let _ = JsFuture::from(promise).await;
    });
}

async fn store(
    cx: &RequestContext,
    caller: &Caller,
    upload: Upload,
    body: ReadableStream,
) -> ApiResult<Track> {
    let id = cx.new_id()?;
    let object_key = match upload.scope {
        Scope::User => format!("users/{}/{id}", caller.user_id),
        Scope::Library => format!("library/{id}"),
    };
    let bucket = bucket(cx)?;
    let object = bucket
        .put(&object_key, body)
        .http_metadata(HttpMetadata {
            content_type: Some(upload.format.content_type().to_owned()),
            ..HttpMetadata::default()
        })
        .execute()
        .await
        .ok()
        .flatten()
        .ok_or_else(|| ApiError::bad_request("the body did not match its Content-Length"))?;
    let track = Track {
        id,
        user_id: caller.user_id.clone(),
        scope: upload.scope,
        title: upload.title.into_string(),
        content_type: upload.format.content_type().to_owned(),
        size: object.size(),
        etag: object.http_etag(),
        object_key,
        created_at: cx.now(),
    };
    match audio::insert(&cx.db()?, &track, upload.quota).await {
        Ok(true) => Ok(track),
        Ok(false) => {
            bucket.delete(&track.object_key).await?;
            Err(quota_exceeded(upload.quota))
        }
        Err(error) => {
            let _ = bucket.delete(&track.object_key).await;
            Err(error)
        }
    }
}

/// `GET /api/audio`: the user's tracks and the library's.
pub async fn list(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let page = cx.page_request("audio")?;
    let after = page.after_as::<String>()?;
    let tracks = audio::list(
        &cx.db()?,
        &caller.user_id,
        after.as_deref(),
        page.fetch_limit(),
    )
    .await?;
    ok(&page.page("audio", tracks, |track: &Track| track.id.clone()))
}

async fn visible(cx: &RequestContext, caller: &Caller) -> ApiResult<Track> {
    let id = content::item_id(cx)?;
    audio::find_visible(&cx.db()?, &caller.user_id, &id)
        .await?
        .ok_or_else(|| ApiError::not_found("audio track"))
}

/// Whether an `If-None-Match` header names `etag` (weak comparison, or `*`).
fn none_match(header: &str, etag: &str) -> bool {
    let bare = |tag: &str| tag.trim().trim_start_matches("W/").to_owned();
    header
        .split(',')
        .any(|tag| tag.trim() == "*" || bare(tag) == bare(etag))
}

/// `GET /api/audio/{id}`: the bytes, whole or one range.
pub async fn download(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let track = visible(&cx, &caller).await?;
    let headers = Headers::new();
    headers.set("etag", &track.etag)?;
    headers.set("accept-ranges", "bytes")?;
    headers.set(
        "cache-control",
        match track.scope {
            // Private: the response is authenticated, so no shared cache may keep it for others.
            Scope::Library => "private, max-age=31536000, immutable",
            Scope::User => "private, max-age=0, must-revalidate",
        },
    )?;
    if cx
        .header("if-none-match")
        .is_some_and(|header| none_match(&header, &track.etag))
    {
        return Ok(Response::empty()?.with_status(304).with_headers(headers));
    }
    let range = RangeRequest::parse(cx.header("range").as_deref(), track.size);
    let (status, start, length) = match range {
        RangeRequest::Whole => (200, 0, track.size),
        RangeRequest::Part { start, end } => (206, start, end - start + 1),
        RangeRequest::Unsatisfiable => {
            let mut response = crate::http::envelope::error_response(
                &ApiError::new(
                    ErrorKind::RangeNotSatisfiable,
                    format!("the track has {} bytes", track.size),
                ),
                &cx.request_id,
            );
            response
                .headers_mut()
                .set("content-range", &format!("bytes */{}", track.size))?;
            return Ok(response);
        }
    };
    let object = bucket(&cx)?
        .get(&track.object_key)
        .range(Range::OffsetWithLength {
            offset: start,
            length,
        })
        .execute()
        .await?
        .ok_or_else(|| ApiError::not_found("audio track"))?;
    let body = object
        .body()
        .ok_or_else(|| ApiError::not_found("audio track"))?;
    headers.set("content-type", &track.content_type)?;
    headers.set("content-length", &length.to_string())?;
    headers.set("content-disposition", &disposition(&track))?;
    if status == 206 {
        headers.set(
            "content-range",
            &format!("bytes {start}-{}/{}", start + length - 1, track.size),
        )?;
    }
    Ok(Response::from_body(body.response_body()?)?
        .with_status(status)
        .with_headers(headers))
}

/// `inline` with the title as the file name: ASCII in `filename`, the exact title in
/// `filename*` (RFC 6266).
fn disposition(track: &Track) -> String {
    let extension =
        AudioFormat::from_content_type(&track.content_type).map_or("bin", AudioFormat::extension);
    let ascii: String = track
        .title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || " -_.()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = track
        .title
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("inline; filename=\"{ascii}.{extension}\"; filename*=UTF-8''{encoded}.{extension}")
}

/// `DELETE /api/audio/{id}`: the owner's track, or for an admin a library track. The object goes
/// first, then the row: a failure in between leaves a row a retry removes, never a billed orphan.
pub async fn delete(cx: RequestContext) -> ApiResult<Response> {
    let caller = auth::authenticate(&cx).await?;
    let track = visible(&cx, &caller).await?;
    match track.scope {
        Scope::User if track.user_id != caller.user_id => {
            return Err(ApiError::not_found("audio track"));
        }
        Scope::Library => caller.require_admin().await?,
        Scope::User => {}
    }
    bucket(&cx)?.delete(&track.object_key).await?;
    audio::delete(&cx.db()?, &track, cx.now()).await?;
    Ok(Response::empty()?.with_status(204))
}
