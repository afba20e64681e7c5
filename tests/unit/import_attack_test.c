/* Imports from a hostile source: files made to keep certdeck busy, an
 * easy-rsa folder with a FIFO where a key should be, a user importing what
 * another group holds, a certdeckd client sending encrypted keys. */
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include "helpers.h"
#include "import_int.h"
#include "import_wire_int.h"

/* Fixtures (hex): an EC key under PBES2 whose PBKDF2 count was set to
 * 8,388,607; the same key under an empty passphrase (2,048); a PKCS#12
 * of openssl's whose three counts (MAC, certificate bag, shrouded key)
 * were set to 8,388,607, and one where only the two bags' were. */
static const char HEX_ITER_KEY[] =
    "3081ed305806092a864886f70d01050d304b302a06092a864886f70d0105"
    "0c301d040825826f66f84c2b6f02037fffff300c06082a864886f70d0209"
    "0500301d060960864801650304012a041009e3ec7cfd4981c513cc6be774"
    "a0132104819025140202bb503f398fa7968db3bf4b1f9f7dbc3e027f3aca"
    "6b3de89ea8085799dc663668067b243a2f6bd62bf8450e11008ff254f8c5"
    "d17f00a46538f11de374a02b19b801a0ebb4d4189e26f90d9400f0876c49"
    "51be2b6a842d88a6a289cc6748134be7e4ce09ab7224b536839a657a2cae"
    "a8de3b225168a7fbea81a03272fc406db9f05dfc1b5dabaf4d5b64271efd"
    ;
static const char HEX_EMPTY_KEY[] =
    "3081ec305706092a864886f70d01050d304a302906092a864886f70d0105"
    "0c301c0408ccc2f3551175fa5f02020800300c06082a864886f70d020905"
    "00301d060960864801650304012a0410bb714c0a8e9235551e886e6e5bc5"
    "b65e04819083a0de34f0ffcdf9bb73bdf02b84532253316abf6d0dd7db4a"
    "a7a29e4b5ef71c48ce373cf7a1a453fca2bed79de0dc3609060250361a5c"
    "22ebed4fe61de9154f7ddf020df27debf6e90d63e5b9c45517dc91dd6ca2"
    "8ab219db5960a3d606c921d3485c23d386913979213c9251d7c181347d1a"
    "1dc576222063ebae05c388b64c6c6dcf5351961df753747b60c8cacebc"
    ;
static const char HEX_ITER_P12[] =
    "3082040f020103308203c406092a864886f70d010701a08203b5048203b1"
    "308203ad3082026306092a864886f70d010706a082025430820250020100"
    "3082024906092a864886f70d010701305806092a864886f70d01050d304b"
    "302a06092a864886f70d01050c301d0408c59b3ff871a0e5af02037fffff"
    "300c06082a864886f70d02090500301d060960864801650304012a041081"
    "d9af1f44352df122269fbc80afb579808201e047e445321d909c6b51ac3e"
    "cd350f194ccae3a8478a6468a9f83615e88890c3fdd0ab99633a3d4a6f22"
    "9ba084eeb1e49486054f657b26c7814d86b8bfec234ea6f9325ffb25d90a"
    "94dae63530170e45ca19fb4f7a9f57d27bb68fdb3a5d179786c00440244d"
    "31489060bf819dad8234a498fadecaeec040cba4d367d2120459502e3019"
    "004355565bbf8920d74eab0725df242ae3abd3cd1ffb8866b2f79290e014"
    "a7a1d9ceced5bbcfbda54d82ddefb9f30ca1a1debffd0ea2ed6d54817270"
    "5db9b7dfc811277605e5ac01d642aa895267f9e7fde4debb3651acbc2131"
    "65f1e6b10ab3ac9b0c8b1e6164b3076d6db823a00f018d8a9091d943f3bf"
    "767fdc6797c50dfa61c659771a22a3b17a3656b307bf260609beee81e5a5"
    "1468873e8f3fae7d1948762cb9cc11051be7660b865ed733fda34b590236"
    "8d2437687180d1beb80b0ef7c4ebab31c5162c427880146a35f9dd474d50"
    "6bdd6bde2e5aca61c854e160ffdb74f14fe6d539862c48c3edc009ec6a16"
    "1403eef0e260129ef0f8531c5aaa7014f55fee3ad4d496b3ed4fe406692b"
    "cd0050168ed16c51b16fcc2a3dfbcef6ea7d1000045f501211b2bfd6c1ae"
    "0085c155d4dd60dc4faf5c104fd48090cf09425dfb2dfc39357cfebe8910"
    "63599f07bba6d9e12c9eb9028add61d27981183082014206092a864886f7"
    "0d010701a08201330482012f3082012b30820127060b2a864886f70d010c"
    "0a0102a081f03081ed305806092a864886f70d01050d304b302a06092a86"
    "4886f70d01050c301d0408a921600d7d06db4702037fffff300c06082a86"
    "4886f70d02090500301d060960864801650304012a04100da5d284a16970"
    "78b5cb703ae488b143048190cf3915803862aca5a9ae8c42dd1ab35cd398"
    "8e8f9ee55ed546543725d5741ffa5ec0ae4b485678b7c1b735dc98eee037"
    "80b546c8206b0db3cd61eb61fd05e3ebb4b26b0d1cf73f68a7cfd6c7ae28"
    "21ebff40b16a096038cdff48bff637380974939da387ca24114458e0a3f6"
    "505e5a8044ce47f17e406a19d2e59059c44fe9a07ed19e9d95148e132e13"
    "174dc1c03d573125302306092a864886f70d010915311604144284182911"
    "6f5c3209793e62bb0a581d1bc34bee30423031300d060960864801650304"
    "020105000420c167dcf58946df3b348f0be94cc8977f21ecf4b3acc99a17"
    "d1daee51cd0ab963040885522549ad1e2fea02037fffff"
    ;
