//! Test vectors: fixed requests with their canonical form and signature, for integrators in
//! any language. `docs/authentication.md` prints them and a test keeps it in step.

use chrono::{DateTime, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};

use crate::outbound::Forwarded;
use crate::{Algorithm, Credentials, KeyError, SigningKey};

/// A 2048-bit RSA private key (PKCS#8) for the test vectors only. It is public: never use it
/// for anything real.
pub const TEST_RSA_PRIVATE_KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----
MIIEvAIBADANBgkqhkiG9w0BAQEFAASCBKYwggSiAgEAAoIBAQDPNJdC8mWdQCWV
RrB6MMhg6vCu41WMCrESsUdYOIUffOmt+0I1cvpMT9jchRPjp3iFsbDAy2ccDN+/
MHVVbMAOPSgg3fmqeNoJ6m+o/17cdSUYKkBkYFbMvy+YmkIv13bycvrjKbe2R7ud
Uoy3Lsp/5HJDJHAaPTGmLt6PEo55ksUA1CxNH6bfwl4+6zVaStKOs+HLgANjZuFI
jQdfbk/lNHO0Ve/3SbbLf0bVW41dbilPVd/UwB4eFJbTLjlu7bnEMXlyLNdbCo12
3OBmNyYT3x4aceU/wdSE3YGO6RRhVkiXS+ZiQ0VfN7aZDEELMDPjOcBZMZijy9Px
oijTHJDVAgMBAAECggEAMSPZTay78Y+xehYCK3BfTTDatLdAZg5xESxO7bq1w5J1
vuesO43Rk4CKPz4mSeLBP/+0mfyDLxFUjPyajxBT+eyCFE1gdQ/lMd3R7mPl5OW5
TuJSVBvO6g7bZFcNJFh2oqgnHPGbWpTnhzd5HMZxiuQsPwUouuhRWoaaDJdLh8Qc
GWrtz5vumoyztfRJAL8bV2hAfdRiftjjURZ2umr/ADNEFXvlqjY0QlHQqLI8nYPm
YS1pDGYBpPZRjiMYWXt1A8L9J2gmcMjmNqdxhCHzgXsQnVr4GyfTUAqM6WfNZUr8
h2qGyyVeYFOEKAKRMB6ebIVnFoiKK75JEmDAxUdC8QKBgQD0gn86P1sqDylRGPTc
MWh3eBjEWO7M9xlgzJElIdykBwi1ayr15ZoLhXQbmSpGzEttUCslI/Uvj2VIYOM3
hDkWmissCOJVQWE+qHbO92Lbb1vUKit/1nC1Xd6+haUrOhRq7nIIdcN63Hu4e2zP
8pdCKtiKLNvprTqo+gbpAIv97QKBgQDY8VCvG15Y+4hajyuwsbLPmG/QhL63bZbi
tZYlR39Q2JdPfV93pFZuCL7mgoRZnqRBayVStEzUVgqv47Fwzmt/gleFqU8GFUp8
CN44ky5kypnNlYbdOBpOjLr318Q5DWytRPyVkGQP01Y4BNrj9ibO1RmHNh3JLiYo
tT9wDIrBiQKBgAdHZ0A1qKIc5275njh75A9CbQJTX3CMnp3KGTwQwP/FEdZMxW+i
kS5sn6M+sQqAhHJRo6csZd0vmKVJ9Rmu/wAUQNrDvPEqzBlQbJEGvlOoAgTT6I2a
tapAjCQB2IPr67WvOYfU8afTrn80dW3PW/9lRSL/6OAQ/yEOqGwBTymVAoGAF++w
RlHPvCOsrMlFOc6xewRHugsbe+OklUkR0vUrkAEF2OhtYycHvkZKweY+siC14N3w
lUp9e6Qus698wYSVCdGY1I+Uv4gT2tGjqzxaDxbnl25bHgd1p5sReg0dgmn/xrJo
6BuxXqmjxrSKbkKXj5Slp2yKJstnvHAbGsLXgHkCgYBJy0dMkUZKxDP5BCiCXnvq
w5A97xTUQwjSQk/NFqgwKOTFEzp4a6yVVD/W1nrs0TiTIlPs3b9nez6VfcuAWo4I
b9zKAhxbSQ6z2P23vtt0yPJ/Vr1UlernidTxKAb/52IDu6m47jywj2ioRrwbDbvU
A+78t4FZOYXOVIqGJhKDmw==
-----END PRIVATE KEY-----
";

