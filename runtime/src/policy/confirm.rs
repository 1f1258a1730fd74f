//! Confirmation of `dangerous` commands. Pure logic: the time comes in as milliseconds and
//! the random codes from a source the caller supplies, so tests decide both.
//!
//! A command its manifest marks `dangerous` does not run when typed. The dispatcher calls
//! [`Confirmations::request`] and replies with the [`Pending`] prompt ("reply `!confirm
//! 123456` within 5 minutes"); when the user answers, [`Confirmations::confirm`] hands the
//! item back once, and the dispatcher runs it, checking the ACL again at that moment.
//!
//! | call | effect |
//! | --- | --- |
//! | [`request`](Confirmations::request) | drops expired items, drops the same user's earlier request for the same command line, makes room (bounds below), stores a new item under a fresh 6-digit code |
//! | [`confirm`](Confirmations::confirm) | the order of checks below; on success the item is removed (one use) |
//! | [`cancel`](Confirmations::cancel) | the user who asked withdraws the item |
//! | [`purge_expired`](Confirmations::purge_expired) | drops every item older than [`CONFIRM_WINDOW_MS`]; call it from time to time |
//!
//! ## Order of checks in `confirm`
//!
//! | step | if | then |
//! | --- | --- | --- |
//! | 1 | no pending item has the code (spaces around it ignored) | [`ConfirmError::UnknownCode`] |
//! | 2 | another user asked for it | [`ConfirmError::WrongUser`]; the item stays for its owner, and the other user learns nothing about the command, not even whether it expired |
//! | 3 | the item is older than [`CONFIRM_WINDOW_MS`] | removed; [`ConfirmError::Expired`] |
//! | 4 | otherwise | removed and returned: run it |
//!
//! An item is exactly `CONFIRM_WINDOW_MS` old at the last moment it can be confirmed. A clock
//! that goes backwards makes an item younger, never older.
//!
//! ## Bounds
//!
//! | bound | value | why |
//! | --- | --- | --- |
//! | per user | [`MAX_PENDING_PER_USER`] | a user who keeps asking without confirming cannot grow memory; their oldest item is dropped |
//! | in all | [`MAX_PENDING`] | user ids come from adapters (the HTTP endpoint among them), so per-user bounds alone do not bound memory; the oldest item is dropped. It also keeps the code space mostly free, so drawing a code ends quickly |
//!
//! [`Confirmations::with_limits`] sets other bounds (at most [`MAX_PENDING`] in all).
//!
//! Asking twice for the same command line replaces the first code: otherwise confirming both
//! codes would run a dangerous command twice.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

/// How long a confirmation code stays valid: 5 minutes.
pub const CONFIRM_WINDOW_MS: u64 = 5 * 60 * 1000;
/// At most this many items wait per user; the oldest is dropped to make room.
pub const MAX_PENDING_PER_USER: usize = 20;
/// At most this many items wait in all; the oldest is dropped to make room.
pub const MAX_PENDING: usize = 10_000;
/// The prefix [`Pending`]'s `Display` writes; [`Pending::prompt`] takes the configured one.
pub const DEFAULT_PREFIX: &str = "!";

/// Codes are 6 digits, `000000` to `999999`.
const CODE_SPACE: u32 = 1_000_000;
/// Draws from the source before probing for a free code (a source that keeps colliding is broken).
const MAX_DRAWS: usize = 16;
const WINDOW_MINUTES: u64 = CONFIRM_WINDOW_MS / 60_000;

/// A dangerous command waiting for its user's `!confirm <code>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// Six digits.
    pub code: String,
    /// The user who asked; only they may confirm.
    pub user_id: String,
    /// The plugin whose command waits.
    pub plugin: String,
    /// The command as typed after the prefix, e.g. `deploy api prod`.
    pub command_line: String,
    /// When it was asked for.
    pub created_ms: u64,
}

