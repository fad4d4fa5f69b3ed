//! One-time conversion of a GGUF's weights to Q8_0, cached next to the original.
//!
//! candle has no SIMD kernel for Q4_1 and falls back to scalar code; Q8_0 runs about 6 times
//! faster on the same CPU (measured in ../shared/notes/embedded-models.md) for ~50 MB more.

use crate::LlmError;
use candle_core::quantized::{gguf_file, GgmlDType, QTensor};
use candle_core::Device;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

/// Bumped when the conversion changes, so older cached files are rebuilt.
const CONVERTER_VERSION: u32 = 1;
const KEY_CONVERTER_VERSION: &str = "faultmaven.q8_0.converter_version";
const KEY_SOURCE_SIZE: &str = "faultmaven.q8_0.source_size";
const KEY_SOURCE_MODIFIED: &str = "faultmaven.q8_0.source_modified_nanos";
/// llama.cpp's `LLAMA_FTYPE_MOSTLY_Q8_0`.
const FILE_TYPE_MOSTLY_Q8_0: u32 = 7;

/// Where the converted copy of `original` lives: same directory, the quantisation tag in the name
/// replaced (`SmolLM2-135M-Instruct.Q4_1.gguf` -> `SmolLM2-135M-Instruct.q8_0.gguf`).
pub fn converted_path(original: &Path) -> PathBuf {
    let file_name = original
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = file_name.strip_suffix(".gguf").unwrap_or(&file_name);
    let stem = match stem.rsplit_once('.') {
        Some((base, tag)) if looks_like_quantisation_tag(tag) => base,
        _ => stem,
    };
    original.with_file_name(format!("{stem}.q8_0.gguf"))
}

fn looks_like_quantisation_tag(tag: &str) -> bool {
    let mut characters = tag.chars();
    matches!(characters.next(), Some('q' | 'Q' | 'f' | 'F'))
        && characters.next().is_some_and(|c| c.is_ascii_digit())
}

/// Identifies the original file cheaply (no hashing of 100 MB at every start): if it is replaced,
/// its size or modification time changes and the cache is rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SourceFingerprint {
    size: u64,
    modified_nanos: u64,
}

