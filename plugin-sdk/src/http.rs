//! A small blocking HTTP(S) client, for plugins that call web APIs.
//!
//! Requests go through the host (`wasi:http/outgoing-handler`), which checks **every**
//! request against what an admin granted the plugin: only hosts granted with
//! `cove grant <plugin> net <pattern>` can be reached, and secrets granted for injection
//! (`cove grant <plugin> secret NAME --inject <host>`) are added to matching requests by the
//! host, so the plugin never sees them. Ask for hosts and injections in the manifest with
//! [`Manifest::host`] and [`Manifest::inject`]; a request to anything else fails with an
//! [`HttpError`] whose [`kind`](HttpError::kind) is [`HttpErrorKind::Denied`].
//!
//! The client is deliberately simple: one request at a time, the whole response body read
//! into memory (at most [`MAX_BODY`] bytes), and **redirects are never followed** (a 3xx
//! response is returned as it is; its `Location` is in [`Response::header`]). It works the
//! same with and without the SDK's `std` feature, and a plugin that does not call it imports
//! no `wasi:http` or `wasi:io` interface at all.
//!
//! ```no_run
//! use cove_sdk::prelude::*;
//!
//! fn weather(city: &str) -> Result<Reply, CommandError> {
//!     // The host must have granted `net wttr.in`; otherwise this is an error that says so
//!     // (the host also tells the user), and `?` turns it into `CommandError::failed`.
//!     let url = format!("https://wttr.in/{city}?format=3");
//!     let response = http::get(&url)?;
//!     if !response.is_success() {
//!         return Err(CommandError::failed(format!(
//!             "wttr.in says {} {}",
//!             response.status,
//!             response.reason()
//!         )));
//!     }
//!     Ok(Reply::text(response.text()))
//! }
//! ```
//!
//! Sending JSON with a custom header:
//!
//! ```no_run
//! # use cove_sdk::prelude::*;
//! # fn f() -> Result<(), http::HttpError> {
//! let response = http::request(
//!     http::Request::new("POST", "https://hooks.example.com/deploy")
//!         .header("Content-Type", "application/json")
//!         .header("X-Request-Source", "cove")
//!         .body(br#"{"service":"api"}"#.to_vec()),
//! )?;
//! # let _ = response; Ok(()) }
//! ```
//!
//! [`Manifest::host`]: crate::Manifest::host
//! [`Manifest::inject`]: crate::Manifest::inject

use crate::CommandError;
use crate::bindings::wasi::http::outgoing_handler;
use crate::bindings::wasi::http::types::{
    ErrorCode, Fields, HeaderError, IncomingResponse, Method, OutgoingBody, OutgoingRequest, Scheme,
};
use crate::bindings::wasi::io::streams::{InputStream, StreamError};
use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

/// The largest response body the client reads, in bytes (16 MiB); a longer one is an
/// [`HttpErrorKind::TooLarge`] error. The host may set a lower limit of its own.
pub const MAX_BODY: usize = 16 * 1024 * 1024;

/// How much is asked of the input stream per read.
const READ_CHUNK: usize = 64 * 1024;

/// The most a single `blocking-write-and-flush` accepts (`wasi:io/streams`).
const WRITE_CHUNK: usize = 4096;

/// Sends a `GET` request to `url` (`http://…` or `https://…`) and reads the whole response.
///
/// Any status code is a successful [`Response`], including 4xx, 5xx and redirects (which
/// are not followed): check [`Response::status`] or [`Response::is_success`].
pub fn get(url: &str) -> Result<Response, HttpError> {
    request(Request::new("GET", url))
}

/// Sends a `POST` request with `body`, labelled with the `Content-Type` `content_type`
/// (e.g. `"application/json"`), and reads the whole response.
pub fn post(url: &str, content_type: &str, body: &[u8]) -> Result<Response, HttpError> {
    request(
        Request::new("POST", url)
            .header("Content-Type", content_type)
            .body(body.to_vec()),
    )
}

