/* certdeck core — an import on the wire (import_wire.c): the request the
 * https store sends, and the report's rows (cdi_ tier). */
#ifndef CERTDECK_IMPORT_WIRE_INT_H
#define CERTDECK_IMPORT_WIRE_INT_H

#include "import_int.h"
#include "json_int.h"

/* One report row (struct cd_import_item) <-> JSON. */
extern const struct cdi_jfield cdi_jt_import_item[];
/* {"group", "description", "items": [records]}; NULL when out of memory.
 * Holds key material: cdi_json_wipe it. */
json_t *cdi_import_encode(const struct cdi_import *im);
/* One record of "items" into im, everything read from it parsed again. */
int cdi_import_decode_item(struct cdi_import *im, const char *rec, struct cd_err *err);

#endif