static const char HEX_ITER_BAGS[] =
    "3082040f020103308203c406092a864886f70d010701a08203b5048203b1"
    "308203ad3082026306092a864886f70d010706a082025430820250020100"
    "3082024906092a864886f70d010701305806092a864886f70d01050d304b"
    "302a06092a864886f70d01050c301d0408c59b3ff871a0e5af02037fffff"
    "300c06082a864886f70d02090500301d060960864801650304012a041081"
    "d9af1f44352df122269fbc80afb579808201e047e445321d909c6b51ac3e"
    "cd350f194ccae3a8478a6468a9f83615e88890c3fdd0ab99633a3d4a6f22"
    "9ba084eeb1e49486054f657b26c7814d86b8bfec234ea6f9325ffb25d90a"
    "94dae63530170e45ca19fb4f7a9f57d27bb68fdb3a5d179786c00440244d"
    "31489060bf819dad8234a498fadecaeec040cba4d367d2120459502e3019"
    "004355565bbf8920d74eab0725df242ae3abd3cd1ffb8866b2f79290e014"
    "a7a1d9ceced5bbcfbda54d82ddefb9f30ca1a1debffd0ea2ed6d54817270"
    "5db9b7dfc811277605e5ac01d642aa895267f9e7fde4debb3651acbc2131"
    "65f1e6b10ab3ac9b0c8b1e6164b3076d6db823a00f018d8a9091d943f3bf"
    "767fdc6797c50dfa61c659771a22a3b17a3656b307bf260609beee81e5a5"
    "1468873e8f3fae7d1948762cb9cc11051be7660b865ed733fda34b590236"
    "8d2437687180d1beb80b0ef7c4ebab31c5162c427880146a35f9dd474d50"
    "6bdd6bde2e5aca61c854e160ffdb74f14fe6d539862c48c3edc009ec6a16"
    "1403eef0e260129ef0f8531c5aaa7014f55fee3ad4d496b3ed4fe406692b"
    "cd0050168ed16c51b16fcc2a3dfbcef6ea7d1000045f501211b2bfd6c1ae"
    "0085c155d4dd60dc4faf5c104fd48090cf09425dfb2dfc39357cfebe8910"
    "63599f07bba6d9e12c9eb9028add61d27981183082014206092a864886f7"
    "0d010701a08201330482012f3082012b30820127060b2a864886f70d010c"
    "0a0102a081f03081ed305806092a864886f70d01050d304b302a06092a86"
    "4886f70d01050c301d0408a921600d7d06db4702037fffff300c06082a86"
    "4886f70d02090500301d060960864801650304012a04100da5d284a16970"
    "78b5cb703ae488b143048190cf3915803862aca5a9ae8c42dd1ab35cd398"
    "8e8f9ee55ed546543725d5741ffa5ec0ae4b485678b7c1b735dc98eee037"
    "80b546c8206b0db3cd61eb61fd05e3ebb4b26b0d1cf73f68a7cfd6c7ae28"
    "21ebff40b16a096038cdff48bff637380974939da387ca24114458e0a3f6"
    "505e5a8044ce47f17e406a19d2e59059c44fe9a07ed19e9d95148e132e13"
    "174dc1c03d573125302306092a864886f70d010915311604144284182911"
    "6f5c3209793e62bb0a581d1bc34bee30423031300d060960864801650304"
    "020105000420c167dcf58946df3b348f0be94cc8977f21ecf4b3acc99a17"
    "d1daee51cd0ab963040885522549ad1e2fea0203010000"
    ;