/// One HTTP request, for [`request`].
///
/// Build it with [`Request::new`] and the builder methods, or fill in the fields directly.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, `PUT`, `DELETE`, `PATCH`, `HEAD`, `OPTIONS` or any other token.
    pub method: String,
    /// `http://` or `https://`, a host with an optional port, then path and query; a
    /// `#fragment` is dropped. (A `user:password@` is passed to the host, which refuses it.)
    pub url: String,
    /// Request headers, sent in order. `Content-Length` is added for a body unless given.
    /// The host may refuse some (`Host`, `Connection`, …), and a secret injected by the host
    /// (`Authorization` by default) must not be set by the plugin.
    pub headers: Vec<(String, String)>,
    /// The request body, if any.
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// A request without headers or body.
    pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
        Request {
            method: method.into(),
            url: url.into(),
            headers: Vec::new(),
            body: None,
        }
    }

    /// Adds a header.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Some(body.into());
        self
    }
}

/// A complete HTTP response: status, headers and the whole body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Response {
    /// The status code, e.g. 200.
    pub status: u16,
    /// Response headers in the order received; names as the host reports them (lowercase
    /// with wasmtime), values decoded as UTF-8 (invalid bytes replaced).
    pub headers: Vec<(String, String)>,
    /// The body, read to its end.
    pub body: Vec<u8>,
}

impl Response {
    /// The body as text; invalid UTF-8 is replaced with `�`.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The first header called `name` (compared case-insensitively), if any.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The standard reason phrase of the status code (`"OK"`, `"Not Found"`, …), or `""` for
    /// a code without one. (HTTP/2 does not transmit reason phrases, so this is not what the
    /// server sent but what the code means.)
    pub fn reason(&self) -> &'static str {
        reason(self.status)
    }
}

/// The standard reason phrase of an HTTP status code, or `""` for an unknown one.
pub fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        418 => "I'm a teapot",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        423 => "Locked",
        425 => "Too Early",
        426 => "Upgrade Required",
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        451 => "Unavailable For Legal Reasons",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

/// What kind of failure an [`HttpError`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// The request was malformed before it left the plugin: a bad URL, method or header.
    InvalidRequest,
    /// The host refused the request: the plugin was not granted the host (or a header or
    /// the request was against the host's rules).
    Denied,
    /// The request was sent, or tried, and failed: DNS, connection, TLS, timeout, a broken
    /// response, ….
    Network,
    /// The response body was longer than [`MAX_BODY`].
    TooLarge,
}

/// Why an HTTP request produced no [`Response`].
///
/// Its [`Display`](fmt::Display) is a readable sentence, ending with the `wasi:http` error
/// code when the host gave one, e.g. `the host refused the request (not granted)
/// [HTTP-request-denied]`. When the host refuses a request it also tells the user, so a
/// command can simply propagate the error with `?` (it converts into
/// [`CommandError::failed`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpError {
    kind: HttpErrorKind,
    message: String,
    code: Option<&'static str>,
}

impl HttpError {
    fn new(kind: HttpErrorKind, message: impl Into<String>) -> Self {
        HttpError {
            kind,
            message: message.into(),
            code: None,
        }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Self::new(HttpErrorKind::InvalidRequest, message)
    }

    fn from_code(code: &ErrorCode) -> Self {
        let (kind, name, sentence, detail) = describe(code);
        let message = match detail {
            Some(detail) => format!("{sentence}: {detail}"),
            None => sentence.to_owned(),
        };
        HttpError {
            kind,
            message,
            code: Some(name),
        }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }

    /// Whether the host refused the request (see [`HttpErrorKind::Denied`]).
    pub fn is_denied(&self) -> bool {
        self.kind == HttpErrorKind::Denied
    }

