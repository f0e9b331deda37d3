# wandel: system-dynamics simulator. Plain GNU make.
#
#   make run        install missing Debian packages, build, run the Ruhr baseline and
#                   print its key outputs in 2030, 2040 and 2050
#   make backcast   the Ruhr back-cast: error per series and docs/backcast.png
#   make test       install missing packages, build, run every test
#   make            build build/wandel and build/libwandel.a
#   make sanitize   tests under AddressSanitizer + UndefinedBehaviorSanitizer
#   make valgrind   tests under valgrind memcheck
#   make bench      benchmarks against hand-written C, sweep throughput
#   make mpi        build/wandel-mpi (sweeps on MPI ranks, Open MPI)
#   make report     run scenarios/comparison.cfg, write results/report/index.html
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
LDLIBS  += $(PKG_LIBS) -ldl -lpthread -lm

# Debian packages needed to build, test and run the output checks.
DEB_PKGS := gcc make pkg-config libgsl-dev libconfig-dev libhdf5-dev libcmocka-dev \
            libfreexl-dev libzip-dev libxml2-dev libopenmpi-dev openmpi-bin time \
            python3 python3-h5py python3-xarray python3-netcdf4 python3-pandas python3-matplotlib

# MPI build (make mpi): Debian's Open MPI through its compiler wrapper. The
# tests use build/wandel-mpi when mpicc is there (they skip MPI otherwise).
MPICC   ?= mpicc
HAVE_MPICC := $(shell command -v $(MPICC) 2>/dev/null)
MPI_SRC := $(wildcard src/mpi/*.c)
MPI_OBJ := $(MPI_SRC:src/mpi/%.c=$(BUILD)/mpi/%.o) $(BUILD)/mpi/main.o

# The command line is main.c and the commands in their own files (cli_*.c);
# everything else is the library.
CLI_SRC  := src/main.c $(wildcard src/cli_*.c)
LIB_SRC  := $(filter-out $(CLI_SRC),$(wildcard src/*.c))
LIB_OBJ  := $(LIB_SRC:src/%.c=$(BUILD)/obj/%.o)
CLI_OBJ  := $(CLI_SRC:src/%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(wildcard tests/test_*.c)
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%) $(BUILD)/tests/conformance
TEST_SUPPORT := tests/testutil.c

.PHONY: all deps deps-fuzz deps-browser run backcast report test sanitize valgrind bench mpi fuzz fuzz-smoke \
        install uninstall clean

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

# The interpreter's threaded dispatch: keep one indirect jump at the end of
# each instruction's code (GCC would otherwise merge them into one shared
# jump, which predicts worse).
$(BUILD)/obj/vm.o: CFLAGS += -fno-gcse -fno-crossjumping

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

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d) $(MPI_OBJ:.o=.d)

# ---- MPI ---------------------------------------------------------------------------
# main.c is compiled again with main renamed wandel_main: src/mpi/main_mpi.c
# starts MPI and runs `sweep` on every rank, other commands as wandel does.
$(BUILD)/mpi/main.o: src/main.c
	@mkdir -p $(dir $@)
	$(MPICC) $(CFLAGS) -Wno-missing-prototypes -Dmain=wandel_main -c $< -o $@

$(BUILD)/mpi/%.o: src/mpi/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(CFLAGS) -c $< -o $@

CMD_OBJ := $(filter-out $(BUILD)/obj/main.o,$(CLI_OBJ))
$(BUILD)/wandel-mpi: $(MPI_OBJ) $(CMD_OBJ) $(BUILD)/libwandel.a
	$(MPICC) $(LDFLAGS) -o $@ $(MPI_OBJ) $(CMD_OBJ) $(BUILD)/libwandel.a $(LDLIBS)

mpi: deps all $(BUILD)/wandel-mpi

# ---- use -----------------------------------------------------------------------
# The Ruhr and its comparators under current policies, 2023-2060 (results in
# results/ruhr-baseline.h5), with a table of the Ruhr's key outputs.
RUN_TABLE := population[Ruhr],sv employment[Ruhr],unemployment rate[Ruhr],jobs[Ruhr,Steel],jobs[Ruhr,Green],gross value added[Ruhr],co2 emissions[Ruhr],fiscal balance[Ruhr],diversification index[Ruhr]

run: deps all
	@./$(BUILD)/wandel run scenarios/ruhr-baseline.cfg --table "$(RUN_TABLE)" --at 2030,2040,2050

backcast: deps all
	@$(PYTHON) tools/backcast_fit.py --wandel $(BUILD)/wandel
	@$(PYTHON) tools/plot_backcast.py --wandel $(BUILD)/wandel -o docs/backcast.png

# The comparison of regions x policy packages x shocks and its report: HDF5,
# CSV, PNG figures and an HTML page a reader without wandel can follow;
# then, where chromium is installed (make deps-browser), a headless browser
# checks that every figure of the page loads.
report: deps all
	./$(BUILD)/wandel compare scenarios/comparison.cfg -o results/comparison.h5
	$(PYTHON) tools/report.py results/comparison.h5 -o results/report
	@sh tools/check_report.sh results/report/index.html; rc=$$?; [ $$rc -eq 0 ] || [ $$rc -eq 77 ]

# Chromium, for the check that every figure of a report loads in a real
# browser (tools/check_report.sh: make report and tests/report.test.sh; both
# skip it without chromium).
deps-browser:
	@$(MAKE) --no-print-directory deps DEB_PKGS="chromium"

test: deps all $(TEST_BIN) $(if $(HAVE_MPICC),$(BUILD)/wandel-mpi)
	@WANDEL=$(BUILD)/wandel BUILD=$(BUILD) PYTHON=$(PYTHON) sh tests/run_tests.sh $(TEST_BIN)

# Sanitizer build in its own directory: objects built without ASan cannot be
# linked with it.
sanitize: deps
	ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	$(MAKE) BUILD=build-san OPT="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	  LDFLAGS="-fsanitize=address,undefined" test

valgrind: deps all $(TEST_BIN) $(if $(HAVE_MPICC),$(BUILD)/wandel-mpi)
	@WANDEL=$(BUILD)/wandel BUILD=$(BUILD) PYTHON=$(PYTHON) VALGRIND=1 sh tests/run_tests.sh $(TEST_BIN)

bench: deps all $(if $(HAVE_MPICC),$(BUILD)/wandel-mpi)
	@sh tools/bench.sh $(BUILD)

# ---- fuzzing (clang's libFuzzer) ------------------------------------------------
# make fuzz runs each target for FUZZ_SECONDS (default 600); make fuzz-smoke
# for 60 s each, as CI does. Library objects are rebuilt with clang and the
# sanitizers in build-fuzz/.
FUZZ_SECONDS ?= 600
FUZZ_CC      := clang
FUZZ_CFLAGS  := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -fno-omit-frame-pointer \
                -fsanitize=address,undefined -Iinclude -Isrc $(PKG_CFLAGS)
FUZZ_OBJ     := $(LIB_SRC:src/%.c=build-fuzz/obj/%.o)
FUZZ_BIN     := build-fuzz/fuzz_mdl build-fuzz/fuzz_expr build-fuzz/fuzz_scenario

deps-fuzz:
	@$(MAKE) --no-print-directory deps DEB_PKGS="clang libclang-rt-14-dev"

build-fuzz/obj/%.o: src/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

# the objects are kept between runs (not intermediates) and follow the headers
.SECONDARY: $(FUZZ_OBJ)
-include $(FUZZ_OBJ:.o=.d)

build-fuzz/%: tests/fuzz/%.c $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJ) $(LDLIBS)

fuzz: deps deps-fuzz $(FUZZ_BIN)
	@sh tools/fuzz.sh $(FUZZ_SECONDS)

fuzz-smoke: deps deps-fuzz $(FUZZ_BIN)
	@sh tools/fuzz.sh 60

# ---- install -------------------------------------------------------------------
install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include
	install -m 755 $(BUILD)/wandel $(DESTDIR)$(PREFIX)/bin/wandel
	if [ -x $(BUILD)/wandel-mpi ]; then install -m 755 $(BUILD)/wandel-mpi $(DESTDIR)$(PREFIX)/bin/wandel-mpi; fi
	install -m 644 $(BUILD)/libwandel.a $(DESTDIR)$(PREFIX)/lib/libwandel.a
	install -m 644 include/wandel.h $(DESTDIR)$(PREFIX)/include/wandel.h
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(shell sed -n 's/^#define WD_VERSION "\(.*\)"/\1/p' include/wandel.h)|g' \
	  wandel.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/wandel.pc

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/wandel $(DESTDIR)$(PREFIX)/bin/wandel-mpi $(DESTDIR)$(PREFIX)/lib/libwandel.a \
	  $(DESTDIR)$(PREFIX)/include/wandel.h $(DESTDIR)$(PREFIX)/lib/pkgconfig/wandel.pc

clean:
	rm -rf build build-san build-fuzz
