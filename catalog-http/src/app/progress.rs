//! Import progress for people: a bar per file on a terminal (bytes, lines/s,
//! ETA), one quiet line per file otherwise (CI logs).

use std::io::IsTerminal;
use std::time::Instant;

use catalog_source::{FileReport, ImportObserver, SourceFile};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Shows an import's progress on standard error.
pub struct Progress {
    bars: Option<MultiProgress>,
    current: Option<ProgressBar>,
    started: Instant,
}

impl Progress {
    /// Bars when standard error is a terminal, plain lines otherwise.
    pub fn new() -> Progress {
        let bars = std::io::stderr().is_terminal().then(MultiProgress::new);
        Progress {
            bars,
            current: None,
            started: Instant::now(),
        }
    }
}

impl Default for Progress {
    fn default() -> Progress {
        Progress::new()
    }
}

impl ImportObserver for Progress {
    fn file_started(&mut self, file: SourceFile, bytes: u64) {
        self.started = Instant::now();
        if let Some(bars) = &self.bars {
            let style =
                ProgressStyle::with_template("{prefix:>13} [{bar:30}] {bytes:>10}/{total_bytes:<10} {msg} ETA {eta}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> ");
            let bar = bars.add(ProgressBar::new(bytes).with_style(style).with_prefix(file.file_name()));
            self.current = Some(bar);
        }
    }

    fn advanced(&mut self, _file: SourceFile, bytes: u64, lines: u64) {
        if let Some(bar) = &self.current {
            let rate = lines as f64 / self.started.elapsed().as_secs_f64().max(1e-3);
            bar.set_position(bytes);
            bar.set_message(format!("{lines} lines, {:.0}k lines/s", rate / 1e3));
        }
    }

    fn file_finished(&mut self, report: &FileReport) {
        let seconds = self.started.elapsed().as_secs_f64();
        let summary = format!(
            "{}: {} lines ({} accepted, {} rejected) in {seconds:.1} s",
            report.file.file_name(),
            report.read,
            report.accepted,
            report.rejected
        );
        match self.current.take() {
            Some(bar) => {
                if let Ok(done) = ProgressStyle::with_template("{prefix:>13} [{bar:30}] {msg}") {
                    bar.set_style(done.progress_chars("=> "));
                }
                bar.finish_with_message(summary)
            }
            None => eprintln!("{summary}"),
        }
    }
}