/* Certificates made by openssl: a serial of 21 bytes, a negative serial,
 * CA:TRUE with a key usage that does not let it sign certificates. */
static const char PEM_LONG[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBfzCCASagAwIBAgIVAQIDBAUGBwgJCgsMDQ4PEBESExQVMAoGCCqGSM49BAMC\n"
    "MBUxEzARBgNVBAMMCmxvbmdzZXJpYWwwHhcNMjYxMjA3MDYyNjIzWhcNMjcwMTA2\n"
    "MDYyNjIzWjAVMRMwEQYDVQQDDApsb25nc2VyaWFsMFkwEwYHKoZIzj0CAQYIKoZI\n"
    "zj0DAQcDQgAEiDvE/NqEbOYQ3e610ULKPi4SwOFBZIOE2lFTDTTrA3WnlTdDEazQ\n"
    "RZrUuyV0RWgZGjRoPWnBq5zcypyyt8KsNqNTMFEwHQYDVR0OBBYEFF6+cl5cHCeZ\n"
    "wTY6mUTR/8ixpv99MB8GA1UdIwQYMBaAFF6+cl5cHCeZwTY6mUTR/8ixpv99MA8G\n"
    "A1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgcWLaLd7f2kjTY1F8qM/3\n"
    "A8ce3ix1vuft/u5llXH609ICIDJXl/MnRUklAHC9WY+dJ/9LnjzzhF9uBy95V+q9\n"
    "mlZr\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char PEM_NEG[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBazCCARCgAwIBAgIB+zAKBggqhkjOPQQDAjAUMRIwEAYDVQQDDAluZWdzZXJp\n"
    "YWwwHhcNMjYxMjA3MDYyNjI0WhcNMjcwMTA2MDYyNjI0WjAUMRIwEAYDVQQDDAlu\n"
    "ZWdzZXJpYWwwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAASIO8T82oRs5hDd7rXR\n"
    "Qso+LhLA4UFkg4TaUVMNNOsDdaeVN0MRrNBFmtS7JXRFaBkaNGg9acGrnNzKnLK3\n"
    "wqw2o1MwUTAdBgNVHQ4EFgQUXr5yXlwcJ5nBNjqZRNH/yLGm/30wHwYDVR0jBBgw\n"
    "FoAUXr5yXlwcJ5nBNjqZRNH/yLGm/30wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjO\n"
    "PQQDAgNJADBGAiEAxJh0mmvB5CRIucHecxzqUMKImAllyWFXzQr5OvFEpT4CIQDr\n"
    "XaDaG0WYzHMki0JDyKj5+8IJ+JDXal2ANwCzBZIFmg==\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char PEM_NOSIGN[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBizCCATGgAwIBAgIUOcGk4eXzpzl6aN7wvyOZQcc5l9UwCgYIKoZIzj0EAwIw\n"
    "EzERMA8GA1UEAwwIbm9zaWduY2EwHhcNMjYxMjA3MDYyNjI0WhcNMjcwMTA2MDYy\n"
    "NjI0WjATMREwDwYDVQQDDAhub3NpZ25jYTBZMBMGByqGSM49AgEGCCqGSM49AwEH\n"
    "A0IABIg7xPzahGzmEN3utdFCyj4uEsDhQWSDhNpRUw006wN1p5U3QxGs0EWa1Lsl\n"
    "dEVoGRo0aD1pwauc3MqcsrfCrDajYzBhMB0GA1UdDgQWBBRevnJeXBwnmcE2OplE\n"
    "0f/Isab/fTAfBgNVHSMEGDAWgBRevnJeXBwnmcE2OplE0f/Isab/fTAPBgNVHRMB\n"
    "Af8EBTADAQH/MA4GA1UdDwEB/wQEAwIHgDAKBggqhkjOPQQDAgNIADBFAiBhaC4s\n"
    "ePlzMLx3YXj2Ehd1oQHsxUX1uOPoYWxrf6podQIhAOIKOU3axM/N8JMMJGsY5epm\n"
    "asJqS1N2IfHiQPOg8epx\n"
    "-----END CERTIFICATE-----\n"
    ;

/* A certificate of an EC key B, and a key file (SEC1 DER) holding key A's
 * private scalar with B's public point spliced in: its key ID is B's. */
static const char PEM_VICTIM[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBdTCCARqgAwIBAgIUQUfB9xL09Czc74cyTQM2ESQedYQwCgYIKoZIzj0EAwIw\n"
    "ETEPMA0GA1UEAwwGdmljdGltMB4XDTI2MTIwNzA2MjcyMVoXDTI3MDEwNjA2Mjcy\n"
    "MVowETEPMA0GA1UEAwwGdmljdGltMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
    "OcTn31Kp/9Dq4dYybBKZjTFCiy2RDkNwr1YQ4hoNdGZa9SsMTi7FjkiGs1ZOzdt9\n"
    "DgCjJKqSabvmSziqHNQt5qNQME4wHQYDVR0OBBYEFOe3+80lZEddVgAE5hJEwLql\n"
    "rKn+MB8GA1UdIwQYMBaAFOe3+80lZEddVgAE5hJEwLqlrKn+MAwGA1UdEwEB/wQC\n"
    "MAAwCgYIKoZIzj0EAwIDSQAwRgIhALcIfoIx1p6Gx7Vl1kDzH4kVIaPc2u97gjWk\n"
    "9HjO/tWLAiEA7ZAhNlQ7bsGNAkzlB7zZUlUseL0ImprLZdG0mW2Ec3U=\n"
    "-----END CERTIFICATE-----\n"
    ;
static const char HEX_SPLICED_KEY[] =
    "3077020101042010d4bd44141e98129a98983130d3db22054da9f6cb8232"
    "1fcb71a42568fce7a3a00a06082a8648ce3d030107a1440342000439c4e7"
    "df52a9ffd0eae1d6326c12998d31428b2d910e4370af5610e21a0d74665a"
    "f52b0c4e2ec58e4886b3564ecddb7d0e00a324aa9269bbe64b38aa1cd42d"
    "e6"
    ;

static size_t count_what(const struct cd_import_report *r, int what)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) n += r->rows[i].what == what;
    return n;
}

