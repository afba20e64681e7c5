/* certdeck core — the console API's import route (POST /import): an import
 * the https store parsed on its side (import_wire.c), written here by the
 * local store's import op, the report as the answer. */
#include <stdlib.h>
#include <string.h>
#include "api_int.h"
#include "import_wire_int.h"

struct imp { const char *group, *description; const char *const *items; };
static const struct cdi_jfield t_imp[] = {
    { "group", CDI_JT_STR, offsetof(struct imp, group), 0, 0, NULL },
    { "description", CDI_JT_STR, offsetof(struct imp, description), 0, 0, NULL },
    { "items", CDI_JT_STRV, offsetof(struct imp, items), 0, CDI_JF_SECRET, NULL },
    { NULL, 0, 0, 0, 0, NULL }
};

static int import(struct api_ctx *c, void *args)
{
    struct imp *a = args;
    struct cdi_import im = { 0 };
    struct cd_import_report rep = { 0 };
    int rc = CD_OK;
    for (const char *const *it = a->items; !rc && it && *it; it++) rc = cdi_import_decode_item(&im, *it, &c->err);
    struct cd_import_opts o = { .group = a->group && *a->group ? a->group : NULL,
                                .description = a->description && *a->description ? a->description : NULL };
    if (!rc) rc = cdi_import_run(c->s, c->u, &im, &o, &rep, &c->err);
    cdi_import_clear(&im);
    if (!rc) {
        rc = api_rows(c, cdi_jt_import_item, rep.rows, rep.n, sizeof *rep.rows);
        if (!rc && (json_object_set_new(c->out, "imported", json_integer((json_int_t)rep.taken)) ||
                    json_object_set_new(c->out, "skipped", json_integer((json_int_t)rep.skipped))))
            rc = cdi_fail(&c->err, CD_E_NOMEM, "out of memory");
    }
    cd_import_report_free(&rep);
    return rc;
}

const struct api_route api_import_routes[] = {
    { "POST", "/import", import, t_imp, sizeof(struct imp) },
    { NULL, NULL, NULL, NULL, 0 }
};
