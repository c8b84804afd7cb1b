# pg-chronicle
#   make install / uninstall   copy the committed extension/ files into the server found by
#                              pg_config (PG_CONFIG=/path/to/pg_config to choose); no Node.js needed
#   make demo | test | bench   run on embedded PostgreSQL servers from npm (Node.js needed)
#   make generate | generate-check   rebuild extension/ from src/sql and control/, or verify it
#   make release NEXT=x.y.z    freeze the version under development, open NEXT

PG_CONFIG ?= pg_config
NPM ?= npm

.PHONY: help all demo test bench generate generate-check release deps
.DEFAULT_GOAL := help
help:
	@sed -n '2,7s/^# \{0,1\}//p' Makefile

# PGXS's install depends on "all"; there is nothing to build, the scripts are committed.
all:

# Node.js side: dependencies are installed once per package-lock.json change.
node_modules/.installed: package.json package-lock.json
	$(NPM) ci
	@touch $@

deps: node_modules/.installed

demo: deps
	$(NPM) run -s demo

test: deps
	$(NPM) test

bench: deps
	$(NPM) run -s bench

generate: deps
	$(NPM) run -s generate

generate-check: deps
	$(NPM) run -s generate:check

release: deps
	@test -n "$(NEXT)" || { echo "usage: make release NEXT=<next development version>" >&2; exit 2; }
	$(NPM) run -s release -- $(NEXT)

# Server side: PGXS installs the committed files; only loaded for the targets that need it,
# so demo and test work on a machine without PostgreSQL development files.
ifneq ($(filter install uninstall installdirs,$(MAKECMDGOALS)),)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifeq ($(PGXS),)
$(error cannot run "$(PG_CONFIG) --pgxs": install PostgreSQL's pg_config (Debian: postgresql-client-15 or postgresql-server-dev-15) or set PG_CONFIG=/path/to/pg_config)
endif
MODULEDIR = extension
DATA = extension/chronicle.control $(wildcard extension/chronicle--*.sql)
include $(PGXS)
endif