static unsigned char *unhex(const char *h, size_t *n)
{
    *n = strlen(h) / 2;
    unsigned char *b = malloc(*n);
    for (size_t i = 0; i < *n; i++) { unsigned v = 0; sscanf(h + 2 * i, "%2x", &v); b[i] = (unsigned char)v; }
    return b;
}

/* A hang (a FIFO opened, a key derivation of minutes) ends the test. */
static int setup(void **state) { alarm(60); return fx_setup(state); }
static int teardown(void **state) { alarm(0); return fx_teardown(state); }

static void test_iterations_capped(void **state)
{
    struct fx *f = *state;
    struct cd_import_report r;
    struct cd_import_opts o = { .passphrase = "x" };
    const char *hex[3] = { HEX_ITER_KEY, HEX_ITER_P12, HEX_ITER_BAGS };
    for (int i = 0; i < 3; i++) {
        size_t n = 0;
        unsigned char *d = unhex(hex[i], &n);
        time_t t0 = time(NULL);
        assert_int_equal(cd_import(f->s, f->u, d, n, &o, &r, &f->err), CD_E_INVAL);
        assert_non_null(strstr(f->err.msg, "iterations"));
        assert_true(time(NULL) - t0 < 5);
        free(d);
    }
    assert_int_equal(fx_count(f, NULL, 1), 3);
}

/* certdeckd takes plain keys only: an encrypted one is never opened (an
 * empty passphrase tried, or a derivation of minutes run) */
static void test_wire_plain_keys_only(void **state)
{
    struct fx *f = *state;
    const char *hex[2] = { HEX_EMPTY_KEY, HEX_ITER_KEY };
    for (int i = 0; i < 2; i++) {
        size_t n = 0;
        unsigned char *d = unhex(hex[i], &n);
        char *b64 = cdi_b64_encode(d, n);
        char *rec = cdi_printf("%d 0 0 - %s - - -", CD_IMPORT_KEY, b64);
        struct cdi_import im = { 0 };
        time_t t0 = time(NULL);
        assert_int_not_equal(cdi_import_decode_item(&im, rec, &f->err), CD_OK);
        assert_true(time(NULL) - t0 < 5);
        assert_int_equal(im.n, 0);
        cdi_import_clear(&im);
        free(rec); free(b64); free(d);
    }
}

/* A pki/ folder in f's directory: ca.crt (CA 1), issued/one.crt
 * (certificate 1), private/; dir filled. */
