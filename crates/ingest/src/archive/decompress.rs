//! Push decompressors for gzip and zstd: compressed bytes in, decompressed bytes out in small
//! steps, so a bomb is stopped by the caller's limits after at most one step's output, never
//! after it has filled memory.

use crate::IngestError;
use flate2::write::MultiGzDecoder;
use std::io::Write;

/// The first two bytes of every gzip stream.
pub(crate) const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// The first four bytes of every zstd frame.
pub(crate) const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];

/// Compressed bytes handed to the decompressor per step: small enough that one step's output
/// (at most the decompressor's buffer, plus its window) stays small.
const COMPRESSED_STEP: usize = 8 * 1024;

/// Size of the zstd output buffer: the most one zstd step produces.
const ZSTD_OUTPUT_BYTES: usize = 64 * 1024;

/// Largest zstd window accepted, as a power of two: 2^27 = 128 MiB is what the zstd command
/// line writes at its highest levels without `--long`. A frame asking for more is refused
/// before its window is allocated.
const ZSTD_WINDOW_LOG_MAX: u32 = 27;

/// Which compression a stream uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Compression {
    Gzip,
    Zstd,
}

impl Compression {
    /// The compression whose magic number starts `head`, if any.
    pub fn detect(head: &[u8]) -> Option<Self> {
        if head.starts_with(&GZIP_MAGIC) {
            Some(Self::Gzip)
        } else if head.starts_with(&ZSTD_MAGIC) {
            Some(Self::Zstd)
        } else {
            None
        }
    }

    /// How many leading bytes [`Compression::detect`] needs.
    pub const MAGIC_BYTES: usize = ZSTD_MAGIC.len();
}

/// The expansion limits of one stream.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RatioLimit {
    /// Most decompressed bytes per compressed byte.
    pub max_ratio: u64,
    /// Output below this size is never held against the ratio.
    pub grace_bytes: u64,
}

impl RatioLimit {
    /// Fails when `produced` bytes from `consumed` compressed bytes exceed the ratio.
    pub fn check(&self, consumed: u64, produced: u64) -> Result<(), IngestError> {
        if produced > self.grace_bytes && produced / consumed.max(1) > self.max_ratio {
            Err(IngestError::CompressionRatioTooHigh {
                limit: self.max_ratio,
            })
        } else {
            Ok(())
        }
    }
}

enum Engine {
    Gzip(Box<MultiGzDecoder<Vec<u8>>>),
    Zstd {
        decoder: Box<zstd::stream::raw::Decoder<'static>>,
        output: Vec<u8>,
        /// zstd's hint of input still needed to end the current frame; 0 at a frame's end.
        frame_pending: bool,
    },
}

/// A push decompressor with a ratio limit. Output goes to a callback whose errors pass
/// through unchanged, so the caller can tell a damaged stream from a failing consumer. The
/// ratio is checked after each step's output went on, so the consumer's own limits (the
/// upload's total) speak first; one step's output is small.
pub(crate) struct StreamDecoder {
    engine: Engine,
    limit: RatioLimit,
    consumed: u64,
    produced: u64,
}

impl StreamDecoder {
    pub fn new(compression: Compression, limit: RatioLimit) -> Result<Self, IngestError> {
        let engine = match compression {
            Compression::Gzip => Engine::Gzip(Box::new(MultiGzDecoder::new(Vec::new()))),
            Compression::Zstd => {
                let mut decoder = zstd::stream::raw::Decoder::new().map_err(corrupt)?;
                decoder
                    .set_parameter(zstd::zstd_safe::DParameter::WindowLogMax(
                        ZSTD_WINDOW_LOG_MAX,
                    ))
                    .map_err(corrupt)?;
                Engine::Zstd {
                    decoder: Box::new(decoder),
                    output: vec![0; ZSTD_OUTPUT_BYTES],
                    frame_pending: true,
                }
            }
        };
        Ok(Self {
            engine,
            limit,
            consumed: 0,
            produced: 0,
        })
    }

