# returning: repeat leads and repeat orders for PostgreSQL
EXTENSION = returning
EXTVERSION = 0.2.0

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
# Earlier versions' install scripts are kept beside the upgrade scripts, so
# that a database (or a dump) of an earlier version can be created and
# updated.
DATA_built = returning--$(EXTVERSION).sql returning--0.1.0--$(EXTVERSION).sql
DATA = $(wildcard upgrade/returning--*.sql)

# make installcheck: the pg_regress scenarios (sql/, expected/) and the
# isolation specs against a running server (PGHOST, PGPORT, PGUSER).
REGRESS = $(sort $(basename $(notdir $(wildcard sql/*.sql))))
ISOLATION = $(sort $(basename $(notdir $(wildcard test/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=test/isolation --outputdir=test/isolation
EXTRA_CLEAN = test/results test/isolation/results test/isolation/output_iso

PG_CPPFLAGS = -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers -Wno-sign-compare
PG_CPPFLAGS += -DRETURNING_VERSION='"$(EXTVERSION)"'
PG_CXXFLAGS = -std=c++17 -Wall -Wextra -Werror -Wno-unused-parameter
SHLIB_LINK = -lphonenumber -lstdc++

# Bitcode for JIT inlining would need a matching clang; these functions gain
# nothing from it.
override with_llvm = no

PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)

# The targets that set the machine up, or build nothing here, need no
# pg_config; every other one needs PostgreSQL 15's.
SETUP_GOALS = deps test demo bench fuzz dist deb
ifneq ($(MAKECMDGOALS),)
ifeq ($(filter-out $(SETUP_GOALS),$(MAKECMDGOALS)),)
SKIP_PGXS = yes
endif
endif

ifneq ($(SKIP_PGXS),yes)
PG_VERSION := $(word 2,$(shell $(PG_CONFIG) --version 2>/dev/null))
ifeq ($(PG_VERSION),)
$(error pg_config not found (PG_CONFIG=$(PG_CONFIG)): install postgresql-server-dev-15 (make deps does), or set PG_CONFIG to PostgreSQL 15's pg_config)
endif
ifneq ($(word 1,$(subst ., ,$(PG_VERSION))),15)
$(error $(PG_CONFIG) is PostgreSQL $(PG_VERSION); returning $(EXTVERSION) builds for PostgreSQL 15: set PG_CONFIG to its pg_config)
endif
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
endif

# Every object depends on the shared headers.
$(OBJS): $(wildcard src/*.h)

# src/sql/10_tables.sql holds the tables; the other files create or replace
# the functions, views and event triggers, so that an upgrade script runs
# them again between what it does before (upgrade/<from>--<to>-before.sql:
# new columns and tables, functions that change their signature dropped)
# and after (upgrade/<from>--<to>-after.sql: grants, data, re-attaching).
# src/sql/11_tables_0.2.0.sql, the tables 0.2.0 added, runs as it is in both.
TABLES_SQL = src/sql/10_tables.sql
ADDED_SQL = src/sql/11_tables_0.2.0.sql
CODE_SQL = $(filter-out $(TABLES_SQL) $(ADDED_SQL),$(sort $(wildcard src/sql/*.sql)))

returning--$(EXTVERSION).sql: $(TABLES_SQL) $(ADDED_SQL) $(CODE_SQL)
	cat $^ > $@

returning--0.1.0--$(EXTVERSION).sql: upgrade/0.1.0--$(EXTVERSION)-before.sql $(ADDED_SQL) $(CODE_SQL) upgrade/0.1.0--$(EXTVERSION)-after.sql
	cat $^ > $@

.PHONY: deps test demo bench fuzz dist deb

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
	@test/deps.sh valgrind
	@$(MAKE) --no-print-directory all
	@test/install.sh $(MAKE)
	@test/bench/run.sh

fuzz: deps
	@test/fuzz/run.sh $(FUZZ_SECONDS)

# A source archive of the committed tree (PGXN): returning-$(EXTVERSION).zip
dist:
	git archive --format zip --prefix=returning-$(EXTVERSION)/ -o returning-$(EXTVERSION).zip HEAD

# A Debian package of the committed tree (debian/, built with pg_buildext),
# from an export of HEAD in build/deb/:
# build/deb/postgresql-15-returning_$(EXTVERSION)_<arch>.deb (and its
# .buildinfo and .changes). Installs the packages the build needs when missing.
deb:
	@debian/build-deps.sh
	rm -rf build/deb
	mkdir -p build/deb/returning-$(EXTVERSION)
	git archive HEAD | tar -x -C build/deb/returning-$(EXTVERSION)
	cd build/deb/returning-$(EXTVERSION) && dpkg-buildpackage -us -uc -b
	rm -rf build/deb/returning-$(EXTVERSION)
