//! The first-party plugins and the dispatcher, through `cove run` and `cove chat`.

use std::io::Write;
use std::process::Stdio;

use cove_tests::Env;

#[test]
fn echo_and_sum_keep_the_benchmark_semantics() {
    let env = Env::new();
    let cases = [
        ("!echo msg-0", "msg-0", true),
        ("echo   spaced   out  ", "spaced   out", true),
        ("!echo \"quoted\" 'kept'", "\"quoted\" 'kept'", true),
        ("!echo don't \"panic", "don't \"panic", true),
        ("!sum 1 2 3 4 5", "15", true),
        ("!sum 4999 5000 5001 5002 5003", "25005", true),
        ("!sum -4 4", "0", true),
        ("!sum 1 two 3", "error: sum expects integers", true),
    ];
    for (line, expected, ok) in cases {
        let done = env.run(line);
        assert_eq!(done.ok, ok, "{line}: {done:?}");
        assert_eq!(done.stdout.trim_end_matches('\n'), expected, "{line}");
    }
}

#[test]
fn help_usage_and_suggestions() {
    let env = Env::new().var("COVE_ADMINS", "root");
    let help = env.run("!help");
    assert!(help.ok);
    for fragment in [
        "`!echo`",
        "`!sum`",
        "`!note`",
        "`!lock`",
        "`!help <command>`",
    ] {
        assert!(
            help.stdout.contains(fragment),
            "{fragment} missing:\n{}",
            help.stdout
        );
    }
    let one = env.run("!help note");
    assert!(one.ok && one.stdout.contains("!note"), "{one:?}");
    assert!(one.stdout.contains("Examples"), "{}", one.stdout);

    let typo = env.run("!ecoh hi");
    assert!(!typo.ok);
    assert!(
        typo.stdout
            .contains("Unknown command `ecoh`. Did you mean `!echo`?"),
        "{}",
        typo.stdout
    );
    let nothing_near = env.run("!zzzzzz");
    assert!(
        nothing_near.stdout.contains("Unknown command `zzzzzz`.")
            && !nothing_near.stdout.contains("Did you mean")
    );

    let missing = env.run("!echo");
    assert!(!missing.ok);
    assert!(
        missing.stdout.contains("Usage: `!echo"),
        "{}",
        missing.stdout
    );
    let open_quote = env.run("!unlock \"prod");
    assert!(
        open_quote.stdout.contains("A quote is not closed"),
        "{}",
        open_quote.stdout
    );
    let cove = env.run_as("root", "!cove plugins");
    assert!(
        cove.ok && cove.stdout.contains("echo") && cove.stdout.contains("notes"),
        "{cove:?}"
    );
}

#[test]
fn notes_are_kept_between_invocations() {
    let env = Env::new();
    assert!(env.run("!note add deploy \"make ship && make verify\"").ok);
    assert!(env.run("!note add rollback 'cove plugin rollback api'").ok);
    let shown = env.run("!note show deploy");
    assert!(
        shown.stdout.contains("make ship && make verify"),
        "{shown:?}"
    );
    let list = env.run("!note list");
    assert!(
        list.stdout.contains("deploy") && list.stdout.contains("rollback"),
        "{list:?}"
    );
    assert!(env.run("!note rm deploy").ok);
    let gone = env.run("!note show deploy");
    assert!(gone.stdout.contains("No note named"), "{gone:?}");
}

#[test]
fn deploy_locks_belong_to_their_holder() {
    let env = Env::new();
    let lock = env.cove(&["run", "!lock prod release 4.2", "--user", "alice"]);
    assert!(lock.ok, "{lock:?}");
    let taken = env.cove(&["run", "!lock prod hotfix", "--user", "bob"]);
    assert!(!taken.ok && taken.stdout.contains("alice"), "{taken:?}");
    let unlock_bob = env.cove(&["run", "!unlock prod", "--user", "bob"]);
    assert!(!unlock_bob.ok, "{unlock_bob:?}");
    let locks = env.run("!locks");
    assert!(
        locks.stdout.contains("prod") && locks.stdout.contains("release 4.2"),
        "{locks:?}"
    );
    assert!(env.cove(&["run", "!unlock prod", "--user", "alice"]).ok);
}

#[test]
fn console_chat_answers_each_line() {
    let env = Env::new();
    let mut child = env
        .command(&["chat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"!echo first\nsum 2 2\nnot-a-command\n/quit\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "first");
    assert_eq!(lines[1], "4");
    assert!(
        lines[2].contains("Unknown command `not-a-command`"),
        "{stdout}"
    );
}

#[test]
fn restart_keeps_data_and_compiles_nothing() {
    let env = Env::new();
    let first = env.run("!note add oncall alice");
    assert!(first.ok, "{first:?}");
    assert!(
        first.stderr.contains("loaded 8 plugins"),
        "{}",
        first.stderr
    );
    let second = env.run("!note show oncall");
    assert!(second.stdout.contains("alice"), "{second:?}");
    assert!(
        second
            .stderr
            .contains("loaded 8 plugins (0 compiled, 8 from cache)"),
        "{}",
        second.stderr
    );
}
