//! Scenarios across the modules: the CLI operations, the file on disk, the
//! registry and the request check.

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use tempfile::TempDir;

use crate::*;

fn tokens_file() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tokens.json");
    (dir, path)
}

fn bearer(token: &str) -> Vec<u8> {
    format!("Bearer {token}").into_bytes()
}

fn auth(path: &Path, token: &str, now: Timestamp) -> Result<Identity, Unauthorized> {
    Tokens::load(path).unwrap().authenticate(Some(&bearer(token)), now)
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn chmod(path: &Path, mode: u32) {
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).unwrap();
}

#[test]
fn a_created_token_authenticates_with_its_scopes() {
    let (_dir, path) = tokens_file();
    let both = crate::create(&path, "ops", &[Scope::CatalogWrite, Scope::InventoryWrite], None).unwrap();
    let catalog = crate::create(&path, "importer", &[Scope::CatalogWrite, Scope::CatalogWrite], None).unwrap();
    assert_eq!(catalog.scopes, BTreeSet::from([Scope::CatalogWrite]));
    let now = Timestamp::now();

    let identity = auth(&path, both.secret.expose(), now).unwrap();
    assert_eq!(identity.name(), "ops");
    assert_eq!(identity.scopes(), &BTreeSet::from(Scope::ALL));
    assert_eq!(identity.require(Scope::InventoryWrite), Ok(()));

    let identity = auth(&path, catalog.secret.expose(), now).unwrap();
    assert_eq!(identity.name(), "importer");
    assert_eq!(identity.require(Scope::CatalogWrite), Ok(()));
    // catalog:write does not include inventory:write.
    let forbidden = Forbidden {
        name: "importer".into(),
        scope: Scope::InventoryWrite,
    };
    assert_eq!(identity.require(Scope::InventoryWrite), Err(forbidden.clone()));
    let tokens = Tokens::load(&path).unwrap();
    let denied = tokens.authorize(Some(&bearer(catalog.secret.expose())), Scope::InventoryWrite, now);
    assert_eq!(denied, Err(Denied::Forbidden(forbidden)));
    assert_eq!(denied.unwrap_err().status(), 403);
    assert!(
        tokens
            .authorize(Some(&bearer(catalog.secret.expose())), Scope::CatalogWrite, now)
            .is_ok()
    );
}

#[test]
fn a_token_not_in_the_file_is_unknown() {
    let (_dir, path) = tokens_file();
    crate::create(&path, "a", &[Scope::CatalogWrite], None).unwrap();
    let (_other_dir, other) = tokens_file();
    let stranger = crate::create(&other, "a", &[Scope::CatalogWrite], None).unwrap();
    assert_eq!(
        auth(&path, stranger.secret.expose(), Timestamp::now()),
        Err(Unauthorized::Unknown)
    );
    assert!(auth(&other, stranger.secret.expose(), Timestamp::now()).is_ok());
}

#[test]
fn a_token_with_one_character_changed_is_unknown() {
    let (_dir, path) = tokens_file();
    let created = crate::create(&path, "a", &[Scope::CatalogWrite], None).unwrap();
    let token = created.secret.expose();
    for at in [4, 20, 45] {
        let mut tampered = token.to_owned().into_bytes();
        tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        assert_ne!(tampered, token);
        assert_eq!(
            auth(&path, &tampered, Timestamp::now()),
            Err(Unauthorized::Unknown),
            "{at}"
        );
    }
    assert!(auth(&path, token, Timestamp::now()).is_ok());
}