static void pki_make(struct fx *f, char *dir, size_t n)
{
    char p[256];
    snprintf(dir, n, "%s/pki", f->dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(p, sizeof p, "%s/issued", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/private", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    char *ca = NULL;
    size_t calen = 0, cl = 0;
    fx_must(f, cd_ca_export(f->s, f->u, 1, &ca, &calen, &f->err), "ca");
    snprintf(p, sizeof p, "%s/ca.crt", dir);
    fx_put(p, ca, calen);
    unsigned char *c = NULL;
    fx_must(f, cd_cert_export(f->s, f->u, 1, CD_EXPORT_PEM, NULL, &c, &cl, &f->err), "cert");
    snprintf(p, sizeof p, "%s/issued/one.crt", dir);
    fx_put(p, c, cl);
    free(ca);
    free(c);
}

/* easy-rsa: a FIFO where a key should be is skipped, not waited on */
static void test_easyrsa_fifo(void **state)
{
    struct fx *f = *state;
    char dir[160], p[256];
    pki_make(f, dir, sizeof dir);
    snprintf(p, sizeof p, "%s/private/ca.key", dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(p, sizeof p, "%s/private/one.key", dir);
    assert_int_equal(mkfifo(p, 0600), 0);
    snprintf(p, sizeof p, "%s/index.txt", dir);
    fx_put(p, "", 0);
    struct cd_import_report r;
    fx_must(f, cd_import_easyrsa(f->s, f->u, dir, NULL, &r, &f->err), "import");
    assert_int_equal(r.taken, 0);              /* came back (no wait on one.key): all stored already */
    cd_import_report_free(&r);
}

/* easy-rsa: an index.txt of thousands of lines that match nothing is not
 * thousands of report rows (nor a scan of every row for each line) */
static void test_easyrsa_index_flood(void **state)
{
    struct fx *f = *state;
    char dir[160], p[256];
    pki_make(f, dir, sizeof dir);
    struct cdi_buf b = { 0 };
    for (unsigned i = 0; i < 20000; i++)
        cdi_buf_addf(&b, i % 2 ? "V\t290101000000Z\t\t%X0F0F\tunknown\t/CN=x\n" : "garbage %u\n", i);
    snprintf(p, sizeof p, "%s/index.txt", dir);
    fx_put(p, b.p, b.len);
    cdi_buf_free(&b);
    struct cd_import_report r;
    fx_must(f, cd_import_easyrsa(f->s, f->u, dir, NULL, &r, &f->err), "import");
    assert_true(r.n < 120);
    int more = 0;
    for (size_t i = 0; i < r.n; i++) more += strstr(r.rows[i].why, "19900 more lines") != NULL;
    assert_int_equal(more, 1);
    cd_import_report_free(&r);
}

/* carol writes certificates in /All/A only; certificate 1 (no key kept
 * after the move) lives in /All/B.  Her imports neither name it, nor give
 * it her key, nor fail on it. */
static void test_other_group_hidden(void **state)
{
    struct fx *f = *state;
    static const char PW[] = "carol-password-1";
    fx_must(f, cd_group_add(f->s, f->u, "/All/A", &f->err), "group A");
    fx_must(f, cd_group_add(f->s, f->u, "/All/B", &f->err), "group B");
    fx_must(f, cd_user_add(f->s, f->u, "carol", "/All/A", PW, &f->err), "user");
    const char *ga[] = { "/All/A" };
    int rights[CD_OT_COUNT] = { 0 };
    rights[CD_OT_CERTS] = CD_RIGHT_WRITE;
    fx_must(f, cd_permset_add(f->s, f->u, "a-certs", ga, 1, rights, &f->err), "permset");
    fx_must(f, cd_permset_grant(f->s, f->u, "a-certs", "carol", 1, &f->err), "grant");
    cd_user *carol = NULL;
    fx_must(f, cd_user_login(f->s, "carol", PW, &carol, &f->err), "login");
    /* a certificate of another store, put in B without its key; carol holds it and its key */
    void *ov = NULL;
    assert_int_equal(fx_setup(&ov), 0);
    struct fx *other = ov;
    int64_t id = fx_cert(other, "bee");
    unsigned char *der = NULL, *key = NULL;
    size_t dl = 0, kl = 0;
    fx_must(other, cd_cert_export(other->s, other->u, id, CD_EXPORT_DER, NULL, &der, &dl, &other->err), "der");
    fx_must(other, cd_cert_export(other->s, other->u, id, CD_EXPORT_KEY, "pass-pass-1", &key, &kl, &other->err), "key");
    fx_teardown(&ov);
    struct cd_import_report r;
    struct cd_import_opts ob = { .group = "/All/B" };
    fx_must(f, cd_import(f->s, f->u, der, dl, &ob, &r, &f->err), "store in B");
    assert_int_equal(r.taken, 1);
    int64_t bid = r.rows[0].id;
    cd_import_report_free(&r);
    /* the key alone: matches nothing carol may see */
    struct cd_import_opts ok = { .passphrase = "pass-pass-1" };
    fx_must(f, cd_import(f->s, carol, key, kl, &ok, &r, &f->err), "key");
    assert_int_equal(r.taken, 0);
    assert_non_null(strstr(r.rows[0].why, "matches no certificate"));
    cd_import_report_free(&r);
    /* the certificate: its ID not told */
    fx_must(f, cd_import(f->s, carol, der, dl, NULL, &r, &f->err), "cert");
    char idtxt[32];
    snprintf(idtxt, sizeof idtxt, "%lld", (long long)bid);
    for (size_t i = 0; i < r.n; i++) {
        assert_null(strstr(r.rows[i].why, idtxt));
        assert_true(r.rows[i].id != bid);
    }
    cd_import_report_free(&r);
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, bid, &c, &f->err), "get");
    assert_int_equal(c.has_key, 0);
    cd_cert_clear(&c);
    cd_user_free(carol);
    free(der);
    free(key);
}

/* easy-rsa: private/ a link to keys elsewhere, or a folder anybody may
 * write in: refused, saying which, nothing written */
static void test_easyrsa_unsafe_folders(void **state)
{
    struct fx *f = *state;
    char dir[160], p[256], away[200];
    pki_make(f, dir, sizeof dir);
    snprintf(p, sizeof p, "%s/index.txt", dir);
    fx_put(p, "", 0);
    snprintf(p, sizeof p, "%s/private", dir);
    assert_int_equal(rmdir(p), 0);
    snprintf(away, sizeof away, "%s/elsewhere", f->dir);
    assert_int_equal(mkdir(away, 0700), 0);
    assert_int_equal(symlink(away, p), 0);
    struct cd_import_report r;
    assert_int_equal(cd_import_easyrsa(f->s, f->u, dir, NULL, &r, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "symbolic link"));
    assert_int_equal(unlink(p), 0);
    assert_int_equal(mkdir(p, 0700), 0);
    assert_int_equal(chmod(dir, 0777), 0);
    assert_int_equal(cd_import_easyrsa(f->s, f->u, dir, NULL, &r, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "anybody may write"));
    assert_int_equal(chmod(dir, 0700), 0);
    fx_must(f, cd_import_easyrsa(f->s, f->u, dir, NULL, &r, &f->err), "safe again");
    cd_import_report_free(&r);
}

/* serials a CRL cannot name right are skipped, saying why; a "CA" that
 * may not sign certificates is not made a CA */
static void test_odd_certificates(void **state)
{
    struct fx *f = *state;
    struct cd_import_report r;
    const char *bad[2] = { PEM_LONG, PEM_NEG };
    for (int i = 0; i < 2; i++) {
        fx_must(f, cd_import(f->s, f->u, bad[i], strlen(bad[i]), NULL, &r, &f->err), "odd serial");
        assert_int_equal(r.taken, 0);
        assert_int_equal(r.n, 1);
        assert_non_null(strstr(r.rows[0].why, "serial number"));
        cd_import_report_free(&r);
    }
    fx_must(f, cd_import(f->s, f->u, PEM_NOSIGN, strlen(PEM_NOSIGN), NULL, &r, &f->err), "no keyCertSign");
    assert_int_equal(r.taken, 1);
    assert_int_equal(r.rows[0].what, CD_IMPORT_CERT);
    cd_import_report_free(&r);
    struct cd_ca_list l;
    fx_must(f, cd_ca_list(f->s, f->u, NULL, &l, &f->err), "cas");
    assert_int_equal(l.n, 1);
    cd_ca_list_free(&l);
}

/* a key whose public half is not its own is not given to the certificate
 * whose key ID it borrows */
static void test_spliced_key(void **state)
{
    struct fx *f = *state;
    struct cd_import_report r;
    fx_must(f, cd_import(f->s, f->u, PEM_VICTIM, strlen(PEM_VICTIM), NULL, &r, &f->err), "victim");
    int64_t id = r.rows[0].id;
    cd_import_report_free(&r);
    size_t n = 0;
    unsigned char *d = unhex(HEX_SPLICED_KEY, &n);
    int rc = cd_import(f->s, f->u, d, n, NULL, &r, &f->err);
    if (!rc) {
        assert_int_equal(r.taken, 0);
        cd_import_report_free(&r);
    }
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.has_key, 0);
    cd_cert_clear(&c);
    free(d);
}

