//! The scenario evaluation: runs every scenario of `evals/scenarios/` through the real
//! `faultmaven serve` (a child process on a free port with a temporary SQLite file), exactly as
//! the web UI calls it (a multipart `POST /api/v1/troubleshoot` with `query`, `file` and
//! `baseline` parts), and prints top-1/top-3 root-cause accuracy, key next steps, citation
//! validity, hallucinated entities, latency and a reliability table, for the dev and holdout
//! splits and all scenarios. `./scripts/eval scenarios` builds and runs it.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod report;
mod scenario;
mod score;

use anyhow::{bail, Context};
use clap::Parser;
use faultmaven_server::dto::TroubleshootResponse;
use report::Outcome;
use scenario::{FileRole, Scenario, Split};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(about = "Scores FaultMaven's answers on the incident scenarios of evals/scenarios")]
struct Args {
    /// The `faultmaven` binary to start.
    #[arg(long)]
    server_bin: PathBuf,
    /// Folder of scenarios (one sub-folder each, with scenario.toml).
    #[arg(long, default_value = "evals/scenarios")]
    scenarios: PathBuf,
    /// `embedded` (default), `none` (the engine writes the summary), `openai` or `anthropic`.
    /// The API key of a remote model comes from FAULTMAVEN__LLM__API_KEY.
    #[arg(long, default_value = "embedded")]
    llm: String,
    /// Remote model's base URL (FAULTMAVEN__LLM__BASE_URL).
    #[arg(long)]
    llm_base_url: Option<String>,
    /// Remote model's name (FAULTMAVEN__LLM__MODEL).
    #[arg(long)]
    llm_model: Option<String>,
    /// Only this split: `dev` while improving the product, `holdout` never then.
    #[arg(long, default_value = "all")]
    split: String,
    /// Only these scenarios (repeatable).
    #[arg(long)]
    only: Vec<String>,
    /// Repository root, for the runbook library and the product's wording.
    #[arg(long, default_value = ".")]
    repo: PathBuf,
    /// Seconds one request may take before it counts as an error.
    #[arg(long, default_value_t = 600.0)]
    timeout_seconds: f64,
    /// Stop sending new scenarios after this many seconds and report those that ran (a slow
    /// model on a busy machine); the report says how many were skipped.
    #[arg(long)]
    max_seconds: Option<f64>,
    /// Write each response as `<scenario>.json` into this folder, for reading.
    #[arg(long)]
    dump: Option<PathBuf>,
}

/// The server child process; killed when dropped.
struct Server {
    child: Child,
    base_url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?.port())
}

fn start_server(args: &Args, dir: &Path) -> anyhow::Result<Server> {
    let port = free_port()?;
    let log = std::fs::File::create(dir.join("server.log"))?;
    let mut command = Command::new(&args.server_bin);
    command
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .env("FAULTMAVEN__STORE__SQLITE_PATH", dir.join("eval.sqlite"))
        .env("FAULTMAVEN__LLM__PROVIDER", &args.llm)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log);
    if let Some(url) = &args.llm_base_url {
        command.env("FAULTMAVEN__LLM__BASE_URL", url);
    }
    if let Some(model) = &args.llm_model {
        command.env("FAULTMAVEN__LLM__MODEL", model);
    }
    let child = command
        .spawn()
        .with_context(|| format!("starting {}", args.server_bin.display()))?;
    Ok(Server {
        child,
        base_url: format!("http://127.0.0.1:{port}"),
    })
}