/// The public half of [`TEST_RSA_PRIVATE_KEY_PEM`] (SPKI), for the test vectors only.
pub const TEST_RSA_PUBLIC_KEY_PEM: &str = "\
-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAzzSXQvJlnUAllUawejDI
YOrwruNVjAqxErFHWDiFH3zprftCNXL6TE/Y3IUT46d4hbGwwMtnHAzfvzB1VWzA
Dj0oIN35qnjaCepvqP9e3HUlGCpAZGBWzL8vmJpCL9d28nL64ym3tke7nVKMty7K
f+RyQyRwGj0xpi7ejxKOeZLFANQsTR+m38JePus1WkrSjrPhy4ADY2bhSI0HX25P
5TRztFXv90m2y39G1VuNXW4pT1Xf1MAeHhSW0y45bu25xDF5cizXWwqNdtzgZjcm
E98eGnHlP8HUhN2BjukUYVZIl0vmYkNFXze2mQxBCzAz4znAWTGYo8vT8aIo0xyQ
1QIDAQAB
-----END PUBLIC KEY-----
";

/// One signed request: inputs, the canonical string and the signature they produce.
#[derive(Debug, Clone, Copy)]
pub struct Vector {
    /// A short name for the case.
    pub name: &'static str,
    /// The algorithm.
    pub algorithm: Algorithm,
    /// The access key.
    pub access_key: &'static str,
    /// The secret key string (HMAC) or the PKCS#8 PEM private key (RSA).
    pub key: &'static str,
    /// The method.
    pub method: &'static str,
    /// The request-line target, raw.
    pub path_and_query: &'static str,
    /// Every request header before `Authorization`, signed or not, in order.
    pub headers: &'static [(&'static str, &'static str)],
    /// The body (UTF-8 text in every vector).
    pub body: &'static str,
    /// The `SignedHeaders` list.
    pub signed_headers: &'static [&'static str],
    /// The canonical request.
    pub canonical: &'static str,
    /// The signature, lowercase hex.
    pub signature_hex: &'static str,
}

impl Vector {
    /// The headers as a map. Every name and value in [`VECTORS`] is valid (a test checks it).
    pub fn header_map(&self) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in self.headers {
            if let (Ok(n), Ok(v)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_bytes(value.as_bytes()),
            ) {
                map.append(n, v);
            }
        }
        map
    }

    /// The signing credentials of the vector.
    ///
    /// # Errors
    ///
    /// [`KeyError`] only if an RSA vector's PEM were broken (a test checks it is not).
    pub fn credentials(&self) -> Result<Credentials, KeyError> {
        let key = match self.algorithm {
            Algorithm::RsaSha256 => SigningKey::rsa_from_pem(self.key)?,
            Algorithm::HmacSha256 | Algorithm::HmacSha1 => SigningKey::hmac(self.key),
        };
        Ok(Credentials {
            algorithm: self.algorithm,
            access_key: self.access_key.to_owned(),
            key,
        })
    }

    /// The `Authorization` header value the vector's request carries.
    pub fn authorization(&self) -> String {
        format!(
            "{} Credential={}, SignedHeaders={}, Signature={}",
            self.algorithm.name(),
            self.access_key,
            self.signed_headers.join(";"),
            self.signature_hex
        )
    }

    /// The value of `x-lgsp-date`, the time a server must take as "now" to accept the vector.
    pub fn date(&self) -> Option<DateTime<Utc>> {
        self.headers
            .iter()
            .find(|(n, _)| *n == crate::DATE_HEADER)
            .and_then(|(_, v)| crate::parse_date(v).ok())
    }
}

