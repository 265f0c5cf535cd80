//! The users, roles and sessions part of the suite (`UserStore`); run on both backends by the
//! `suite!` list in `store_suite.rs`.

use std::time::Duration;

use crm_store::{
    ManagedBy, NewSession, NewUser, PasswordHash, Roles, StaffRole, StoreError, TokenHash,
    UserChange, UserPage, UserStore,
};

use super::{Fixture, MARCH_2026};

const HOUR_MS: i64 = 3_600_000;

fn hash(n: u32) -> PasswordHash {
    PasswordHash::new(format!(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${n:043}"
    ))
    .expect("a PHC-shaped string")
}

fn token(n: u32) -> TokenHash {
    TokenHash::from_hex(&format!("{n:064x}")).expect("64 hex digits")
}

fn user(login: &str, roles: Roles) -> NewUser {
    NewUser {
        login: login.into(),
        name: format!("Name of {login}").into(),
        password_hash: hash(1),
        roles,
        enabled: true,
    }
}

fn operator() -> Roles {
    Roles::only(StaffRole::Operator).unwrap()
}

fn second_level(groups: &[&str]) -> Roles {
    Roles::new(
        [StaffRole::SecondLevel, StaffRole::Operator],
        groups.iter().map(|g| g.to_string()),
    )
    .unwrap()
}

fn session(login: &str, n: u32) -> NewSession {
    NewSession {
        token_hash: token(n),
        login: login.into(),
        lifetime_ms: 8 * HOUR_MS,
    }
}

pub async fn users_are_created_read_and_listed_with_their_roles<S: UserStore>(f: Fixture<S>) {
    let created = f
        .store
        .create_user(user("mario", second_level(&["it-desk", "hr-payroll"])))
        .await
        .unwrap();
    assert_eq!(created.login, "mario");
    assert_eq!(created.name.expose(), "Name of mario");
    assert_eq!(created.managed_by, ManagedBy::Api);
    assert!(created.enabled);
    assert_eq!(created.created_at_unix_ms, MARCH_2026);
    assert_eq!(
        created.roles.groups().collect::<Vec<_>>(),
        ["hr-payroll", "it-desk"]
    );
    assert!(created.roles.has(StaffRole::Operator));
    assert!(!created.roles.has(StaffRole::Supervisor));
    assert_eq!(created.password_hash, hash(1));
    assert_eq!(f.store.get_user("mario").await.unwrap(), Some(created));

    for login in ["anna", "zeno", "bruno"] {
        f.store.create_user(user(login, operator())).await.unwrap();
    }
    let logins =
        |users: Vec<crm_store::User>| users.into_iter().map(|u| u.login).collect::<Vec<_>>();
    assert_eq!(
        logins(f.store.list_users(UserPage::default()).await.unwrap()),
        ["anna", "bruno", "mario", "zeno"]
    );
    let page = f
        .store
        .list_users(UserPage {
            limit: 2,
            offset: 1,
        })
        .await
        .unwrap();
    assert_eq!(
        page[1].roles.groups().count(),
        2,
        "every role of a listed user"
    );
    assert_eq!(logins(page), ["bruno", "mario"]);
    assert_eq!(f.store.get_user("nobody").await.unwrap(), None);
}

pub async fn a_taken_login_or_bad_user_is_refused<S: UserStore>(f: Fixture<S>) {
    f.store.create_user(user("anna", operator())).await.unwrap();
    assert!(matches!(
        f.store.create_user(user("anna", operator())).await,
        Err(StoreError::Conflict(_))
    ));
    for bad in ["Anna", "", "system", "a b"] {
        assert!(
            matches!(
                f.store.create_user(user(bad, operator())).await,
                Err(StoreError::InvalidInput(_))
            ),
            "{bad:?}"
        );
    }
    let mut nameless = user("bruno", operator());
    nameless.name = " ".to_string().into();
    assert!(matches!(
        f.store.create_user(nameless).await,
        Err(StoreError::InvalidInput(_))
    ));
    assert_eq!(
        f.store.list_users(UserPage::default()).await.unwrap().len(),
        1
    );
}

