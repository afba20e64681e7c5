/* certdeck core — the console API (certdeck/api.h).  (Placeholder until the
 * routes land.) */
#include <stdlib.h>
#include <string.h>
#include "core_int.h"

void cd_api_response_free(struct cd_api_response *rs)
{
    if (!rs) return;
    free(rs->body);
    rs->body = NULL;
    rs->len = 0;
}