impl SourceFingerprint {
    fn of(path: &Path) -> std::io::Result<Self> {
        let metadata = std::fs::metadata(path)?;
        let modified_nanos = metadata
            .modified()?
            .duration_since(UNIX_EPOCH)
            .map(|elapsed| u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        Ok(Self {
            size: metadata.len(),
            modified_nanos,
        })
    }

    fn recorded_in(content: &gguf_file::Content) -> Option<(u32, Self)> {
        let get = |key: &str| content.metadata.get(key);
        Some((
            get(KEY_CONVERTER_VERSION)?.to_u32().ok()?,
            Self {
                size: get(KEY_SOURCE_SIZE)?.to_u64().ok()?,
                modified_nanos: get(KEY_SOURCE_MODIFIED)?.to_u64().ok()?,
            },
        ))
    }
}

/// Whether `converted` is a finished conversion of `original` as it is now.
pub fn is_current(original: &Path, converted: &Path) -> bool {
    let Ok(fingerprint) = SourceFingerprint::of(original) else {
        return false;
    };
    let Ok(file) = File::open(converted) else {
        return false;
    };
    let Ok(content) = gguf_file::Content::read(&mut BufReader::new(file)) else {
        return false;
    };
    SourceFingerprint::recorded_in(&content) == Some((CONVERTER_VERSION, fingerprint))
}

/// Writes the Q8_0 copy of `original` to [`converted_path`]: to a temporary name first, renamed
/// when complete, so a crash or a concurrent start never leaves a half-written file in its place.
pub fn convert_to_q8_0(original: &Path) -> Result<PathBuf, LlmError> {
    let converted = converted_path(original);
    let fingerprint = SourceFingerprint::of(original).map_err(|e| LlmError::load(original, e))?;
    let mut reader = BufReader::new(File::open(original).map_err(|e| LlmError::load(original, e))?);
    let content = gguf_file::Content::read(&mut reader).map_err(|e| LlmError::load(original, e))?;

    let device = Device::Cpu;
    let mut names: Vec<&String> = content.tensor_infos.keys().collect();
    names.sort();
    let mut tensors = Vec::with_capacity(names.len());
    for name in names {
        let tensor = content
            .tensor(&mut reader, name, &device)
            .map_err(|e| LlmError::load(original, e))?;
        let tensor = requantize(tensor).map_err(|e| LlmError::load(original, e))?;
        tensors.push((name.as_str(), tensor));
    }

    let mut metadata: Vec<(&str, gguf_file::Value)> = content
        .metadata
        .iter()
        .filter(|(key, _)| !key.starts_with("faultmaven."))
        .map(|(key, value)| (key.as_str(), value.clone()))
        .collect();
    metadata.sort_by(|a, b| a.0.cmp(b.0));
    for (key, value) in &mut metadata {
        if *key == "general.file_type" {
            *value = gguf_file::Value::U32(FILE_TYPE_MOSTLY_Q8_0);
        }
    }
    metadata.push((
        KEY_CONVERTER_VERSION,
        gguf_file::Value::U32(CONVERTER_VERSION),
    ));
    metadata.push((KEY_SOURCE_SIZE, gguf_file::Value::U64(fingerprint.size)));
    metadata.push((
        KEY_SOURCE_MODIFIED,
        gguf_file::Value::U64(fingerprint.modified_nanos),
    ));

    // Unique per process and per call: two loads racing (in one process or several) each write
    // their own file, and whichever renames last wins with an identical result.
    static CONVERSIONS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let attempt = CONVERSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let temporary =
        converted.with_extension(format!("gguf.partial-{}-{attempt}", std::process::id()));
    let written = write_gguf(&temporary, &metadata, &tensors)
        .and_then(|()| std::fs::rename(&temporary, &converted).map_err(|e| e.to_string()));
    if let Err(message) = written {
        // Only our own temporary file is removed; a failed rename leaves the target untouched.
        let _ = std::fs::remove_file(&temporary);
        return Err(LlmError::load(&converted, message));
    }
    Ok(converted)
}

/// Whether any tensor of `content` would change in a Q8_0 conversion.
pub fn needs_conversion(content: &gguf_file::Content) -> bool {
    content.tensor_infos.values().any(|info| {
        let row_length = info.shape.dims().last().copied().unwrap_or(0);
        !keeps_dtype(info.ggml_dtype) && row_length % GgmlDType::Q8_0.block_size() == 0
    })
}

fn keeps_dtype(dtype: GgmlDType) -> bool {
    matches!(
        dtype,
        GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16 | GgmlDType::Q8_0
    )
}

/// Q8_0 for every quantised tensor with a block-aligned row; float tensors (norms) and tensors that
/// are already Q8_0 stay as they are.
fn requantize(tensor: QTensor) -> candle_core::Result<QTensor> {
    let keep = keeps_dtype(tensor.dtype());
    let row_length = tensor.shape().dims().last().copied().unwrap_or(0);
    if keep || row_length % GgmlDType::Q8_0.block_size() != 0 {
        return Ok(tensor);
    }
    let dequantized = tensor.dequantize(&Device::Cpu)?;
    QTensor::quantize(&dequantized, GgmlDType::Q8_0)
}

fn write_gguf(
    path: &Path,
    metadata: &[(&str, gguf_file::Value)],
    tensors: &[(&str, QTensor)],
) -> Result<(), String> {
    let file = File::create(path).map_err(|e| e.to_string())?;
    let mut writer = BufWriter::new(file);
    let metadata: Vec<(&str, &gguf_file::Value)> =
        metadata.iter().map(|(key, value)| (*key, value)).collect();
    let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(name, t)| (*name, t)).collect();
    gguf_file::write(&mut writer, &metadata, &tensors).map_err(|e| e.to_string())?;
    let file = writer.into_inner().map_err(|e| e.to_string())?;
    file.sync_all().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(original: &str, expected: &str) {
        assert_eq!(converted_path(Path::new(original)), PathBuf::from(expected));
    }

    #[test]
    fn converted_file_sits_next_to_the_original() {
        check(
            "/m/smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
            "/m/smollm2/SmolLM2-135M-Instruct.q8_0.gguf",
        );
        check("/m/model.gguf", "/m/model.q8_0.gguf");
        check("/m/v1.5-model.F16.gguf", "/m/v1.5-model.q8_0.gguf");
        check("/m/name.with.dots.gguf", "/m/name.with.dots.q8_0.gguf");
    }
}
