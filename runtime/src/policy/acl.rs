//! Who may run what: access control for chat commands. Pure logic, no I/O.
//!
//! An [`Acl`] holds the admins, a default [`Effect`] and [`Rule`]s such as
//! `allow deploy:rollback role:oncall` or `deny * channel:#random`. The dispatcher asks
//! [`Acl::check`] before every command (and again when a `dangerous` command is confirmed,
//! so that a rule changed in between applies) and shows the [`Decision`]'s reason.
//!
//! ## Rules
//!
//! A rule is three words, `allow|deny <scope> <who>`: exactly the words after `cove acl`.
//!
//! | word | written | means |
//! | --- | --- | --- |
//! | scope | `*` | every command of every plugin |
//! | scope | `deploy` | every command of the `deploy` plugin |
//! | scope | `deploy:rollback` | the `rollback` command of the `deploy` plugin |
//! | who | `user:U0123ABC`, `user:alice` (`@` optional) | the user with that id (exact), or that name (ignoring case) |
//! | who | `role:oncall` | users with that role, from the platform or `[roles]` in config ([`roles_for`]), ignoring case |
//! | who | `channel:C42`, `channel:#ops` (`#` optional) | commands typed in the channel with that id (exact), or that name (ignoring case) |
//! | who | `*` | everyone |
//!
//! Plugin and command names follow the manifest: lowercase letters, digits and `-`, starting
//! with a letter, at most 40 (plugin) and 32 (command) characters; upper case is lowered. A
//! user, role or channel is 1 to 80 letters, digits or `-_.:@+`, so that a rule's `Display`
//! never needs shell quoting (quote `*` itself in a shell, where it would glob).
//!
//! ## Order of checks in [`Acl::check`]
//!
//! | step | if | then |
//! | --- | --- | --- |
//! | 1 | the caller is an admin (`admins` names their id or name) | allowed: admins may run everything |
//! | 2 | rules match the caller and the command | only those with the most specific scope count: `plugin:command` beats `plugin` beats `*` |
//! | 3 | among those, a `deny` matches | denied, naming that rule: deny beats allow within one scope |
//! | 3b | otherwise | allowed, naming the first matching `allow` |
//! | 4 | no rule matches | the ACL's `default` |
//!
//! The order of the rules in the list never changes the outcome. Consequences, each tested:
//! - `deny deploy *` with `allow deploy:status *`: everyone may run `deploy:status` and
//!   nothing else of `deploy` (the command rule is more specific).
//! - `allow deploy user:alice` with `deny deploy *`: alice is denied too (same scope, deny
//!   wins). To let only alice deploy, set `default` to `deny` and allow her, or deny the plugin
//!   and allow her per command.
//!
//! ## Names are only as good as the platform's
//!
//! Matching a user by name is a convenience. Where users choose their own names, a name-based
//! `allow` (or admin entry) can be claimed by someone who renames themselves, and a name-based
//! `deny` escaped the same way; a name can even be made to look like another user's id. Prefer
//! ids in `admins` and in rules when the adapter's name is not unique and fixed.

mod rule;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use rule::names_user;
pub use rule::{AclError, Effect, Rule, Scope, Who};

/// The caller of one command, as the dispatcher sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subject {
    /// Platform user id (compared exactly).
    pub user_id: String,
    /// User name (compared ignoring case).
    pub user_name: String,
    /// The platform's roles and those from config ([`roles_for`]), merged by the caller.
    pub roles: Vec<String>,
    /// Platform channel id (compared exactly).
    pub channel_id: String,
    /// Channel name, with or without `#` (compared ignoring case).
    pub channel_name: String,
}

/// The answer to "may this subject run this command?", with a sentence for the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    /// Whether the command may run.
    pub allowed: bool,
    /// One sentence for the user (and the audit log).
    pub reason: String,
    /// The rule that decided, if a rule did (not for admins or the default).
    pub rule: Option<Rule>,
}

/// The access control list: admins, rules, and what happens when no rule matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Acl {
    /// When no rule matches.
    pub default: Effect,
    /// User ids or names (`@` optional) that may run everything, admin commands included.
    pub admins: BTreeSet<String>,
    /// The rules; their order does not change any decision.
    pub rules: Vec<Rule>,
}