/* A leaf is linked to a stored CA only when that CA's key signed it and
 * the importing user may see the CA. */
static void test_issuer_link(void **state)
{
    struct fx *f = *state;
    void *ov = NULL;
    assert_int_equal(fx_setup(&ov), 0);
    struct fx *other = ov;
    /* the other store's CA and one of its certificates */
    char *oca = NULL;
    size_t ocalen = 0, dl = 0, dl2 = 0;
    fx_must(other, cd_ca_export(other->s, other->u, 1, &oca, &ocalen, &other->err), "ca");
    unsigned char *der = NULL, *der2 = NULL;
    fx_must(other, cd_cert_export(other->s, other->u, fx_cert(other, "leaf-1"), CD_EXPORT_DER, NULL, &der, &dl,
                                  &other->err), "leaf");
    fx_must(other, cd_cert_export(other->s, other->u, fx_cert(other, "leaf-2"), CD_EXPORT_DER, NULL, &der2, &dl2,
                                  &other->err), "leaf 2");
    struct cd_cert oc;
    fx_must(other, cd_cert_get(other->s, other->u, 1, &oc, &other->err), "get");
    struct cd_ca mine;
    fx_must(f, cd_ca_get(f->s, f->u, 1, &mine, &f->err), "my ca");
    fx_teardown(&ov);
    struct cd_import_report r;
    /* same issuer name as this store's CA 1, another key: not linked to it */
    assert_non_null(strstr(mine.subject, oc.issuer));    /* both stores' first CA have the one name */
    {
        fx_must(f, cd_import(f->s, f->u, der, dl, NULL, &r, &f->err), "forged");
        struct cd_cert c;
        fx_must(f, cd_cert_get(f->s, f->u, r.rows[0].id, &c, &f->err), "get");
        assert_int_equal(c.ca_id, 0);
        cd_cert_clear(&c);
        cd_import_report_free(&r);
    }
    cd_cert_clear(&oc);
    cd_ca_clear(&mine);
    /* the other CA stored in /All/B; carol (certificates in /All/A) sees no CA there */
    static const char PW[] = "carol-password-1";
    fx_must(f, cd_group_add(f->s, f->u, "/All/A", &f->err), "group A");
    fx_must(f, cd_group_add(f->s, f->u, "/All/B", &f->err), "group B");
    fx_must(f, cd_user_add(f->s, f->u, "carol", "/All/A", PW, &f->err), "user");
    const char *ga[] = { "/All/A" };
    int rights[CD_OT_COUNT] = { 0 };
    rights[CD_OT_CERTS] = CD_RIGHT_WRITE;
    fx_must(f, cd_permset_add(f->s, f->u, "a-certs", ga, 1, rights, &f->err), "permset");
    fx_must(f, cd_permset_grant(f->s, f->u, "a-certs", "carol", 1, &f->err), "grant");
    cd_user *carol = NULL;
    fx_must(f, cd_user_login(f->s, "carol", PW, &carol, &f->err), "login");
    struct cd_import_opts ob = { .group = "/All/B" };
    fx_must(f, cd_import(f->s, f->u, oca, ocalen, &ob, &r, &f->err), "CA in B");
    assert_int_equal(r.taken, 1);
    cd_import_report_free(&r);
    fx_must(f, cd_import(f->s, carol, der2, dl2, NULL, &r, &f->err), "carol's leaf");
    int64_t id = r.rows[0].id;
    assert_non_null(strstr(r.rows[0].why, "issuer not in the store"));
    cd_import_report_free(&r);
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.ca_id, 0);
    cd_cert_clear(&c);
    cd_user_free(carol);
    free(oca); free(der); free(der2);
}

