/* certdeck console — what the TUI's files share.
 *
 * Shape (tig's views, htop's panels): one file per screen or dialog, each a
 * `struct scr_ops` of callbacks; app.c is the registry and driver (keys,
 * top line, key bar, status line, resize, terminal restore); one table
 * widget, one form widget and one tree (side panel) serve every screen.
 * Every action is a request declared once below with its help text; the
 * default keys are one table in keymap.c, and `?` help is generated from
 * both.  Nothing here reads the store's file: only <certdeck/...> calls. */
#ifndef CERTDECK_TUI_H
#define CERTDECK_TUI_H

#include <stdint.h>
#include <certdeck/certdeck.h>

#define REQ_LIST(X) \
    X(REQ_NONE,      "",              "") \
    X(REQ_UP,        "up",            "Move up") \
    X(REQ_DOWN,      "down",          "Move down") \
    X(REQ_PGUP,      "page-up",       "Page up") \
    X(REQ_PGDN,      "page-down",     "Page down") \
    X(REQ_HOME,      "first",         "First row") \
    X(REQ_END,       "last",          "Last row") \
    X(REQ_LEFT,      "left",          "Collapse a group / scroll left") \
    X(REQ_RIGHT,     "right",         "Expand a group / scroll right") \
    X(REQ_FOCUS,     "focus",         "Switch between side panel and table") \
    X(REQ_FOCUS_BACK,"focus-back",    "Switch focus backwards") \
    X(REQ_ENTER,     "open",          "Open details / choose in the side panel") \
    X(REQ_FILTER,    "filter",        "Edit the filter (applied as you type)") \
    X(REQ_ESCAPE,    "escape",        "Clear the filter / close the screen") \
    X(REQ_HELP,      "help",          "This help") \
    X(REQ_COMMAND,   "command",       "Command line: the CLI's commands (:cert revoke 12)") \
    X(REQ_REVOKED,   "show-revoked",  "Show / hide revoked certificates") \
    X(REQ_MARK,      "mark",          "Mark the row for bulk tags / group / revoke") \
    X(REQ_NEW,       "new",           "New certificate (CA on the CA screen)") \
    X(REQ_USAGE,     "usage",         "Certificate usage") \
    X(REQ_TAGS,      "tags",          "Tags of the row (or the marked rows)") \
    X(REQ_DESCRIBE,  "describe",      "Edit description") \
    X(REQ_AUDIT,     "audit",         "Audit log of the row") \
    X(REQ_AUDIT_ALL, "audit-all",     "Audit log of the store") \
    X(REQ_EXPORT,    "export",        "Export (.pfx, Base64, PEM, key)") \
    X(REQ_REVOKE,    "revoke",        "Revoke (permanent)") \
    X(REQ_RENEW,     "renew",         "Renew the row (or the marked rows); CA screen: roll the CA over") \
    X(REQ_CSR,       "save-request",  "Save the request (CSR) of a pending APN/ABM certificate again") \
    X(REQ_SIGNED,    "import-signed", "Import the signed certificate of a pending APN/ABM certificate") \
    X(REQ_MOVE,      "access-group",  "Move to another access group") \
    X(REQ_CAS,       "cas",           "Certification authorities screen") \
    X(REQ_CERTS,     "certs",         "Peer certificates screen") \
    X(REQ_SORT,      "sort",          "Sort by the next column") \
    X(REQ_SORT_REV,  "sort-reverse",  "Reverse the sort") \
    X(REQ_IMPORT,    "import",        "Import a CA public key (CA screen)") \
    X(REQ_DELETE,    "delete",        "Delete the CA (CA screen)") \
    X(REQ_CRL,       "crl",           "Write the CA's signed CRL to a file (CA screen)") \
    X(REQ_PANEL,     "side-panel",    "Show / hide the side panel") \
    X(REQ_COLUMNS,   "columns",       "Choose, order and size the columns") \
    X(REQ_PRESETS,   "presets",       "Filter presets: load, save, delete, default") \
    X(REQ_WIDER,     "wider",         "Widen the sort column") \
    X(REQ_NARROWER,  "narrower",      "Narrow the sort column") \
    X(REQ_USERS,     "users",         "Users and permission sets") \
    X(REQ_DISABLE,   "disable",       "Disable / enable the user (Users screen)") \
    X(REQ_PASSWORD,  "password",      "Change the user's password (Users screen)") \
    X(REQ_GRANT,     "user-permsets", "Permission sets of the user (Users screen)") \
    X(REQ_PERMSETS,  "permsets",      "Permission sets screen (from the Users screen)") \
    X(REQ_SERVER,    "server",        "Server settings: client password, mirror, unauthenticated clients, expiry warning window") \
    X(REQ_REDRAW,    "redraw",        "Redraw the screen") \
    X(REQ_QUIT,      "quit",          "Quit")

