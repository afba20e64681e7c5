/* certdeck core — the https store's import: what import.c parsed here is
 * sent to certdeckd in one request (import_wire.c), which writes it in one
 * transaction and answers with the report. */
#include <stdlib.h>
#include <string.h>
#include "https_int.h"
#include "import_wire_int.h"

static void item_clear(void *p)
{
    struct cd_import_item *it = p;
    free(it->name);
    free(it->why);
}

int hs_import(cd_store *s, const cd_user *u, const struct cdi_import *im, struct cd_import_report *rep,
              struct cd_err *err)
{
    (void)u;
    json_t *body = cdi_import_encode(im), *j = NULL;
    if (!body) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    /* the request is as large as what it carries: one the API would refuse
     * (its 1 MiB cap) is refused here, saying what to do */
    char *text = json_dumps(body, JSON_COMPACT);
    size_t len = text ? strlen(text) : 0;
    if (text) { cdi_wipe(text, len); free(text); }
    if (len > CD_API_MAX_BODY) {
        cdi_json_wipe(body);
        json_decref(body);
        return cdi_fail(err, CD_E_INVAL, "this import is too large for one request to certdeckd (%zu KiB, at most "
                        "%d KiB): import it on the server's own store, or in parts", len / 1024,
                        (int)(CD_API_MAX_BODY / 1024));
    }
    int rc = hs_change(s, "POST", "/import", body, &j, err);
    json_decref(body);
    size_t n = 0;
    struct cd_import_item *rows = NULL;
    if (!rc) rc = hs_rows(j, cdi_jt_import_item, (void **)&rows, &n, sizeof *rows, item_clear, err);
    json_decref(j);
    if (rc) return rc;
    rep->rows = rows;
    rep->n = n;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].taken) rep->taken++;
        else rep->skipped++;
    }
    return CD_OK;
}
