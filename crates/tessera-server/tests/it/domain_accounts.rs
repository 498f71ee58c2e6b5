//! Registration, login and password changes, on each backend.

use tessera_server::domain::{
    AccountError, Argon2Params, AuditQuery, NewAccount, Password, Problem, RefreshError,
    Registration, ServerSettings, ValidationError, whole_seconds,
};
use unicode_normalization::UnicodeNormalization;

use tessera_server::store::UserRecord;

use crate::store_support::{GOOD_PASSWORD, Harness, backend_tests, client, test_settings};

fn registration(name: &str, password: &str) -> Registration {
    Registration::new(name, Password::new(password), None)
}

fn validation(err: AccountError) -> ValidationError {
    match err {
        AccountError::Validation(err) => err,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

backend_tests! {
    async fn registration_returns_the_user_without_roles(db) {
        let h = Harness::open(&db).await;
        let user = h
            .auth
            .register(Registration::new("  Ada.Lovelace ", Password::new(GOOD_PASSWORD), Some(" ada@example.org ".into())))
            .await
            .unwrap();
        assert_eq!(user.username, "Ada.Lovelace");
        assert_eq!(user.email.as_deref(), Some("ada@example.org"));
        assert!(user.roles.is_empty());
        assert!(!user.disabled);
        assert_eq!(user.created_at, crate::store_support::START);
        assert_eq!(h.auth.user(&user.id).await.unwrap(), user);
    }

    async fn registration_stores_an_argon2id_phc_hash(db) {
        let h = Harness::open(&db).await;
        let user = h.user("grace").await;
        let record = h.auth.store().user_by_id(&user.id).await.unwrap().unwrap();
        let hash = record.password_hash.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=8,t=1,p=1$"), "{hash}");
        assert!(!hash.contains(GOOD_PASSWORD));
    }

    async fn duplicate_username_is_taken(db) {
        let h = Harness::open(&db).await;
        h.user("linus").await;
        let err = h.auth.register(registration("linus", GOOD_PASSWORD)).await.unwrap_err();
        assert!(matches!(err, AccountError::UsernameTaken), "{err:?}");
        assert_eq!(h.auth.store().count_users().await.unwrap(), 1);
    }

    async fn case_variant_username_is_taken(db) {
        let h = Harness::open(&db).await;
        h.user("Linus").await;
        let err = h.auth.register(registration("lINUS", GOOD_PASSWORD)).await.unwrap_err();
        assert!(matches!(err, AccountError::UsernameTaken), "{err:?}");
    }

    async fn nfkc_variant_username_is_taken(db) {
        let h = Harness::open(&db).await;
        h.user("linus").await;
        // Full-width letters are the same name after NFKC.
        let err = h.auth.register(registration("ｌｉｎｕｓ", GOOD_PASSWORD)).await.unwrap_err();
        assert!(matches!(err, AccountError::UsernameTaken), "{err:?}");
        // So are a composed and a decomposed accent.
        h.user("jos\u{e9}").await;
        let err = h.auth.register(registration("JOSE\u{301}", GOOD_PASSWORD)).await.unwrap_err();
        assert!(matches!(err, AccountError::UsernameTaken), "{err:?}");
    }

    async fn unicode_letters_are_allowed_in_usernames(db) {
        let h = Harness::open(&db).await;
        let user = h.user("Ζωή_Ωμέγα-1.0").await;
        assert_eq!(user.username, "Ζωή_Ωμέγα-1.0");
    }

    async fn invalid_usernames_name_the_field(db) {
        let h = Harness::open(&db).await;
        let cases = [
            ("", Problem::Empty),
            ("ab", Problem::TooShort { min: 3 }),
            (&"x".repeat(65), Problem::TooLong { max: 64 }),
            ("has space", Problem::InvalidCharacters),
            ("semi;colon", Problem::InvalidCharacters),
            ("emoji🙂", Problem::InvalidCharacters),
        ];
        for (name, problem) in cases {
            let err = validation(h.auth.register(registration(name, GOOD_PASSWORD)).await.unwrap_err());
            assert_eq!(err, ValidationError { field: "username", problem }, "{name:?}");
        }
        assert_eq!(h.auth.store().count_users().await.unwrap(), 0);
    }

    async fn invalid_email_names_the_field(db) {
        let h = Harness::open(&db).await;
        for email in ["no-at-sign", "two@@example.org", "@example.org", "spa ce@example.org"] {
            let err = h
                .auth
                .register(Registration::new("mallory", Password::new(GOOD_PASSWORD), Some(email.into())))
                .await
                .unwrap_err();
            assert_eq!(validation(err).field, "email", "{email:?}");
        }
    }

    async fn weak_passwords_are_refused_and_name_the_field(db) {
        let h = Harness::open(&db).await;
        let cases = [
            ("short7!", Problem::TooShort { min: 8 }),
            (&"p".repeat(129), Problem::TooLong { max: 128 }),
            ("Password1", Problem::CommonPassword),
            ("QWERTYUIOP", Problem::CommonPassword),
            ("Username-Is-Me", Problem::SameAsUsername),
        ];
        for (password, problem) in cases {
            let err = validation(h.auth.register(registration("username-is-me", password)).await.unwrap_err());
            assert_eq!(err, ValidationError { field: "password", problem }, "{password:?}");
        }
        assert_eq!(h.auth.store().count_users().await.unwrap(), 0);
    }

    async fn long_and_emoji_passwords_are_accepted(db) {
        let h = Harness::open(&db).await;
        let long = "correct horse battery staple ".repeat(5)[..128].to_owned();
        assert_eq!(long.chars().count(), 128);
        h.auth.register(registration("longpass", &long)).await.unwrap();
        h.auth.login("longpass", &Password::new(long), Default::default()).await.unwrap();

        let emoji = "🦊🌲🔥🧭🎻🐙🍋🚲";
        h.auth.register(registration("emojipass", emoji)).await.unwrap();
        h.auth.login("emojipass", &Password::new(emoji), Default::default()).await.unwrap();
    }

    async fn login_grants_a_session_for_the_user(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let grant = h.auth.login("ada", &Password::new(GOOD_PASSWORD), client("curl/8", "10.0.0.1")).await.unwrap();
        assert_eq!(grant.user, user);
        assert_eq!(grant.session.user_id, user.id);
        assert_eq!(grant.session.expires_at, crate::store_support::START + whole_seconds(h.auth.settings().session_lifetime));
        let record = h.auth.store().session(&grant.session.id).await.unwrap().unwrap();
        assert_eq!(record.refresh_jti, grant.refresh_jti);
        assert_eq!(record.user_agent.as_deref(), Some("curl/8"));
        assert_eq!(record.ip.as_deref(), Some("10.0.0.1"));
    }

    async fn login_accepts_case_and_nfkc_variants_of_the_username(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        for name in ["ADA", " Ada ", "ＡＤＡ"] {
            let grant = h.auth.login(name, &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap();
            assert_eq!(grant.user.id, user.id, "{name:?}");
        }
    }

    async fn unknown_user_wrong_password_and_disabled_user_get_the_same_error(db) {
        let h = Harness::open(&db).await;
        h.user("ada").await;
        let disabled = h.user("bob").await;
        h.auth.set_disabled(None, &disabled.id, true).await.unwrap();

        let unknown = h.auth.login("nobody", &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap_err();
        let wrong = h.auth.login("ada", &Password::new("not-the-password"), Default::default()).await.unwrap_err();
        let off = h.auth.login("bob", &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap_err();
        let invalid_name = h.auth.login("x", &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap_err();
        for err in [&unknown, &wrong, &off, &invalid_name] {
            assert!(matches!(err, AccountError::InvalidCredentials), "{err:?}");
            assert_eq!(err.to_string(), "invalid username or password");
            assert_eq!(err.code(), "invalid_credentials");
        }
    }

    async fn failed_logins_are_audited_with_the_reason(db) {
        let h = Harness::open(&db).await;
        let ada = h.user("ada").await;
        let _ = h.auth.login("ada", &Password::new("not-the-password"), client("ua", "192.0.2.7")).await;
        let _ = h.auth.login("nobody", &Password::new(GOOD_PASSWORD), Default::default()).await;
        let page = h
            .auth
            .audit_events(&AuditQuery { kind: Some("login_failed".into()), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.items[0].user_id, None);
        assert_eq!(page.items[0].detail["reason"], "unknown_user");
        assert_eq!(page.items[1].user_id.as_deref(), Some(ada.id.as_str()));
        assert_eq!(page.items[1].detail["reason"], "wrong_password");
        assert_eq!(page.items[1].detail["ip"], "192.0.2.7");
        assert!(!page.items[1].detail.to_string().contains("not-the-password"));
    }

    async fn login_rehashes_a_password_stored_with_other_parameters(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let before = h.auth.store().user_by_id(&user.id).await.unwrap().unwrap().password_hash.unwrap();

        let stronger = ServerSettings {
            argon2: Argon2Params { memory_kib: 16, iterations: 2, parallelism: 1 },
            ..test_settings()
        };
        let restarted = h.reopen(stronger).await;
        assert!(restarted.hasher().needs_rehash(&before));
        restarted.login("ada", &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap();

        let after = h.auth.store().user_by_id(&user.id).await.unwrap().unwrap().password_hash.unwrap();
        assert!(after.starts_with("$argon2id$v=19$m=16,t=2,p=1$"), "{after}");
        assert!(!restarted.hasher().needs_rehash(&after));
        restarted.login("ada", &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap();
    }

    async fn failed_login_does_not_rehash(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let before = h.auth.store().user_by_id(&user.id).await.unwrap().unwrap().password_hash;
        let stronger = ServerSettings {
            argon2: Argon2Params { memory_kib: 16, iterations: 2, parallelism: 1 },
            ..test_settings()
        };
        let restarted = h.reopen(stronger).await;
        let _ = restarted.login("ada", &Password::new("not-the-password"), Default::default()).await;
        let after = h.auth.store().user_by_id(&user.id).await.unwrap().unwrap().password_hash;
        assert_eq!(before, after);
    }

    async fn change_password_needs_the_current_password(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let err = h
            .auth
            .change_password(&user.id, None, &Password::new("not-the-password"), &Password::new("a brand new secret"))
            .await
            .unwrap_err();
        assert!(matches!(err, AccountError::InvalidCredentials), "{err:?}");
        h.login("ada").await;
    }

    async fn change_password_checks_the_new_password_as_new_password(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let err = h
            .auth
            .change_password(&user.id, None, &Password::new(GOOD_PASSWORD), &Password::new("letmein1"))
            .await
            .unwrap_err();
        assert_eq!(validation(err), ValidationError { field: "new_password", problem: Problem::CommonPassword });
    }

    async fn change_password_replaces_the_password(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        h.auth
            .change_password(&user.id, None, &Password::new(GOOD_PASSWORD), &Password::new("a brand new secret"))
            .await
            .unwrap();
        let old = h.auth.login("ada", &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap_err();
        assert!(matches!(old, AccountError::InvalidCredentials), "{old:?}");
        h.auth.login("ada", &Password::new("a brand new secret"), Default::default()).await.unwrap();
    }

    async fn change_password_ends_the_other_sessions_and_keeps_the_current_one(db) {
        let h = Harness::open(&db).await;
        let user = h.user("ada").await;
        let here = h.login("ada").await;
        let elsewhere = h.login("ada").await;
        let ended = h
            .auth
            .change_password(&user.id, Some(&here.session.id), &Password::new(GOOD_PASSWORD), &Password::new("a brand new secret"))
            .await
            .unwrap();
        assert_eq!(ended, 1);
        let err = h.auth.rotate(&elsewhere.session.id, &elsewhere.refresh_jti).await.unwrap_err();
        assert!(matches!(err, AccountError::Refresh(RefreshError::Revoked)), "{err:?}");
        assert!(h.auth.revoked().is_revoked(Some(&elsewhere.session.id), "any-jti"));
        h.auth.rotate(&here.session.id, &here.refresh_jti).await.unwrap();
        assert!(!h.auth.revoked().is_revoked(Some(&here.session.id), "any-jti"));
    }

    async fn a_failed_login_audits_no_more_of_the_name_than_a_username_can_hold(db) {
        let h = Harness::open(&db).await;
        // 60 KiB of name per failed login would fill the audit table fast.
        let flood = "x".repeat(60_000);
        let _ = h.auth.login(&flood, &Password::new(GOOD_PASSWORD), Default::default()).await;
        let page = h
            .auth
            .audit_events(&AuditQuery { kind: Some("login_failed".into()), ..Default::default() })
            .await
            .unwrap();
        let logged = page.items[0].detail["username"].as_str().unwrap();
        assert!(logged.chars().count() <= 64, "{} characters audited", logged.chars().count());
        assert!(logged.starts_with("xxx"), "{logged}");
    }
}

/// The real OWASP costs, once: hashes carry m=19456,t=2,p=1 and verify.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owasp_parameters_hash_and_verify() {
    let hasher = tessera_server::domain::PasswordHasher::new(Argon2Params::OWASP, 2)
        .await
        .unwrap();
    let hash = hasher.hash(&Password::new(GOOD_PASSWORD)).await.unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(
        hasher
            .verify(&Password::new(GOOD_PASSWORD), Some(&hash))
            .await
            .unwrap()
            .matches
    );
    assert!(
        !hasher
            .verify(&Password::new("not-the-password"), Some(&hash))
            .await
            .unwrap()
            .matches
    );
    assert!(!hasher.needs_rehash(&hash));
    assert_eq!(ServerSettings::default().argon2, Argon2Params::OWASP);
}

/// The real OWASP costs through the service on SQLite: register, then log in.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn owasp_parameters_register_and_log_in() {
    crate::store_support::run(crate::store_support::Kind::Sqlite, |db| async move {
        let settings = ServerSettings {
            argon2: Argon2Params::OWASP,
            ..test_settings()
        };
        let h = Harness::with_settings(&db, settings).await;
        let user = h.user("owasp").await;
        let hash = h
            .auth
            .store()
            .user_by_id(&user.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash
            .unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        h.login("owasp").await;
    })
    .await;
}

/// The characters that display as nothing and were used to register a
/// second "boss": combining grapheme joiner, variation selectors, a Mongolian
/// variation selector, the Hangul fillers.
const INVISIBLE: [char; 6] = [
    '\u{34f}', '\u{fe0f}', '\u{fe00}', '\u{180b}', '\u{3164}', '\u{115f}',
];

/// The bidirectional controls, which reorder how the text around them shows.
const DIRECTION_CONTROLS: [char; 12] = [
    '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}',
    '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}',
];

backend_tests! {
    async fn usernames_with_invisible_characters_are_refused(db) {
        let h = Harness::open(&db).await;
        h.user("boss").await;
        for invisible in INVISIBLE {
            for name in [format!("boss{invisible}"), format!("bo{invisible}ss")] {
                let err = validation(h.auth.register(registration(&name, GOOD_PASSWORD)).await.unwrap_err());
                assert_eq!(err, ValidationError { field: "username", problem: Problem::InvisibleCharacters }, "{name:?}");
            }
        }
        assert_eq!(h.auth.store().count_users().await.unwrap(), 1);
    }

    async fn usernames_mixing_scripts_are_refused(db) {
        let h = Harness::open(&db).await;
        // Latin b and ss around a Cyrillic о: shows as "boss".
        for name in ["b\u{43e}ss", "Zoë_Ωmega", "p\u{430}ypal"] {
            let err = validation(h.auth.register(registration(name, GOOD_PASSWORD)).await.unwrap_err());
            assert_eq!(err, ValidationError { field: "username", problem: Problem::MixedScripts }, "{name:?}");
            assert_eq!(err.to_string(), "username must not mix scripts (such as Latin and Cyrillic letters)");
        }
        assert_eq!(h.auth.store().count_users().await.unwrap(), 0);
    }

    async fn usernames_in_one_script_are_allowed(db) {
        let h = Harness::open(&db).await;
        for name in [
            "борис",          // Cyrillic
            "ωμέγα",          // Greek
            "山田たろう",       // Han with Hiragana: Japanese
            "김민준",          // Hangul
            "José_92",        // Latin with an accent, digits
            "zoë.o-b_1",      // Latin with . - _
            "e\u{301}tienne", // a combining accent after a letter
            "محمد",           // Arabic
        ] {
            let user = h.user(name).await;
            assert_eq!(user.username, name.nfkc().collect::<String>(), "{name:?}");
        }
    }

    async fn a_username_confusable_with_an_existing_one_is_taken(db) {
        let h = Harness::open(&db).await;
        h.user("cop").await;
        h.user("marie").await;
        h.user("paypal").await;
        // All-Cyrillic "сор", "rn" for "m", the digit 1 for the letter l:
        // each has the skeleton (UTS #39) of an existing name.
        for name in ["\u{441}\u{43e}\u{440}", "rnarie", "paypa1", "PAYPAL"] {
            let err = h.auth.register(registration(name, GOOD_PASSWORD)).await.unwrap_err();
            assert!(matches!(err, AccountError::UsernameTaken), "{name:?}: {err:?}");
        }
        assert_eq!(h.auth.store().count_users().await.unwrap(), 3);
    }

    async fn an_admin_created_user_confusable_with_an_existing_one_is_taken(db) {
        let h = Harness::open(&db).await;
        h.user("rnarie").await;
        let err = h
            .auth
            .create_user(
                NewAccount {
                    username: "marie".into(),
                    password: Password::new(GOOD_PASSWORD),
                    email: None,
                    roles: vec!["admin".into()],
                },
                None,
            )
            .await
            .unwrap_err();
        assert!(matches!(err, AccountError::UsernameTaken), "{err:?}");
    }

    async fn emails_with_direction_controls_are_refused(db) {
        let h = Harness::open(&db).await;
        for control in DIRECTION_CONTROLS {
            let email = format!("ada{control}@example.org");
            let err = h
                .auth
                .register(Registration::new("ada", Password::new(GOOD_PASSWORD), Some(email.clone())))
                .await
                .unwrap_err();
            assert_eq!(validation(err), ValidationError { field: "email", problem: Problem::DirectionControls }, "{email:?}");
        }
        assert_eq!(h.auth.store().count_users().await.unwrap(), 0);
    }

    async fn weak_passwords_name_why_they_are_refused(db) {
        let h = Harness::open(&db).await;
        let cases = [
            ("aaaaaaaa", Problem::Repetitive),
            ("abcabcabc", Problem::Repetitive),
            ("abcdefgh", Problem::Sequential),
            ("ZYXWVUTS", Problem::Sequential),
            ("12345678", Problem::Sequential),
            ("87654321", Problem::Sequential),
            ("        ", Problem::WhitespaceOnly),
            ("\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}\u{3000}", Problem::WhitespaceOnly),
            ("pwuser77pwuser77", Problem::ContainsUsername),
            ("my-PWUSER77-secret", Problem::ContainsUsername),
            ("ada.lovelace-1815", Problem::ContainsEmail),
            ("tessera-is-my-login", Problem::ContainsServiceName),
        ];
        for (password, problem) in cases {
            let err = h
                .auth
                .register(Registration::new("pwuser77", Password::new(password), Some("Ada.Lovelace@example.org".into())))
                .await
                .unwrap_err();
            assert_eq!(validation(err), ValidationError { field: "password", problem }, "{password:?}");
        }
        assert_eq!(h.auth.store().count_users().await.unwrap(), 0);
    }

    async fn passphrases_and_ordinary_passwords_still_pass(db) {
        let h = Harness::open(&db).await;
        for (name, password) in [
            ("ada", "correct horse battery staple"),
            ("grace", GOOD_PASSWORD),
            ("linus", "tr0ub4dor&3-horse"),
            ("emoji", "🦊🌲🔥🧭🎻🐙🍋🚲"),
        ] {
            h.auth
                .register(Registration::new(name, Password::new(password), Some(format!("{name}@example.org"))))
                .await
                .unwrap_or_else(|err| panic!("{password:?}: {err}"));
        }
    }

    async fn the_password_policy_knows_the_username_and_email_when_an_admin_creates_a_user(db) {
        let h = Harness::open(&db).await;
        for (password, problem) in [("boss-of-bosses", Problem::ContainsUsername), ("the.chief.1!", Problem::ContainsEmail)] {
            let err = h
                .auth
                .create_user(
                    NewAccount {
                        username: "boss".into(),
                        password: Password::new(password),
                        email: Some("the.chief@example.org".into()),
                        roles: vec!["admin".into()],
                    },
                    None,
                )
                .await
                .unwrap_err();
            assert_eq!(validation(err), ValidationError { field: "password", problem }, "{password:?}");
        }
    }

    async fn a_new_password_may_not_contain_the_username_or_the_email_name(db) {
        let h = Harness::open(&db).await;
        let user = h
            .auth
            .register(Registration::new("grace", Password::new(GOOD_PASSWORD), Some("rear.admiral@navy.example".into())))
            .await
            .unwrap();
        for (new, problem) in [("Grace-Hopper-1906", Problem::ContainsUsername), ("rear.admiral-1906", Problem::ContainsEmail)] {
            let err = h
                .auth
                .change_password(&user.id, None, &Password::new(GOOD_PASSWORD), &Password::new(new))
                .await
                .unwrap_err();
            assert_eq!(validation(err), ValidationError { field: "new_password", problem }, "{new:?}");
        }
    }
}

/// Writes a user as an older version did: no skeleton, no name rules.
async fn insert_legacy_user(h: &Harness, name: &str, created_at: i64) -> UserRecord {
    let record = UserRecord {
        id: uuid::Uuid::new_v4().to_string(),
        username: name.to_owned(),
        username_key: name.to_lowercase(),
        username_skeleton: None,
        email: None,
        password_hash: Some(
            h.auth
                .hasher()
                .hash(&Password::new(GOOD_PASSWORD))
                .await
                .unwrap(),
        ),
        roles: Vec::new(),
        disabled_at: None,
        created_at,
        updated_at: created_at,
    };
    h.auth.store().insert_user(&record).await.unwrap();
    record
}

backend_tests! {
    async fn skeletons_of_older_users_are_stored_at_start_up(db) {
        let h = Harness::open(&db).await;
        let cop = insert_legacy_user(&h, "cop", crate::store_support::START).await;
        let marie = insert_legacy_user(&h, "marie", crate::store_support::START + 1).await;
        // Registered before the rules: looks like "cop", which is older.
        let lookalike = insert_legacy_user(&h, "\u{441}\u{43e}\u{440}", crate::store_support::START + 2).await;

        let auth = h.reopen(test_settings()).await;
        let skeleton = |id: String| {
            let auth = auth.clone();
            async move { auth.store().user_by_id(&id).await.unwrap().unwrap().username_skeleton }
        };
        assert_eq!(skeleton(cop.id).await.as_deref(), Some("cop"));
        assert_eq!(skeleton(marie.id).await.as_deref(), Some("rnarie"));
        assert_eq!(skeleton(lookalike.id).await, None);
        let err = auth.register(registration("rnarie", GOOD_PASSWORD)).await.unwrap_err();
        assert!(matches!(err, AccountError::UsernameTaken), "{err:?}");
        // A restart finds nothing more to do, and the look-alike still works.
        h.reopen(test_settings()).await;
        auth.login("\u{441}\u{43e}\u{440}", &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap();
    }

    async fn an_account_named_before_the_name_rules_still_logs_in_and_changes_its_password(db) {
        let h = Harness::open(&db).await;
        let old = insert_legacy_user(&h, "b\u{43e}ss", crate::store_support::START).await;
        h.auth.login("B\u{43e}SS", &Password::new(GOOD_PASSWORD), Default::default()).await.unwrap();
        h.auth
            .change_password(&old.id, None, &Password::new(GOOD_PASSWORD), &Password::new("a brand new secret"))
            .await
            .unwrap();
        h.auth.login("b\u{43e}ss", &Password::new("a brand new secret"), Default::default()).await.unwrap();
    }
}