#[test]
fn malformed_headers_are_malformed_and_an_absent_one_missing() {
    let (_dir, path) = tokens_file();
    let created = crate::create(&path, "a", &[Scope::CatalogWrite], None).unwrap();
    let t = created.secret.expose();
    let tokens = Tokens::load(&path).unwrap();
    let now = Timestamp::now();
    assert_eq!(tokens.authenticate(None, now), Err(Unauthorized::Missing));
    assert_eq!(Unauthorized::Missing.reason(), "missing");

    let body = &t[4..];
    let malformed: Vec<Vec<u8>> = vec![
        Vec::new(),
        t.as_bytes().to_vec(),                               // no scheme
        format!("Basic {t}").into_bytes(),                   // another scheme
        b"Basic YWxhZGRpbjpvcGVuc2VzYW1l".to_vec(),          // real Basic credentials
        b"Bearer".to_vec(),                                  // no token
        b"Bearer ".to_vec(),                                 // empty token
        format!("Bearer  {t}").into_bytes(),                 // two spaces
        format!("Bearer {t} ").into_bytes(),                 // trailing space
        format!("Bearer {t}\n").into_bytes(),                // trailing newline
        format!("Bearer tok_{body}").into_bytes(),           // wrong prefix
        format!("Bearer CAT_{body}").into_bytes(),           // prefix is case-sensitive
        format!("Bearer {}", &t[..46]).into_bytes(),         // one short
        format!("Bearer {t}A").into_bytes(),                 // one long
        format!("Bearer cat_{}+", &body[..42]).into_bytes(), // base64 (not url) character
        format!("Bearer cat_{}/", &body[..42]).into_bytes(),
        format!("Bearer cat_{}=", &body[..42]).into_bytes(), // padding
        format!("Bearer cat_{}.", &body[..42]).into_bytes(),
        [b"Bearer cat_".as_slice(), &body.as_bytes()[..42], &[0xff]].concat(), // not UTF-8
    ];
    for header in malformed {
        assert_eq!(
            tokens.authenticate(Some(&header), now),
            Err(Unauthorized::Malformed),
            "{header:?}"
        );
    }
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        let header = format!("{scheme} {t}");
        assert!(tokens.authenticate(Some(header.as_bytes()), now).is_ok(), "{header}");
    }
}

#[test]
fn a_revoked_token_is_revoked() {
    let (_dir, path) = tokens_file();
    let created = crate::create(&path, "old", &[Scope::InventoryWrite], None).unwrap();
    let kept = crate::create(&path, "kept", &[Scope::InventoryWrite], None).unwrap();
    let now = Timestamp::now();
    assert!(auth(&path, created.secret.expose(), now).is_ok());

    let RevokeOutcome::Revoked(at) = crate::revoke(&path, "old").unwrap() else {
        panic!("not revoked")
    };
    let revoked = auth(&path, created.secret.expose(), now);
    assert_eq!(revoked, Err(Unauthorized::Revoked { name: "old".into() }));
    assert_eq!(revoked.unwrap_err().reason(), "revoked");
    assert!(auth(&path, kept.secret.expose(), now).is_ok());

    // Twice is fine and keeps the first time; an unknown name is an error.
    assert_eq!(crate::revoke(&path, "old").unwrap(), RevokeOutcome::AlreadyRevoked(at));
    assert!(matches!(crate::revoke(&path, "nobody"), Err(AuthError::UnknownName { name }) if name == "nobody"));
}

#[test]
fn a_token_past_its_expiry_is_expired() {
    let (_dir, path) = tokens_file();
    let created = crate::create(&path, "temp", &[Scope::CatalogWrite], Some(30)).unwrap();
    let expires_at = created.expires_at.unwrap();
    assert_eq!(
        expires_at.duration_since(created.created_at),
        SignedDuration::from_hours(30 * 24)
    );
    let token = created.secret.expose();

    assert!(auth(&path, token, Timestamp::now()).is_ok());
    assert!(auth(&path, token, expires_at - SignedDuration::from_secs(1)).is_ok());
    let expired = Err(Unauthorized::Expired { name: "temp".into() });
    assert_eq!(auth(&path, token, expires_at), expired);
    assert_eq!(auth(&path, token, expires_at + SignedDuration::from_hours(1)), expired);

    let forever = crate::create(&path, "forever", &[Scope::CatalogWrite], None).unwrap();
    assert_eq!(forever.expires_at, None);
    let far = Timestamp::from_second(253_000_000_000).unwrap(); // year 9987
    assert!(auth(&path, forever.secret.expose(), far).is_ok());

    for days in [0, u32::MAX] {
        let refused = crate::create(&path, "bad-expiry", &[Scope::CatalogWrite], Some(days));
        assert!(
            matches!(refused, Err(AuthError::InvalidExpiry { days: d }) if d == days),
            "{days}"
        );
    }
}

#[test]
fn the_file_and_its_lock_are_written_with_mode_0600_in_the_documented_shape() {
    let (dir, path) = tokens_file();
    let created = crate::create(&path, "a", &[Scope::InventoryWrite, Scope::CatalogWrite], Some(1)).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("tokens.json.lock")), 0o600);
    crate::revoke(&path, "a").unwrap();
    assert_eq!(mode(&path), 0o600);
    // No temporary file left behind.
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert_eq!(names, ["tokens.json", "tokens.json.lock"]);

    let text = fs::read_to_string(&path).unwrap();
    assert!(text.starts_with("{\n  \"tokens\": [\n"), "{text}");
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let record = &json["tokens"][0];
    let keys: BTreeSet<&str> = record.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        BTreeSet::from(["name", "scopes", "sha256", "created_at", "expires_at", "revoked_at"])
    );
    assert_eq!(record["name"], "a");
    assert_eq!(
        record["scopes"],
        serde_json::json!(["inventory:write", "catalog:write"])
    );
    let sha256 = record["sha256"].as_str().unwrap();
    assert_eq!(sha256.len(), 64);
    assert!(sha256.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
    assert!(!text.contains(created.secret.expose()) && !text.contains(&created.secret.expose()[4..]));
    for field in ["created_at", "expires_at", "revoked_at"] {
        assert!(record[field].as_str().unwrap().parse::<Timestamp>().is_ok(), "{field}");
    }
    assert_eq!(
        record["expires_at"].as_str().unwrap().parse::<Timestamp>().unwrap(),
        created.expires_at.unwrap()
    );
}