    /// Decompresses `data`, handing every piece of output to `emit`.
    pub fn write<E: From<IngestError>>(
        &mut self,
        mut data: &[u8],
        emit: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        while !data.is_empty() {
            let step = &data[..data.len().min(COMPRESSED_STEP)];
            let consumed = match &mut self.engine {
                Engine::Gzip(decoder) => {
                    let consumed = decoder.write(step).map_err(corrupt)?;
                    self.consumed += consumed as u64;
                    drain_gzip(decoder, &mut self.produced, self.consumed, self.limit, emit)?;
                    consumed
                }
                Engine::Zstd {
                    decoder,
                    output,
                    frame_pending,
                } => {
                    use zstd::stream::raw::Operation;
                    let status = decoder.run_on_buffers(step, output).map_err(corrupt)?;
                    note_frame_end(frame_pending, &status);
                    self.consumed += status.bytes_read as u64;
                    self.produced += status.bytes_written as u64;
                    emit(&output[..status.bytes_written])?;
                    self.limit.check(self.consumed, self.produced)?;
                    if status.bytes_read == 0 && status.bytes_written == 0 {
                        return Err(stuck().into());
                    }
                    status.bytes_read
                }
            };
            if consumed == 0 && matches!(self.engine, Engine::Gzip(_)) {
                return Err(stuck().into());
            }
            data = &data[consumed..];
        }
        self.flush(emit)
    }

    /// Drains output still held inside the decompressor (zstd stops when its buffer is full).
    fn flush<E: From<IngestError>>(
        &mut self,
        emit: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        if let Engine::Zstd {
            decoder,
            output,
            frame_pending,
        } = &mut self.engine
        {
            use zstd::stream::raw::Operation;
            loop {
                let status = decoder.run_on_buffers(&[], output).map_err(corrupt)?;
                note_frame_end(frame_pending, &status);
                self.produced += status.bytes_written as u64;
                emit(&output[..status.bytes_written])?;
                self.limit.check(self.consumed, self.produced)?;
                if status.bytes_written < output.len() {
                    break;
                }
            }
        }
        Ok(())
    }

    /// End of the compressed input: fails when the stream stops short.
    pub fn finish<E: From<IngestError>>(
        &mut self,
        emit: &mut dyn FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), E> {
        self.flush(emit)?;
        match &mut self.engine {
            Engine::Gzip(decoder) => {
                // Output still buffered in the decoder goes on even when the stream is cut,
                // so what was readable is kept.
                let finished = decoder.try_finish();
                drain_gzip(decoder, &mut self.produced, self.consumed, self.limit, emit)?;
                Ok(finished.map_err(corrupt)?)
            }
            Engine::Zstd { frame_pending, .. } => {
                if *frame_pending {
                    Err(IngestError::Corrupt {
                        reason: "the zstd stream ends inside a frame".into(),
                    }
                    .into())
                } else {
                    Ok(())
                }
            }
        }
    }

    /// Bytes held in the decompressor's output buffer.
    pub fn buffered_bytes(&self) -> usize {
        match &self.engine {
            Engine::Gzip(decoder) => decoder.get_ref().capacity(),
            Engine::Zstd { output, .. } => output.len(),
        }
    }
}

/// Moves gzip output to `emit`, checking the ratio first.
fn drain_gzip<E: From<IngestError>>(
    decoder: &mut MultiGzDecoder<Vec<u8>>,
    produced: &mut u64,
    consumed: u64,
    limit: RatioLimit,
    emit: &mut dyn FnMut(&[u8]) -> Result<(), E>,
) -> Result<(), E> {
    let mut output = std::mem::take(decoder.get_mut());
    if output.is_empty() {
        *decoder.get_mut() = output;
        return Ok(());
    }
    *produced += output.len() as u64;
    let emitted = emit(&output);
    output.clear();
    *decoder.get_mut() = output;
    emitted?;
    // Checked after the output went on, so the consumer's own limits speak first; one step's
    // output is small.
    Ok(limit.check(consumed, *produced)?)
}

/// zstd returns 0 when a step ends a frame. A step that made no progress returns the header
/// size of a next frame that may never come, so only steps that moved bytes say anything.
fn note_frame_end(frame_pending: &mut bool, status: &zstd::stream::raw::Status) {
    if status.bytes_read > 0 || status.bytes_written > 0 {
        *frame_pending = status.remaining != 0;
    }
}

fn corrupt(error: std::io::Error) -> IngestError {
    IngestError::Corrupt {
        reason: error.to_string(),
    }
}

fn stuck() -> IngestError {
    IngestError::Corrupt {
        reason: "the decompressor accepts no more input".into(),
    }
}
