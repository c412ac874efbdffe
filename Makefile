# returning: repeat leads and repeat orders for PostgreSQL
EXTENSION = returning
EXTVERSION = 0.1.0

MODULE_big = returning
OBJS = \
	src/returning.o \
	src/config.o \
	src/locks.o \
	src/rewrite.o \
	src/positions.o \
	src/leads.o \
	src/orders.o \
	src/probes.o \
	src/statements.o \
	src/attach.o \
	src/identity.o \
	src/routing.o \
	src/routing_decide.o \
	src/security.o \
	src/triggers.o \
	src/indexes.o \
	src/import.o \
	src/explain.o \
	src/announce.o \
	src/rules.o \
	src/progress.o \
	src/email.o \
	src/normalize.o \
	src/phone_shim.o

# The install script is assembled from one file per concern in src/sql/.
DATA_built = returning--$(EXTVERSION).sql
EXTRA_CLEAN = test/results test/isolation/results test/isolation/output_iso

PG_CPPFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror -Wno-unused-parameter
SHLIB_LINK = -lphonenumber -lstdc++

# Bitcode for JIT inlining would need a matching clang; these functions gain
# nothing from it.
override with_llvm = no

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif

# Every object depends on the shared headers.
$(OBJS): $(wildcard src/*.h)

returning--$(EXTVERSION).sql: $(sort $(wildcard src/sql/*.sql))
	cat $^ > $@

.PHONY: deps test demo bench fuzz

# Install the Debian packages needed to build and test (asks sudo when not root).
deps:
	@test/deps.sh

# Build, install and run every suite in a throwaway cluster.
test: deps
	@$(MAKE) --no-print-directory all
	@test/install.sh $(MAKE)
	@test/run.sh

demo: deps
	@$(MAKE) --no-print-directory all
	@test/install.sh $(MAKE)
	@test/demo/run.sh

bench: deps
	@$(MAKE) --no-print-directory all
	@test/install.sh $(MAKE)
	@test/bench/run.sh

fuzz: deps
	@test/fuzz/run.sh $(FUZZ_SECONDS)
