//! `TESSERA_*` settings and the password policy on its own.

use std::collections::HashMap;
use std::time::Duration;

use tessera_server::domain::{
    Argon2Params, Password, PasswordPolicy, Problem, ServerSettings, Username, ValidationError,
    is_common_password,
};

fn settings(vars: &[(&str, &str)]) -> Result<ServerSettings, tessera::ConfigError> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    ServerSettings::from_lookup(|name| vars.get(name).cloned())
}

#[test]
fn defaults_follow_the_design() {
    let defaults = settings(&[]).unwrap();
    assert_eq!(defaults.refresh_reuse_grace, Some(Duration::from_secs(10)));
    assert_eq!(defaults.password_min_chars, 8);
    assert_eq!(
        defaults.argon2,
        Argon2Params {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1
        }
    );
    assert!(defaults.hash_concurrency >= 1);
    assert_eq!(
        defaults.session_idle_timeout,
        Some(Duration::from_secs(7 * 24 * 3600))
    );
    assert_eq!(defaults, ServerSettings::default());
}

#[test]
fn the_reuse_grace_takes_durations_and_off() {
    for (value, grace) in [
        ("5m", Some(Duration::from_secs(300))),
        ("30s", Some(Duration::from_secs(30))),
        ("off", None),
    ] {
        let read = settings(&[("TESSERA_REFRESH_REUSE_GRACE", value)]).unwrap();
        assert_eq!(read.refresh_reuse_grace, grace, "{value:?}");
    }
}

#[test]
fn variables_are_read() {
    let read = settings(&[
        ("TESSERA_REFRESH_REUSE_GRACE", "0"),
        ("TESSERA_PASSWORD_MIN_LENGTH", " 12 "),
        ("TESSERA_HASH_CONCURRENCY", "3"),
    ])
    .unwrap();
    assert_eq!(
        (
            read.refresh_reuse_grace,
            read.password_min_chars,
            read.hash_concurrency
        ),
        (None, 12, 3)
    );
}

#[test]
fn bad_values_give_one_line_errors_naming_the_variable() {
    for (name, value) in [
        ("TESSERA_REFRESH_REUSE_GRACE", "-1"),
        ("TESSERA_REFRESH_REUSE_GRACE", "301"),
        ("TESSERA_REFRESH_REUSE_GRACE", "ten"),
        ("TESSERA_REFRESH_REUSE_GRACE", "6m"),
        ("TESSERA_PASSWORD_MIN_LENGTH", "8s"),
        ("TESSERA_PASSWORD_MIN_LENGTH", "6"),
        ("TESSERA_PASSWORD_MIN_LENGTH", "129"),
        ("TESSERA_HASH_CONCURRENCY", "0"),
        ("TESSERA_SESSION_IDLE_TIMEOUT", "59"),
        ("TESSERA_SESSION_IDLE_TIMEOUT", "-1"),
        ("TESSERA_SESSION_IDLE_TIMEOUT", "forever"),
        ("TESSERA_SESSION_IDLE_TIMEOUT", "59m"),
        ("TESSERA_SESSION_IDLE_TIMEOUT", "367d"),
        ("TESSERA_SESSION_IDLE_TIMEOUT", "True"),
    ] {
        let message = settings(&[(name, value)]).unwrap_err().to_string();
        // The variable, the value, then what is allowed.
        assert!(
            message.starts_with(&format!("{name}: {value:?} must ")),
            "{message}"
        );
        assert!(message.contains(&format!("{value:?}")), "{message}");
        assert!(!message.contains('\n'), "{message}");
    }
}

#[test]
fn the_idle_timeout_is_read_and_zero_turns_it_off() {
    let day = settings(&[("TESSERA_SESSION_IDLE_TIMEOUT", "86400")]).unwrap();
    assert_eq!(day.session_idle_timeout, Some(Duration::from_secs(86_400)));
    assert_eq!(day.idle_cutoff(1_000_000), 1_000_000 - 86_400);
    for value in ["0", "off", "False", "no"] {
        let off = settings(&[("TESSERA_SESSION_IDLE_TIMEOUT", value)]).unwrap();
        assert_eq!(off.session_idle_timeout, None, "{value:?}");
        assert_eq!(off.idle_cutoff(1_000_000), i64::MIN);
    }
}

#[test]
fn the_idle_timeout_takes_the_same_durations_as_the_token_lifetimes() {
    for (value, seconds) in [("30d", 30 * 86_400), ("2h", 7200), ("90m", 5400)] {
        let read = settings(&[("TESSERA_SESSION_IDLE_TIMEOUT", value)]).unwrap();
        assert_eq!(
            read.session_idle_timeout,
            Some(Duration::from_secs(seconds)),
            "{value:?}"
        );
    }
}

#[test]
fn an_idle_timeout_within_the_access_token_lifetime_refuses_to_start() {
    let mut tokens = tessera::TokenConfig::with_secret("unused");
    tokens.access_expires = Duration::from_secs(7200);
    let too_short = settings(&[("TESSERA_SESSION_IDLE_TIMEOUT", "7200")])
        .unwrap()
        .with_token_lifetimes(&tokens);
    let message = too_short.check().unwrap_err().to_string();
    assert!(
        message.starts_with("TESSERA_SESSION_IDLE_TIMEOUT: "),
        "{message}"
    );
    assert!(message.contains("JWT_ACCESS_TOKEN_EXPIRES"), "{message}");
    let longer = settings(&[("TESSERA_SESSION_IDLE_TIMEOUT", "7201")])
        .unwrap()
        .with_token_lifetimes(&tokens);
    assert!(longer.check().is_ok());
    let off = settings(&[("TESSERA_SESSION_IDLE_TIMEOUT", "0")])
        .unwrap()
        .with_token_lifetimes(&tokens);
    assert!(off.check().is_ok());
}

