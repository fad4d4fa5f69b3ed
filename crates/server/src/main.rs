//! The `faultmaven` binary: `serve` runs the HTTP server, `analyze` runs the same pipeline on
//! local files without a server, `score-series` scores one metric series online.

use anyhow::Context;
use clap::{Parser, Subcommand};
use faultmaven_model::AttachmentRole;
use faultmaven_server::config::Config;
use faultmaven_server::dto::TroubleshootResponse;
use faultmaven_server::{analyze_files, assemble, report, router, AppState, InputFile, Limits};
use std::path::PathBuf;
use std::time::Duration;

mod score_series;

#[derive(Parser)]
#[command(
    name = "faultmaven",
    version,
    about = "AI troubleshooting copilot for on-call engineers"
)]
struct Cli {
    /// Configuration file layered over the built-in defaults (also FAULTMAVEN_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and web UI.
    Serve {
        /// Address to listen on (overrides server.bind).
        #[arg(long)]
        bind: Option<String>,
    },
    /// Analyse files in-process and print the findings, hypotheses and answer.
    Analyze {
        /// The question.
        #[arg(long)]
        query: Option<String>,
        /// Known-good data to compare with (repeatable).
        #[arg(long)]
        baseline: Vec<PathBuf>,
        /// Print the API's JSON instead of a report.
        #[arg(long)]
        json: bool,
        /// Do not load the language model: the engine writes the summary itself.
        #[arg(long)]
        no_llm: bool,
        /// Files to investigate.
        files: Vec<PathBuf>,
    },
    /// Score a `timestamp,value` CSV online; writes `timestamp,anomaly_score` to stdout.
    ScoreSeries {
        /// The CSV file.
        file: PathBuf,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    if let Command::ScoreSeries { file } = &cli.command {
        return score_series::run(file, &mut std::io::stdout().lock());
    }
    let mut config = Config::from_process(cli.config.as_deref())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    match cli.command {
        Command::Serve { bind } => {
            if let Some(bind) = bind {
                config.server.bind = bind;
            }
            runtime.block_on(serve(config))
        }
        Command::ScoreSeries { .. } => Ok(()),
        Command::Analyze {
            query,
            baseline,
            json,
            no_llm,
            files,
        } => {
            if files.is_empty() && query.is_none() {
                anyhow::bail!("give at least one FILE or --query");
            }
            if no_llm {
                config.llm.provider = "none".into();
            }
            // The CLI keeps nothing after it exits.
            config.store.sqlite_path = ":memory:".into();
            let inputs: Vec<InputFile> = files
                .into_iter()
                .map(|path| InputFile {
                    path,
                    role: AttachmentRole::Incident,
                })
                .chain(baseline.into_iter().map(|path| InputFile {
                    path,
                    role: AttachmentRole::Baseline,
                }))
                .collect();
            runtime.block_on(async {
                let engine = assemble::build_engine(&config).await?;
                let outcome = analyze_files(&engine, query, &inputs).await?;
                let response = TroubleshootResponse::from(&outcome);
                if json {
                    println!("{}", serde_json::to_string_pretty(&response)?);
                } else {
                    print!("{}", report::render(&response));
                }
                anyhow::Ok(())
            })
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let assemble::Application { engine, runbooks } = assemble::build_application(&config).await?;
    let sweeper = faultmaven_store::spawn_ttl_sweeper(
        engine.store(),
        Duration::from_secs(config.store.sweep_interval_seconds.max(1)),
    );
    let state = AppState {
        engine,
        runbooks,
        limits: Limits {
            max_body_bytes: config.server.max_body_bytes,
            max_files: config.server.max_files,
            max_text_field_bytes: config.server.max_text_field_bytes,
        },
    };
    let listener = tokio::net::TcpListener::bind(&config.server.bind)
        .await
        .with_context(|| format!("binding {}", config.server.bind))?;
    tracing::info!(address = %listener.local_addr()?, "FaultMaven listening: open http://{}/", listener.local_addr()?);
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .context("serving")?;
    sweeper.abort();
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}
