//! Logging: `tracing` to standard error, filtered by the `log` setting (or `RUST_LOG`). Each HTTP
//! request is one line when its span closes (method, path, status, time).

use std::io::IsTerminal;

use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::EnvFilter;

/// Install the global subscriber once; later calls (tests start many apps) are no-ops.
pub fn init(filter: &str) {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
        .unwrap_or_else(|| EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .with_span_events(FmtSpan::CLOSE)
        .try_init();
}

/// The root span of an HTTP request: tracing-actix-web's own, but only when it will be recorded.
/// Its fields are computed before the span is created — the matched route pattern (a second walk
/// of the router), the connection info, a request id — about a tenth of a module page's CPU
/// when `log = warn` records none of them.
pub struct RequestSpan;

/// Where tracing-actix-web creates its root span (the target its filter directives name).
const ROOT_SPAN_TARGET: &str = "tracing_actix_web::root_span_builder";

impl tracing_actix_web::RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        if tracing::enabled!(target: ROOT_SPAN_TARGET, tracing::Level::INFO) {
            tracing_actix_web::DefaultRootSpanBuilder::on_request_start(request)
        } else {
            tracing::Span::none()
        }
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome)
    }
}
