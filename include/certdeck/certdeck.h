/* certdeck — the whole public API in one include. */
#ifndef CERTDECK_H
#define CERTDECK_H
#define CERTDECK_VERSION "0.1.0"
#include <certdeck/error.h>
#include <certdeck/sanitize.h>
#include <certdeck/secret.h>
#include <certdeck/filter.h>
#include <certdeck/store.h>
#include <certdeck/users.h>
#include <certdeck/names.h>
#include <certdeck/server.h>
#include <certdeck/api.h>
#include <certdeck/mirror.h>
#include <certdeck/check.h>
#include <certdeck/lifecycle.h>
#endif