const EXAMPLE_SECRET: &str = "kN7_Hq2xV9tLr4Wm8Zp1Yc5Bd3Fg6Js0-EXAMPLE";
const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The request vectors: HMAC-SHA256 GET with a query that needs sorting and re-encoding;
/// HMAC-SHA256 POST with a JSON body, a UTF-8 `x-purpose` and a session; HMAC-SHA1; RSA-SHA256.
pub const VECTORS: &[Vector] = &[
    Vector {
        name: "hmac-sha256-get-query",
        algorithm: Algorithm::HmacSha256,
        access_key: "LGSPEXAMPLE7KEY4AB2C",
        key: EXAMPLE_SECRET,
        method: "GET",
        path_and_query: "/v1/catalogs/dvhc/items?tinh=79&q=H%c3%a0+N%E1%BB%99i&as_of=2025-07-01&tinh=01&flag&empty=&path=%7e%2fx",
        headers: &[
            ("accept", "application/json"),
            ("x-lgsp-content-sha256", EMPTY_SHA256),
            ("x-lgsp-date", "2026-11-23T08:00:00Z"),
            ("x-lgsp-nonce", "7Qm2VtX9bL4sKc8RzN1pWy6D"),
        ],
        body: "",
        signed_headers: &["x-lgsp-content-sha256", "x-lgsp-date", "x-lgsp-nonce"],
        canonical: "LGSP-HMAC-SHA256\n\
            LGSPEXAMPLE7KEY4AB2C\n\
            GET\n\
            /v1/catalogs/dvhc/items\n\
            as_of=2025-07-01&empty=&flag=&path=~%2Fx&q=H%C3%A0%2BN%E1%BB%99i&tinh=01&tinh=79\n\
            x-lgsp-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
            x-lgsp-date:2026-11-23T08:00:00Z\n\
            x-lgsp-nonce:7Qm2VtX9bL4sKc8RzN1pWy6D\n\
            x-lgsp-content-sha256;x-lgsp-date;x-lgsp-nonce\n\
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature_hex: "99c9b053490402c4cd015ae3a5304d72b6821fe0856b053bcb54b83b0dd627e2",
    },
    Vector {
        name: "hmac-sha256-post-query-session",
        algorithm: Algorithm::HmacSha256,
        access_key: "LGSPEXAMPLE7KEY4AB2C",
        key: EXAMPLE_SECRET,
        method: "POST",
        path_and_query: "/v1/query",
        headers: &[
            ("content-type", "application/json"),
            ("accept", "application/json"),
            ("x-purpose", "  Xác minh  cư trú\t cho hồ sơ HC-2026/0123 "),
            (
                "x-lgsp-session",
                "lgsp1.eyJraW5kIjoic2Vzc2lvbiIsImlkIjoic2VzXzdtM3E5azJ4NXY4YjFuNGMiLCJzdWJqZWN0IjoiYXBwX2s0bTJxN3g5djNiOG41YzEiLCJhZ2VuY3kiOiIwMDAuMDAuMDAuSDQ5Iiwia2V5X2lkIjoiTEdTUEVYQU1QTEU3S0VZNEFCMkMiLCJkZXN0aW5hdGlvbnMiOlsiZGFuX2N1Il0sImlzc3VlZF9hdCI6MTc5NTQyMDgwMCwiZXhwaXJlc19hdCI6MTc5NTQyNDQwMH0.ppFZtXG6Q1YjhXd6KN8tU7l9k8z3FA0jfNXsTf8IPKs",
            ),
            (
                "x-lgsp-content-sha256",
                "35f28eef0b11b20148d3d5e03ae97f0fd1140be4fc318a18bc907be231b87950",
            ),
            ("x-lgsp-date", "2026-11-23T08:00:05Z"),
            ("x-lgsp-nonce", "Jt4x_8Wq2Lm6Rz0Pk5Vb9Yc3"),
        ],
        body: r#"{"sql":"SELECT ho_ten, ngay_sinh FROM dan_cu.cong_dan WHERE so_dinh_danh = '001085012345'"}"#,
        signed_headers: &[
            "x-lgsp-content-sha256",
            "x-lgsp-date",
            "x-lgsp-nonce",
            "x-lgsp-session",
            "x-purpose",
        ],
        canonical: "LGSP-HMAC-SHA256\n\
            LGSPEXAMPLE7KEY4AB2C\n\
            POST\n\
            /v1/query\n\
            \n\
            x-lgsp-content-sha256:35f28eef0b11b20148d3d5e03ae97f0fd1140be4fc318a18bc907be231b87950\n\
            x-lgsp-date:2026-11-23T08:00:05Z\n\
            x-lgsp-nonce:Jt4x_8Wq2Lm6Rz0Pk5Vb9Yc3\n\
            x-lgsp-session:lgsp1.eyJraW5kIjoic2Vzc2lvbiIsImlkIjoic2VzXzdtM3E5azJ4NXY4YjFuNGMiLCJzdWJqZWN0IjoiYXBwX2s0bTJxN3g5djNiOG41YzEiLCJhZ2VuY3kiOiIwMDAuMDAuMDAuSDQ5Iiwia2V5X2lkIjoiTEdTUEVYQU1QTEU3S0VZNEFCMkMiLCJkZXN0aW5hdGlvbnMiOlsiZGFuX2N1Il0sImlzc3VlZF9hdCI6MTc5NTQyMDgwMCwiZXhwaXJlc19hdCI6MTc5NTQyNDQwMH0.ppFZtXG6Q1YjhXd6KN8tU7l9k8z3FA0jfNXsTf8IPKs\n\
            x-purpose:Xác minh cư trú cho hồ sơ HC-2026/0123\n\
            x-lgsp-content-sha256;x-lgsp-date;x-lgsp-nonce;x-lgsp-session;x-purpose\n\
            35f28eef0b11b20148d3d5e03ae97f0fd1140be4fc318a18bc907be231b87950",
        signature_hex: "0ebdc914c8252bdf6eb2498095fcbccf1b8fc9af2a703769fa366c1560f159a2",
    },
    Vector {
        name: "hmac-sha1-legacy-get",
        algorithm: Algorithm::HmacSha1,
        access_key: "LGSPLEGACYSHAAPP2345",
        key: "lEgAcY9_sHa1Wk3Qp7Zr2Xv5Mn8Tb4-EXAMPLE00",
        method: "GET",
        path_and_query: "/v1/schemas/d%C3%A2n%20c%c6%b0/tables",
        headers: &[
            ("x-lgsp-content-sha256", EMPTY_SHA256),
            ("x-lgsp-date", "2026-11-23T08:01:00Z"),
            ("x-lgsp-nonce", "legacy-nonce-0000000001"),
        ],
        body: "",
        signed_headers: &["x-lgsp-content-sha256", "x-lgsp-date", "x-lgsp-nonce"],
        canonical: "LGSP-HMAC-SHA1\n\
            LGSPLEGACYSHAAPP2345\n\
            GET\n\
            /v1/schemas/d%C3%A2n%20c%C6%B0/tables\n\
            \n\
            x-lgsp-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n\
            x-lgsp-date:2026-11-23T08:01:00Z\n\
            x-lgsp-nonce:legacy-nonce-0000000001\n\
            x-lgsp-content-sha256;x-lgsp-date;x-lgsp-nonce\n\
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        signature_hex: "c482b55bac18c7222ed265beb50d11dc8b7a068c",
    },
    Vector {
        name: "rsa-sha256-open-session",
        algorithm: Algorithm::RsaSha256,
        access_key: "LGSPRSAEXAMPLEKEY234",
        key: TEST_RSA_PRIVATE_KEY_PEM,
        method: "POST",
        path_and_query: "/v1/auth/sessions",
        headers: &[
            ("content-type", "application/json"),
            ("x-purpose", "Kiểm tra hồ sơ đăng ký kinh doanh"),
            (
                "x-lgsp-content-sha256",
                "6dc96a494d838de24ede1dc2933b60073d8c005726a1022b5ed13366b802e074",
            ),
            ("x-lgsp-date", "2026-11-23T08:02:00Z"),
            ("x-lgsp-nonce", "rsa-nonce-3f9a1c7e5b2d"),
        ],
        body: r#"{"destinations":["dan_cu"]}"#,
        signed_headers: &[
            "x-lgsp-content-sha256",
            "x-lgsp-date",
            "x-lgsp-nonce",
            "x-purpose",
        ],
        canonical: "LGSP-RSA-SHA256\n\
            LGSPRSAEXAMPLEKEY234\n\
            POST\n\
            /v1/auth/sessions\n\
            \n\
            x-lgsp-content-sha256:6dc96a494d838de24ede1dc2933b60073d8c005726a1022b5ed13366b802e074\n\
            x-lgsp-date:2026-11-23T08:02:00Z\n\
            x-lgsp-nonce:rsa-nonce-3f9a1c7e5b2d\n\
            x-purpose:Kiểm tra hồ sơ đăng ký kinh doanh\n\
            x-lgsp-content-sha256;x-lgsp-date;x-lgsp-nonce;x-purpose\n\
            6dc96a494d838de24ede1dc2933b60073d8c005726a1022b5ed13366b802e074",
        signature_hex: "411dbe335cfbba5c67c10d817a03b2807d3b450867a8441376f2aa67a16a74d20b0374751962ed956b112130cde5eb986f81e1076a1e8888d692ef56993ca74151dc305f1c32d11a2c2ded40738fa16cc9a29044ac5b497500bbbe88b7ba735a1336a89e148949635842579d1148c17411f98a2f4f0e4b1c19b06bc11ca8621f187e85682e0c29aa1549650a2d0ec7563c10499ebab4d34254d5f7da41230afabd6e281e015ddd2741269128a221e43c46a01693830fd067e5643e5087d645e2108bd150688019a91b3f54ae203751864945a82581f3c5401eeb03d401003d88c70aee687fe2cf1f01bebc0d037da7482089960e17ae258eaf59348bfa0293e1",
    },
];

