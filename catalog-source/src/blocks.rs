//! Splitting a file's lines into fields on every core, handed back in file order.
//!
//! One thread cuts the file into blocks of whole lines, worker threads split
//! each block's lines into fields (UTF-8, NUL and quoting checks included:
//! the bulk of an import's reading), and the calling thread gets the lines
//! back one by one in their order in the file, so everything that depends on
//! order (first occurrence wins, line numbers, the sink) stays sequential.

use std::collections::BTreeMap;
use std::io::{self, Read};
use std::thread;

use crossbeam_channel::{Receiver, Sender, bounded};

use crate::line::{LineSplitter, Split};
use crate::reject::RejectReason;

/// Bytes read per block (a block grows to hold a longer line).
const BLOCK_BYTES: usize = 1 << 20;

/// Blocks waiting for a worker, per worker.
const QUEUED_PER_WORKER: usize = 2;

/// One line of a file as the reader sees it.
pub(crate) struct Line<'a> {
    /// The raw line, without its line break.
    pub(crate) raw: &'a [u8],
    /// How many bytes of the file it took, line break included.
    pub(crate) bytes: usize,
    /// Its fields, or why it cannot be split into `expected` of them.
    pub(crate) fields: Result<Split<'a>, RejectReason>,
}

/// A run of whole lines, split into fields.
struct SplitBlock {
    /// The raw lines, line breaks included.
    input: Vec<u8>,
    /// Every line's decoded fields, back to back.
    output: String,
    /// Where each field ends in `output`.
    ends: Vec<usize>,
    lines: Vec<SplitLine>,
}

/// Where one line of a [`SplitBlock`] is.
struct SplitLine {
    /// Where the raw line ends in `input`, line break included.
    raw_end: usize,
    /// Its fields: where they start in `output` and their ends in `ends`.
    fields: Result<(usize, std::ops::Range<usize>), RejectReason>,
}

impl SplitBlock {
    fn new(input: Vec<u8>, expected: usize, splitter: &mut LineSplitter) -> SplitBlock {
        let mut block = SplitBlock {
            output: String::with_capacity(input.len()),
            ends: Vec::with_capacity(input.len() / 16),
            lines: Vec::with_capacity(input.len() / 64),
            input: Vec::new(),
        };
        let mut start = 0;
        while start < input.len() {
            let raw_end = memchr::memchr(b'\n', &input[start..]).map_or(input.len(), |at| start + at + 1);
            let fields = splitter
                .split(trim_line_break(&input[start..raw_end]), expected)
                .map(|split| {
                    let base = block.output.len();
                    let first_end = block.ends.len();
                    block.output.push_str(split.text());
                    block.ends.extend(split.relative_ends().map(|end| base + end));
                    (base, first_end..block.ends.len())
                });
            block.lines.push(SplitLine { raw_end, fields });
            start = raw_end;
        }
        block.input = input;
        block
    }

    fn lines(&self) -> impl Iterator<Item = Line<'_>> {
        let mut start = 0;
        self.lines.iter().map(move |line| {
            let taken = &self.input[start..line.raw_end];
            start = line.raw_end;
            Line {
                raw: trim_line_break(taken),
                bytes: taken.len(),
                fields: line
                    .fields
                    .clone()
                    .map(|(base, ends)| Split::new(&self.output, base, &self.ends[ends])),
            }
        })
    }
}

