//! Checking arguments against a command's specs, and rendering its usage line. Pure.

use crate::manifest::{ArgKind, CommandSpec};

/// The usage line: the command's own text, or one rendered from its argument specs
/// (`!note <action> [topic] [text…]`).
pub fn usage(prefix: &str, spec: &CommandSpec) -> String {
    if !spec.usage.is_empty() {
        return spec.usage.clone();
    }
    let mut line = format!("{prefix}{}", spec.name);
    for arg in &spec.args {
        let dots = if arg.variadic { "…" } else { "" };
        let kind = match arg.kind {
            ArgKind::Int => ":int",
            ArgKind::Flag => ":yes/no",
            ArgKind::Text => "",
        };
        if arg.required {
            line.push_str(&format!(" <{}{kind}{dots}>", arg.name));
        } else {
            line.push_str(&format!(" [{}{kind}{dots}]", arg.name));
        }
    }
    line
}

/// Checks count and kinds; the error is a sentence for the user (usage is added by the caller).
pub fn check(spec: &CommandSpec, args: &[String]) -> Result<(), String> {
    let required = spec.args.iter().filter(|a| a.required).count();
    if args.len() < required {
        let missing = &spec.args[args.len()];
        return Err(format!("missing argument <{}>", missing.name));
    }
    let variadic = spec.args.last().is_some_and(|a| a.variadic);
    if !variadic && args.len() > spec.args.len() {
        return Err(format!(
            "too many arguments: `{}` takes at most {} (got {})",
            spec.name,
            spec.args.len(),
            args.len()
        ));
    }
    for (i, value) in args.iter().enumerate() {
        let Some(arg) = spec.args.get(i).or(spec.args.last()) else {
            break;
        };
        let ok = match arg.kind {
            ArgKind::Text => true,
            ArgKind::Int => value.parse::<i64>().is_ok(),
            ArgKind::Flag => parse_flag(value).is_some(),
        };
        if !ok {
            let expected = if arg.kind == ArgKind::Int {
                "an integer"
            } else {
                "yes or no"
            };
            return Err(format!("<{}> must be {expected} (got {value:?})", arg.name));
        }
    }
    Ok(())
}

/// True when the last argument takes all remaining words as text.
pub fn ends_in_free_text(spec: &CommandSpec) -> bool {
    spec.args
        .last()
        .is_some_and(|a| a.variadic && a.kind == ArgKind::Text)
}

/// `true/false`, `yes/no`, `on/off`, `1/0`.
pub fn parse_flag(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ArgSpec;

    fn spec(args: Vec<(&str, ArgKind, bool, bool)>) -> CommandSpec {
        CommandSpec {
            name: "cmd".into(),
            summary: String::new(),
            usage: String::new(),
            examples: vec![],
            args: args
                .into_iter()
                .map(|(name, kind, required, variadic)| ArgSpec {
                    name: name.into(),
                    description: String::new(),
                    kind,
                    required,
                    variadic,
                })
                .collect(),
            dangerous: false,
        }
    }

    fn owned(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn renders_usage_from_specs() {
        let s = spec(vec![
            ("env", ArgKind::Text, true, false),
            ("minutes", ArgKind::Int, false, false),
            ("reason", ArgKind::Text, false, true),
        ]);
        assert_eq!(usage("!", &s), "!cmd <env> [minutes:int] [reason…]");
    }

    #[test]
    fn checks_counts_and_kinds() {
        let s = spec(vec![
            ("env", ArgKind::Text, true, false),
            ("n", ArgKind::Int, false, false),
        ]);
        let cases: &[(&[&str], Result<(), &str>)] = &[
            (&["prod"], Ok(())),
            (&["prod", "5"], Ok(())),
            (&[], Err("missing argument <env>")),
            (
                &["prod", "five"],
                Err("<n> must be an integer (got \"five\")"),
            ),
            (
                &["prod", "5", "x"],
                Err("too many arguments: `cmd` takes at most 2 (got 3)"),
            ),
        ];
        for (args, expected) in cases {
            assert_eq!(
                check(&s, &owned(args)),
                expected.map_err(str::to_string),
                "{args:?}"
            );
        }
        let ints = spec(vec![("n", ArgKind::Int, false, true)]);
        assert_eq!(check(&ints, &owned(&["1", "2", "3"])), Ok(()));
        assert!(check(&ints, &owned(&["1", "x"])).is_err());
        let flag = spec(vec![("f", ArgKind::Flag, true, false)]);
        assert_eq!(check(&flag, &owned(&["yes"])), Ok(()));
        assert!(check(&flag, &owned(&["maybe"])).is_err());
    }
}