impl Pending {
    /// Whether the code can no longer be confirmed at `now_ms`.
    pub fn is_expired(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.created_ms) > CONFIRM_WINDOW_MS
    }

    /// The last moment (inclusive) the code can be confirmed.
    pub fn expires_ms(&self) -> u64 {
        self.created_ms.saturating_add(CONFIRM_WINDOW_MS)
    }

    /// The message asking the user to confirm, with the chat's command prefix (`!`, `/cove `).
    pub fn prompt(&self, prefix: &str) -> String {
        format!(
            "`{prefix}{}` is marked dangerous. To run it, reply `{prefix}confirm {}` within {WINDOW_MINUTES} minutes.",
            self.command_line, self.code
        )
    }
}

impl fmt::Display for Pending {
    /// [`Pending::prompt`] with the default `!` prefix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.prompt(DEFAULT_PREFIX))
    }
}

/// Why a code was not confirmed (or cancelled). Messages are sentences for the chat user and
/// never repeat what the user typed, so a crafted "code" cannot put mentions in the bot's reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfirmError {
    /// No pending item has this code.
    #[error(
        "No command is waiting for that confirmation code; it may have been used, cancelled or replaced already."
    )]
    UnknownCode {
        /// What the user typed, trimmed, at most 16 characters (for logs; never shown).
        code: String,
    },
    /// The item was older than [`CONFIRM_WINDOW_MS`] and has been removed.
    #[error(
        "Confirmation code `{code}` has expired (codes last {WINDOW_MINUTES} minutes); run the command again to get a new one."
    )]
    Expired {
        /// The expired code.
        code: String,
        /// The command it was for, as typed after the prefix.
        command_line: String,
    },
    /// Another user asked for this item.
    #[error(
        "Confirmation code `{code}` belongs to someone else; only the person who ran the command can confirm it."
    )]
    WrongUser {
        /// The code typed.
        code: String,
    },
}

/// The items waiting for confirmation, oldest first, and the bounds on them.
#[derive(Debug, Clone)]
pub struct Confirmations {
    items: Vec<Pending>,
    per_user: usize,
    total: usize,
}

impl Default for Confirmations {
    fn default() -> Self {
        Self::with_limits(MAX_PENDING_PER_USER, MAX_PENDING)
    }
}

impl Confirmations {
    /// An empty set with the default bounds, [`MAX_PENDING_PER_USER`] and [`MAX_PENDING`].
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty set with other bounds, each kept between 1 and [`MAX_PENDING`] (which keeps
    /// most codes free; see [`Confirmations::request`]).
    pub fn with_limits(per_user: usize, total: usize) -> Self {
        Self {
            items: Vec::new(),
            per_user: per_user.clamp(1, MAX_PENDING),
            total: total.clamp(1, MAX_PENDING),
        }
    }

    /// Stores a dangerous command under a fresh code and returns it, to show with
    /// [`Pending::prompt`]. `code_source` supplies random numbers (reduced to 6 digits); a
    /// code already pending is drawn again, and a source that keeps colliding is stepped past.
    pub fn request(
        &mut self,
        user_id: &str,
        plugin: &str,
        command_line: &str,
        now_ms: u64,
        code_source: &mut impl FnMut() -> u32,
    ) -> &Pending {
        self.purge_expired(now_ms);
        self.items.retain(|p| {
            !(p.user_id == user_id && p.plugin == plugin && p.command_line == command_line)
        });
        self.make_room_for(user_id);
        let code = self.fresh_code(code_source);
        let index = self.items.len();
        self.items.push(Pending {
            code,
            user_id: user_id.to_owned(),
            plugin: plugin.to_owned(),
            command_line: command_line.to_owned(),
            created_ms: now_ms,
        });
        &self.items[index]
    }

    /// Takes the item for `code` if `user_id` asked for it and it has not expired; see the
    /// module's order of checks.
    pub fn confirm(
        &mut self,
        user_id: &str,
        code: &str,
        now_ms: u64,
    ) -> Result<Pending, ConfirmError> {
        let index = self.position(code)?;
        let item = &self.items[index];
        if item.user_id != user_id {
            let code = item.code.clone();
            return Err(ConfirmError::WrongUser { code });
        }
        if item.is_expired(now_ms) {
            let item = self.items.remove(index);
            let (code, command_line) = (item.code, item.command_line);
            return Err(ConfirmError::Expired { code, command_line });
        }
        Ok(self.items.remove(index))
    }

    /// Withdraws the item for `code`; only the user who asked may, expired or not.
    pub fn cancel(&mut self, user_id: &str, code: &str) -> Result<Pending, ConfirmError> {
        let index = self.position(code)?;
        let item = &self.items[index];
        if item.user_id != user_id {
            let code = item.code.clone();
            return Err(ConfirmError::WrongUser { code });
        }
        Ok(self.items.remove(index))
    }

    /// Drops every item that can no longer be confirmed at `now_ms`.
    pub fn purge_expired(&mut self, now_ms: u64) {
        self.items.retain(|p| !p.is_expired(now_ms));
    }

    /// The items `user_id` asked for, oldest first (for "what is waiting?").
    pub fn pending_for(&self, user_id: &str) -> impl Iterator<Item = &Pending> {
        self.items.iter().filter(move |p| p.user_id == user_id)
    }

    /// How many items wait, expired ones not yet purged included.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    fn position(&self, code: &str) -> Result<usize, ConfirmError> {
        let code = code.trim();
        self.items
            .iter()
            .position(|p| p.code == code)
            .ok_or_else(|| ConfirmError::UnknownCode {
                code: code.chars().take(16).collect(),
            })
    }