impl Default for Acl {
    /// Commands open to everyone, Errbot-style, and no admins: what a plugin may *reach* is
    /// deny-by-default through grants; who may *run* it is narrowed with rules or `default`.
    fn default() -> Self {
        Self {
            default: Effect::Allow,
            admins: BTreeSet::new(),
            rules: Vec::new(),
        }
    }
}

impl Acl {
    /// Whether `admins` names the subject by id or (ignoring case) by name. An empty entry
    /// never matches, so a blank config line cannot make a nameless caller an admin.
    pub fn is_admin(&self, subject: &Subject) -> bool {
        self.admins
            .iter()
            .any(|admin| names_user(admin, &subject.user_id, &subject.user_name))
    }

    /// Whether the subject may run admin commands (`grant`, `revoke`, `plugin`, `secret`,
    /// `acl`): admins only. Rules never open them, so no `allow * *` can hand out admin rights.
    pub fn may_run_admin_commands(&self, subject: &Subject) -> bool {
        self.is_admin(subject)
    }

    /// Decides whether `subject` may run `plugin:command`; see the module's order of checks.
    /// The verdict of [`Acl::check`] without its explanation: no allocation, for the path
    /// every command takes (the explanation is built only for a refusal).
    pub fn allows(&self, subject: &Subject, plugin: &str, command: &str) -> bool {
        if self.is_admin(subject) {
            return true;
        }
        match self.deciding_rule(subject, plugin, command) {
            Some(rule) => rule.effect == Effect::Allow,
            None => self.default == Effect::Allow,
        }
    }

    /// Whether `subject` may run `plugin:command`, and why, in one sentence.
    pub fn check(&self, subject: &Subject, plugin: &str, command: &str) -> Decision {
        let label = format!("{plugin}:{command}");
        if self.is_admin(subject) {
            return Decision {
                allowed: true,
                reason: "You are an admin, and admins may run every command.".into(),
                rule: None,
            };
        }
        let Some(rule) = self.deciding_rule(subject, plugin, command) else {
            return self.by_default(subject, &label);
        };
        let reason = match rule.effect {
            Effect::Allow => format!("You may run `{label}` (rule: {rule})."),
            Effect::Deny => format!("You are not allowed to run `{label}` (rule: {rule})."),
        };
        Decision {
            allowed: rule.effect == Effect::Allow,
            reason,
            rule: Some(rule.clone()),
        }
    }

    /// Steps 2 and 3: among matching rules of the most specific scope, a deny, else an allow.
    fn deciding_rule(&self, subject: &Subject, plugin: &str, command: &str) -> Option<&Rule> {
        let matching = self.rules.iter().filter_map(|rule| {
            let specificity = rule.scope.specificity(plugin, command)?;
            rule.who.matches(subject).then_some((specificity, rule))
        });
        let best = matching.clone().map(|(specificity, _)| specificity).max()?;
        let mut at_best = matching.filter(|(specificity, _)| *specificity == best);
        let first = at_best.clone().next().map(|(_, rule)| rule);
        at_best
            .find(|(_, rule)| rule.effect == Effect::Deny)
            .map(|(_, rule)| rule)
            .or(first)
    }

    /// Step 4. A denial suggests the rule that would allow it, naming the user by id (stable
    /// and issued by the platform) rather than by name (see the module docs).
    fn by_default(&self, subject: &Subject, label: &str) -> Decision {
        if self.default == Effect::Allow {
            return Decision {
                allowed: true,
                reason: format!("Commands are allowed by default, and no rule limits `{label}`."),
                rule: None,
            };
        }
        let user = [&subject.user_id, &subject.user_name]
            .into_iter()
            .find(|value| Who::parse(&format!("user:{value}")).is_ok());
        let reason = match user {
            Some(user) => format!(
                "Commands are denied by default; an admin can allow this with `cove acl allow {label} user:{user}`."
            ),
            None => format!("Commands are denied by default; ask an admin to allow `{label}`."),
        };
        Decision {
            allowed: false,
            reason,
            rule: None,
        }
    }

    /// Adds a rule unless an equal one is already there; returns whether it was added.
    pub fn add_rule(&mut self, rule: Rule) -> bool {
        let is_new = !self.rules.contains(&rule);
        if is_new {
            self.rules.push(rule);
        }
        is_new
    }

    /// Removes every rule equal to `rule`; returns whether one was there.
    pub fn remove_rule(&mut self, rule: &Rule) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r != rule);
        self.rules.len() != before
    }
}

