/* certdeck CLI — the HTTP mirror (certdeck mirror ...): publish a signed
 * snapshot of the store into a folder a web server serves, pull one into a
 * local read-only replica, verify one.  The work is the core's
 * (certdeck/mirror.h); this file reads options and prints outcomes. */
#include <stdio.h>
#include <string.h>
#include "cli.h"

/* H1 */
static int publish(struct cli *c, int argc, char **argv)
{
    (void)c; (void)argc; (void)argv;
    return cli_msg(1, "mirror publish: not in this build yet");
}

/* H2 */
static int pull(struct cli *c, int argc, char **argv)
{
    (void)c; (void)argc; (void)argv;
    return cli_msg(1, "mirror pull: not in this build yet");
}

/* H2 */
static int verify(struct cli *c, int argc, char **argv)
{
    (void)c; (void)argc; (void)argv;
    return cli_msg(1, "mirror verify: not in this build yet");
}

int cmd_mirror(struct cli *c, int argc, char **argv)
{
    static const struct subcmd t[] = {
        { "publish", publish, "publish DIR --sign-ca ID [--ca-passphrase-file F] [--keep N]" },
        { "pull", pull, "pull URL --into FILE" },
        { "verify", verify, "verify URL|DIR" },
        { NULL, NULL, NULL },
    };
    return cli_dispatch(c, "mirror", t, argc, argv);
}