/* the certificate Apple returned for a pending request, imported as a
 * file: not a second row beside the pending one, but pointed at it */
static void test_pending_signed(void **state)
{
    struct fx *f = *state;
    struct cd_cert_params p = { .product = CD_PRODUCT_APN, .subject = { .cn = "apn-pending" } };
    int64_t pid = 0;
    char *csr = NULL;
    size_t clen = 0, dl = 0;
    fx_must(f, cd_cert_request(f->s, f->u, &p, 0, &pid, &csr, &clen, &f->err), "request");
    void *ov = NULL;
    assert_int_equal(fx_setup(&ov), 0);
    struct fx *apple = ov;
    struct cd_cert_params sp = { .ca_id = 1, .product = CD_PRODUCT_CUSTOM, .days = 30 };
    int64_t sid = 0;
    fx_must(apple, cd_cert_sign(apple->s, apple->u, &sp, csr, clen, &sid, &apple->err), "sign");
    unsigned char *der = NULL;
    fx_must(apple, cd_cert_export(apple->s, apple->u, sid, CD_EXPORT_DER, NULL, &der, &dl, &apple->err), "der");
    fx_teardown(&ov);
    int64_t before = fx_count(f, NULL, 1);
    struct cd_import_report r;
    fx_must(f, cd_import(f->s, f->u, der, dl, NULL, &r, &f->err), "import");
    assert_int_equal(r.taken, 0);
    assert_int_equal(r.rows[0].id, pid);
    assert_non_null(strstr(r.rows[0].why, "import-signed"));
    cd_import_report_free(&r);
    assert_int_equal(fx_count(f, NULL, 1), before);
    free(csr);
    free(der);
}

