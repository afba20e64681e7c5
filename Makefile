# certdeck — the one build.  Flags come from pkg-config; objects go to $(BUILD);
# `make deps` installs what a fresh Debian machine lacks (a no-op when all is there).
-include config.mk

BUILD    ?= build
PREFIX   ?= /usr/local
DESTDIR  ?=
CC       ?= cc
OPT      ?= -O2 -g
PKGS     := gnutls sqlite3 jansson ncursesw libcurl libmicrohttpd
CFLAGS_ALL = -std=c11 -D_GNU_SOURCE $(OPT) \
             -Wall -Wextra -Werror -Wshadow -Wformat=2 -Iinclude -DCERTDECK_THEMEDIR=\"$(PREFIX)/share/certdeck/themes\" -MMD -MP \
             $(shell pkg-config --cflags $(PKGS)) $(EXTRA_CFLAGS)
LDLIBS_ALL = $(shell pkg-config --libs $(PKGS)) -lpthread $(EXTRA_LDFLAGS)

# Debian packages: build libraries, and every outside tool the tests and bench use.
DEB_PKGS := build-essential pkg-config libgnutls28-dev libsqlite3-dev libncurses-dev \
            libcurl4-gnutls-dev libmicrohttpd-dev libjansson-dev libcmocka-dev \
            gnutls-bin openssl tmux lighttpd apache2-utils sqlite3 curl jq easy-rsa

CORE_SRC := $(wildcard src/core/*.c)
CLI_SRC  := $(wildcard src/cli/*.c) $(wildcard src/tui/*.c)
CORE_OBJ := $(CORE_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ  := $(CLI_SRC:%.c=$(BUILD)/%.o)
SRV_SRC  := $(wildcard src/server/*.c)
SRV_OBJ  := $(SRV_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/*_test.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
LIB      := $(BUILD)/libcertdeck.a
BIN      := $(BUILD)/certdeck
SERVER   := $(if $(SRV_SRC),$(BUILD)/certdeckd)
DEMO     ?= $(BUILD)/demo.db

.PHONY: all deps run check unit interop tui asan bench install clean
all: $(BIN) $(SERVER)

deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  sudo=""; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  echo "deps: installing$$missing"; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing; \
	fi

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIB): $(CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BIN): $(CLI_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $(CLI_OBJ) $(LIB) $(LDLIBS_ALL)

$(BUILD)/certdeckd: $(SRV_OBJ) $(LIB)
	$(CC) $(CFLAGS_ALL) -o $@ $(SRV_OBJ) $(LIB) $(LDLIBS_ALL)

$(BUILD)/tests/%_test: tests/unit/%_test.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Isrc/core $(shell pkg-config --cflags cmocka) -o $@ $< $(LIB) \
	  $(LDLIBS_ALL) $(shell pkg-config --libs cmocka)

$(BUILD)/certdeck-bench: $(wildcard tests/bench/*.c) $(LIB)
	$(CC) $(CFLAGS_ALL) -Isrc/core -o $@ $(wildcard tests/bench/*.c) $(LIB) $(LDLIBS_ALL) -lutil

run: deps
	@$(MAKE) --no-print-directory all
	@[ -f $(DEMO) ] || { echo "run: seeding a demo store in $(DEMO)"; \
	  $(BIN) --store $(DEMO) demo --certs 2000 || { rm -f $(DEMO) $(DEMO).key $(DEMO)-wal $(DEMO)-shm; exit 1; }; }
	$(BIN) --store $(DEMO)

# Every test is found by pattern: tests/unit/*_test.c and tests/interop/*-test.
check: deps
	@$(MAKE) --no-print-directory unit interop tui

tui: $(BIN) $(SERVER)
	@CERTDECK=$(abspath $(BIN)) CERTDECKD=$(abspath $(BUILD)/certdeckd) sh tests/run-scripts.sh tests/tui

unit: $(UNIT_BIN) $(BIN) $(SERVER)
	@fail=0; for t in $(UNIT_BIN); do \
	  echo "== $$t"; CERTDECK_TEST_DATA=tests/data $$t || fail=1; done; \
	[ $$fail -eq 0 ] || { echo "unit tests FAILED"; exit 1; }

interop: $(BIN) $(SERVER)
	@CERTDECK=$(abspath $(BIN)) CERTDECKD=$(abspath $(BUILD)/certdeckd) sh tests/run-scripts.sh tests/interop

asan:
	@$(MAKE) --no-print-directory BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined" check

bench: deps
	@$(MAKE) --no-print-directory OPT="-O2 -g" $(BUILD)/certdeck-bench $(BIN) $(SERVER)
	$(BUILD)/certdeck-bench $(BENCH_ARGS)

install: $(BIN) $(SERVER)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man5 \
	  $(DESTDIR)$(PREFIX)/share/man/man7 $(DESTDIR)$(PREFIX)/share/certdeck/themes
	install -m 0755 $(BIN) $(DESTDIR)$(PREFIX)/bin/certdeck
	install -m 0644 doc/certdeck.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 0644 doc/certdeck-filter.7 $(DESTDIR)$(PREFIX)/share/man/man7/
	install -m 0644 doc/certdeck-theme.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 0644 themes/*.theme $(DESTDIR)$(PREFIX)/share/certdeck/themes/
	install -d $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)$(PREFIX)/share/doc/certdeck
	install -m 0755 $(BUILD)/certdeckd $(DESTDIR)$(PREFIX)/bin/certdeckd
	install -m 0644 doc/certdeckd.8 $(DESTDIR)$(PREFIX)/share/man/man8/
	install -m 0644 doc/certdeckd.service $(DESTDIR)$(PREFIX)/share/doc/certdeck/

clean:
	rm -rf build build-asan

-include $(CORE_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(SRV_OBJ:.o=.d)