    /// Drops the user's oldest items, then the oldest of all, until one more fits both bounds.
    fn make_room_for(&mut self, user_id: &str) {
        while self.pending_for(user_id).count() >= self.per_user {
            match self.items.iter().position(|p| p.user_id == user_id) {
                Some(oldest) => drop(self.items.remove(oldest)),
                None => break,
            }
        }
        if self.items.len() >= self.total {
            let excess = self.items.len() + 1 - self.total;
            self.items.drain(..excess);
        }
    }

    /// A code no pending item has: up to [`MAX_DRAWS`] draws, then the next free code after
    /// the last draw. [`MAX_PENDING`] is far below [`CODE_SPACE`], so a free one exists.
    fn fresh_code(&self, code_source: &mut impl FnMut() -> u32) -> String {
        let is_taken = |code: &str| self.items.iter().any(|p| p.code == code);
        let mut draw = 0;
        for _ in 0..MAX_DRAWS {
            draw = code_source() % CODE_SPACE;
            let code = format_code(draw);
            if !is_taken(&code) {
                return code;
            }
        }
        let taken: BTreeSet<&str> = self.items.iter().map(|p| p.code.as_str()).collect();
        (1..CODE_SPACE)
            .map(|step| format_code((draw + step) % CODE_SPACE))
            .find(|code| !taken.contains(code.as_str()))
            .unwrap_or_else(|| format_code(draw))
    }
}

