# wandel: system-dynamics simulator. Plain GNU make.
#
#   make run        install missing Debian packages, build, run the Ruhr baseline and
#                   print its key outputs in 2030, 2040 and 2050
#   make backcast   the Ruhr back-cast: error per series and docs/backcast.png
#   make test       install missing packages, build, run every test
#   make            build build/wandel and build/libwandel.a
#   make sanitize   tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make valgrind   tests under valgrind memcheck
#   make bench      benchmarks against hand-written C
#   make install    PREFIX=/usr/local DESTDIR=
#   make deps       only the package step

PREFIX  ?= /usr/local
DESTDIR ?=
CC      ?= gcc
BUILD   ?= build
PYTHON  ?= /usr/bin/python3

PKGS    := gsl libconfig hdf5-serial freexl libzip libxml-2.0
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lhdf5_hl
CMOCKA_CFLAGS := $(shell pkg-config --cflags cmocka 2>/dev/null)
CMOCKA_LIBS   := $(shell pkg-config --libs cmocka 2>/dev/null)

WARN    := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter
OPT     ?= -O3 -g
CFLAGS  ?=
CFLAGS  += -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE $(WARN) $(OPT) -Iinclude -Isrc $(PKG_CFLAGS) -MMD -MP
LDLIBS  += $(PKG_LIBS) -lpthread -lm

# Debian packages needed to build, test and run the output checks.
DEB_PKGS := gcc make pkg-config libgsl-dev libconfig-dev libhdf5-dev libcmocka-dev \
            libfreexl-dev libzip-dev libxml2-dev \
            python3 python3-h5py python3-xarray python3-netcdf4 python3-pandas python3-matplotlib

LIB_SRC  := $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
CLI_SRC  := src/main.c
CLI_OBJ  := $(BUILD)/obj/main.o
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%) $(BUILD)/tests/conformance
TEST_SUPPORT := tests/testutil.c

.PHONY: all deps run backcast test check-deps sanitize valgrind bench install uninstall clean

all: $(BUILD)/wandel $(BUILD)/libwandel.a

# ---- packages ---------------------------------------------------------------
# Installs what is missing with apt-get when root or when sudo works without a
# password; otherwise prints the exact command and stops.
deps:
	@missing=""; for p in $(DEB_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "wandel: installing missing Debian packages:$$missing"; \
	if [ "$$(id -u)" = 0 ]; then SUDO=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then SUDO="sudo"; \
	else echo "wandel: please run as root:  apt-get install -y$$missing" >&2; exit 1; fi; \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
	$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends$$missing

# ---- build -------------------------------------------------------------------
$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libwandel.a: $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(BUILD)/wandel: $(CLI_OBJ) $(BUILD)/libwandel.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libwandel.a $(LDLIBS)

$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT) tests/testutil.h $(BUILD)/libwandel.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CMOCKA_CFLAGS) -Itests -o $@ $< $(TEST_SUPPORT) $(BUILD)/libwandel.a $(LDLIBS) $(CMOCKA_LIBS)

# The conformance runner is a plain program (one line per suite test).
$(BUILD)/tests/conformance: tests/conformance.c $(BUILD)/libwandel.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libwandel.a $(LDLIBS)

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)

# ---- use -----------------------------------------------------------------------
# The Ruhr and its comparators under current policies, 2023-2060 (results in
# results/ruhr-baseline.h5), with a table of the Ruhr's key outputs.
RUN_TABLE := population[Ruhr],sv employment[Ruhr],unemployment rate[Ruhr],jobs[Ruhr,Steel],jobs[Ruhr,Green],gross value added[Ruhr],co2 emissions[Ruhr],fiscal balance[Ruhr],diversification index[Ruhr]

run: deps all
	@./$(BUILD)/wandel run scenarios/ruhr-baseline.cfg --table "$(RUN_TABLE)" --at 2030,2040,2050

backcast: deps all
	@$(PYTHON) tools/backcast_fit.py --wandel $(BUILD)/wandel
	@$(PYTHON) tools/plot_backcast.py --wandel $(BUILD)/wandel -o docs/backcast.png

test: deps all $(TEST_BIN)
	@WANDEL=$(BUILD)/wandel BUILD=$(BUILD) PYTHON=$(PYTHON) sh tests/run_tests.sh $(TEST_BIN)

# Sanitizer build in its own directory: objects built without ASan cannot be
# linked with it.
sanitize: deps
	$(MAKE) BUILD=build-san OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" \
	  ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 test

valgrind: deps all $(TEST_BIN)
	@WANDEL=$(BUILD)/wandel BUILD=$(BUILD) PYTHON=$(PYTHON) VALGRIND=1 sh tests/run_tests.sh $(TEST_BIN)

bench: deps all
	@sh tools/bench.sh $(BUILD)

# ---- install -------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(BUILD)/wandel $(DESTDIR)$(PREFIX)/bin/wandel
	install -m 644 $(BUILD)/libwandel.a $(DESTDIR)$(PREFIX)/lib/libwandel.a
	install -m 644 include/wandel.h $(DESTDIR)$(PREFIX)/include/wandel.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/^#define WD_VERSION "\(.*\)"/\1/p' include/wandel.h)|g' \
	  wandel.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/wandel.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/wandel $(DESTDIR)$(PREFIX)/lib/libwandel.a \
	  $(DESTDIR)$(PREFIX)/include/wandel.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/wandel.pc

clean:
	rm -rf build build-san