    /// The `wasi:http` `error-code` case the host reported, in its WIT spelling
    /// (`HTTP-request-denied`, `connection-refused`, …), if the error came from the host.
    pub fn code(&self) -> Option<&'static str> {
        self.code
    }

    /// The sentence describing the error, without the error code.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.code {
            Some(code) => write!(f, "{} [{code}]", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl core::error::Error for HttpError {}

impl From<HttpError> for CommandError {
    /// An HTTP failure as [`CommandError::failed`], with the error's sentence.
    fn from(error: HttpError) -> Self {
        CommandError::failed(error.to_string())
    }
}

/// The kind, the WIT name, a readable sentence and any detail of a `wasi:http` error code.
///
/// Kept to static strings where possible: every `format!` here is code in every plugin that
/// makes HTTP requests.
fn describe(code: &ErrorCode) -> (HttpErrorKind, &'static str, &'static str, Option<String>) {
    use HttpErrorKind::{Denied, Network};
    fn text(value: &Option<String>) -> Option<String> {
        value.clone().filter(|v| !v.is_empty())
    }
    fn number<T: fmt::Display>(value: &Option<T>) -> Option<String> {
        value.as_ref().map(|n| format!("limit {n}"))
    }
    match code {
        ErrorCode::DnsTimeout => (Network, "DNS-timeout", "DNS lookup timed out", None),
        ErrorCode::DnsError(p) => (Network, "DNS-error", "DNS lookup failed", text(&p.rcode)),
        ErrorCode::DestinationNotFound => {
            (Network, "destination-not-found", "host not found", None)
        }
        ErrorCode::DestinationUnavailable => (
            Network,
            "destination-unavailable",
            "destination unavailable",
            None,
        ),
        ErrorCode::DestinationIpProhibited => (
            Denied,
            "destination-IP-prohibited",
            "the host refused to connect to that address",
            None,
        ),
        ErrorCode::DestinationIpUnroutable => (
            Network,
            "destination-IP-unroutable",
            "destination address unroutable",
            None,
        ),
        ErrorCode::ConnectionRefused => (Network, "connection-refused", "connection refused", None),
        ErrorCode::ConnectionTerminated => (
            Network,
            "connection-terminated",
            "connection closed unexpectedly",
            None,
        ),
        ErrorCode::ConnectionTimeout => {
            (Network, "connection-timeout", "connection timed out", None)
        }
        ErrorCode::ConnectionReadTimeout => (
            Network,
            "connection-read-timeout",
            "timed out reading from the connection",
            None,
        ),
        ErrorCode::ConnectionWriteTimeout => (
            Network,
            "connection-write-timeout",
            "timed out writing to the connection",
            None,
        ),
        ErrorCode::ConnectionLimitReached => (
            Denied,
            "connection-limit-reached",
            "too many connections or requests",
            None,
        ),
        ErrorCode::TlsProtocolError => (Network, "TLS-protocol-error", "TLS protocol error", None),
        ErrorCode::TlsCertificateError => (
            Network,
            "TLS-certificate-error",
            "the server's TLS certificate was not accepted",
            None,
        ),
        ErrorCode::TlsAlertReceived(p) => (
            Network,
            "TLS-alert-received",
            "TLS alert received",
            text(&p.alert_message),
        ),
        ErrorCode::HttpRequestDenied => (
            Denied,
            "HTTP-request-denied",
            "the host refused the request (not granted)",
            None,
        ),
        ErrorCode::HttpRequestLengthRequired => (
            Network,
            "HTTP-request-length-required",
            "the server requires a Content-Length",
            None,
        ),
        ErrorCode::HttpRequestBodySize(n) => (
            Denied,
            "HTTP-request-body-size",
            "request body too large",
            number(n),
        ),
        ErrorCode::HttpRequestMethodInvalid => (
            Denied,
            "HTTP-request-method-invalid",
            "request method not allowed",
            None,
        ),
        ErrorCode::HttpRequestUriInvalid => (
            Denied,
            "HTTP-request-URI-invalid",
            "invalid request URL",
            None,
        ),
        ErrorCode::HttpRequestUriTooLong => (
            Denied,
            "HTTP-request-URI-too-long",
            "request URL too long",
            None,
        ),
        ErrorCode::HttpRequestHeaderSectionSize(n) => (
            Denied,
            "HTTP-request-header-section-size",
            "request headers too large",
            number(n),
        ),
        ErrorCode::HttpRequestHeaderSize(p) => (
            Denied,
            "HTTP-request-header-size",
            "request header too large",
            p.as_ref().and_then(|p| text(&p.field_name)),
        ),
        ErrorCode::HttpRequestTrailerSectionSize(_) => (
            Denied,
            "HTTP-request-trailer-section-size",
            "request trailers too large",
            None,
        ),
        ErrorCode::HttpRequestTrailerSize(_) => (
            Denied,
            "HTTP-request-trailer-size",
            "request trailer too large",
            None,
        ),
        ErrorCode::HttpResponseIncomplete => (
            Network,
            "HTTP-response-incomplete",
            "the response ended early",
            None,
        ),
        ErrorCode::HttpResponseHeaderSectionSize(_) => (
            Network,
            "HTTP-response-header-section-size",
            "response headers too large",
            None,
        ),
        ErrorCode::HttpResponseHeaderSize(p) => (
            Network,
            "HTTP-response-header-size",
            "response header too large",
            text(&p.field_name),
        ),
        ErrorCode::HttpResponseBodySize(n) => (
            Network,
            "HTTP-response-body-size",
            "response body too large",
            number(n),
        ),
        ErrorCode::HttpResponseTrailerSectionSize(_) => (
            Network,
            "HTTP-response-trailer-section-size",
            "response trailers too large",
            None,
        ),
        ErrorCode::HttpResponseTrailerSize(_) => (
            Network,
            "HTTP-response-trailer-size",
            "response trailer too large",
            None,
        ),
        ErrorCode::HttpResponseTransferCoding(c) => (
            Network,
            "HTTP-response-transfer-coding",
            "unsupported transfer coding",
            text(c),
        ),
        ErrorCode::HttpResponseContentCoding(c) => (
            Network,
            "HTTP-response-content-coding",
            "unsupported content coding",
            text(c),
        ),
        ErrorCode::HttpResponseTimeout => (
            Network,
            "HTTP-response-timeout",
            "timed out waiting for the response",
            None,
        ),
        ErrorCode::HttpUpgradeFailed => {
            (Network, "HTTP-upgrade-failed", "HTTP upgrade failed", None)
        }
        ErrorCode::HttpProtocolError => {
            (Network, "HTTP-protocol-error", "HTTP protocol error", None)
        }
        ErrorCode::LoopDetected => (Network, "loop-detected", "request loop detected", None),
        ErrorCode::ConfigurationError => (
            Network,
            "configuration-error",
            "the host's HTTP client is misconfigured",
            None,
        ),
        ErrorCode::InternalError(m) => (Network, "internal-error", "HTTP request failed", text(m)),
    }
}

/// The parts of an `http(s)://` URL that `wasi:http` wants separately.
#[derive(Debug, PartialEq, Eq)]
struct Target<'a> {
    https: bool,
    /// Host, optionally with `:port`; IPv6 addresses in brackets.
    authority: &'a str,
    /// Always starts with `/`.
    path_with_query: String,
}