/* keys alone matched against the key-less certificates read once: many
 * keys in one file each find theirs, and a certificate takes one key */
static void test_many_keys_alone(void **state)
{
    struct fx *f = *state;
    void *ov = NULL;
    assert_int_equal(fx_setup(&ov), 0);
    struct fx *other = ov;
    enum { N = 8 };
    struct cdi_buf keys = { 0 };
    struct cd_import_report r;
    for (int i = 0; i < N; i++) {
        char cn[32];
        snprintf(cn, sizeof cn, "many-%d", i);
        int64_t id = fx_cert(other, cn);
        unsigned char *der = NULL, *key = NULL;
        size_t dl = 0, kl = 0;
        fx_must(other, cd_cert_export(other->s, other->u, id, CD_EXPORT_DER, NULL, &der, &dl, &other->err), "der");
        fx_must(other, cd_cert_export(other->s, other->u, id, CD_EXPORT_KEY, "pass-pass-1", &key, &kl, &other->err),
                "key");
        fx_must(f, cd_import(f->s, f->u, der, dl, NULL, &r, &f->err), "cert");
        cd_import_report_free(&r);
        cdi_buf_add(&keys, key, kl);
        free(der);
        free(key);
    }
    fx_teardown(&ov);
    struct cd_import_opts o = { .passphrase = "pass-pass-1" };
    fx_must(f, cd_import(f->s, f->u, keys.p, keys.len, &o, &r, &f->err), "keys");
    assert_int_equal(r.taken, N);
    cd_import_report_free(&r);
    assert_int_equal(fx_count(f, "cn:many-", 0), N);
    struct cd_cert_list l;
    struct cd_query q = { .filter = "cn:many-" };
    fx_must(f, cd_cert_list(f->s, f->u, &q, &l, &f->err), "list");
    for (size_t i = 0; i < l.n; i++) assert_int_equal(l.rows[i].has_key, 1);
    cd_cert_list_free(&l);
    fx_must(f, cd_import(f->s, f->u, keys.p, keys.len, &o, &r, &f->err), "keys again");
    assert_int_equal(r.taken, 0);
    cd_import_report_free(&r);
    cdi_buf_free(&keys);
}

/* a PEM file of thousands of certificates (each given twice, between
 * blocks of other kinds): each stored once, found by its fingerprint
 * rather than by comparing it with every one before */
static void test_many_certificates(void **state)
{
    struct fx *f = *state;
    enum { N = 3000 };
    unsigned char *der = NULL;
    size_t dl = 0;
    fx_must(f, cd_cert_export(f->s, f->u, 2, CD_EXPORT_DER, NULL, &der, &dl, &f->err), "der");
    struct cdi_buf b = { 0 };
    for (unsigned i = 0; i < 2 * N; i++) {
        unsigned v = i % N;            /* the signature's last bytes changed: another certificate */
        der[dl - 2] = (unsigned char)(v >> 8);
        der[dl - 1] = (unsigned char)v;
        char *e = cdi_b64_encode(der, dl);
        cdi_buf_addf(&b, "-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n-----BEGIN FOO-----\n-----END FOO-----\n", e);
        free(e);
    }
    struct cd_import_report r;
    fx_must(f, cd_import(f->s, f->u, b.p, b.len, NULL, &r, &f->err), "import");
    assert_int_equal(r.taken, N);
    assert_int_equal(count_what(&r, CD_IMPORT_CERT), N);
    cd_import_report_free(&r);
    cdi_buf_free(&b);
    free(der);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_iterations_capped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wire_plain_keys_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_easyrsa_fifo, setup, teardown),
        cmocka_unit_test_setup_teardown(test_easyrsa_index_flood, setup, teardown),
        cmocka_unit_test_setup_teardown(test_easyrsa_unsafe_folders, setup, teardown),
        cmocka_unit_test_setup_teardown(test_odd_certificates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_spliced_key, setup, teardown),
        cmocka_unit_test_setup_teardown(test_issuer_link, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pending_signed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_keys_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_certificates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_other_group_hidden, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