#[test]
fn token_lifetimes_come_from_the_token_settings() {
    let mut tokens = tessera::TokenConfig::with_secret("unused");
    tokens.access_expires = Duration::from_secs(300);
    tokens.refresh_expires = Duration::from_secs(86_400);
    let read = ServerSettings::default().with_token_lifetimes(&tokens);
    assert_eq!(
        (read.access_token_lifetime, read.session_lifetime),
        (Duration::from_secs(300), Duration::from_secs(86_400))
    );
}

fn check(min_chars: usize, password: &str) -> Result<(), ValidationError> {
    let username = Username::parse("someone").unwrap();
    PasswordPolicy { min_chars }.check("password", &Password::new(password), &username, None)
}

#[test]
fn password_length_counts_characters_between_the_limits() {
    assert_eq!(
        check(8, "seven77").unwrap_err().problem,
        Problem::TooShort { min: 8 }
    );
    assert!(check(8, "eight888x").is_ok());
    assert!(check(8, &"correct horse battery staple ".repeat(5)[..128]).is_ok());
    assert_eq!(
        check(8, &"z".repeat(129)).unwrap_err().problem,
        Problem::TooLong { max: 128 }
    );
    assert_eq!(
        check(12, "elevenchars").unwrap_err().problem,
        Problem::TooShort { min: 12 }
    );
    // Eight emoji are eight characters, though 32 bytes.
    assert!(check(8, "🦊🌲🔥🧭🎻🐙🍋🚲").is_ok());
    assert_eq!(
        check(8, "🦊🌲🔥🧭🎻🐙🍋").unwrap_err().problem,
        Problem::TooShort { min: 8 }
    );
    assert_eq!(check(8, "").unwrap_err().problem, Problem::Empty);
}

#[test]
fn passwords_need_no_composition() {
    assert!(check(8, "all lowercase words here").is_ok());
    assert!(check(8, "        spaces count too").is_ok());
}

#[test]
fn common_passwords_are_refused_case_insensitively() {
    for password in [
        "password", "PASSWORD", "iloveyou", "trustno1", "1qaz2wsx", "Sunshine",
    ] {
        assert!(is_common_password(password), "{password}");
    }
    assert!(!is_common_password("plaid-otter-umbrella"));
    assert_eq!(
        check(8, "ILoveYou").unwrap_err().problem,
        Problem::CommonPassword
    );
}

#[test]
fn the_password_equal_to_the_username_is_refused() {
    let err = check(3, "SomeOne").unwrap_err();
    assert_eq!(
        err,
        ValidationError {
            field: "password",
            problem: Problem::SameAsUsername
        }
    );
    assert_eq!(err.to_string(), "password must not be the username");
}

#[test]
fn only_short_units_repeated_count_as_repetitive() {
    assert_eq!(
        check(8, "xyzxyzxy").unwrap_err().problem,
        Problem::Repetitive
    );
    assert_eq!(
        check(12, "abcdefabcdef").unwrap_err().problem,
        Problem::Repetitive
    );
    // A unit as long as the minimum, repeated, is as strong as the unit.
    assert!(check(8, "q7#vw!2kq7#vw!2k").is_ok());
    assert!(check(8, "aaaaaaab").is_ok());
}

#[test]
fn only_whole_runs_of_consecutive_characters_count_as_sequential() {
    assert_eq!(
        check(8, "AbCdEfGhIj").unwrap_err().problem,
        Problem::Sequential
    );
    assert_eq!(
        check(8, "zyxwvutsr").unwrap_err().problem,
        Problem::Sequential
    );
    assert!(check(8, "abcdefgh1").is_ok());
    assert!(check(8, "13579bdf").is_ok());
}

#[test]
fn context_words_count_from_three_characters() {
    let jo = Username::parse("jo_").unwrap();
    let policy = PasswordPolicy { min_chars: 8 };
    let with_email = |password: &str, email: &str| {
        policy.check("password", &Password::new(password), &jo, Some(email))
    };
    assert!(with_email("joking aside, friend", "jo@example.org").is_ok());
    assert_eq!(
        with_email("my name is JOE!", "joe@example.org")
            .unwrap_err()
            .problem,
        Problem::ContainsEmail
    );
    assert_eq!(
        with_email("hi jo_ here", "x@example.org")
            .unwrap_err()
            .problem,
        Problem::ContainsUsername
    );
}

#[test]
fn passwords_never_show_in_debug_output() {
    let debug = format!("{:?}", Password::new("hunter2-secret"));
    assert!(!debug.contains("hunter2"), "{debug}");
}

#[test]
fn usernames_are_trimmed_normalised_and_keyed() {
    let name = Username::parse("  Ｄｒ.Ｗｈｏ ").unwrap();
    assert_eq!(name.as_str(), "Dr.Who");
    assert_eq!(name.key(), "dr.who");
    // A combining mark may follow a letter but not start a name.
    assert!(Username::parse("e\u{301}tienne").is_ok());
    assert_eq!(
        Username::parse("\u{301}tienne").unwrap_err().problem,
        Problem::InvalidCharacters
    );
}