/// Splits `url` into scheme, authority and path-with-query, by hand.
fn parse_url(url: &str) -> Result<Target<'_>, HttpError> {
    if url
        .bytes()
        .any(|b| b.is_ascii_whitespace() || b.is_ascii_control())
    {
        return Err(HttpError::invalid(format!(
            "invalid URL `{url}`: it contains spaces or control characters"
        )));
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(HttpError::invalid(format!(
            "invalid URL `{url}`: it must start with http:// or https://"
        )));
    };
    let https = if scheme.eq_ignore_ascii_case("https") {
        true
    } else if scheme.eq_ignore_ascii_case("http") {
        false
    } else {
        return Err(HttpError::invalid(format!(
            "unsupported URL scheme `{scheme}` in `{url}`: only http:// and https:// work"
        )));
    };
    // The fragment never goes to the server.
    let rest = rest.split('#').next().unwrap_or_default();
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() {
        return Err(HttpError::invalid(format!("invalid URL `{url}`: no host")));
    }
    // `user:password@` is passed on as it is: it is the host's to refuse (and to explain).
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    // A port, if any, follows the last `:` outside IPv6 brackets.
    let host_end = host_port.rfind(']').map_or(0, |i| i + 1);
    if let Some(colon) = host_port[host_end..].rfind(':') {
        let (host, port) = host_port.split_at(host_end + colon);
        let port = &port[1..];
        if host.is_empty() || port.is_empty() || port.parse::<u16>().is_err() {
            return Err(HttpError::invalid(format!(
                "invalid URL `{url}`: bad host or port"
            )));
        }
    }
    if host_port.is_empty() || host_port.starts_with('[') != host_port.contains(']') {
        return Err(HttpError::invalid(format!("invalid URL `{url}`: bad host")));
    }
    let path_with_query = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    Ok(Target {
        https,
        authority,
        path_with_query,
    })
}