/// A host → upstream signature example (see [`crate::outbound`]).
#[derive(Debug, Clone, Copy)]
pub struct UpstreamVector {
    /// The connector's upstream secret (UTF-8 bytes are the HMAC key).
    pub secret: &'static str,
    /// The method.
    pub method: &'static str,
    /// The request-line target, raw.
    pub path_and_query: &'static str,
    /// `x-lgsp-request-id`.
    pub request_id: &'static str,
    /// `x-lgsp-consumer`.
    pub consumer: &'static str,
    /// The purpose, decoded.
    pub purpose: &'static str,
    /// `x-lgsp-date`.
    pub date: &'static str,
    /// `x-lgsp-purpose` as sent.
    pub purpose_header: &'static str,
    /// The string the signature covers.
    pub string_to_sign: &'static str,
    /// The HMAC-SHA256, lowercase hex (after `LGSP-UPSTREAM-HMAC-SHA256 ` in `x-lgsp-signature`).
    pub signature_hex: &'static str,
}

impl UpstreamVector {
    /// The forwarded fields.
    pub fn forwarded(&self) -> Forwarded {
        Forwarded {
            request_id: self.request_id.to_owned(),
            consumer: self.consumer.to_owned(),
            purpose: self.purpose.to_owned(),
        }
    }
}

