//! `gh`: GitHub issues and open pull requests in chat.
//!
//! - `!gh issue owner/repo#12` → `#12 Fix the flux capacitor (open) by alice — <url>`
//! - `!gh prs owner/repo` → one line per open pull request (the 10 most recent)
//!
//! The plugin never sees a token. Its manifest asks Cove to inject the secret
//! `GITHUB_TOKEN` into requests to `api.github.com`; an admin grants that with
//! `cove grant github net api.github.com` and
//! `cove grant github secret GITHUB_TOKEN --inject api.github.com`. Without a token, public
//! repositories still work within GitHub's anonymous rate limit.
//!
//! The API base URL is the plugin configuration `api_url` (default
//! `https://api.github.com`; GitHub Enterprise uses `https://<host>/api/v3`).

#![no_std]

use cove_sdk::http::{self, Response};
use cove_sdk::prelude::*;
use serde::Deserialize;

const DEFAULT_API: &str = "https://api.github.com";
const USAGE: &str = "!gh issue <owner/repo#number> | !gh prs <owner/repo>";

struct GitHub;

impl Plugin for GitHub {
    fn manifest() -> Manifest {
        Manifest::new(
            "github",
            env!("CARGO_PKG_VERSION"),
            "GitHub issues and pull requests. Reads the API with the token the host injects \
             (GITHUB_TOKEN, for api.github.com).",
        )
        .command(
            Command::new(
                "gh",
                "Show a GitHub issue or a repository's open pull requests",
            )
            .arg(Arg::text("action").describe("issue or prs"))
            .arg(Arg::text("target").describe("owner/repo#number or owner/repo"))
            .usage(USAGE)
            .example("!gh issue rust-lang/rust#1")
            .example("!gh prs rust-lang/cargo"),
        )
        .host("api.github.com")
        .inject("GITHUB_TOKEN", "api.github.com")
    }

    fn handle_command(inv: Invocation) -> Result<Reply, CommandError> {
        let action = inv.arg(0).unwrap_or_default();
        let target = inv.arg(1).unwrap_or_default().trim();
        match action.to_ascii_lowercase().as_str() {
            "issue" | "pr" => {
                let (repo, number) = issue_ref(target)?;
                issue(&repo, number)
            }
            "prs" | "pulls" => prs(&repo_ref(target)?),
            "" => Err(CommandError::usage("say what to show: issue or prs")),
            other => Err(CommandError::usage(format!("unknown action `{other}`"))),
        }
    }
}

/// `owner/repo`, checked so that it cannot change the shape of the API path.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Repo {
    owner: String,
    name: String,
}

impl core::fmt::Display for Repo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}/{}", self.owner, self.name)
    }
}

fn repo_ref(text: &str) -> Result<Repo, CommandError> {
    let bad = || {
        CommandError::usage(format!(
            "`{text}` is not a repository: write it as owner/repo"
        ))
    };
    let (owner, name) = text.split_once('/').ok_or_else(bad)?;
    let word = |s: &str| {
        !s.is_empty()
            && s.len() <= 100
            && s != "."
            && s != ".."
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    if !word(owner) || !word(name) {
        return Err(bad());
    }
    Ok(Repo {
        owner: owner.to_string(),
        name: name.to_string(),
    })
}

fn issue_ref(text: &str) -> Result<(Repo, u64), CommandError> {
    let bad = || {
        CommandError::usage(format!(
            "`{text}` is not an issue: write it as owner/repo#number"
        ))
    };
    let (repo, number) = text.split_once('#').ok_or_else(bad)?;
    let number = number
        .parse::<u64>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(bad)?;
    Ok((repo_ref(repo).map_err(|_| bad())?, number))
}

/// The API base URL, without a trailing `/`.
fn api_base() -> String {
    let base = host::config("api_url").unwrap_or_default();
    let base = base.trim().trim_end_matches('/');
    if base.is_empty() {
        DEFAULT_API.to_string()
    } else {
        base.to_string()
    }
}

/// GETs `path` from the API; a non-2xx answer is a `failed` error naming `what`.
fn api_get(path: &str, what: &str) -> Result<Response, CommandError> {
    let response = http::request(
        http::Request::new("GET", format!("{}{path}", api_base()))
            .header("Accept", "application/vnd.github+json")
            .header("User-Agent", "cove-github-plugin")
            .header("X-GitHub-Api-Version", "2022-11-28"),
    )?;
    if response.is_success() {
        return Ok(response);
    }
    let mut message = format!("GitHub says {}", response.status);
    if !response.reason().is_empty() {
        message.push(' ');
        message.push_str(response.reason());
    }
    message.push_str(" for ");
    message.push_str(what);
    // GitHub explains most errors in a `message` field ("Bad credentials", "API rate limit
    // exceeded for …"); add it when it says more than the status line.
    if let Ok(error) = serde_json::from_slice::<ApiError>(&response.body) {
        let detail = error.message.trim();
        if !detail.is_empty() && !detail.eq_ignore_ascii_case(response.reason()) {
            message.push_str(": ");
            message.push_str(detail);
        }
    }
    Err(CommandError::failed(message))
}

#[derive(Deserialize)]
struct ApiError {
    #[serde(default)]
    message: String,
}

#[derive(Deserialize)]
struct User {
    login: String,
}

/// The fields of an issue or pull request that the replies use. Only `number` and `title`
/// are required, so that a terse answer (or GitHub Enterprise's) still reads.
#[derive(Deserialize)]
struct Issue {
    number: u64,
    title: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    html_url: String,
    #[serde(default)]
    user: Option<User>,
}

fn parse<'a, T: Deserialize<'a>>(body: &'a [u8]) -> Result<T, CommandError> {
    serde_json::from_slice(body)
        .map_err(|e| CommandError::failed(format!("GitHub sent an answer I cannot read: {e}")))
}

fn author(user: &Option<User>) -> &str {
    user.as_ref().map_or("ghost", |u| u.login.as_str())
}

fn issue(repo: &Repo, number: u64) -> Result<Reply, CommandError> {
    let response = api_get(
        &format!("/repos/{}/{}/issues/{number}", repo.owner, repo.name),
        &format!("{repo}#{number}"),
    )?;
    let issue: Issue = parse(&response.body)?;
    let mut line = format!("#{} {}", issue.number, issue.title);
    if !issue.state.is_empty() {
        line.push_str(&format!(" ({})", issue.state));
    }
    line.push_str(&format!(" by {}", author(&issue.user)));
    if !issue.html_url.is_empty() {
        line.push_str(&format!(" — {}", issue.html_url));
    }
    Ok(Reply::text(line))
}

fn prs(repo: &Repo) -> Result<Reply, CommandError> {
    let response = api_get(
        &format!(
            "/repos/{}/{}/pulls?state=open&per_page=10",
            repo.owner, repo.name
        ),
        &format!("{repo}"),
    )?;
    let pulls: Vec<Issue> = parse(&response.body)?;
    if pulls.is_empty() {
        return Ok(Reply::text(format!("No open pull requests in {repo}.")));
    }
    let lines: Vec<String> = pulls
        .iter()
        .map(|p| format!("#{} {} (by {})", p.number, p.title, author(&p.user)))
        .collect();
    Ok(Reply::text(lines.join("\n")))
}

cove_sdk::export_plugin!(GitHub);