fn method_of(method: &str) -> Result<Method, HttpError> {
    let token_char = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if method.is_empty() || !method.bytes().all(token_char) {
        return Err(HttpError::invalid(format!(
            "invalid HTTP method `{method}`"
        )));
    }
    Ok(match method.to_ascii_uppercase().as_str() {
        "GET" => Method::Get,
        "HEAD" => Method::Head,
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "DELETE" => Method::Delete,
        "CONNECT" => Method::Connect,
        "OPTIONS" => Method::Options,
        "TRACE" => Method::Trace,
        "PATCH" => Method::Patch,
        _ => Method::Other(method.to_string()),
    })
}

/// Sends `req` and reads the whole response.
///
/// Blocks until the response has been read to its end or the request failed. Any status
/// code is a [`Response`]; redirects are not followed. `Content-Length` is added for a body
/// unless `req.headers` has one.
///
/// ```no_run
/// # use cove_sdk::prelude::*;
/// # fn f() -> Result<(), http::HttpError> {
/// let response = http::request(
///     http::Request::new("DELETE", "https://api.example.com/v1/locks/deploy")
///         .header("Accept", "application/json"),
/// )?;
/// host::log::info(&format!("unlock: {}", response.status));
/// # Ok(()) }
/// ```
pub fn request(req: Request) -> Result<Response, HttpError> {
    let target = parse_url(&req.url)?;
    let method = method_of(&req.method)?;

    let headers = Fields::new();
    for (name, value) in &req.headers {
        headers
            .append(name, value.as_bytes())
            .map_err(|e| header_error(name, e))?;
    }
    if let Some(body) = &req.body {
        let has_length = req
            .headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
        if !has_length {
            let name = "Content-Length";
            headers
                .append(name, body.len().to_string().as_bytes())
                .map_err(|e| header_error(name, e))?;
        }
    }

    let outgoing = OutgoingRequest::new(headers);
    let refused = |what: &str| HttpError::invalid(format!("the request's {what} was refused"));
    outgoing
        .set_method(&method)
        .map_err(|()| refused("method"))?;
    outgoing
        .set_scheme(Some(&if target.https {
            Scheme::Https
        } else {
            Scheme::Http
        }))
        .map_err(|()| refused("scheme"))?;
    outgoing
        .set_authority(Some(target.authority))
        .map_err(|()| refused("host"))?;
    outgoing
        .set_path_with_query(Some(&target.path_with_query))
        .map_err(|()| refused("path"))?;

    // The body resource must be taken before the request is handed over; it is written
    // after `handle`, so that a body larger than the host's buffer cannot block forever.
    let outgoing_body = outgoing
        .body()
        .map_err(|()| HttpError::invalid("the request body was refused"))?;
    let future = outgoing_handler::handle(outgoing, None).map_err(|e| HttpError::from_code(&e))?;
    let sent = send_body(outgoing_body, req.body.as_deref().unwrap_or_default());

    // Wait for the response head, then check the body went out (an error code from the
    // response is the more precise one when both failed).
    let incoming = {
        let pollable = future.subscribe();
        loop {
            match future.get() {
                Some(Ok(Ok(response))) => break Ok(response),
                Some(Ok(Err(code))) => break Err(HttpError::from_code(&code)),
                Some(Err(())) => {
                    break Err(HttpError::new(
                        HttpErrorKind::Network,
                        "the response was already taken",
                    ));
                }
                None => pollable.block(),
            }
        }
    };
    drop(future);
    let incoming = incoming?;
    sent?;
    read_response(incoming)
}