fn format_code(number: u32) -> String {
    format!("{number:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    const W: u64 = CONFIRM_WINDOW_MS;

    /// What a step should produce: the command line that runs or is cancelled, or an error.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Expect {
        Runs(&'static str),
        Unknown,
        Expired,
        WrongUser,
    }
    use Expect::*;

    #[derive(Debug, Clone, Copy)]
    enum Step {
        /// (user, command line, now, the source's numbers in turn, the code it must get)
        Ask(
            &'static str,
            &'static str,
            u64,
            &'static [u32],
            &'static str,
        ),
        /// (user, code typed, now, outcome)
        Confirm(&'static str, &'static str, u64, Expect),
        /// (user, code typed, outcome)
        Cancel(&'static str, &'static str, Expect),
    }
    use Step::*;

    const SCENARIOS: &[(&str, &[Step])] = &[
        (
            "the right user in time",
            &[
                Ask("U1", "deploy api prod", 1_000, &[123_456], "123456"),
                Confirm("U1", "123456", 1_000 + W, Runs("deploy api prod")),
            ],
        ),
        (
            "spaces around the code are ignored",
            &[
                Ask("U1", "deploy api prod", 0, &[42], "000042"),
                Confirm("U1", " 000042\n", 10, Runs("deploy api prod")),
            ],
        ),
        (
            "another user cannot confirm, and the owner still can",
            &[
                Ask("U1", "deploy api prod", 0, &[123_456], "123456"),
                Confirm("U2", "123456", 10, WrongUser),
                Confirm("U1", "123456", 20, Runs("deploy api prod")),
            ],
        ),
        (
            "another user gets WrongUser even once it expired, the owner Expired",
            &[
                Ask("U1", "deploy api prod", 0, &[123_456], "123456"),
                Confirm("U2", "123456", W + 1, WrongUser),
                Confirm("U1", "123456", W + 1, Expired),
                Confirm("U1", "123456", W + 2, Unknown),
            ],
        ),
        (
            "a code used once is gone",
            &[
                Ask("U1", "deploy api prod", 0, &[7], "000007"),
                Confirm("U1", "000007", 1, Runs("deploy api prod")),
                Confirm("U1", "000007", 2, Unknown),
            ],
        ),
        (
            "an unknown code",
            &[
                Ask("U1", "deploy api prod", 0, &[7], "000007"),
                Confirm("U1", "000008", 1, Unknown),
                Confirm("U1", "", 1, Unknown),
                Confirm("U1", "7", 1, Unknown),
            ],
        ),
        (
            "a clock going backwards does not expire anything",
            &[
                Ask("U1", "deploy api prod", 10_000, &[7], "000007"),
                Confirm("U1", "000007", 0, Runs("deploy api prod")),
            ],
        ),
        (
            "a pending code is drawn again, numbers are reduced to 6 digits",
            &[
                Ask("U1", "deploy a", 0, &[1_000_005], "000005"),
                Ask("U2", "deploy b", 0, &[5, 5, 9], "000009"),
                Confirm("U2", "000009", 1, Runs("deploy b")),
                Confirm("U1", "000005", 1, Runs("deploy a")),
            ],
        ),
        (
            "a source that keeps colliding is stepped past",
            &[
                Ask("U1", "deploy a", 0, &[999_999], "999999"),
                Ask("U1", "deploy b", 0, &[999_999], "000000"),
                Ask("U1", "deploy c", 0, &[999_999], "000001"),
            ],
        ),
        (
            "expired codes are free again",
            &[
                Ask("U1", "deploy a", 0, &[5], "000005"),
                Ask("U2", "deploy b", W + 1, &[5], "000005"),
                Confirm("U2", "000005", W + 2, Runs("deploy b")),
            ],
        ),
        (
            "asking again for the same line replaces the first code",
            &[
                Ask("U1", "deploy api prod", 0, &[1], "000001"),
                Ask("U1", "deploy api prod", 5, &[2], "000002"),
                Confirm("U1", "000001", 6, Unknown),
                Confirm("U1", "000002", 6, Runs("deploy api prod")),
            ],
        ),
        (
            "cancel: only the owner, once",
            &[
                Ask("U1", "deploy api prod", 0, &[3], "000003"),
                Cancel("U2", "000003", WrongUser),
                Cancel("U1", "000003", Runs("deploy api prod")),
                Cancel("U1", "000003", Unknown),
                Confirm("U1", "000003", 1, Unknown),
            ],
        ),
    ];

    fn outcome(result: Result<Pending, ConfirmError>) -> Expect {
        match result {
            Ok(pending) => Runs(String::leak(pending.command_line)),
            Err(ConfirmError::UnknownCode { .. }) => Unknown,
            Err(ConfirmError::Expired { .. }) => Expired,
            Err(ConfirmError::WrongUser { .. }) => WrongUser,
        }
    }

    fn source(numbers: &'static [u32]) -> impl FnMut() -> u32 {
        let mut next = numbers.iter().cycle();
        move || next.next().copied().unwrap_or(0)
    }

    #[test]
    fn scenarios() {
        for (name, steps) in SCENARIOS {
            let mut confirmations = Confirmations::new();
            for step in *steps {
                let got = match *step {
                    Ask(user, line, now, numbers, code) => {
                        let pending =
                            confirmations.request(user, "deploy", line, now, &mut source(numbers));
                        assert_eq!(pending.code, code, "{name}: {step:?}");
                        continue;
                    }
                    Confirm(user, code, now, _) => outcome(confirmations.confirm(user, code, now)),
                    Cancel(user, code, _) => outcome(confirmations.cancel(user, code)),
                };
                let (Confirm(.., expected) | Cancel(.., expected)) = *step else {
                    continue;
                };
                assert_eq!(got, expected, "{name}: {step:?}");
            }
        }
    }

    #[test]
    fn a_user_keeps_at_most_their_newest_requests() {
        let mut confirmations = Confirmations::new();
        assert_eq!(confirmations.per_user, MAX_PENDING_PER_USER);
        let mut next = 0;
        let mut counter = || {
            next += 1;
            next
        };
        confirmations.request("U2", "deploy", "other user", 0, &mut counter);
        for i in 0..=MAX_PENDING_PER_USER {
            confirmations.request("U1", "deploy", &format!("run {i}"), 0, &mut counter);
        }
        let mine: Vec<&str> = confirmations
            .pending_for("U1")
            .map(|p| p.command_line.as_str())
            .collect();
        assert_eq!(mine.len(), MAX_PENDING_PER_USER);
        assert_eq!(
            mine.first(),
            Some(&"run 1"),
            "the oldest, `run 0`, was dropped"
        );
        assert_eq!(
            confirmations
                .confirm("U1", "000002", 1)
                .err()
                .map(|e| outcome(Err(e))),
            Some(Unknown)
        );
        assert_eq!(
            confirmations.pending_for("U2").count(),
            1,
            "others are untouched"
        );
    }

    #[test]
    fn all_users_together_keep_at_most_the_newest_requests() {
        assert_eq!(Confirmations::new().total, MAX_PENDING);
        let mut confirmations = Confirmations::with_limits(2, 50);
        let mut next = 0;
        let mut counter = || {
            next += 1;
            next
        };
        for i in 0..=50 {
            confirmations.request(&format!("U{i}"), "deploy", "x", 0, &mut counter);
        }
        assert_eq!(confirmations.len(), 50);
        assert_eq!(
            confirmations.pending_for("U0").count(),
            0,
            "the oldest was dropped"
        );
        confirmations.purge_expired(W + 1);
        assert!(confirmations.is_empty());
    }

    #[test]
    fn messages_are_sentences_for_chat_users() {
        let mut confirmations = Confirmations::new();
        let pending = confirmations.request("U1", "deploy", "deploy api prod", 0, &mut || 123_456);
        let prompt = "`!deploy api prod` is marked dangerous. To run it, reply `!confirm 123456` within 5 minutes.";
        assert_eq!(pending.to_string(), prompt);
        assert_eq!(pending.expires_ms(), W);
        let slash = "`/cove deploy api prod` is marked dangerous. To run it, reply `/cove confirm 123456` within 5 minutes.";
        assert_eq!(pending.prompt("/cove "), slash);
        let wrong = confirmations
            .confirm("U2", "123456", 1)
            .err()
            .map(|e| e.to_string());
        let wrong_text = "Confirmation code `123456` belongs to someone else; only the person who ran the command can confirm it.";
        assert_eq!(wrong.as_deref(), Some(wrong_text));
        let expired = confirmations
            .confirm("U1", "123456", W + 1)
            .err()
            .map(|e| e.to_string());
        let expired_text = "Confirmation code `123456` has expired (codes last 5 minutes); run the command again to get a new one.";
        assert_eq!(expired.as_deref(), Some(expired_text));
        let unknown = confirmations
            .confirm("U1", "<!channel>", 1)
            .err()
            .map(|e| e.to_string());
        assert!(
            unknown.is_some_and(|m| m.starts_with("No command is waiting") && !m.contains("<!"))
        );
    }
}