/// The upstream signature vector.
pub const UPSTREAM_VECTOR: UpstreamVector = UpstreamVector {
    secret: "upstream-secret-for-dan-cu-EXAMPLE",
    method: "GET",
    path_and_query: "/api/v1/cong-dan?so_dinh_danh=001085012345&fields=ho_ten,ngay_sinh",
    request_id: "0199f0c4-1a2b-7c3d-8e4f-5a6b7c8d9e0f",
    consumer: "000.00.00.H49",
    purpose: "Xác minh cư trú cho hồ sơ HC-2026/0123",
    date: "2026-11-23T08:00:06Z",
    purpose_header: "X%C3%A1c%20minh%20c%C6%B0%20tr%C3%BA%20cho%20h%E1%BB%93%20s%C6%A1%20HC-2026%2F0123",
    string_to_sign: "LGSP-UPSTREAM-HMAC-SHA256\n\
                    GET\n\
                    /api/v1/cong-dan\n\
                    fields=ho_ten%2Cngay_sinh&so_dinh_danh=001085012345\n\
                    0199f0c4-1a2b-7c3d-8e4f-5a6b7c8d9e0f\n\
                    000.00.00.H49\n\
                    X%C3%A1c%20minh%20c%C6%B0%20tr%C3%BA%20cho%20h%E1%BB%93%20s%C6%A1%20HC-2026%2F0123\n\
                    2026-11-23T08:00:06Z",
    signature_hex: "c2fa313f6801d967d1ca487dbf8f8a1e5f8b072ae697a51facb7fd5216409aae",
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::{SIGNATURE_HEADER, UPSTREAM_ALGORITHM, verify_upstream};
    use crate::{
        Authorization, CONTENT_SHA256_HEADER, RequestToSign, SignatureError, VerifyingKey,
        body_sha256_hex, canonical_request, sign, sign_request, verify,
    };

    fn signed(v: &Vector) -> Vec<String> {
        v.signed_headers.iter().map(|s| (*s).to_owned()).collect()
    }

    fn canonical_of(v: &Vector, method: &str, target: &str, headers: &HeaderMap) -> String {
        let req = RequestToSign::from_path_and_query(method, target, headers);
        canonical_request(v.algorithm, v.access_key, &req, &signed(v)).unwrap()
    }

    fn verifying_key(v: &Vector) -> VerifyingKey {
        match v.algorithm {
            Algorithm::RsaSha256 => VerifyingKey::rsa_from_pem(TEST_RSA_PUBLIC_KEY_PEM).unwrap(),
            _ => VerifyingKey::hmac(v.key),
        }
    }

    #[test]
    fn cover_every_algorithm() {
        for a in Algorithm::ALL {
            assert!(VECTORS.iter().any(|v| v.algorithm == a), "{a}");
        }
    }

    #[test]
    fn every_vector_recomputes() {
        for v in VECTORS {
            let h = v.header_map();
            assert_eq!(h.len(), v.headers.len(), "{}: every header parses", v.name);
            assert_eq!(
                h[CONTENT_SHA256_HEADER],
                body_sha256_hex(v.body.as_bytes()),
                "{}",
                v.name
            );
            let canonical = canonical_of(v, v.method, v.path_and_query, &h);
            assert_eq!(canonical, v.canonical, "{}", v.name);
            let creds = v.credentials().unwrap();
            let sig = sign(v.algorithm, &creds.key, &canonical).unwrap();
            assert_eq!(hex::encode(&sig), v.signature_hex, "{}", v.name);
            assert_eq!(
                verify(v.algorithm, &verifying_key(v), v.canonical, &sig),
                Ok(()),
                "{}",
                v.name
            );
            assert_eq!(
                verify(v.algorithm, &creds.key.verifying_key(), v.canonical, &sig),
                Ok(())
            );
        }
    }

    #[test]
    fn sign_request_reproduces_every_vector() {
        for v in VECTORS {
            let mut h = v.header_map();
            let date = v.date().unwrap();
            let nonce = h[crate::NONCE_HEADER].to_str().unwrap().to_owned();
            for name in crate::ALWAYS_SIGNED {
                h.remove(name);
            }
            let creds = v.credentials().unwrap();
            sign_request(
                &creds,
                v.method,
                v.path_and_query,
                &mut h,
                v.body.as_bytes(),
                date,
                &nonce,
            )
            .unwrap();
            assert_eq!(
                h[http::header::AUTHORIZATION],
                v.authorization().as_str(),
                "{}",
                v.name
            );
            let parsed = Authorization::parse(&v.authorization()).unwrap();
            assert_eq!(parsed.access_key, v.access_key);
            assert_eq!(parsed.signed_headers, v.signed_headers);
            assert_eq!(hex::encode(parsed.signature), v.signature_hex);
        }
    }

    #[test]
    fn tampering_any_signed_part_of_a_vector_fails() {
        for v in VECTORS {
            let vk = verifying_key(v);
            let sig = hex::decode(v.signature_hex).unwrap();
            let h = v.header_map();
            let fails = |canonical: &str| {
                verify(v.algorithm, &vk, canonical, &sig) == Err(SignatureError::Mismatch)
            };
            let (path, query) = v
                .path_and_query
                .split_once('?')
                .unwrap_or((v.path_and_query, ""));
            assert!(
                fails(&canonical_of(v, "PUT", v.path_and_query, &h)),
                "{} method",
                v.name
            );
            assert!(
                fails(&canonical_of(v, v.method, &format!("{path}x?{query}"), &h)),
                "{} path",
                v.name
            );
            assert!(
                fails(&canonical_of(
                    v,
                    v.method,
                    &format!("{path}?{query}&z=1"),
                    &h
                )),
                "{} query",
                v.name
            );
            for name in v.signed_headers {
                let mut t = h.clone();
                t.insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_static("0000000000000000"),
                );
                assert!(
                    fails(&canonical_of(v, v.method, v.path_and_query, &t)),
                    "{} {name}",
                    v.name
                );
            }
            let other = Vector {
                access_key: "LGSPOTHERKEY",
                ..*v
            };
            assert!(
                fails(&canonical_of(&other, v.method, v.path_and_query, &h)),
                "{} access key",
                v.name
            );
        }
    }

    #[test]
    fn unsigned_headers_of_a_vector_do_not_matter() {
        for v in VECTORS {
            let mut h = v.header_map();
            h.remove("accept");
            h.insert("user-agent", HeaderValue::from_static("curl/8"));
            assert_eq!(
                canonical_of(v, v.method, v.path_and_query, &h),
                v.canonical,
                "{}",
                v.name
            );
        }
    }

    #[test]
    fn test_rsa_key_pair_matches() {
        let sk = SigningKey::rsa_from_pem(TEST_RSA_PRIVATE_KEY_PEM).unwrap();
        match (
            sk.verifying_key(),
            VerifyingKey::rsa_from_pem(TEST_RSA_PUBLIC_KEY_PEM).unwrap(),
        ) {
            (VerifyingKey::Rsa(a), VerifyingKey::Rsa(b)) => assert_eq!(a, b),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn upstream_vector_recomputes_and_verifies() {
        let u = UPSTREAM_VECTOR;
        let now = crate::parse_date(u.date).unwrap();
        assert_eq!(crate::outbound::encode_purpose(u.purpose), u.purpose_header);
        let sts = crate::outbound::string_to_sign_for_vector(
            u.method,
            u.path_and_query,
            &u.forwarded(),
            u.date,
        )
        .unwrap();
        assert_eq!(sts, u.string_to_sign);
        let pairs = crate::outbound::sign_upstream(
            u.secret.as_bytes(),
            u.method,
            u.path_and_query,
            &u.forwarded(),
            now,
        )
        .unwrap();
        let sig = pairs
            .iter()
            .find(|(n, _)| *n == SIGNATURE_HEADER)
            .map(|(_, v)| v.as_str());
        assert_eq!(
            sig,
            Some(format!("{UPSTREAM_ALGORITHM} {}", u.signature_hex).as_str())
        );
        let mut h = HeaderMap::new();
        for (name, value) in &pairs {
            h.insert(
                HeaderName::from_static(name),
                HeaderValue::from_str(value).unwrap(),
            );
        }
        assert_eq!(
            verify_upstream(u.secret.as_bytes(), u.method, u.path_and_query, &h, now),
            Ok(u.forwarded())
        );
    }
}
