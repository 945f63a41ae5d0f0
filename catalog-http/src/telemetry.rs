//! Where log lines go and in which form.

use tracing_subscriber::EnvFilter;

use crate::cli::LogFormat;

/// Logs to stderr at the levels `RUST_LOG` asks for (default: `info`, warp's
/// own at `warn`), as text or as one JSON object per line.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,warp=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(false).init(),
    }
}
