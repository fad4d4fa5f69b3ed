//! Runs llama.cpp on a GGUF file with a prompt given as token ids (so it sees exactly the tokens
//! our embedded model saw) and prints one tab-separated line of measurements:
//!
//! `load_s  prompt_tokens  prompt_s  generated  generate_s  peak_rss_mb  first_tokens`
//!
//! Usage: `faultmaven-llama-cpp-bench MODEL.gguf PROMPT_IDS_FILE GENERATE THREADS`
//!
//! Greedy sampling; the end-of-generation token does not stop it, so it generates exactly
//! `GENERATE` tokens and the per-token rate compares like for like with our side.

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::LlamaModel;
use llama_cpp_2::sampling::LlamaSampler;
use llama_cpp_2::token::LlamaToken;
use std::error::Error;
use std::num::NonZeroU32;
use std::time::Instant;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, model_path, ids_path, generate, threads] = args.as_slice() else {
        return Err(
            "usage: faultmaven-llama-cpp-bench MODEL.gguf PROMPT_IDS_FILE GENERATE THREADS".into(),
        );
    };
    let generate: usize = generate.parse()?;
    let threads: i32 = threads.parse()?;
    let prompt: Vec<LlamaToken> = std::fs::read_to_string(ids_path)?
        .split_whitespace()
        .map(|id| id.parse::<i32>().map(LlamaToken))
        .collect::<Result<_, _>>()?;
    if prompt.is_empty() {
        return Err("the prompt has no tokens".into());
    }

    let mut backend = LlamaBackend::init()?;
    backend.void_logs();
    let started = Instant::now();
    let model = LlamaModel::load_from_file(&backend, model_path, &LlamaModelParams::default())?;
    let load_seconds = started.elapsed().as_secs_f64();

    let context_tokens = u32::try_from(prompt.len() + generate + 16)?;
    let params = LlamaContextParams::default()
        .with_n_ctx(NonZeroU32::new(context_tokens))
        .with_n_batch(context_tokens)
        .with_n_threads(threads)
        .with_n_threads_batch(threads);
    let mut context = model.new_context(&backend, params)?;
    let mut sampler = LlamaSampler::greedy();

    // Prompt phase: one batch, logits for the last position only.
    let started = Instant::now();
    let mut batch = LlamaBatch::new(prompt.len(), 1);
    let last = prompt.len() - 1;
    for (position, token) in prompt.iter().enumerate() {
        batch.add(*token, i32::try_from(position)?, &[0], position == last)?;
    }
    context.decode(&mut batch)?;
    let mut next = sampler.sample(&context, batch.n_tokens() - 1);
    let prompt_seconds = started.elapsed().as_secs_f64();

    // Generation phase: one forward per further token, as our model does.
    let started = Instant::now();
    let mut generated = vec![next];
    let mut position = i32::try_from(prompt.len())?;
    while generated.len() < generate {
        batch.clear();
        batch.add(next, position, &[0], true)?;
        context.decode(&mut batch)?;
        next = sampler.sample(&context, 0);
        generated.push(next);
        position += 1;
    }
    let generate_seconds = started.elapsed().as_secs_f64();

    let first: Vec<String> = generated.iter().take(16).map(|t| t.0.to_string()).collect();
    println!(
        "{load_seconds:.3}\t{}\t{prompt_seconds:.4}\t{}\t{generate_seconds:.4}\t{}\t{}",
        prompt.len(),
        generated.len() - 1,
        peak_rss_mb(),
        first.join(",")
    );
    Ok(())
}

/// Peak resident memory of this process (VmHWM), in MB.
fn peak_rss_mb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb / 1024)
}