enum req {
#define REQ_X(e, n, h) e,
    REQ_LIST(REQ_X)
#undef REQ_X
    REQ_COUNT
};

int         keymap_lookup(int key);              /* key -> request */
const char *req_name(int req);
const char *req_help(int req);
const char *key_label(int req, char *buf, size_t n);   /* first key bound, "F2" / "n" */
const char *key_hint(int req, char *buf, size_t n);    /* its letter for prose, "R" */
/* Each binding in order, for the help screen: returns 0 at the end. */
int         keymap_at(size_t i, int *key, int *req);

/* ---- theme ------------------------------------------------------------- */
enum { C_NORMAL, C_HEADER, C_CURSOR, C_MARKED, C_TOP, C_KEYBAR, C_KEY, C_ERROR, C_OK, C_PANEL,
       C_PANEL_SEL, C_DIALOG, C_FIELD, C_WARN, C_ST_VALID, C_ST_EXPIRING, C_ST_EXPIRED, C_ST_REVOKED,
       C_ST_NOTYET, C_COUNT };
int  theme_load(const char *name_or_path, char *err, size_t errsz);
int  theme_attr(int slot);

/* ---- the app and its screens ------------------------------------------- */
struct app;

struct scr_ops {
    const char *name;
    void *(*open)(struct app *a, const void *arg);
    void  (*draw)(struct app *a, void *st, int y, int h);
    int   (*request)(struct app *a, void *st, int req, int key);   /* 1 = handled */
    void  (*close)(void *st);
    const int *keybar;          /* requests shown in the key bar, REQ_NONE-terminated */
    const char *(*counts)(struct app *a, void *st, char *buf, size_t n);  /* "shown / total" */
    /* 0 when the user may not do `req` on the current row (the key bar dims it); may be NULL */
    int   (*allowed)(struct app *a, void *st, int req);
};

struct app {
    cd_store *s;
    cd_user *u;
    int rows, cols;
    int quit;
    char status[300];
    int status_err;
    char warning[200];          /* banner: an expired CA, certificates expiring */
    int unauth_on;              /* unauthenticated access for clients is on: a banner row on every screen */
    char mirror[300];           /* a mirror or a pulled replica: where its snapshot came from, else "" */
    int64_t mirror_published;   /* when that snapshot was published (UTC s) */
    char mirror_warning[200];   /* why an older cached snapshot is shown (the mirror was not reached) */
    /* Certificates expired / expiring (revoked excluded, the core's window):
     * counted once per refresh, here only, and shared by the banner and the
     * certificate screen's side panel; -1 until counted (app_expiry_counts) */
    int64_t nexpired, nexpiring;
    int warn_days;              /* the store's warning window, for the banner */
    char ca_parts[2][120];      /* the banner's CA part: expired, expiring */
    int nca_parts;
    struct { const struct scr_ops *ops; void *st; } stack[8];
    int depth;
};

extern const struct scr_ops scr_certs, scr_cas, scr_audit, scr_details, scr_ca_details, scr_help, scr_users, scr_permsets;