pub async fn api_changes_apply_to_api_users_and_disabling_ends_sessions<S: UserStore>(
    f: Fixture<S>,
) {
    f.store.create_user(user("anna", operator())).await.unwrap();
    f.store.create_session(session("anna", 1)).await.unwrap();
    f.clock.advance(Duration::from_secs(10));
    let changed = f
        .store
        .update_user(
            "anna",
            UserChange {
                name: Some("Anna Rossi".to_string().into()),
                roles: Some(second_level(&["it-desk"])),
                enabled: None,
            },
        )
        .await
        .unwrap()
        .expect("anna exists");
    assert_eq!(changed.name.expose(), "Anna Rossi");
    assert!(changed.roles.has(StaffRole::SecondLevel));
    assert_eq!(changed.updated_at_unix_ms, MARCH_2026 + 10_000);
    assert_eq!(changed.created_at_unix_ms, MARCH_2026);
    assert!(
        f.store.session(&token(1)).await.unwrap().is_some(),
        "a change of roles keeps the session: roles are read at every request"
    );

    let disabled = f
        .store
        .update_user(
            "anna",
            UserChange {
                enabled: Some(false),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!disabled.enabled);
    assert_eq!(disabled.name.expose(), "Anna Rossi", "kept");
    assert_eq!(f.store.session(&token(1)).await.unwrap(), None);
    let enabled = f
        .store
        .update_user(
            "anna",
            UserChange {
                enabled: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert!(enabled.enabled);
    assert_eq!(
        f.store.session(&token(1)).await.unwrap(),
        None,
        "enabling again does not bring old sessions back"
    );

    f.store.create_session(session("anna", 2)).await.unwrap();
    let reset = f
        .store
        .set_password("anna", hash(2))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reset.password_hash, hash(2));
    assert_eq!(
        f.store.session(&token(2)).await.unwrap(),
        None,
        "a new password ends the sessions"
    );

    assert_eq!(
        f.store
            .update_user("nobody", UserChange::default())
            .await
            .unwrap(),
        None
    );
    assert_eq!(f.store.set_password("nobody", hash(3)).await.unwrap(), None);
}

pub async fn the_configuration_wins_for_its_users<S: UserStore>(f: Fixture<S>) {
    f.store.create_user(user("anna", operator())).await.unwrap();
    f.store.create_user(user("kept", operator())).await.unwrap();
    f.store.create_session(session("anna", 1)).await.unwrap();
    let supervisor = Roles::only(StaffRole::Supervisor).unwrap();
    let mut anna = user("anna", supervisor.clone());
    anna.name = "Anna Rossi".to_string().into();
    let synced = f
        .store
        .sync_configured_users(vec![anna.clone(), user("admin", supervisor.clone())])
        .await
        .unwrap();
    assert_eq!(synced.created, ["admin"]);
    assert_eq!(synced.updated, ["anna"]);
    assert!(synced.released.is_empty());
    let stored = f.store.get_user("anna").await.unwrap().unwrap();
    assert_eq!(
        stored.managed_by,
        ManagedBy::Config,
        "the configuration took it"
    );
    assert!(stored.roles.has(StaffRole::Supervisor));
    assert!(!stored.roles.has(StaffRole::Operator));
    assert!(
        f.store.session(&token(1)).await.unwrap().is_some(),
        "same password: the session stays"
    );
    assert_eq!(
        f.store.get_user("kept").await.unwrap().unwrap().managed_by,
        ManagedBy::Api,
        "users made over the API stay as they are"
    );

    // The API may not change what the configuration decides.
    assert!(matches!(
        f.store
            .update_user(
                "anna",
                UserChange {
                    enabled: Some(false),
                    ..Default::default()
                }
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        f.store.set_password("anna", hash(9)).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(f.store.get_user("anna").await.unwrap().unwrap().enabled);

    // The same configuration again changes nothing.
    let again = f
        .store
        .sync_configured_users(vec![anna.clone(), user("admin", supervisor.clone())])
        .await
        .unwrap();
    assert_eq!(again, Default::default());

    // A new password ends the sessions; a login that left the configuration is disabled and
    // handed to the API.
    f.store.create_session(session("admin", 2)).await.unwrap();
    anna.password_hash = hash(5);
    let last = f.store.sync_configured_users(vec![anna]).await.unwrap();
    assert_eq!(last.updated, ["anna"]);
    assert_eq!(last.released, ["admin"]);
    assert_eq!(f.store.session(&token(1)).await.unwrap(), None);
    assert_eq!(f.store.session(&token(2)).await.unwrap(), None);
    let admin = f.store.get_user("admin").await.unwrap().unwrap();
    assert!(!admin.enabled);
    assert_eq!(admin.managed_by, ManagedBy::Api);

    assert!(matches!(
        f.store
            .sync_configured_users(vec![user("twice", operator()), user("twice", operator())])
            .await,
        Err(StoreError::InvalidInput(_))
    ));
}

pub async fn sessions_expire_and_end<S: UserStore>(f: Fixture<S>) {
    f.store.create_user(user("anna", operator())).await.unwrap();
    let opened = f.store.create_session(session("anna", 1)).await.unwrap();
    assert_eq!(opened.created_at_unix_ms, MARCH_2026);
    assert_eq!(opened.expires_at_unix_ms, MARCH_2026 + 8 * HOUR_MS);

    let live = f.store.session(&token(1)).await.unwrap().expect("live");
    assert_eq!(live.user.login, "anna");
    assert_eq!(live.session.last_used_at_unix_ms, MARCH_2026);
    assert_eq!(f.store.session(&token(99)).await.unwrap(), None);

    f.clock.advance(Duration::from_secs(30));
    let soon = f.store.session(&token(1)).await.unwrap().unwrap();
    assert_eq!(
        soon.session.last_used_at_unix_ms, MARCH_2026,
        "uses are written at most once a minute"
    );
    f.clock.advance(Duration::from_secs(60));
    let later = f.store.session(&token(1)).await.unwrap().unwrap();
    assert_eq!(later.session.last_used_at_unix_ms, MARCH_2026 + 90_000);

    f.clock.set(MARCH_2026 + 8 * HOUR_MS - 1);
    assert!(f.store.session(&token(1)).await.unwrap().is_some());
    f.clock.set(MARCH_2026 + 8 * HOUR_MS);
    assert_eq!(f.store.session(&token(1)).await.unwrap(), None, "expired");

    f.store.create_session(session("anna", 2)).await.unwrap();
    assert!(f.store.delete_session(&token(2)).await.unwrap());
    assert!(!f.store.delete_session(&token(2)).await.unwrap());
    assert_eq!(f.store.session(&token(2)).await.unwrap(), None);

    assert!(matches!(
        f.store.create_session(session("nobody", 3)).await,
        Err(StoreError::InvalidInput(_))
    ));
    assert!(matches!(
        f.store
            .create_session(NewSession {
                lifetime_ms: 0,
                ..session("anna", 4)
            })
            .await,
        Err(StoreError::InvalidInput(_))
    ));
}

pub async fn a_user_keeps_only_the_newest_sessions<S: UserStore>(f: Fixture<S>) {
    f.store.create_user(user("anna", operator())).await.unwrap();
    for n in 1..=20 {
        f.clock.advance(Duration::from_secs(1));
        f.store.create_session(session("anna", n)).await.unwrap();
    }
    let mut live = Vec::new();
    for n in 1..=20 {
        if f.store.session(&token(n)).await.unwrap().is_some() {
            live.push(n);
        }
    }
    assert_eq!(live, (5..=20).collect::<Vec<_>>(), "the 16 newest");
}

pub async fn administrators_changes_are_recorded_newest_first<S: UserStore>(f: Fixture<S>) {
    use crm_store::{AdminAction, AdminChange};
    let change = |action, subject: &str| AdminChange {
        login: "admin".into(),
        action,
        subject: subject.into(),
        detail: format!("{subject}: done"),
    };
    let first = f
        .store
        .record_admin_change(change(AdminAction::PromptReplaced, "welcome"))
        .await
        .unwrap();
    assert_eq!(first.at_unix_ms, MARCH_2026);
    f.clock.advance(Duration::from_secs(60));
    let second = f
        .store
        .record_admin_change(change(AdminAction::ScriptActivated, "ivr/toll-free.ivr"))
        .await
        .unwrap();
    assert!(second.id > first.id);
    let listed = f.store.admin_changes(50, 0).await.unwrap();
    assert_eq!(listed, vec![second.clone(), first.clone()]);
    assert_eq!(listed[0].at_unix_ms, MARCH_2026 + 60_000);
    assert_eq!(listed[1].action, AdminAction::PromptReplaced);
    assert_eq!(listed[1].detail, "welcome: done");
    assert_eq!(f.store.admin_changes(1, 1).await.unwrap(), vec![first]);
    // Refused input stores nothing.
    for bad in [
        AdminChange {
            login: "Not A Login".into(),
            ..change(AdminAction::PromptDeleted, "x")
        },
        change(AdminAction::PromptDeleted, &"x".repeat(257)),
        AdminChange {
            detail: "d".repeat(2049),
            ..change(AdminAction::PromptDeleted, "x")
        },
    ] {
        assert!(matches!(
            f.store.record_admin_change(bad).await,
            Err(StoreError::InvalidInput(_))
        ));
    }
    assert_eq!(f.store.admin_changes(200, 0).await.unwrap().len(), 2);
}