/// The roles `[roles]` in config gives a user: `oncall = ["alice", "U123"]` lists members by
/// id or name (`@` optional), matched as admins are. The caller merges these with the
/// platform's roles into [`Subject::roles`].
pub fn roles_for(
    role_map: &BTreeMap<String, Vec<String>>,
    user_id: &str,
    user_name: &str,
) -> Vec<String> {
    role_map
        .iter()
        .filter(|(_, members)| members.iter().any(|m| names_user(m, user_id, user_name)))
        .map(|(role, _)| role.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(name: &str) -> Subject {
        let (id, user, roles, channel_id, channel) = match name {
            "alice" => ("U1", "alice", vec!["oncall".to_owned()], "C1", "ops"),
            "alice@random" => ("U1", "alice", vec!["oncall".to_owned()], "C2", "#random"),
            "bob" => ("U2", "bob", vec![], "C2", "random"),
            _ => ("", "", vec![], "", ""),
        };
        Subject {
            user_id: id.into(),
            user_name: user.into(),
            roles,
            channel_id: channel_id.into(),
            channel_name: channel.into(),
        }
    }

    fn acl(default: Effect, admins: &[&str], rules: &[&str]) -> Acl {
        let rules = rules
            .iter()
            .map(|r| r.parse().unwrap_or_else(|e| panic!("{r}: {e}")));
        Acl {
            default,
            admins: admins.iter().map(|a| (*a).to_owned()).collect(),
            rules: rules.collect(),
        }
    }

    /// (who, matches alice in #ops, matches bob in #random)
    const WHO_ROWS: &[(&str, bool, bool)] = &[
        ("user:U1", true, false),
        ("user:ALICE", true, false),
        ("user:@alice", true, false),
        ("user:u1", false, false), // ids compare exactly
        ("role:OnCall", true, false),
        ("role:admin", false, false),
        ("channel:#ops", true, false),
        ("channel:OPS", true, false),
        ("channel:C1", true, false),
        ("channel:c1", false, false),
        ("channel:random", false, true), // bob's channel name carries no `#`
        ("*", true, true),
    ];

    /// (scope, covers deploy:rollback, covers deploy:status, covers other:run)
    const SCOPE_ROWS: &[(&str, [bool; 3])] = &[
        ("*", [true, true, true]),
        ("deploy", [true, true, false]),
        ("deploy:rollback", [true, false, false]),
        ("other", [false, false, true]),
    ];
    const TARGETS: [(&str, &str); 3] = [
        ("deploy", "rollback"),
        ("deploy", "status"),
        ("other", "run"),
    ];

    /// One rule at a time: it decides exactly when it names the caller and covers the command;
    /// otherwise the default does. Every who × scope × effect × default × caller × command.
    #[test]
    fn one_rule_matrix() {
        for (who, matches_alice, matches_bob) in WHO_ROWS {
            for (scope, covers) in SCOPE_ROWS {
                for effect in [Effect::Allow, Effect::Deny] {
                    for default in [Effect::Allow, Effect::Deny] {
                        let line = format!("{effect} {scope} {who}");
                        let acl = acl(default, &[], &[&line]);
                        for (name, named) in [("alice", matches_alice), ("bob", matches_bob)] {
                            for ((plugin, command), covered) in TARGETS.iter().zip(covers) {
                                let decision = acl.check(&subject(name), plugin, command);
                                let applies = *named && *covered;
                                let outcome = if applies { effect } else { default };
                                let case = format!(
                                    "{line}, default {default}, {name}, {plugin}:{command}"
                                );
                                assert_eq!(decision.allowed, outcome == Effect::Allow, "{case}");
                                assert_eq!(decision.rule.is_some(), applies, "{case}");
                            }
                        }
                    }
                }
            }
        }
    }

    /// `default | rules | caller plugin:command | the deciding rule, or "default"`
    const ORDER_ROWS: &[&str] = &[
        // the command beats the plugin beats `*`
        "allow | deny deploy *, allow deploy:status * | bob deploy:status | allow deploy:status *",
        "allow | deny deploy *, allow deploy:status * | bob deploy:rollback | deny deploy *",
        "allow | deny * channel:#random, allow deploy role:oncall | alice@random deploy:rollback | allow deploy role:oncall",
        "allow | deny * channel:#random, allow deploy role:oncall | alice@random other:run | deny * channel:#random",
        "deny | allow * *, deny deploy:rollback user:bob | bob deploy:rollback | deny deploy:rollback user:bob",
        "deny | allow * *, deny deploy:rollback user:bob | bob deploy:status | allow * *",
        "allow | allow deploy:rollback user:bob, deny deploy * | bob deploy:rollback | allow deploy:rollback user:bob",
        // within one scope, deny beats allow, whatever the order and however narrow `who` is
        "allow | allow deploy user:alice, deny deploy * | alice deploy:rollback | deny deploy *",
        "allow | deny deploy *, allow deploy user:alice | alice deploy:rollback | deny deploy *",
        "allow | allow deploy:rollback role:oncall, deny deploy:rollback channel:#random | alice@random deploy:rollback | deny deploy:rollback channel:#random",
        "allow | allow deploy:rollback role:oncall, deny deploy:rollback channel:#random | alice deploy:rollback | allow deploy:rollback role:oncall",
        // several allows: the first is named
        "deny | allow deploy *, allow deploy role:oncall | alice deploy:status | allow deploy *",
        // rules that do not name the caller do not count
        "deny | deny deploy user:bob, allow * * | alice deploy:status | allow * *",
        "deny | allow deploy user:alice | bob deploy:status | default",
        "allow | deny deploy user:alice | bob deploy:status | default",
        // plugin and command names compare ignoring case
        "allow | deny deploy:rollback * | bob Deploy:RollBack | deny deploy:rollback *",
    ];

    #[test]
    fn most_specific_scope_then_deny_then_default() {
        for row in ORDER_ROWS {
            let [default, rules, call, deciding] = row.split(" | ").collect::<Vec<_>>()[..] else {
                panic!("bad row {row}");
            };
            let default: Effect = default.parse().unwrap_or_else(|e| panic!("{row}: {e}"));
            let rules: Vec<&str> = rules.split(", ").collect();
            let (caller, target) = call.split_once(' ').unwrap_or((call, ""));
            let (plugin, command) = target.split_once(':').unwrap_or((target, ""));
            let decision = acl(default, &[], &rules).check(&subject(caller), plugin, command);
            let named = decision
                .rule
                .as_ref()
                .map_or("default".into(), Rule::to_string);
            assert_eq!(named, deciding, "{row}");
            let effect = decision.rule.map_or(default, |rule| rule.effect);
            assert_eq!(decision.allowed, effect == Effect::Allow, "{row}");
        }
    }

    /// (admins, caller, is admin)
    const ADMIN_ROWS: &[(&[&str], &str, bool)] = &[
        (&["U1"], "alice", true),
        (&["ALICE"], "alice", true),
        (&["@alice"], "alice", true),
        (&["u1"], "alice", false),
        (&["bob"], "alice", false),
        (&["U2", "alice"], "alice", true),
        (&[""], "nobody", false), // a blank entry never matches a nameless caller
        (&["@"], "nobody", false),
        (&[], "alice", false),
    ];

    #[test]
    fn admins_run_everything_and_only_they_run_admin_commands() {
        let everything = ["allow * *"];
        let deny_them = [
            "deny * *",
            "deny deploy:rollback user:alice",
            "deny * user:U1",
        ];
        for (admins, caller, is_admin) in ADMIN_ROWS {
            let caller = subject(caller);
            assert_eq!(
                acl(Effect::Allow, admins, &everything).is_admin(&caller),
                *is_admin
            );
            let open = acl(Effect::Allow, admins, &everything);
            assert_eq!(
                open.may_run_admin_commands(&caller),
                *is_admin,
                "{admins:?}"
            );
            let decision =
                acl(Effect::Deny, admins, &deny_them).check(&caller, "deploy", "rollback");
            assert_eq!(decision.allowed, *is_admin, "{admins:?}");
            assert_eq!(decision.rule.is_none(), *is_admin, "{admins:?}");
        }
    }

    /// (default, rules, caller, reason)
    const REASON_ROWS: &[(Effect, &[&str], &str, &str)] = &[
        (
            Effect::Allow,
            &["deny deploy:rollback channel:#random"],
            "bob",
            "You are not allowed to run `deploy:rollback` (rule: deny deploy:rollback channel:#random).",
        ),
        (
            Effect::Deny,
            &["allow deploy role:oncall"],
            "alice",
            "You may run `deploy:rollback` (rule: allow deploy role:oncall).",
        ),
        (
            Effect::Deny,
            &[],
            "bob",
            "Commands are denied by default; an admin can allow this with `cove acl allow deploy:rollback user:U2`.",
        ),
        (
            Effect::Deny,
            &[],
            "nobody",
            "Commands are denied by default; ask an admin to allow `deploy:rollback`.",
        ),
        (
            Effect::Allow,
            &[],
            "bob",
            "Commands are allowed by default, and no rule limits `deploy:rollback`.",
        ),
    ];

    #[test]
    fn reasons_are_sentences_naming_the_rule_or_the_fix() {
        for (default, rules, caller, reason) in REASON_ROWS {
            let decision = acl(*default, &[], rules).check(&subject(caller), "deploy", "rollback");
            assert_eq!(decision.reason, *reason);
        }
        let admin = acl(Effect::Deny, &["bob"], &[]).check(&subject("bob"), "deploy", "rollback");
        assert_eq!(
            admin.reason,
            "You are an admin, and admins may run every command."
        );
        let suggested = "allow deploy:rollback user:U2".parse::<Rule>();
        assert!(suggested.is_ok(), "the suggested command parses");
    }

    #[test]
    fn roles_come_from_config_by_id_or_name() {
        let map: BTreeMap<String, Vec<String>> = [
            ("oncall", vec!["@Alice", "U9"]),
            ("release", vec!["U1"]),
            ("sre", vec!["bob"]),
            ("blank", vec![""]),
        ]
        .into_iter()
        .map(|(role, members)| (role.into(), members.into_iter().map(String::from).collect()))
        .collect();
        assert_eq!(roles_for(&map, "U1", "alice"), ["oncall", "release"]);
        assert_eq!(roles_for(&map, "U9", ""), ["oncall"]);
        assert_eq!(roles_for(&map, "U3", "carol"), Vec::<String>::new());
        assert_eq!(roles_for(&map, "", ""), Vec::<String>::new());
    }

    #[test]
    fn serde_round_trip_defaults_and_validation() {
        let acl = acl(
            Effect::Deny,
            &["U1"],
            &[
                "allow deploy:rollback role:oncall",
                "deny * channel:#random",
            ],
        );
        let json = serde_json::to_string(&acl).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            json,
            r##"{"default":"deny","admins":["U1"],"rules":["allow deploy:rollback role:oncall","deny * channel:#random"]}"##
        );
        assert_eq!(serde_json::from_str::<Acl>(&json).ok(), Some(acl));
        let partial: Result<Acl, _> = serde_json::from_str(r#"{"rules":["deny deploy *"]}"#);
        assert_eq!(
            partial
                .ok()
                .map(|a| (a.default, a.admins.len(), a.rules.len())),
            Some((Effect::Allow, 0, 1))
        );
        let invalid = serde_json::from_str::<Acl>(r#"{"rules":["allow deploy alice"]}"#);
        assert!(invalid.is_err_and(|e| e.to_string().contains("user:alice")));
    }

    #[test]
    fn add_and_remove_rules() {
        let mut acl = Acl::default();
        let rule: Rule = "allow deploy role:oncall"
            .parse()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(acl.add_rule(rule.clone()));
        assert!(!acl.add_rule(rule.clone()), "no duplicates");
        assert_eq!(acl.rules.len(), 1);
        assert!(acl.remove_rule(&rule));
        assert!(!acl.remove_rule(&rule));
        assert!(acl.rules.is_empty());
    }

    #[test]
    fn allows_agrees_with_check() {
        let mut acl = Acl {
            default: Effect::Deny,
            ..Acl::default()
        };
        acl.admins.insert("root".into());
        acl.add_rule(Rule::parse(&["allow", "deploy", "role:ops"]).unwrap());
        acl.add_rule(Rule::parse(&["deny", "deploy:prod", "user:bob"]).unwrap());
        for user in ["root", "bob", "alice"] {
            let subject = Subject {
                user_id: user.into(),
                user_name: user.into(),
                roles: if user == "bob" {
                    vec!["ops".into()]
                } else {
                    vec![]
                },
                ..Subject::default()
            };
            for (plugin, command) in [("deploy", "prod"), ("deploy", "staging"), ("echo", "echo")] {
                let checked = acl.check(&subject, plugin, command).allowed;
                assert_eq!(
                    acl.allows(&subject, plugin, command),
                    checked,
                    "{user} {plugin}:{command}"
                );
            }
        }
    }
}
