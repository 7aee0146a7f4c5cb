//! Administrator accounts: policy, argon2id hashes, login checks.

use crate::support::{fresh, kind};
use lgsp_access::{AdminAuthError, PasswordRule};
use sqlx::Row;

const PASSWORD: &str = "Quản-trị-2026";

#[tokio::test]
async fn create_and_log_in() {
    let (store, db) = fresh().await;
    assert_eq!(store.admin_count().await.expect("count"), 0);
    let admin = store
        .create_admin("nguyen.van-a", PASSWORD)
        .await
        .expect("create");
    assert!(!admin.disabled);
    assert_eq!(store.admin_count().await.expect("count"), 1);
    assert_eq!(
        store.admin("nguyen.van-a").await.expect("read"),
        Some(admin.clone())
    );
    assert_eq!(store.admins().await.expect("list"), vec![admin.clone()]);

    let hash: String =
        sqlx::query("SELECT password_hash FROM admin_account WHERE username = 'nguyen.van-a'")
            .fetch_one(&db.pool)
            .await
            .expect("row")
            .try_get("password_hash")
            .expect("column");
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(!hash.contains(PASSWORD));

    assert_eq!(
        store
            .verify_admin("nguyen.van-a", PASSWORD)
            .await
            .expect("login"),
        admin
    );
    let wrong = store
        .verify_admin("nguyen.van-a", "Quản-trị-2025")
        .await
        .expect_err("wrong password");
    assert!(
        matches!(wrong, AdminAuthError::InvalidCredentials),
        "{wrong:?}"
    );
    let unknown = store
        .verify_admin("nobody", PASSWORD)
        .await
        .expect_err("unknown user");
    assert!(
        matches!(unknown, AdminAuthError::InvalidCredentials),
        "{unknown:?}"
    );
    assert_eq!(
        wrong.to_string(),
        unknown.to_string(),
        "unknown users look like wrong passwords"
    );
}

#[tokio::test]
async fn creation_is_validated() {
    let (store, _db) = fresh().await;
    let err = store
        .create_admin("admin", "password")
        .await
        .expect_err("weak");
    assert_eq!(err.kind(), "weak_password");
    match &err {
        lgsp_access::AccessError::WeakPassword(e) => assert_eq!(
            e.unmet,
            vec![
                PasswordRule::Uppercase,
                PasswordRule::Digit,
                PasswordRule::Special
            ]
        ),
        other => panic!("expected WeakPassword, got {other:?}"),
    }
    assert!(
        err.to_string()
            .contains("an upper-case letter; a digit; a special character"),
        "{err}"
    );
    assert_eq!(
        kind(store.create_admin("Admin", PASSWORD).await),
        "invalid_username"
    );
    store.create_admin("admin", PASSWORD).await.expect("create");
    assert_eq!(
        kind(store.create_admin("admin", PASSWORD).await),
        "admin_exists"
    );
    assert_eq!(store.admin_count().await.expect("count"), 1);
}

#[tokio::test]
async fn disabled_admins_cannot_log_in() {
    let (store, _db) = fresh().await;
    store.create_admin("admin", PASSWORD).await.expect("create");
    let disabled = store
        .set_admin_disabled("admin", true)
        .await
        .expect("disable");
    assert!(disabled.disabled);
    let err = store
        .verify_admin("admin", PASSWORD)
        .await
        .expect_err("disabled");
    assert!(matches!(err, AdminAuthError::Disabled), "{err:?}");
    assert_eq!(err.kind(), "admin_disabled");
    // A wrong password does not learn that the account is disabled.
    let err = store
        .verify_admin("admin", "Sai-mật-khẩu-1")
        .await
        .expect_err("wrong");
    assert!(matches!(err, AdminAuthError::InvalidCredentials), "{err:?}");
    store
        .set_admin_disabled("admin", false)
        .await
        .expect("enable");
    assert!(store.verify_admin("admin", PASSWORD).await.is_ok());
    assert_eq!(
        kind(store.set_admin_disabled("nobody", true).await),
        "unknown_admin"
    );
}

#[tokio::test]
async fn passwords_can_be_changed() {
    let (store, _db) = fresh().await;
    store.create_admin("admin", PASSWORD).await.expect("create");
    assert_eq!(
        kind(store.set_admin_password("admin", "short").await),
        "weak_password"
    );
    assert_eq!(
        kind(store.set_admin_password("nobody", "Mật-khẩu-mới-9").await),
        "unknown_admin"
    );
    store
        .set_admin_password("admin", "Mật-khẩu-mới-9")
        .await
        .expect("change");
    assert!(
        store.verify_admin("admin", PASSWORD).await.is_err(),
        "old password no longer works"
    );
    let admin = store
        .verify_admin("admin", "Mật-khẩu-mới-9")
        .await
        .expect("new password");
    assert!(admin.password_changed_at >= admin.created_at);
}