fn header_error(name: &str, error: HeaderError) -> HttpError {
    match error {
        HeaderError::InvalidSyntax => {
            HttpError::invalid(format!("invalid header `{name}`: bad name or value"))
        }
        HeaderError::Forbidden => HttpError::new(
            HttpErrorKind::Denied,
            format!("the host does not allow plugins to set the header `{name}`"),
        ),
        HeaderError::Immutable => HttpError::invalid(format!("header `{name}` could not be set")),
    }
}

/// Writes `body` to the request's body stream and finishes it (with no trailers).
fn send_body(outgoing_body: OutgoingBody, body: &[u8]) -> Result<(), HttpError> {
    {
        let stream = outgoing_body
            .write()
            .map_err(|()| HttpError::invalid("the request body stream was refused"))?;
        for chunk in body.chunks(WRITE_CHUNK) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|e| stream_error(e, "sending the request body failed"))?;
        }
        // The stream is a child of the body and must be dropped before it is finished.
    }
    OutgoingBody::finish(outgoing_body, None).map_err(|e| HttpError::from_code(&e))
}

fn stream_error(error: StreamError, context: &str) -> HttpError {
    match error {
        StreamError::Closed => HttpError::new(
            HttpErrorKind::Network,
            format!("{context}: the stream closed"),
        ),
        StreamError::LastOperationFailed(e) => {
            match crate::bindings::wasi::http::types::http_error_code(&e) {
                Some(code) => {
                    let mut error = HttpError::from_code(&code);
                    error.message = format!("{context}: {}", error.message);
                    error
                }
                None => HttpError::new(
                    HttpErrorKind::Network,
                    format!("{context}: {}", e.to_debug_string()),
                ),
            }
        }
    }
}

/// Reads status, headers and the whole body of `incoming`.
fn read_response(incoming: IncomingResponse) -> Result<Response, HttpError> {
    let status = incoming.status();
    let headers: Vec<(String, String)> = {
        // A child resource of the response: dropped at the end of this block.
        let fields = incoming.headers();
        fields
            .entries()
            .into_iter()
            .map(|(name, value)| (name, String::from_utf8_lossy(&value).into_owned()))
            .collect()
    };
    let declared = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    if declared.is_some_and(|n| n > MAX_BODY) {
        return Err(too_large());
    }
    let incoming_body = incoming
        .consume()
        .map_err(|()| HttpError::new(HttpErrorKind::Network, "the response body was taken"))?;
    let body = {
        let stream = incoming_body.stream().map_err(|()| {
            HttpError::new(HttpErrorKind::Network, "the response body stream was taken")
        })?;
        read_to_end(&stream, declared.unwrap_or(0))?
    };
    drop(incoming_body);
    drop(incoming);
    Ok(Response {
        status,
        headers,
        body,
    })
}

