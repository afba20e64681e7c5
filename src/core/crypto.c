/* certdeck core — symmetric pieces: sealing peer keys under the store key
 * (AES-256-GCM), passphrase verifiers (PBKDF2-SHA256) and the audit head's
 * HMAC (under a key derived from the store key).
 *
 * Why a store key rather than a PBKDF2 per peer key: 600,000 iterations cost
 * ~185 ms, which would make bulk issuance of thousands of certificates
 * impossible.  The store key is unlocked once per session; the AAD binds each
 * sealed key to its certificate's fingerprint so blobs cannot be swapped
 * between rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/crypto.h>
#include "pki_int.h"

#define NONCE 12
#define TAG 16

int cdi_seal(const unsigned char *key, const void *aad, size_t aadlen, const unsigned char *in,
             size_t inlen, gnutls_datum_t *out, struct cd_err *err)
{
    gnutls_aead_cipher_hd_t h = NULL;
    gnutls_datum_t k = { (unsigned char *)key, CDI_STORE_KEY_LEN };
    int gt = gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_AES_256_GCM, &k);
    if (gt < 0) return cdi_fail(err, CD_E_CRYPTO, "AES-GCM: %s", gnutls_strerror(gt));
    size_t cap = NONCE + inlen + TAG;
    unsigned char *buf = gnutls_malloc(cap);
    if (!buf) { gnutls_aead_cipher_deinit(h); return cdi_fail(err, CD_E_NOMEM, "out of memory"); }
    gnutls_rnd(GNUTLS_RND_NONCE, buf, NONCE);
    size_t clen = cap - NONCE;
    gt = gnutls_aead_cipher_encrypt(h, buf, NONCE, aad, aadlen, TAG, in, inlen, buf + NONCE, &clen);
    gnutls_aead_cipher_deinit(h);
    if (gt < 0) { gnutls_free(buf); return cdi_fail(err, CD_E_CRYPTO, "AES-GCM: %s", gnutls_strerror(gt)); }
    out->data = buf;
    out->size = (unsigned)(NONCE + clen);
    return CD_OK;
}

int cdi_unseal(const unsigned char *key, const void *aad, size_t aadlen, const unsigned char *in,
               size_t inlen, gnutls_datum_t *out, struct cd_err *err)
{
    if (inlen < NONCE + TAG) return cdi_fail(err, CD_E_CORRUPT, "a stored key is truncated");
    gnutls_aead_cipher_hd_t h = NULL;
    gnutls_datum_t k = { (unsigned char *)key, CDI_STORE_KEY_LEN };
    int gt = gnutls_aead_cipher_init(&h, GNUTLS_CIPHER_AES_256_GCM, &k);
    if (gt < 0) return cdi_fail(err, CD_E_CRYPTO, "AES-GCM: %s", gnutls_strerror(gt));
    size_t plen = inlen - NONCE;
    unsigned char *buf = gnutls_malloc(plen ? plen : 1);
    if (!buf) { gnutls_aead_cipher_deinit(h); return cdi_fail(err, CD_E_NOMEM, "out of memory"); }
    gt = gnutls_aead_cipher_decrypt(h, in, NONCE, aad, aadlen, TAG, in + NONCE, inlen - NONCE, buf, &plen);
    gnutls_aead_cipher_deinit(h);
    if (gt < 0) {
        gnutls_free(buf);
        return cdi_fail(err, CD_E_NOKEY, "a stored key does not open with this store key "
                        "(wrong key file, or the store was tampered with)");
    }
    out->data = buf;
    out->size = (unsigned)plen;
    return CD_OK;
}

static int derive(const char *pass, const unsigned char *salt, size_t saltlen, unsigned iter,
                  unsigned char *out)
{
    gnutls_datum_t k = { (unsigned char *)pass, (unsigned)strlen(pass) };
    gnutls_datum_t s = { (unsigned char *)salt, (unsigned)saltlen };
    return gnutls_pbkdf2(GNUTLS_MAC_SHA256, &k, &s, iter, out, 32);
}

char *cdi_pass_hash(const char *pass, struct cd_err *err)
{
    unsigned char salt[16], h[32];
    char sh[33], hh[65];
    gnutls_rnd(GNUTLS_RND_NONCE, salt, sizeof salt);
    int gt = derive(pass, salt, sizeof salt, CDI_PBKDF2_ITER, h);
    if (gt < 0) { cdi_fail(err, CD_E_CRYPTO, "PBKDF2: %s", gnutls_strerror(gt)); return NULL; }
    cdi_hex(salt, sizeof salt, sh);
    cdi_hex(h, sizeof h, hh);
    cdi_wipe(h, sizeof h);
    char *out = cdi_printf("pbkdf2-sha256$%d$%s$%s", CDI_PBKDF2_ITER, sh, hh);
    if (!out) cdi_fail(err, CD_E_NOMEM, "out of memory");
    return out;
}

int cdi_pass_check(const char *stored, const char *pass)
{
    unsigned iter;
    char sh[65], hh[129];
    if (!stored || !pass || sscanf(stored, "pbkdf2-sha256$%u$%64[0-9a-f]$%128[0-9a-f]", &iter, sh, hh) != 3)
        return 0;
    unsigned char salt[32], want[64], got[32];
    size_t sl, wl;
    if (cdi_hex_decode(sh, salt, sizeof salt, &sl) || cdi_hex_decode(hh, want, sizeof want, &wl) || wl != 32)
        return 0;
    if (iter < 1 || iter > 10000000 || derive(pass, salt, sl, iter, got) < 0) return 0;
    unsigned char diff = 0;
    for (int i = 0; i < 32; i++) diff |= (unsigned char)(got[i] ^ want[i]);
    cdi_wipe(got, sizeof got);
    return diff == 0;
}

/* Label of the audit head key; a new purpose gets a new label, never this one. */
static const char AUDIT_HEAD_LABEL[] = "certdeck audit head key v1";

int cdi_audit_head_mac(const unsigned char *store_key, int64_t last_id, const char *hash, int64_t n,
                       char out[65], struct cd_err *err)
{
    unsigned char k[32], mac[32];
    char msg[160];
    int len = snprintf(msg, sizeof msg, "certdeck audit head|%lld|%.64s|%lld", (long long)last_id, hash,
                       (long long)n);
    int gt = gnutls_hmac_fast(GNUTLS_MAC_SHA256, store_key, CDI_STORE_KEY_LEN, AUDIT_HEAD_LABEL,
                              sizeof AUDIT_HEAD_LABEL - 1, k);
    if (gt >= 0) gt = gnutls_hmac_fast(GNUTLS_MAC_SHA256, k, sizeof k, msg, (size_t)len, mac);
    cdi_wipe(k, sizeof k);
    if (gt < 0) return cdi_fail(err, CD_E_CRYPTO, "HMAC: %s", gnutls_strerror(gt));
    cdi_hex(mac, sizeof mac, out);
    return CD_OK;
}