/// Strips a trailing `\n` or `\r\n`.
pub(crate) fn trim_line_break(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Why [`for_each_line`] stopped early.
pub(crate) enum Stopped<E> {
    /// Reading the file failed.
    Read(io::Error),
    /// `each` returned an error.
    Each(E),
}

/// Calls `each` on every line of `source`, in order, each split into
/// `expected` fields on one of `workers` threads.
pub(crate) fn for_each_line<E>(
    source: impl Read + Send,
    expected: usize,
    workers: usize,
    mut each: impl FnMut(Line<'_>) -> Result<(), E>,
) -> Result<(), Stopped<E>> {
    let workers = workers.max(1);
    thread::scope(|scope| {
        let (raw_sender, raw_receiver) = bounded::<(u64, Vec<u8>)>(workers * QUEUED_PER_WORKER);
        let (split_sender, split_receiver) = bounded::<(u64, SplitBlock)>(workers * QUEUED_PER_WORKER);
        let reader = scope.spawn(move || cut_blocks(source, &raw_sender));
        for _ in 0..workers {
            let (raw, split) = (raw_receiver.clone(), split_sender.clone());
            scope.spawn(move || split_blocks(&raw, &split, expected));
        }
        drop((raw_receiver, split_sender));
        // Blocks split ahead of the next one in order wait here: as many as
        // the other workers split while one works on that block (after a
        // worker's panic, the rest of the file; the panic is raised at the end).
        let mut waiting = BTreeMap::new();
        let mut next = 0u64;
        for (sequence, block) in &split_receiver {
            waiting.insert(sequence, block);
            while let Some(block) = waiting.remove(&next) {
                for line in block.lines() {
                    each(line).map_err(Stopped::Each)?;
                }
                next += 1;
            }
        }
        // Every worker is done, so the reader is too.
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            .map_err(Stopped::Read)
    })
}

/// Reads `source` into numbered blocks of whole lines until it ends or
/// nobody listens.
fn cut_blocks(mut source: impl Read, blocks: &Sender<(u64, Vec<u8>)>) -> io::Result<()> {
    let mut carried = Vec::new();
    for sequence in 0.. {
        let mut block = std::mem::take(&mut carried);
        let mut ended = false;
        let cut = loop {
            let before = block.len();
            if let Err(error) = (&mut source).take(BLOCK_BYTES as u64).read_to_end(&mut block) {
                // The whole lines read before the failure are handed over
                // first, as a line-by-line reader would have.
                if let Some(last_break) = memchr::memrchr(b'\n', &block) {
                    block.truncate(last_break + 1);
                    let _ = blocks.send((sequence, block));
                }
                return Err(error);
            }
            ended = ended || block.len() == before;
            if ended {
                break block.len();
            }
            if let Some(last_break) = memchr::memrchr(b'\n', &block[before..]) {
                break before + last_break + 1;
            }
        };
        carried.extend_from_slice(&block[cut..]);
        block.truncate(cut);
        if block.is_empty() || blocks.send((sequence, block)).is_err() {
            return Ok(());
        }
        if ended {
            return Ok(());
        }
    }
    Ok(())
}

/// Splits blocks from `raw` into `split` until either side closes.
fn split_blocks(raw: &Receiver<(u64, Vec<u8>)>, split: &Sender<(u64, SplitBlock)>, expected: usize) {
    let mut splitter = LineSplitter::new();
    for (sequence, input) in raw {
        if split
            .send((sequence, SplitBlock::new(input, expected, &mut splitter)))
            .is_err()
        {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of `text`, its byte count and its second field, split by `workers` workers.
    fn read_all(text: &str, workers: usize) -> Vec<(String, usize, Result<String, RejectReason>)> {
        let mut seen = Vec::new();
        let outcome = for_each_line(text.as_bytes(), 2, workers, |line| {
            let raw = String::from_utf8_lossy(line.raw).into_owned();
            seen.push((raw, line.bytes, line.fields.map(|split| split.field(1).to_owned())));
            Ok::<(), ()>(())
        });
        assert!(outcome.is_ok());
        seen
    }

    #[test]
    fn lines_come_back_in_order_with_their_fields_and_sizes() {
        let lines: Vec<String> = (0..200_000).map(|i| format!("{i},\"v,{i}\"")).collect();
        let mut text = lines.join("\r\n");
        text.push_str("\nbroken,\"open\nlast,line");
        let seen = read_all(&text, 3);
        assert_eq!(seen.len(), 200_002);
        for (i, (raw, bytes, field)) in seen.iter().take(200_000).enumerate() {
            assert_eq!(raw, &lines[i]);
            assert_eq!(*field.as_ref().unwrap(), format!("v,{i}"));
            assert_eq!(*bytes, lines[i].len() + if i == 199_999 { 1 } else { 2 });
        }
        assert_eq!(seen[200_000].2, Err(RejectReason::UnterminatedQuote));
        assert_eq!(seen[200_001], ("last,line".to_owned(), 9, Ok("line".to_owned())));
        let total: usize = seen.iter().map(|(_, bytes, _)| bytes).sum();
        assert_eq!(total, text.len());
    }

    #[test]
    fn a_line_longer_than_a_block_is_one_line() {
        let long = format!("1,{}\n2,b\n", "x".repeat(3 * BLOCK_BYTES));
        let seen = read_all(&long, 2);
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].2.as_ref().unwrap().len(), 3 * BLOCK_BYTES);
        assert_eq!(seen[1].0, "2,b");
    }

    #[test]
    fn an_error_of_the_caller_stops_the_reading() {
        let text = "1,a\n".repeat(1_000_000);
        let mut calls = 0;
        let outcome = for_each_line(text.as_bytes(), 2, 2, |_| {
            calls += 1;
            if calls == 10 { Err("enough") } else { Ok(()) }
        });
        assert!(matches!(outcome, Err(Stopped::Each("enough"))));
        assert_eq!(calls, 10);
    }

    #[test]
    fn a_read_error_is_reported_after_the_whole_lines_read_before_it() {
        /// Gives `lines`, then half a line, then fails.
        struct Failing(io::Cursor<Vec<u8>>);
        impl Read for Failing {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                match self.0.read(buf)? {
                    0 => Err(io::Error::other("disk gone")),
                    read => Ok(read),
                }
            }
        }
        let mut text = "1,a\n".repeat(1000);
        text.push_str("2,half");
        let mut seen = 0;
        let outcome = for_each_line(Failing(io::Cursor::new(text.into_bytes())), 2, 2, |line| {
            assert_eq!(line.raw, b"1,a");
            seen += 1;
            Ok::<(), ()>(())
        });
        assert!(matches!(outcome, Err(Stopped::Read(error)) if error.to_string() == "disk gone"));
        assert_eq!(seen, 1000);
    }
}