async fn wait_ready(server: &mut Server, client: &reqwest::Client) -> anyhow::Result<String> {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        if let Some(status) = server.child.try_wait()? {
            bail!("the server exited before it was ready ({status}); see its log");
        }
        if let Ok(response) = client
            .get(format!("{}/readyz", server.base_url))
            .send()
            .await
        {
            if response.status().is_success() {
                let health: serde_json::Value = response.json().await?;
                return Ok(health["llm"].as_str().unwrap_or("?").to_owned());
            }
        }
        if Instant::now() > deadline {
            bail!("the server was not ready after 300 s");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

async fn ask(
    client: &reqwest::Client,
    base_url: &str,
    scenario: &Scenario,
) -> anyhow::Result<TroubleshootResponse> {
    let mut form = reqwest::multipart::Form::new().text("query", scenario.spec.question.clone());
    // Incident files first, then baselines, as the web UI sends them.
    for role in [FileRole::Incident, FileRole::Baseline] {
        for (file, bytes) in scenario.files.iter().filter(|(f, _)| f.role == role) {
            let field = if role == FileRole::Incident {
                "file"
            } else {
                "baseline"
            };
            let part = reqwest::multipart::Part::bytes(bytes.clone()).file_name(file.name.clone());
            form = form.part(field, part);
        }
    }
    let response = client
        .post(format!("{base_url}/api/v1/troubleshoot"))
        .multipart(form)
        .send()
        .await?;
    let status = response.status();
    if !status.is_success() {
        bail!(
            "HTTP {status}: {}",
            response.text().await.unwrap_or_default()
        );
    }
    Ok(response.json().await?)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let wanted_split = match args.split.as_str() {
        "all" => None,
        "dev" => Some(Split::Dev),
        "holdout" => Some(Split::Holdout),
        other => bail!("--split must be dev, holdout or all, not {other:?}"),
    };
    let scenarios: Vec<Scenario> = Scenario::load_all(&args.scenarios)?
        .into_iter()
        .filter(|s| wanted_split.is_none_or(|split| s.spec.split == split))
        .filter(|s| args.only.is_empty() || args.only.contains(&s.id))
        .collect();
    if scenarios.is_empty() {
        bail!("no scenario selected under {}", args.scenarios.display());
    }
    let product_words = score::product_words(&score::read_product_text(&args.repo)?);
    let mut kinds: Vec<&str> = scenarios
        .iter()
        .flat_map(|s| s.spec.files.iter().map(|f| f.kind.as_str()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    eprintln!("data kinds: {}", kinds.join(", "));

    let dir = tempfile::tempdir()?;
    let mut server = start_server(&args, dir.path())?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs_f64(args.timeout_seconds))
        .build()?;
    let model = match wait_ready(&mut server, &client).await {
        Ok(model) => model,
        Err(error) => {
            let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap_or_default();
            bail!("{error:#}\n--- server log ---\n{log}");
        }
    };
    eprintln!(
        "server ready at {} (model {model}); {} scenarios",
        server.base_url,
        scenarios.len()
    );

    let mut outcomes = Vec::new();
    let started_all = Instant::now();
    let mut skipped = 0usize;
    for scenario in &scenarios {
        if args
            .max_seconds
            .is_some_and(|limit| started_all.elapsed().as_secs_f64() > limit)
        {
            skipped += 1;
            continue;
        }
        let started = Instant::now();
        let result = ask(&client, &server.base_url, scenario).await;
        let seconds = started.elapsed().as_secs_f64();
        let vocabulary = score::Vocabulary::new(scenario, &product_words);
        let truth = &scenario.spec.truth;
        let (score, top) = match result {
            Ok(response) => {
                if let Some(folder) = &args.dump {
                    std::fs::create_dir_all(folder)?;
                    let path = folder.join(format!("{}.json", scenario.id));
                    std::fs::write(&path, serde_json::to_vec_pretty(&response)?)?;
                }
                (
                    Ok(score::score_response(&response, scenario, &vocabulary)),
                    response
                        .hypotheses
                        .iter()
                        .take(3)
                        .map(|h| {
                            let suspects: Vec<&str> =
                                h.suspects.iter().map(|s| s.name.as_str()).collect();
                            format!(
                                "{}: {} [suspects: {}]",
                                h.category,
                                h.title,
                                suspects.join(", ")
                            )
                        })
                        .collect(),
                )
            }
            Err(error) => (Err(format!("{error:#}")), vec![]),
        };
        eprintln!(
            "  {:38} {:6.2}s rank {}",
            scenario.id,
            seconds,
            match &score {
                Ok(s) => s.rank.map_or("-".into(), |r| r.to_string()),
                Err(e) => format!("error: {e}"),
            }
        );
        outcomes.push(Outcome {
            id: scenario.id.clone(),
            split: scenario.spec.split,
            truth: format!("{}/{}", truth.category, truth.component),
            description: scenario.spec.description.clone(),
            seconds,
            score,
            top,
        });
    }
    drop(server);
    print!("{}", report::render(&outcomes, &model));
    if skipped > 0 {
        println!(
            "\nPARTIAL RUN: {skipped} of {} scenarios were not sent (--max-seconds {}).",
            scenarios.len(),
            args.max_seconds.unwrap_or_default()
        );
    }
    Ok(())
}