#[test]
fn a_file_readable_by_others_is_refused_with_the_fix() {
    let (_dir, path) = tokens_file();
    crate::create(&path, "a", &[Scope::CatalogWrite], None).unwrap();
    for bad in [0o644, 0o640, 0o604, 0o660, 0o602] {
        chmod(&path, bad);
        let err = TokenRegistry::open(&path).unwrap_err();
        assert!(
            matches!(err, AuthError::InsecurePermissions { mode, .. } if mode == bad),
            "{bad:o}: {err}"
        );
        let message = err.to_string();
        assert!(message.contains(&format!("chmod 600 {}", path.display())), "{message}");
        assert!(message.contains(&format!("{bad:04o}")), "{message}");
        assert!(matches!(crate::list(&path), Err(AuthError::InsecurePermissions { .. })));
        assert!(matches!(
            crate::create(&path, "b", &[Scope::CatalogWrite], None),
            Err(AuthError::InsecurePermissions { .. })
        ));
    }
    chmod(&path, 0o400);
    assert_eq!(TokenRegistry::open(&path).unwrap().current().len(), 1);
    chmod(&path, 0o600);
    assert_eq!(TokenRegistry::open(&path).unwrap().current().len(), 1);
}

#[test]
fn reload_of_a_file_readable_by_others_fails_closed() {
    let (_dir, path) = tokens_file();
    let created = crate::create(&path, "a", &[Scope::CatalogWrite], None).unwrap();
    let registry = TokenRegistry::open(&path).unwrap();
    let header = bearer(created.secret.expose());
    let now = Timestamp::now();
    assert!(registry.current().authenticate(Some(&header), now).is_ok());

    chmod(&path, 0o644);
    assert!(matches!(registry.reload(), Err(AuthError::InsecurePermissions { .. })));
    assert!(registry.current().is_empty());
    assert_eq!(
        registry.current().authenticate(Some(&header), now),
        Err(Unauthorized::Unknown)
    );
    // Still refused on the next tick, and back once fixed.
    assert!(registry.reload().is_err());
    chmod(&path, 0o600);
    assert!(registry.reload().unwrap());
    assert!(registry.current().authenticate(Some(&header), now).is_ok());
}

#[test]
fn reload_of_an_unparsable_file_fails_closed() {
    let (_dir, path) = tokens_file();
    let created = crate::create(&path, "a", &[Scope::CatalogWrite], None).unwrap();
    let registry = TokenRegistry::open(&path).unwrap();
    let good = fs::read(&path).unwrap();
    fs::write(&path, &good[..good.len() / 2]).unwrap();
    assert!(matches!(registry.reload(), Err(AuthError::Parse { .. })));
    assert!(registry.current().is_empty());
    fs::write(&path, &good).unwrap();
    assert!(registry.reload().unwrap());
    assert!(
        registry
            .current()
            .authenticate(Some(&bearer(created.secret.expose())), Timestamp::now())
            .is_ok()
    );
}

#[test]
fn reload_picks_up_a_create_and_a_revoke() {
    let (_dir, path) = tokens_file();
    let registry = TokenRegistry::open(&path).unwrap();
    assert!(registry.current().is_empty());
    assert!(!registry.reload().unwrap());

    let created = crate::create(&path, "new", &[Scope::InventoryWrite], None).unwrap();
    let header = bearer(created.secret.expose());
    let now = Timestamp::now();
    let before = registry.current();
    assert_eq!(before.authenticate(Some(&header), now), Err(Unauthorized::Unknown));
    assert!(registry.reload().unwrap());
    assert_eq!(
        registry.current().authenticate(Some(&header), now).unwrap().name(),
        "new"
    );
    assert!(!registry.reload().unwrap());
    // A snapshot taken earlier is unchanged.
    assert_eq!(before.authenticate(Some(&header), now), Err(Unauthorized::Unknown));

    crate::revoke(&path, "new").unwrap();
    assert!(registry.reload().unwrap());
    assert_eq!(
        registry.current().authenticate(Some(&header), now),
        Err(Unauthorized::Revoked { name: "new".into() })
    );

    fs::remove_file(&path).unwrap();
    assert!(registry.reload().unwrap());
    assert!(registry.current().is_empty());
    assert!(!registry.reload().unwrap());
}

