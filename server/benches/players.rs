//! What verifying a player's token costs per request, HS256 and EdDSA (BENCHMARKS.md, "Players").

use criterion::{criterion_group, criterion_main, Criterion};
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use xmarks_server::config::{PlayerKey, PlayersConfig};
use xmarks_server::players::Verifier;

fn tokens(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let secret = b"a shared secret of thirty-two bytes or more";
    std::fs::write(dir.path().join("hs"), secret).unwrap();
    let keys = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/keys/backend-ed25519");
    let config = PlayersConfig {
        keys: vec![
            PlayerKey {
                kid: "hs".into(),
                alg: "HS256".into(),
                secret_file: Some(dir.path().join("hs")),
                public_key_file: None,
            },
            PlayerKey {
                kid: "ed".into(),
                alg: "EdDSA".into(),
                secret_file: None,
                public_key_file: Some(format!("{keys}.pub.pem").into()),
            },
        ],
        ..PlayersConfig::default()
    };
    let verifier = Verifier::new(&config).unwrap();
    let claims = serde_json::json!({"sub": "ann", "aud": "xmarks", "exp": 4_000_000_000u64, "level": 3});
    let sign = |alg, kid: &str, key: &EncodingKey| {
        let mut header = Header::new(alg);
        header.kid = Some(kid.into());
        encode(&header, &claims, key).unwrap()
    };
    let hs = sign(Algorithm::HS256, "hs", &EncodingKey::from_secret(secret));
    let pem = std::fs::read(format!("{keys}.pem")).unwrap();
    let ed = sign(Algorithm::EdDSA, "ed", &EncodingKey::from_ed_pem(&pem).unwrap());
    assert_eq!(verifier.verify(&hs).unwrap().id, "ann");
    assert_eq!(verifier.verify(&ed).unwrap().id, "ann");
    c.bench_function("verify HS256 player token", |b| b.iter(|| verifier.verify(std::hint::black_box(&hs)).unwrap()));
    c.bench_function("verify EdDSA player token", |b| b.iter(|| verifier.verify(std::hint::black_box(&ed)).unwrap()));
}

criterion_group!(benches, tokens);
criterion_main!(benches);
