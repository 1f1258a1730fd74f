//! `cove serve`: the HTTP chat endpoint until SIGINT or SIGTERM.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;

use crate::chat::http;
use crate::dispatch::Dispatcher;

/// Where a running server writes the address it listens on, inside the data directory.
pub const ADDR_FILE: &str = "server.addr";

/// Serves until a shutdown signal; in-flight requests finish (or hit their deadline) first.
pub async fn run(dispatcher: Arc<Dispatcher>) -> anyhow::Result<ExitCode> {
    let addr = dispatcher.cove().config.listen;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let local = listener.local_addr()?;
    let cove = dispatcher.cove().clone();
    let (token, created) = crate::admin_api::load_token(
        &cove.config.data_dir,
        std::env::var("COVE_ADMIN_TOKEN").ok(),
    )?;
    // Slack first: a setup problem stops the server before it announces itself.
    let slack = crate::chat::slack::start(&dispatcher)?;
    // Tests and scripts read this line to learn the port when --listen ends in :0; the CLI
    // reads the file to reach this server's admin API while the store is held.
    println!("cove listening on http://{local}");
    let addr_file = cove.config.data_dir.join(ADDR_FILE);
    std::fs::write(&addr_file, local.to_string())
        .with_context(|| format!("cannot write {}", addr_file.display()))?;
    if created {
        let path = cove.config.data_dir.join(crate::admin_api::TOKEN_FILE);
        println!(
            "admin API token (shown once; also in {}): {token}",
            path.display()
        );
    }
    tracing::info!(%local, "listening");
    crate::events::worker::start(cove.clone())?;
    crate::events::schedule::start(cove.clone());
    let router = http::routes(dispatcher)
        .merge(crate::events::hooks::routes(cove.clone()))
        .merge(crate::admin_api::routes(cove.clone(), token.clone()))
        .merge(crate::admin_web::routes(cove, token))
        .merge(slack);
    http::serve(listener, router, shutdown_signal())
        .await
        .context("the HTTP server failed")?;
    let _ = std::fs::remove_file(&addr_file);
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