#[test]
fn a_missing_file_means_no_tokens() {
    let (_dir, path) = tokens_file();
    let registry = TokenRegistry::open(&path).unwrap();
    assert!(registry.current().is_empty());
    assert_eq!(crate::list(&path).unwrap(), []);
    let wellformed = format!("cat_{}", "A".repeat(43));
    let now = Timestamp::now();
    assert_eq!(
        registry.current().authenticate(Some(&bearer(&wellformed)), now),
        Err(Unauthorized::Unknown)
    );
    assert!(matches!(crate::revoke(&path, "a"), Err(AuthError::UnknownName { .. })));
    assert!(!path.exists());
    assert!(format!("{registry:?}").contains("tokens: 0"));
}

#[test]
fn list_shows_names_scopes_and_dates_but_never_the_secret_or_hash() {
    let (_dir, path) = tokens_file();
    let a = crate::create(&path, "a", &[Scope::CatalogWrite], Some(7)).unwrap();
    let b = crate::create(&path, "b", &[Scope::InventoryWrite], None).unwrap();
    crate::revoke(&path, "b").unwrap();

    let listed = crate::list(&path).unwrap();
    assert_eq!(listed.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["a", "b"]);
    assert_eq!(listed[0].scopes, BTreeSet::from([Scope::CatalogWrite]));
    assert_eq!(listed[0].expires_at, a.expires_at);
    assert_eq!(listed[0].revoked_at, None);
    assert!(listed[1].revoked_at.is_some());

    let json: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    let hashes: Vec<&str> = json["tokens"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["sha256"].as_str().unwrap())
        .collect();
    let shown = [
        format!("{listed:?}"),
        serde_json::to_string(&listed).unwrap(),
        format!("{a:?}{b:?}"),
    ];
    for text in &shown {
        for secret in [&a.secret, &b.secret] {
            assert!(!text.contains(&secret.expose()[4..]), "{text}");
        }
        for hash in &hashes {
            assert!(!text.contains(hash), "{text}");
        }
        assert!(!text.contains("sha256"), "{text}");
    }
    assert!(
        shown[1].contains(r#""name":"a","scopes":["catalog:write"]"#),
        "{}",
        shown[1]
    );
}

#[test]
fn names_are_validated_and_never_reused() {
    let (_dir, path) = tokens_file();
    crate::create(&path, "ci", &[Scope::CatalogWrite], None).unwrap();
    let again = crate::create(&path, "ci", &[Scope::InventoryWrite], None);
    assert!(matches!(again, Err(AuthError::NameExists { name }) if name == "ci"));
    crate::revoke(&path, "ci").unwrap();
    assert!(matches!(
        crate::create(&path, "ci", &[Scope::CatalogWrite], None),
        Err(AuthError::NameExists { .. })
    ));
    assert!(crate::create(&path, "CI", &[Scope::CatalogWrite], None).is_ok());

    for bad in ["", "a b", "a/b", "ü", &"x".repeat(65)] {
        let refused = crate::create(&path, bad, &[Scope::CatalogWrite], None);
        assert!(matches!(refused, Err(AuthError::InvalidName { .. })), "{bad:?}");
    }
    assert!(crate::create(&path, &"x".repeat(64), &[Scope::CatalogWrite], None).is_ok());
    assert!(matches!(
        crate::create(&path, "none", &[], None),
        Err(AuthError::NoScopes)
    ));
    assert_eq!(crate::list(&path).unwrap().len(), 3);
}

#[test]
fn fifty_concurrent_creates_all_land() {
    let (_dir, path) = tokens_file();
    let created: Vec<CreatedToken> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let path = &path;
                s.spawn(move || crate::create(path, &format!("t{i}"), &[Scope::CatalogWrite], None).unwrap())
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let names: BTreeSet<String> = crate::list(&path).unwrap().into_iter().map(|t| t.name).collect();
    assert_eq!(names, (0..50).map(|i| format!("t{i}")).collect());
    let tokens = Tokens::load(&path).unwrap();
    assert_eq!(tokens.len(), 50);
    let now = Timestamp::now();
    for token in &created {
        assert_eq!(
            tokens
                .authenticate(Some(&bearer(token.secret.expose())), now)
                .unwrap()
                .name(),
            token.name
        );
    }
}