int  app_push(struct app *a, const struct scr_ops *ops, const void *arg);
void app_pop(struct app *a);
void app_status(struct app *a, int is_err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Reports a failed core call in the status line. */
void app_fail(struct app *a, int rc, const struct cd_err *err);
/* Refuses a mutation when the store is read-only (cd_store_readonly);
 * returns 1 when refused. */
int  app_readonly(struct app *a);
/* 1 when the user may do `req` on an object of `kind` (CD_KIND_CERT/CA) in
 * `group` (NULL: a new object, in the user's home group).  say: else put the
 * reason in the status line (no right, or read-only mode). */
int  app_allowed(struct app *a, int req, int kind, const char *group, int say);
void app_redraw(struct app *a);      /* the whole screen, for dialogs drawn on top */
/* After a change: recomputes the banner's CA part and marks the expiry
 * counts to be counted again, after the next frame is drawn. */
void app_warnings(struct app *a);
/* Counts them (the one place that does) and completes the banner. */
void app_expiry_counts(struct app *a);
void app_mirror(struct app *a);      /* reads what the top line says of a mirror (once, at start) */
int  app_command(struct app *a, const char *line);   /* ":" command line */
/* getch, or APP_STOP once the console must end (a signal, the terminal gone). */
#define APP_STOP (-2)
int  app_getch(void);

/* ---- drawing ----------------------------------------------------------- */
/* Draws untrusted text sanitised, cut or padded to exactly `w` columns. */
void draw_text(int y, int x, int w, const char *s, int attr);
void draw_fill(int y, int x, int w, int attr);
int  state_attr(int state);

/* ---- table widget ------------------------------------------------------ */
struct tcol { int id; const char *title; int width; int visible; };
struct table_src {
    /* rows [off, off+limit) into *rows (array of elsz), *n rows.  reverse
     * (only when can_reverse): the same rows counted from the other end, in
     * the reverse order; the table turns them round. */
    int  (*fetch)(struct app *a, void *ctx, int64_t off, int limit, int reverse, void **rows, size_t *n,
                  struct cd_err *err);
    int  (*count)(struct app *a, void *ctx, int64_t *total, struct cd_err *err);
    const char *(*cell)(const void *row, int col, char *buf, size_t n);
    int64_t (*id)(const void *row);
    int  (*attr)(const void *row, int col);
    void (*free_rows)(void *rows, size_t n);
    size_t elsz;
    int count_first;    /* count loads the rows (small lists): always call it first */
    int can_reverse;    /* rows are the caller's: a page near the end is read backwards */
};
struct table {
    const struct table_src *src;
    void *ctx;
    struct tcol cols[16];
    int ncols;
    int64_t total, cur, top;
    void *page; size_t npage; int64_t page_off;
    int64_t *marks; size_t nmarks, capmarks;
    int height;                  /* rows drawn last time */
    int focused;
    int hscroll;
};
void table_init(struct table *t, const struct table_src *src, void *ctx);
/* Appends visible columns: id, title, width. */
struct tcol_def { int id; const char *title; int width; };
void table_columns(struct table *t, const struct tcol_def *d, size_t n);
int  table_reload(struct app *a, struct table *t);     /* recount + refetch; keeps the cursor */
void table_draw(struct app *a, struct table *t, int y, int x, int h, int w);
int  table_request(struct app *a, struct table *t, int req);   /* cursor movement */
const void *table_current(struct app *a, struct table *t);
int  table_marked(const struct table *t, int64_t id);
void table_toggle_mark(struct table *t, int64_t id);
/* The ids to act on: the marked rows, else the current one. Caller frees. */
int64_t *table_targets(struct app *a, struct table *t, size_t *n);
void table_free(struct table *t);
/* For lists loaded whole by the count callback: the page is a window onto
 * the list (rows borrowed, nothing to free). */
void table_window(void *base, size_t n, size_t elsz, int64_t off, int limit, void **rows, size_t *nrows);
void table_borrowed_free(void *rows, size_t n);

/* ---- filter bar (certificates and CA screens) -------------------------- */
struct fbar {
    char text[256];
    char err[520];               /* the last check's message, "" when valid */
    size_t pos;                  /* its column */
    int editing;                 /* keys go to the bar */
};
enum { FB_NONE, FB_EDIT, FB_DONE, FB_CLEAR };
/* A key while editing: FB_EDIT the text changed, FB_DONE Enter/Tab/Down
 * ended editing, FB_CLEAR Esc emptied it and ended editing, FB_NONE else. */
int  fbar_key(struct fbar *b, int key);
/* 1 while the last word is too short to filter by as it is typed. */
int  fbar_mid_word(const char *text);
/* Keeps a failed check's message and column for the caret line. */
void fbar_fail(struct fbar *b, const struct cd_err *e);
/* Draws the bar in w columns and, when invalid, the caret line in errw;
 * returns the rows used (1 or 2).  fbar_cursor after everything else. */
int  fbar_draw(const struct fbar *b, int y, int x, int w, int errw);
void fbar_cursor(const struct fbar *b, int y, int x);

/* ---- form widget (every dialog) ---------------------------------------- */
enum { F_TEXT, F_SECRET, F_CHOICE, F_CHECKS, F_LABEL };
struct form;
struct field {
    int type;
    const char *label;
    char value[256];             /* F_TEXT / F_SECRET */
    const char *const *choices;  /* F_CHOICE / F_CHECKS, NULL-terminated */
    int choice;                  /* F_CHOICE */
    unsigned char *checked;      /* F_CHECKS: one per choice, the caller's (no limit on the choices) */
    int top;                     /* F_CHECKS scroll */
    /* F_CHOICE: called after the choice changed; F_TEXT / F_SECRET: after
     * each edit (i: this field's index), e.g. to keep a file name in step
     * with a format or a name; may be NULL */
    void (*changed)(struct form *fm, int i, void *ctx);
};
struct form {
    const char *title;
    const char *note;            /* a line under the title (e.g. "Revocation is permanent") */
    struct field *f;
    int n;
    const char *ok;              /* button text */
    /* called on OK: 0 closes the dialog, else it stays open with the status */
    int (*submit)(struct app *a, struct form *fm, void *ctx);
    void *ctx;
    char err[256];
};
/* Runs the dialog; 1 when submitted and accepted, 0 when cancelled. */
int  form_run(struct app *a, struct form *fm);
/* Puts a failed core call's message under the dialog; returns 1 (stay open). */
int  form_fail(struct form *fm, int rc, const struct cd_err *e);
/* 1 when the comma-separated list holds name exactly. */
int  list_has(const char *csv, const char *name);
/* Shows "busy" while a slow call runs (the 600k-iteration exports). */
void form_busy(struct app *a, const char *what);
/* A yes/no question over the screen: 1 for Enter (yes, button `ok`), 0 for Esc. */
int  form_confirm(struct app *a, const char *title, const char *question, const char *ok);
/* Before writing path from a dialog: 0 to go on with *flags for
 * cd_write_file (asks first when a file is there: CD_WRITE_NOREPLACE when
 * nothing was, so one appearing meanwhile is not replaced unasked); 1 to
 * stay in the dialog, with the refusal or "not replaced" in fm->err. */
int  form_may_write(struct app *a, struct form *fm, const char *path, unsigned *flags);

/* Dialogs. */
/* group: the access group chosen first (the side panel's; "" = All). */
int dlg_new_cert(struct app *a, const char *group);
/* Keeps in l only the CAs that can sign and that the user may issue from
 * (Use on the CA, as the core answers it); the others are cleared. */
void issuing_cas(struct app *a, struct cd_ca_list *l);
int dlg_new_ca(struct app *a);
int dlg_describe(struct app *a, int kind, int64_t id, const char *current);
int dlg_tags(struct app *a, int kind, const int64_t *ids, size_t n, const char *current);
int dlg_export(struct app *a, const int64_t *ids, size_t n, const char *cn);
/* Asks, then revokes (R and ":cert revoke"); reason: the one chosen first
 * (an RFC 5280 name), NULL for unspecified.  1 when revoked. */
int dlg_revoke(struct app *a, const int64_t *ids, size_t n, const char *reason);
int dlg_move(struct app *a, int kind, const int64_t *ids, size_t n, const char *current);
int dlg_import_ca(struct app *a);
/* The lifecycle (dlg_renew.c, dlg_request.c): each 1 when it changed the
 * store.  Renew: the dialog for ids (APN/ABM rows: a new request instead);
 * the superseded offer: asks once the renewal of c is in use, then revokes
 * c as superseded (ask: 0 says what is possible in the status line instead
 * of asking when it is not). */
int dlg_renew(struct app *a, const int64_t *ids, size_t n);
/* The Renew dialog for every row q shows (":cert renew"). */
int renew_shown(struct app *a, const struct cd_query *q);
int renew_offer_superseded(struct app *a, const struct cd_cert *c, int quiet);
/* The renewal's in-use line of c's details ("" when c is not replaced). */
void renew_describe(struct app *a, const struct cd_cert *c, char *out, size_t n);
int dlg_rollover(struct app *a, int64_t ca_id);
/* One row's lifecycle key (R as superseded when its renewal is in use, else
 * the Revoke dialog; N renew; W the request again; I the signed
 * certificate), from the table or its details: 1 when the store changed. */
int cert_action(struct app *a, int req, int64_t id);
/* APN/ABM: a new request (replaces: the certificate it renews, 0: none),
 * the pending request saved again, the signed certificate imported. */
int dlg_request(struct app *a, int product, const char *group, int64_t replaces);
int dlg_save_csr(struct app *a, int64_t id, const char *cn);
int dlg_import_signed(struct app *a, int64_t id);
/* 1 when c is an APN/ABM certificate (Apple signs it): the core says which. */
int cert_external(const struct cd_cert *c);
/* Progress of a bulk core call over the screen (cd_progress_fn; ctx: a
 * struct form_progress). */
struct form_progress { struct app *a; const char *verb; };
void form_progress(void *ctx, size_t done, size_t total);
/* A file name from a CN, with anything odd replaced ("certificate" when empty). */
void safe_name(const char *cn, char *out, size_t n);
/* Comma-separated tags ("a, b") split into tags (33 slots) over buf;
 * NULL when there are none. */
const char *const *nc_tags(const char *csv, char *buf, size_t n, const char **tags);
/* The key type choices, in the order of enum cd_keytype. */
extern const char *const key_types[];
/* APN/ABM request: makes it (cd_cert_request) and writes the CSR to path
 * (asked first when a file is there); 0 closes the dialog, 1 stays with
 * the reason in fm->err.  request_path: "<cn>.csr". */
int  request_submit(struct app *a, struct form *fm, const struct cd_cert_params *p, int64_t replaces, const char *path);
void request_path(const char *cn, char *out, size_t n);
/* Reads a small file (a certificate) for a dialog: 0, else 1 with the
 * reason in fm->err. */
int  form_read_file(struct form *fm, const char *path, unsigned char *buf, size_t cap, size_t *n);
/* Server settings (client password, unauthenticated clients); refused with
 * the reason when the user may not change them.  1 when applied. */
int dlg_server(struct app *a);
int dlg_columns(struct app *a, struct table *t);
/* Returns the name of a preset to load (caller frees), or NULL. */
char *dlg_presets(struct app *a, const char *filter, const char *columns, const char *sort);
void columns_spec(const struct table *t, char *out, size_t n);
int  columns_apply(struct table *t, const char *spec, char *err, size_t errsz);

/* u NULL: the console asks login_name's password first. */
int tui_run(cd_store *s, cd_user *u, const char *theme, const char *login_name);

#endif
