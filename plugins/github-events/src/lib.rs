//! `github-events`: posts GitHub pushes, pull requests and workflow runs to a channel.
//!
//! Set-up (see `docs/notifications.md`): `cove grant github-events webhook github` (prints
//! the secret to paste into GitHub), `cove grant github-events post github`, and add a
//! webhook in the repository's settings with payload URL `/hooks/github-events/github`,
//! content type `application/json`. The channel is the plugin configuration `channel`
//! (default `github`).
//!
//! | `X-GitHub-Event` | posted |
//! |---|---|
//! | `push` | `📦 alice pushed 2 commits to acme/api main` and the commits |
//! | `pull_request` (opened, closed, reopened, ready_for_review) | `🔀 alice opened acme/api#12: Title` |
//! | `workflow_run` (completed) | `✅ CI succeeded on main in acme/api` |
//! | `ping` | `🔔 GitHub webhook connected for acme/api` |
//!
//! Other events and actions are acknowledged and not posted.

#![no_std]

extern crate alloc;

use cove_sdk::prelude::*;
use serde::Deserialize;

const DEFAULT_CHANNEL: &str = "github";
/// Commits listed for one push.
const MAX_COMMITS: usize = 5;

#[derive(Deserialize, Default)]
#[serde(default)]
struct Payload {
    action: String,
    repository: Repository,
    sender: Account,
    // push
    #[serde(rename = "ref")]
    git_ref: String,
    compare: String,
    commits: Vec<Commit>,
    deleted: bool,
    // pull_request
    pull_request: Option<PullRequest>,
    number: u64,
    // workflow_run
    workflow_run: Option<WorkflowRun>,
    // ping
    zen: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Repository {
    full_name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Account {
    login: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Commit {
    id: String,
    message: String,
    author: CommitAuthor,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CommitAuthor {
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PullRequest {
    title: String,
    html_url: String,
    merged: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WorkflowRun {
    name: String,
    head_branch: String,
    conclusion: Option<String>,
    html_url: String,
    run_number: u64,
}

struct GitHubEvents;

impl Plugin for GitHubEvents {
    fn manifest() -> Manifest {
        Manifest::new(
            "github-events",
            env!("CARGO_PKG_VERSION"),
            "Posts GitHub pushes, pull requests and workflow runs to a channel; \
             `!gh-events` shows the latest ones.",
        )
        .command(Command::new("gh-events", "Show the latest GitHub events posted").example("!gh-events"))
        .webhook("github")
        .post_to(DEFAULT_CHANNEL)
    }

    fn handle_command(_inv: Invocation) -> Result<Reply, CommandError> {
        match kv::get_string("recent") {
            Some(recent) if !recent.is_empty() => Ok(Reply::text(recent)),
            _ => Ok(Reply::text("No GitHub events have been posted yet.")),
        }
    }

    fn handle_event(ev: Event) -> Result<(), CommandError> {
        let kind = ev
            .headers
            .iter()
            .find(|(name, _)| name == "x-github-event")
            .map(|(_, value)| value.as_str())
            .unwrap_or_default();
        let payload: Payload = serde_json::from_slice(&ev.body)
            .map_err(|e| CommandError::failed(format!("not a GitHub webhook payload: {e}")))?;
        let Some(text) = render(kind, &payload) else {
            host::log::debug(&format!("ignoring GitHub event {kind} {}", payload.action));
            return Ok(());
        };
        remember(&text);
        let channel = host::config("channel").unwrap_or_else(|| DEFAULT_CHANNEL.into());
        host::post(&channel, &text).map_err(CommandError::failed)
    }
}

/// Keeps the first lines of the last ten posts for `!gh-events`.
fn remember(text: &str) {
    let first = text.lines().next().unwrap_or_default();
    let mut recent: Vec<String> = kv::get_string("recent")
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect();
    recent.insert(0, first.to_string());
    recent.truncate(10);
    let _ = kv::set_string("recent", &recent.join("\n"));
}

/// The message for one event, or `None` for events not worth a post.
fn render(kind: &str, p: &Payload) -> Option<String> {
    let repo = &p.repository.full_name;
    let who = &p.sender.login;
    match kind {
        "push" => Some(push(p)),
        "pull_request" => {
            let pr = p.pull_request.as_ref()?;
            let verb = match p.action.as_str() {
                "closed" if pr.merged => "merged",
                "opened" | "closed" | "reopened" => p.action.as_str(),
                "ready_for_review" => "marked ready for review",
                _ => return None,
            };
            Some(format!("🔀 {who} {verb} {repo}#{}: {} — {}", p.number, pr.title, pr.html_url))
        }
        "workflow_run" if p.action == "completed" => {
            let run = p.workflow_run.as_ref()?;
            let (icon, word) = match run.conclusion.as_deref() {
                Some("success") => ("✅", "succeeded"),
                Some("failure") => ("❌", "failed"),
                Some("cancelled") => ("⚪", "was cancelled"),
                Some(other) => ("⚠️", other),
                None => ("⚠️", "finished"),
            };
            Some(format!(
                "{icon} {} {word} on {} in {repo} (run #{}) — {}",
                run.name, run.head_branch, run.run_number, run.html_url
            ))
        }
        "ping" => Some(format!("🔔 GitHub webhook connected for {repo}. {}", p.zen)),
        _ => None,
    }
}

fn push(p: &Payload) -> String {
    let repo = &p.repository.full_name;
    let branch = p
        .git_ref
        .strip_prefix("refs/heads/")
        .or_else(|| p.git_ref.strip_prefix("refs/tags/"))
        .unwrap_or(&p.git_ref);
    if p.deleted {
        return format!("🗑️ {} deleted {branch} in {repo}", p.sender.login);
    }
    let n = p.commits.len();
    let mut out = format!(
        "📦 {} pushed {n} commit{} to {repo} {branch}",
        p.sender.login,
        if n == 1 { "" } else { "s" }
    );
    if !p.compare.is_empty() {
        out.push_str(&format!(" — {}", p.compare));
    }
    for commit in p.commits.iter().take(MAX_COMMITS) {
        let short = commit.id.get(..7).unwrap_or(&commit.id);
        let title = commit.message.lines().next().unwrap_or_default();
        out.push_str(&format!("\n• {short} {title} ({})", commit.author.name));
    }
    if n > MAX_COMMITS {
        out.push_str(&format!("\n… and {} more", n - MAX_COMMITS));
    }
    out
}

cove_sdk::export_plugin!(GitHubEvents);