/// Reads `stream` until it closes, at most [`MAX_BODY`] bytes.
fn read_to_end(stream: &InputStream, expected: usize) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::with_capacity(expected.min(MAX_BODY));
    loop {
        // Ask for one byte more than may still fit, to notice a body over the limit.
        let room = MAX_BODY - body.len();
        let want = READ_CHUNK.min(room + 1);
        // Reserve before reading, so that the chunk lands after `body` in memory and `body`
        // never has to move past it: with the `no_std` bump allocator, `body` then grows in
        // place and every chunk's memory is reclaimed as soon as it is copied.
        if body.capacity() - body.len() < want {
            // Grow geometrically (amortised, for `std`'s allocator), but never past what the
            // limit can use: at most `MAX_BODY` plus one chunk is ever reserved.
            let target = (body.capacity() * 2)
                .max(body.len() + want)
                .min(MAX_BODY + READ_CHUNK);
            body.reserve_exact(target - body.len());
        }
        match stream.blocking_read(want as u64) {
            Ok(chunk) => {
                if chunk.len() > room {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Err(StreamError::Closed) => return Ok(body),
            Err(e) => return Err(stream_error(e, "reading the response failed")),
        }
    }
}

fn too_large() -> HttpError {
    HttpError::new(
        HttpErrorKind::TooLarge,
        format!(
            "the response body is larger than {} MiB",
            MAX_BODY / (1024 * 1024)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn target(url: &str) -> (bool, String, String) {
        let t = parse_url(url).unwrap();
        (t.https, t.authority.to_string(), t.path_with_query)
    }

    #[test]
    fn parses_urls() {
        assert_eq!(
            target("https://api.github.com/repos/o/r/issues/1"),
            (true, "api.github.com".into(), "/repos/o/r/issues/1".into())
        );
        assert_eq!(
            target("http://127.0.0.1:8080"),
            (false, "127.0.0.1:8080".into(), "/".into())
        );
        assert_eq!(
            target("HTTPS://example.com?q=1#frag"),
            (true, "example.com".into(), "/?q=1".into())
        );
        assert_eq!(
            target("http://[::1]:9000/a?b=c/d"),
            (false, "[::1]:9000".into(), "/a?b=c/d".into())
        );
        assert_eq!(target("http://[::1]/"), (false, "[::1]".into(), "/".into()));
        assert_eq!(
            target("http://user:pw@127.0.0.1:8080/x"),
            (false, "user:pw@127.0.0.1:8080".into(), "/x".into())
        );
        assert_eq!(
            target("https://example.com/path#x?y"),
            (true, "example.com".into(), "/path".into())
        );
    }

    #[test]
    fn rejects_bad_urls() {
        for url in [
            "example.com",
            "ftp://example.com/",
            "https://",
            "https:///path",
            "https://example.com:/",
            "https://example.com:99999/",
            "https://example.com:port/",
            "https://exa mple.com/",
            "https://[::1/",
            "https://:80/",
            "https://user@/",
            "https://user@:80/",
        ] {
            let err = parse_url(url).unwrap_err();
            assert_eq!(err.kind(), HttpErrorKind::InvalidRequest, "{url}");
            assert!(err.to_string().contains("URL"), "{url}: {err}");
        }
    }

    #[test]
    fn methods() {
        assert!(matches!(method_of("get").unwrap(), Method::Get));
        assert!(matches!(method_of("PATCH").unwrap(), Method::Patch));
        assert!(matches!(method_of("PURGE").unwrap(), Method::Other(m) if m == "PURGE"));
        assert!(method_of("").is_err());
        assert!(method_of("GE T").is_err());
    }

    #[test]
    fn error_messages() {
        let denied = HttpError::from_code(&ErrorCode::HttpRequestDenied);
        assert!(denied.is_denied());
        assert_eq!(
            denied.to_string(),
            "the host refused the request (not granted) [HTTP-request-denied]"
        );
        assert_eq!(denied.code(), Some("HTTP-request-denied"));
        let cmd: CommandError = denied.into();
        assert!(matches!(cmd, CommandError::Failed(m) if m.contains("not granted")));
        let internal = HttpError::from_code(&ErrorCode::InternalError(Some("boom".into())));
        assert_eq!(
            internal.to_string(),
            "HTTP request failed: boom [internal-error]"
        );
        assert_eq!(too_large().kind(), HttpErrorKind::TooLarge);
    }

    #[test]
    fn response_helpers() {
        let r = Response {
            status: 404,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: b"nope \xff".to_vec(),
        };
        assert_eq!(r.header("Content-Type"), Some("text/plain"));
        assert_eq!(r.header("location"), None);
        assert_eq!(r.reason(), "Not Found");
        assert!(!r.is_success());
        assert_eq!(r.text(), "nope \u{fffd}");
        assert_eq!(reason(299), "");
    }
}
